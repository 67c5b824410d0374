//! `cargo xtask bench tracker`: the progress tracker at scale.
//!
//! Registers N files over D datasets, then processes the datasets one after
//! another as the pipeline does (W worker threads, each with its own store,
//! claiming B files at a time and completing each), failing one file in K
//! for good. Measures registration and claim+complete throughput, summary
//! latency (after the run and while it runs), a failed-files listing, the
//! fairness between workers, the WAL's peak size and the peak RSS.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tracker_core::{
    CompletionMetrics, DatasetId, Failure, FailureKind, FileKey, FileStatus, ListQuery, NewFile,
    ProgressStore, Timestamp, WorkerId,
};
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::args::Args;
use crate::measure::{FileSizeMonitor, peak_rss_kb, quantile_ms};

pub fn run(args: Args) -> anyhow::Result<()> {
    let files: usize = args.get("files", 500_000)?;
    let datasets: usize = args.get("datasets", 10)?;
    let workers: usize = args.get("workers", 4)?;
    let batch: usize = args.get("batch", 16)?;
    let fail_every: usize = args.get("fail-every", 1000)?;
    let json_out = args.flag("json");
    // The verify processor stores a SHA-256 per file; --no-checksum measures
    // the tracker without that payload.
    let checksum = !args.flag("no-checksum");
    let complete_each = match args.opt("complete").unwrap_or("batch") {
        "batch" => false,
        "each" => true,
        other => anyhow::bail!(
            "--complete {other}: expected batch (one commit per claimed batch) or each (one commit per file)"
        ),
    };
    anyhow::ensure!(
        files > 0 && datasets > 0 && workers > 0 && batch > 0,
        "counts must be positive"
    );

    let tmp = tempfile::tempdir().context("creating a temp dir")?;
    // --log-level LEVEL: log to a JSON file as `climastation` does, to measure
    // what logging costs the tracker (per-file events are at debug).
    let _log = match args.opt("log-level") {
        Some(level) => Some(tracker_log::init(
            &tracker_log::Logging {
                level: level.to_owned(),
                format: tracker_log::LogFormat::Json,
                file: true,
                rotation: tracker_log::Rotation::Never,
                max_files: 1,
                directory: tmp.path().join("logs"),
            },
            Some("off"),
        )?),
        None => None,
    };
    let db: PathBuf = match args.opt("db") {
        Some(p) => PathBuf::from(p),
        None => tmp.path().join("progress_tracking.db"),
    };
    let say = |msg: String| {
        if !json_out {
            eprintln!("{msg}");
        }
    };
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let wal_monitor = FileSizeMonitor::start(PathBuf::from(wal));

    let store = SqliteStore::open(&db, StoreOptions::default()).context("opening the store")?;
    let names: Vec<DatasetId> = (0..datasets)
        .map(|d| DatasetId::new(format!("bench/dataset_{d:02}")))
        .collect::<Result<_, _>>()?;

    // ---- register ------------------------------------------------------
    let started = Instant::now();
    let modified = Timestamp::from_millis(1_700_000_000_000);
    let mut chunk = Vec::with_capacity(10_000);
    for i in 0..files {
        let ds = &names[i * datasets / files];
        chunk.push(NewFile {
            key: FileKey::new(
                ds.clone(),
                format!("historical/10minutenwerte_TU_{i:07}_20000101_20091231_hist.zip"),
            )?,
            size: Some(400_000 + (i as u64 % 5_000_000)),
            source_modified: Some(modified),
        });
        if chunk.len() == 10_000 || i + 1 == files {
            store.register(&chunk)?;
            chunk.clear();
        }
    }
    let register_s = started.elapsed().as_secs_f64();
    say(format!("registered {files} files in {register_s:.2} s"));

    let mut summary_pending = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        store.summary(None)?;
        summary_pending.push(t.elapsed());
    }

    // ---- claim + complete, dataset after dataset -------------------------
    let mut handles: Vec<SqliteStore> = (0..workers)
        .map(|_| store.reopen())
        .collect::<Result<_, _>>()?;
    let mut reader_store = Some(store.reopen()?);
    let mut per_worker = vec![0u64; workers];
    let mut claim_waits = Vec::<Duration>::new();
    let mut during = Vec::<Duration>::new();
    let started = Instant::now();
    for ds in &names {
        let done = AtomicBool::new(false);
        std::thread::scope(|s| -> anyhow::Result<()> {
            let joins: Vec<_> = handles
                .drain(..)
                .enumerate()
                .map(|(w, h)| {
                    s.spawn(move || work(h, w, ds, batch, fail_every, complete_each, checksum))
                })
                .collect();
            // a status reader polling while the workers write
            let reader = reader_store.take().context("reader store")?;
            let done = &done;
            let reader = s.spawn(move || -> anyhow::Result<(SqliteStore, Vec<Duration>)> {
                let mut samples = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    reader.summary(None)?;
                    samples.push(t.elapsed());
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok((reader, samples))
            });
            for (w, j) in joins.into_iter().enumerate() {
                let (h, mine, waits) = j
                    .join()
                    .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
                handles.push(h);
                per_worker[w] += mine;
                claim_waits.extend(waits);
            }
            done.store(true, Ordering::Relaxed);
            let (r, samples) = reader
                .join()
                .map_err(|_| anyhow::anyhow!("the reader panicked"))??;
            reader_store = Some(r);
            during.extend(samples);
            Ok(())
        })?;
    }
    let process_s = started.elapsed().as_secs_f64();
    say(format!(
        "claimed and finished {files} files in {process_s:.2} s"
    ));

    // ---- reads at full size ---------------------------------------------
    let mut summary_after = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let s = store.summary(None)?;
        summary_after.push(t.elapsed());
        anyhow::ensure!(
            s.iter().map(|d| d.counts.total()).sum::<u64>() == files as u64,
            "summary lost files"
        );
    }
    let t = Instant::now();
    let failed_page = store.list(&ListQuery {
        dataset: None,
        status: FileStatus::Failed,
        unconfirmed_only: false,
        after: None,
        limit: 100,
    })?;
    let list_failed_ms = t.elapsed().as_secs_f64() * 1000.0;
    let counts = store.summary(None)?.iter().fold((0, 0), |acc, d| {
        (acc.0 + d.counts.completed, acc.1 + d.counts.failed)
    });
    anyhow::ensure!(
        counts.0 + counts.1 == files as u64,
        "not every file finished: {counts:?}"
    );

    let info = store.info()?;
    let report = json!({
        "files": files,
        "datasets": datasets,
        "workers": workers,
        "batch": batch,
        "complete": if complete_each { "each" } else { "batch" },
        "checksum": checksum,
        "log_level": args.opt("log-level"),
        "register_files_per_s": (files as f64 / register_s).round(),
        "claim_complete_files_per_s": (files as f64 / process_s).round(),
        "summary_ms_median": round3(quantile_ms(&mut summary_after, 0.5)),
        "summary_ms_p99": round3(quantile_ms(&mut summary_after, 0.99)),
        "summary_ms_median_all_pending": round3(quantile_ms(&mut summary_pending, 0.5)),
        "summary_ms_p99_during_run": round3(quantile_ms(&mut during, 0.99)),
        "list_failed_ms": round3(list_failed_ms),
        "failed_files": counts.1,
        "failed_listed": failed_page.files.len(),
        "claim_wait_ms_p99": round3(quantile_ms(&mut claim_waits, 0.99)),
        "claim_wait_ms_max": round3(quantile_ms(&mut claim_waits, 1.0)),
        "claims_per_worker": per_worker,
        "peak_rss_kb": peak_rss_kb(),
        "wal_peak_mb": round3(wal_monitor.peak_bytes() as f64 / 1_048_576.0),
        "db_mb": round3(info.db_bytes as f64 / 1_048_576.0),
    });
    if json_out {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

/// One worker: claim a batch, finish each file, until the dataset is empty.
fn work(
    h: SqliteStore,
    w: usize,
    ds: &DatasetId,
    batch: usize,
    fail_every: usize,
    complete_each: bool,
    checksum: bool,
) -> anyhow::Result<(SqliteStore, u64, Vec<Duration>)> {
    let worker = WorkerId::new(format!("bench-w{w}"))?;
    let mut mine = 0u64;
    let mut waits = Vec::new();
    let metrics = CompletionMetrics {
        started_at: None,
        records_processed: 52_560,
        bytes_processed: 1 << 20,
        checksum: checksum.then(|| format!("sha256:{:064x}", w)),
        size_unconfirmed: false,
        outputs: Vec::new(),
    };
    loop {
        let t = Instant::now();
        let claims = h.claim(ds, &worker, batch, Duration::from_secs(300))?;
        waits.push(t.elapsed());
        if claims.is_empty() {
            return Ok((h, mine, waits));
        }
        let mut finished = Vec::with_capacity(claims.len());
        for c in claims {
            if fail_every > 0 && (c.id.0 as usize).is_multiple_of(fail_every) {
                let failure = Failure {
                    kind: FailureKind::Permanent,
                    cause: None,
                    message: "bench: corrupt zip".into(),
                    started_at: None,
                };
                h.fail(&c, &failure)?;
            } else if complete_each {
                h.complete(&c, &metrics)?;
            } else {
                finished.push((c, metrics.clone()));
            }
            mine += 1;
        }
        for r in h.complete_many(&finished)? {
            r?;
        }
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
