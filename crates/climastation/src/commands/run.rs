//! `climastation run [--dataset D]... [--workers N] [--keep-going] [--processor verify]`

use serde_json::json;
use tracker_core::DatasetId;

use crate::context::{Ctx, job, usage};
use crate::output::{duration, print_json};
use crate::progress::Bars;

pub use climastation_jobs::ProcessorKind;

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

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    if args.selection.given() && !args.crawl {
        // a selection decides what is registered; run works on what is
        return Err(usage(
            "selection options (--station, --near, --from, …) need --crawl: they decide which files are registered, and run processes what is",
        ));
    }
    let request = climastation_jobs::RunRequest {
        datasets: args.datasets.clone(),
        workers: args.workers,
        keep_going: args.keep_going,
        processor: args.processor,
        crawl: match args.crawl {
            true => Some(args.selection.resolve(ctx)?),
            false => None,
        },
        format: args.format,
    };
    // Ctrl-C / SIGTERM, from here on: the first asks for a clean stop (the
    // crawl stops between listings, the pipeline as it documents), a second
    // exits at once (130); the next start recovers the claims left behind.
    let stop = crate::context::stop_on_signals()?;
    let events = Events {
        bars: Bars::new(ctx.bars.clone()),
        json: ctx.json,
    };
    let outcome = ctx.session.run(&request, &stop, &events).map_err(job)?;
    print_report(ctx, &outcome.report, &outcome.requested);
    if !ctx.json {
        println!();
        let store = ctx.open_store()?;
        super::status::print_table(&super::status::collect(
            ctx,
            &store,
            None,
            Some(&outcome.requested),
        )?);
    }
    Ok(outcome.exit_code)
}

/// The run's events on the console: progress bars, each crawl's summary,
/// the datasets with nothing registered.
struct Events {
    bars: Bars,
    json: bool,
}

impl pipeline::Observer for Events {
    fn dataset_started(&self, dataset: &DatasetId, counts: &tracker_core::StatusCounts) {
        self.bars.dataset_started(dataset, counts);
    }

    fn file_finished(&self, dataset: &DatasetId, event: &pipeline::FileEvent<'_>) {
        self.bars.file_finished(dataset, event);
    }

    fn dataset_finished(&self, report: &pipeline::DatasetReport) {
        self.bars.dataset_finished(report);
    }
}

impl climastation_jobs::RunEvents for Events {
    fn crawled(&self, report: &dwd_dataset::crawl::CrawlReport) {
        if !self.json {
            super::crawl::print_human(report);
        }
    }

    fn nothing_registered(&self, dataset: &DatasetId) {
        if !self.json {
            println!("nothing registered for {dataset}: crawl first, or run --crawl");
        }
    }
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
