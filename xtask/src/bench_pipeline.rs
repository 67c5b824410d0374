//! `cargo xtask bench pipeline`: the pipeline with the verify processor on
//! 1,623 files (the size of the 10-minute air-temperature `historical`
//! folder) at realistic sizes, with 1, 2 and 4 workers.
//!
//! Eight DWD-like zips of 0.4–5 MB (about 7:1 compressed text, as DWD's)
//! are generated once; the 1,623 files are hard links to them, so the files
//! are read from the page cache: the figures are CPU (inflate, SHA-256,
//! tracker), not disk. Each worker count runs in its own process, so that
//! its peak RSS is its own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tracker_core::{DatasetId, FileKey, NewFile, ProgressStore, TrackerError};
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::args::Args;
use crate::measure::peak_rss_kb;

const DATASET: &str = "10_minutes/air_temperature";
/// Zip sizes in MB of the generated templates.
const SIZES_MB: [f64; 8] = [0.4, 0.8, 1.2, 1.8, 2.5, 3.2, 4.0, 5.0];

pub fn run(args: Args) -> anyhow::Result<()> {
    let files: usize = args.get("files", 1_623)?;
    let json_out = args.flag("json");
    let batch: usize = args.get("batch", 8)?;
    let workers_list: Vec<usize> = match args.opt("workers") {
        Some(list) => list
            .split(',')
            .map(|w| w.trim().parse())
            .collect::<Result<_, _>>()
            .context("--workers 1,2,4")?,
        None => vec![1, 2, 4],
    };
    let tmp = tempfile::tempdir()?;
    let raw = tmp.path().join("raw");
    let say = |m: String| {
        if !json_out {
            eprintln!("{m}");
        }
    };
    say(format!(
        "generating {} template zips and {files} links in {}",
        SIZES_MB.len(),
        tmp.path().display()
    ));
    let manifest = generate(&raw, files)?;
    let total_mb: f64 = manifest.iter().map(|(_, s)| *s as f64).sum::<f64>() / 1e6;
    say(format!("{files} files, {total_mb:.0} MB"));

    let exe = std::env::current_exe()?;
    let mut runs = Vec::new();
    for w in workers_list {
        let db = tmp.path().join(format!("progress-{w}.db"));
        let out = Command::new(&exe)
            .args(["bench", "pipeline-one", "--raw"])
            .arg(&raw)
            .arg("--db")
            .arg(&db)
            .args([
                "--workers",
                &w.to_string(),
                "--files",
                &files.to_string(),
                "--batch",
                &batch.to_string(),
            ])
            .output()
            .context("running one pipeline benchmark")?;
        if !out.status.success() {
            bail!(
                "pipeline-one --workers {w} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: Value = serde_json::from_slice(&out.stdout).context("pipeline-one output")?;
        say(format!("{w} workers: {v}"));
        runs.push(v);
    }
    let report =
        json!({ "files": files, "total_mb": (total_mb * 10.0).round() / 10.0, "runs": runs });
    if json_out {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

/// One run, in its own process: register, process with verify, measure.
pub fn run_one(args: Args) -> anyhow::Result<()> {
    let raw = PathBuf::from(args.opt("raw").context("--raw")?);
    let db = PathBuf::from(args.opt("db").context("--db")?);
    let workers: usize = args.get("workers", 4)?;
    let files: usize = args.get("files", 1_623)?;
    let dataset = DatasetId::new(DATASET)?;
    let store = SqliteStore::open(&db, StoreOptions::default())?;
    let mut new = Vec::with_capacity(files);
    for i in 0..files {
        let path = file_name(i);
        let size = std::fs::metadata(raw.join(DATASET).join(&path))?.len();
        new.push(NewFile {
            key: FileKey::new(dataset.clone(), path)?,
            size: Some(size),
            source_modified: None,
        });
    }
    store.register(&new)?;
    drop(store);

    let options = pipeline::RunOptions {
        workers,
        claim_batch: args.get("batch", 8)?,
        idle_poll: Duration::from_millis(50),
        ..pipeline::RunOptions::default()
    };
    let open = || SqliteStore::open(&db, StoreOptions::default()).map_err(TrackerError::from);
    let locate = |k: &FileKey| raw.join(k.dataset.as_str()).join(k.path());
    let report = pipeline::run(
        &open,
        std::slice::from_ref(&dataset),
        &locate,
        &pipeline::Verify,
        &options,
        &tracker_core::Cancel::new(),
        &pipeline::Quiet,
    )?;
    let d = report.datasets.first().context("no dataset ran")?;
    anyhow::ensure!(
        d.completed == files as u64 && d.failed.is_empty(),
        "not all files completed: {d:?}"
    );
    let s = d.stats;
    let wall = s.wall.as_secs_f64();
    let json = json!({
        "workers": workers,
        "files": d.completed,
        "wall_s": round(wall, 2),
        "files_per_s": round(d.completed as f64 / wall, 1),
        "mb_per_s": round(s.bytes as f64 / 1e6 / wall, 1),
        "processing_ms_per_file": round(s.processing.as_secs_f64() * 1000.0 / files as f64, 3),
        "tracker_ms_per_file": round(s.tracker.as_secs_f64() * 1000.0 / files as f64, 3),
        "tracker_overhead_pct": round(100.0 * s.tracker.as_secs_f64() / s.processing.as_secs_f64(), 3),
        "peak_rss_kb": peak_rss_kb(),
        "budget_kb": options.budget.per_worker_bytes / 1024 * workers as u64,
    });
    println!("{json}");
    Ok(())
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn file_name(i: usize) -> String {
    format!("historical/10minutenwerte_TU_{i:05}_19930428_19991231_hist.zip")
}

/// Writes the templates and links `files` names to them; returns (path, size).
fn generate(raw: &Path, files: usize) -> anyhow::Result<Vec<(String, u64)>> {
    let dir = raw.join(DATASET).join("historical");
    std::fs::create_dir_all(&dir)?;
    let templates: Vec<PathBuf> = SIZES_MB
        .iter()
        .enumerate()
        .map(|(i, mb)| {
            let p = raw.join(format!("template-{i}.zip"));
            std::fs::write(&p, template(*mb, i as u64)?)?;
            Ok(p)
        })
        .collect::<anyhow::Result<_>>()?;
    let mut out = Vec::with_capacity(files);
    for i in 0..files {
        let t = &templates[i % templates.len()];
        let name = file_name(i);
        std::fs::hard_link(t, raw.join(DATASET).join(&name))?;
        out.push((name, std::fs::metadata(t)?.len()));
    }
    Ok(out)
}

/// A zip of about `mb` MB holding one `produkt_zehn_min_tu_*` member of
/// 10-minute rows with varying values, like DWD's.
fn template(mb: f64, seed: u64) -> anyhow::Result<Vec<u8>> {
    let target = (mb * 1e6) as usize;
    let mut text = Vec::with_capacity(target * 8);
    text.extend_from_slice(b"STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n");
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    let mut minute = 0u64;
    let mut cursor = std::io::Cursor::new(Vec::with_capacity(target + 4096));
    {
        let mut w = zip::ZipWriter::new(&mut cursor);
        w.start_file(
            "produkt_zehn_min_tu_19930428_19991231_00003.txt",
            zip::write::SimpleFileOptions::default(),
        )?;
        // DWD's decade files: ~35 MB of text in a ~5 MB zip, about 7:1
        while minute < (target as u64 * 7 / 66) * 10 {
            for _ in 0..15_000 {
                let (d, h, m) = (minute / 1440, minute / 60 % 24, minute % 60);
                let t = next(400) as f64 / 10.0 - 10.0;
                let row = format!(
                    "          3;1993{:02}{:02}{h:02}{m:02};    3;{:>6.1};{t:>6.1};{:>6.1};{:>6.1};{:>6.1};eor\r\n",
                    (d / 28) % 12 + 1,
                    d % 28 + 1,
                    990.0 + next(400) as f64 / 10.0,
                    t - 1.2,
                    50.0 + next(500) as f64 / 10.0,
                    t - 4.0
                );
                text.extend_from_slice(row.as_bytes());
                minute += 10;
            }
            w.write_all(&text)?;
            text.clear();
        }
        w.finish()?;
    }
    Ok(cursor.into_inner())
}
