//! `climastation run [--dataset D]... [--workers N] [--keep-going] [--processor verify]`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tracker_core::{DatasetId, FileKey, ProgressStore, TrackerError};
use tracker_sqlite::SqliteStore;

use crate::context::{Ctx, usage};
use crate::exit;
use crate::output::{duration, print_json};
use crate::progress::Bars;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProcessorKind {
    /// Read each file fully, check zip integrity, record bytes and SHA-256.
    Verify,
    /// Fetch each file from source.base_url into paths.raw (resumable,
    /// verified before it gets its final name), then as verify.
    Download,
    /// The whole chain: download, then parse data zips and station lists
    /// into Parquet under paths.output (English names, UTC).
    Dwd,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation run --crawl
  climastation --config config/sample.yaml run --crawl
  climastation run --crawl --dataset hourly/air_temperature --near 51.34,12.37 --radius 50 --from 1990 --to 2020
  climastation run --keep-going --workers 2")]
pub struct Args {
    /// Only these datasets (repeatable); default: the configured ones, in order.
    #[arg(long = "dataset", value_name = "D")]
    pub datasets: Vec<String>,
    /// Parallel workers, 1 to 64 (default processing.workers).
    #[arg(long, allow_negative_numbers = true)]
    pub workers: Option<i64>,
    /// Process everything and report failures at the end instead of stopping
    /// a dataset at its first failure.
    #[arg(long)]
    pub keep_going: bool,
    /// What to do with each file (default processing.processor: dwd).
    #[arg(long, value_enum)]
    pub processor: Option<ProcessorKind>,
    /// Crawl the datasets at source.base_url first (register new and changed
    /// files, set aside vanished ones).
    #[arg(long)]
    pub crawl: bool,
    /// With `--processor dwd`: the format of the tables written to paths.output.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: dwd_dataset::files::Format,
    #[command(flatten)]
    pub selection: super::selection::SelectionArgs,
}

/// Where a dataset's files are on disk: `paths.raw/<dataset>/<path>`.
pub fn locate(raw: &Path, key: &FileKey) -> PathBuf {
    raw.join(key.dataset.as_str()).join(key.path())
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let cfg = &ctx.config;
    let (datasets, manifests) = if args.datasets.is_empty() {
        let names = cfg
            .datasets
            .iter()
            .map(|d| ctx.dataset(&d.name))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let manifests: Vec<Option<PathBuf>> =
            cfg.datasets.iter().map(|d| d.manifest.clone()).collect();
        (names, manifests)
    } else {
        let mut names = Vec::new();
        let mut manifests = Vec::new();
        for d in &args.datasets {
            names.push(ctx.dataset(d)?);
            manifests.push(
                cfg.datasets
                    .iter()
                    .find(|c| &c.name == d)
                    .and_then(|c| c.manifest.clone()),
            );
        }
        (names, manifests)
    };
    if datasets.is_empty() {
        return Err(usage("no datasets: configure `datasets` or pass --dataset"));
    }
    if args.selection.given() && !args.crawl {
        // a selection decides what is registered; run works on what is
        return Err(usage(
            "selection options (--station, --near, --from, …) need --crawl: they decide which files are registered, and run processes what is",
        ));
    }
    let workers = match args.workers {
        Some(w) if !(1..=64).contains(&w) => {
            return Err(usage(format!("--workers {w}: must be 1 to 64")));
        }
        Some(w) => w as usize,
        None => cfg.processing.workers,
    };
    let per = cfg.processing.memory_limit_mb_per_worker;
    if workers as u64 * per > cfg.processing.memory_limit_mb_total {
        let from = |k: &str| {
            cfg.origins
                .get(k)
                .map_or("defaults", String::as_str)
                .to_owned()
        };
        return Err(usage(format!(
            "--workers {workers} × processing.memory_limit_mb_per_worker {per} MB (from {}) = {} MB exceeds processing.memory_limit_mb_total {} MB (from {}): lower --workers or raise the total",
            from("processing.memory_limit_mb_per_worker"),
            workers as u64 * per,
            cfg.processing.memory_limit_mb_total,
            from("processing.memory_limit_mb_total"),
        )));
    }

    // Ctrl-C / SIGTERM, from here on: the first asks for a clean stop (the
    // crawl stops between listings, the pipeline as it documents), a second
    // exits at once (130); the next start recovers the claims left behind.
    let stop = crate::context::stop_on_signals()?;
    let store = ctx.open_store()?;
    for (dataset, manifest) in datasets.iter().zip(&manifests) {
        if let Some(m) = manifest {
            let files = crate::manifest::read(m, dataset).map_err(|e| usage(format!("{e:#}")))?;
            let r = super::register::register_all(&store, &files)?;
            tracing::info!(dataset = %dataset, manifest = %m.display(), new = r.new, changed = r.changed, unchanged = r.unchanged, "registered the manifest");
        }
    }
    if args.crawl {
        let names: Vec<String> = datasets.iter().map(|d| d.as_str().to_owned()).collect();
        let selection = args.selection.resolve(ctx)?;
        let reports = super::crawl::crawl_datasets(
            ctx,
            &store,
            &names,
            &cfg.source.base_url,
            &selection,
            &stop,
        )?;
        if !ctx.json {
            for r in &reports {
                super::crawl::print_human(r);
            }
        }
    }
    // a dataset with nothing registered: say what to do, not just "done"
    let mut empty = Vec::new();
    for d in &datasets {
        if store
            .summary(Some(d))?
            .iter()
            .all(|s| s.counts.total() == 0)
        {
            empty.push(d.as_str().to_owned());
        }
    }
    drop(store);
    for d in &empty {
        let msg = format!("nothing registered for {d}: crawl first, or run --crawl");
        tracing::warn!(
            dataset = d.as_str(),
            "nothing registered: crawl first, or run --crawl"
        );
        if !ctx.json {
            println!("{msg}");
        }
    }

    let download = || {
        dwd_source::Download::new(
            &cfg.source.base_url,
            dwd_source::DownloadOptions {
                // a request that waits on a stalled server ends at once on
                // Ctrl-C (its `.part` stays for the next run to resume)
                http: dwd_source::HttpOptions {
                    stop: Some(stop.clone()),
                    ..crate::commands::crawl::http_options(ctx)
                },
                max_connections: cfg.source.max_connections,
                rate_limit: cfg.source.rate_limit,
            },
        )
    };
    let kind = match args.processor {
        Some(k) => k,
        None => match cfg.processing.processor.as_str() {
            "verify" => ProcessorKind::Verify,
            "download" => ProcessorKind::Download,
            _ => ProcessorKind::Dwd,
        },
    };
    let processor: Arc<dyn pipeline::Processor> = match kind {
        ProcessorKind::Verify => Arc::new(pipeline::Verify),
        ProcessorKind::Download => Arc::new(download()),
        ProcessorKind::Dwd => Arc::new(dwd_dataset::processor::DwdProcessor::new(
            download(),
            dwd_translate::Tables::load(cfg.paths.translations.as_deref())?,
            cfg.paths.output.clone(),
            cfg.paths.raw.clone(),
            args.format,
        )),
    };
    let options = pipeline::RunOptions {
        workers,
        claim_batch: cfg.processing.claim_batch,
        lease: cfg.processing.lease,
        fail_fast: cfg.processing.fail_fast && !args.keep_going,
        grace: Duration::from_secs(30),
        budget: pipeline::MemoryBudget::from_mb(per, cfg.processing.memory_limit_mb_total),
        idle_poll: Duration::from_millis(500),
        ..pipeline::RunOptions::default()
    };
    let db = cfg.paths.progress_db.clone();
    let store_options = ctx.store_options();
    let open = || SqliteStore::open(&db, store_options.clone()).map_err(TrackerError::from);
    let raw = cfg.paths.raw.clone();
    let locate = |k: &FileKey| locate(&raw, k);
    let bars = Bars::new(ctx.bars.clone());
    let report = pipeline::run(
        &open,
        &datasets,
        &locate,
        processor.as_ref(),
        &options,
        &stop,
        &bars,
    )?;
    let mut code = u8::try_from(report.exit_code()).unwrap_or(exit::FAILED);
    // the DuckDB catalog over every dataset's series, stations and metadata:
    // an output of the run like the tables, so a failure fails the run
    if kind == ProcessorKind::Dwd
        && args.format == dwd_dataset::files::Format::Parquet
        && cfg.paths.output.exists()
    {
        dwd_dataset::output::sweep_stale_temps_in(&cfg.paths.output);
        // the catalog names every dataset's tables: each is checked against
        // the ledger first, also those of datasets this run did not touch
        let layout = dwd_dataset::Layout::new(&cfg.paths.output);
        let store = ctx.open_store()?;
        for s in store.summary(None)? {
            if !layout.dataset(s.dataset.as_str()).is_dir() {
                continue;
            }
            for p in dwd_dataset::check::served_problems(&layout, &s.dataset, &store)? {
                tracing::error!(table = %p.describe(), fix = %format!("climastation run --dataset {}", s.dataset), "a table the catalog names is not what a run wrote");
                code = code.max(exit::FAILED);
            }
        }
        match dwd_dataset::write_catalog(&layout) {
            Ok(w) => {
                let root = tracker_core::DatasetId::new(dwd_dataset::catalog::ROOT)?;
                let rec = dwd_dataset::ledger::record(layout.root(), &w, 0, "catalog");
                store.record_outputs(&root, &[rec])?;
                tracing::info!(file = %w.path.display(), "DuckDB catalog written");
            }
            Err(e) => {
                tracing::error!(error = %e, "the DuckDB catalog could not be written");
                code = code.max(exit::FAILED);
            }
        }
    }
    print_report(ctx, &report, &datasets);
    if !ctx.json {
        println!();
        let store = ctx.open_store()?;
        super::status::print_table(&super::status::collect(&store, None, Some(&datasets))?);
    }
    Ok(code)
}

fn print_report(ctx: &Ctx, report: &pipeline::RunReport, requested: &[DatasetId]) {
    if ctx.json {
        let datasets: Vec<_> = report
            .datasets
            .iter()
            .map(|d| {
                json!({
                    "dataset": d.dataset.as_str(),
                    "completed": d.completed,
                    "failed": d.failed.iter().map(|f| json!({"path": f.key.path(), "kind": f.kind.as_str(), "message": f.message})).collect::<Vec<_>>(),
                    "retried": d.retried,
                    "released": d.released,
                    "stopped": d.stopped.as_ref().map(stop_text),
                    "bytes": d.stats.bytes,
                    "wall_seconds": d.stats.wall.as_secs_f64(),
                    "processing_seconds": d.stats.processing.as_secs_f64(),
                    "tracker_seconds": d.stats.tracker.as_secs_f64(),
                })
            })
            .collect();
        print_json(&json!({ "datasets": datasets, "exit_code": report.exit_code() }));
        return;
    }
    for d in &report.datasets {
        let s = &d.stats;
        let rate = if s.wall.as_secs_f64() > 0.0 {
            d.completed as f64 / s.wall.as_secs_f64()
        } else {
            0.0
        };
        println!(
            "{}: {} completed, {} failed, {} retried later, in {} ({} files, {:.1} MB)",
            d.dataset,
            d.completed,
            d.failed.len(),
            d.retried,
            duration(s.wall.as_secs_f64()),
            crate::output::rate(rate),
            s.bytes as f64 / 1e6
        );
        for f in &d.failed {
            println!("  failed: {}: {}", f.key, f.message);
        }
        if let Some(reason) = &d.stopped {
            println!("  stopped: {}", stop_text(reason));
        }
    }
    let skipped: Vec<&str> = requested
        .iter()
        .filter(|r| !report.datasets.iter().any(|d| &d.dataset == *r))
        .map(DatasetId::as_str)
        .collect();
    if !skipped.is_empty() {
        println!("not started: {}", skipped.join(", "));
    }
    match report.exit_code() {
        0 => println!("done"),
        130 => println!("interrupted: run again to resume"),
        _ => {
            let mut hints: Vec<&str> = report
                .datasets
                .iter()
                .flat_map(|d| &d.failed)
                .map(|f| crate::output::fix_hint(&f.message))
                .collect();
            hints.sort_unstable();
            hints.dedup();
            if hints.is_empty() {
                println!("stopped before the end: see the reason above; run again to resume");
            } else {
                println!(
                    "files failed (`climastation failed` lists them); to fix: {}",
                    hints.join("; or ")
                );
            }
        }
    }
}

fn stop_text(reason: &pipeline::StopReason) -> String {
    match reason {
        pipeline::StopReason::Finish(m) => format!("finishing the dataset failed: {m}"),
        pipeline::StopReason::FailFast(f) => format!("fail-fast on {}: {}", f.key, f.message),
        pipeline::StopReason::Interrupted => "interrupted".into(),
        pipeline::StopReason::Store(e) => format!("progress store error: {e}"),
        pipeline::StopReason::Resource(e) => format!("out of disk space: {e}"),
    }
}
