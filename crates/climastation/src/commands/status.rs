//! `climastation status [--dataset D] [--json] [--watch [SECS]]`

use std::io::IsTerminal;
use std::time::Duration;

use crate::context::Ctx;
use crate::exit;
use crate::output::{duration, print_json, time};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation status
  climastation status --dataset daily/kl --watch 5
  climastation --json status")]
pub struct Args {
    #[arg(long)]
    pub dataset: Option<String>,
    /// Refresh every SECS seconds (default 2) until Ctrl-C.
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "2")]
    pub watch: Option<u64>,
}

pub use climastation_jobs::StatusRow as Row;

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let dataset = ctx.dataset_opt(args.dataset.as_deref())?;
    let store = ctx.open_store()?;
    loop {
        let rows = collect(ctx, &store, dataset.as_ref(), None)?;
        if ctx.json {
            print_json(&climastation_jobs::report::Status::new(
                &rows,
                &crate::context::CommandLine,
            ))?;
        } else {
            if args.watch.is_some() && std::io::stdout().is_terminal() {
                out!("\x1b[2J\x1b[H");
            }
            print_table(&rows)?;
            for r in &rows {
                if let Some(s) = r.selection.as_ref().filter(|s| *s != "everything") {
                    outln!("selection of {}: {s}", r.summary.dataset.as_str());
                }
            }
        }
        match args.watch {
            Some(secs) => std::thread::sleep(Duration::from_secs(secs.max(1))),
            None => return Ok(exit::OK),
        }
    }
}

/// Rows for `dataset` (or all), restricted to `only` when given.
pub fn collect(
    ctx: &Ctx,
    store: &dyn tracker_core::ProgressStore,
    dataset: Option<&tracker_core::DatasetId>,
    only: Option<&[tracker_core::DatasetId]>,
) -> anyhow::Result<Vec<Row>> {
    ctx.session
        .status(store, dataset, only)
        .map_err(crate::context::job)
}

pub fn print_table(rows: &[Row]) -> anyhow::Result<()> {
    if rows.is_empty() {
        outln!("no files registered yet");
        return Ok(());
    }
    outln!(
        "{:<32} {:>9} {:>10} {:>9} {:>7} {:>8} {:>9} {:>9}",
        "dataset",
        "pending",
        "processing",
        "completed",
        "failed",
        "vanished",
        "per min",
        "eta"
    );
    for r in rows {
        let c = &r.summary.counts;
        outln!(
            "{:<32} {:>9} {:>10} {:>9} {:>7} {:>8} {:>9.1} {:>9}",
            r.summary.dataset.as_str(),
            c.pending,
            c.processing,
            c.completed,
            c.failed,
            c.vanished,
            r.rate_per_min,
            r.eta_seconds().map_or("-".into(), duration)
        );
        if !r.activity.workers.is_empty() {
            let workers: Vec<String> = r
                .activity
                .workers
                .iter()
                .map(|(w, n)| format!("{w} ({n})"))
                .collect();
            outln!("    workers: {}", workers.join(", "));
        }
        if let Some((k, at)) = &r.activity.oldest_claim {
            outln!("    oldest claim: {} since {}", k.path(), time(*at));
        }
        if let Some(f) = &r.activity.last_failure {
            outln!(
                "    last failure: {} [{}] {}",
                f.key.path(),
                f.kind.map_or("?", |k| k.as_str()),
                f.message.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}
