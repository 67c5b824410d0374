//! `climastation status [--dataset D] [--json] [--watch [SECS]]`

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{Value, json};
use tracker_core::StatusCounts;

use crate::context::Ctx;
use crate::exit;
use crate::output::{duration, print_json, time, time_opt};

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
    let dataset = args
        .dataset
        .as_deref()
        .map(|d| ctx.dataset(d))
        .transpose()?;
    let store = ctx.open_store()?;
    loop {
        let rows = collect(ctx, &store, dataset.as_ref(), None)?;
        if ctx.json {
            let mut v = to_json(&rows);
            if let Some(list) = v["datasets"].as_array_mut() {
                for (d, r) in list.iter_mut().zip(&rows) {
                    d["selection"] = json!(r.selection);
                }
            }
            print_json(&v);
        } else {
            if args.watch.is_some() && std::io::stdout().is_terminal() {
                print!("\x1b[2J\x1b[H");
            }
            print_table(&rows);
            for r in &rows {
                if let Some(s) = r.selection.as_ref().filter(|s| *s != "everything") {
                    println!("selection of {}: {s}", r.summary.dataset.as_str());
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

fn counts_json(c: &StatusCounts) -> Value {
    json!({
        "pending": c.pending,
        "processing": c.processing,
        "completed": c.completed,
        "failed": c.failed,
        "vanished": c.vanished,
    })
}

fn to_json(rows: &[Row]) -> Value {
    let mut totals = StatusCounts::default();
    let datasets: Vec<Value> = rows
        .iter()
        .map(|r| {
            let c = &r.summary.counts;
            totals.pending += c.pending;
            totals.processing += c.processing;
            totals.completed += c.completed;
            totals.failed += c.failed;
            totals.vanished += c.vanished;
            json!({
                "dataset": r.summary.dataset.as_str(),
                "counts": counts_json(c),
                "total": c.total(),
                "rate_per_min": (r.rate_per_min * 10.0).round() / 10.0,
                "eta_seconds": r.eta_seconds().map(f64::round),
                "workers": r.activity.workers.iter().map(|(w, n)| json!({"worker": w.as_str(), "claims": n})).collect::<Vec<_>>(),
                "oldest_claim": r.activity.oldest_claim.as_ref().map(|(k, at)| json!({"path": k.path(), "claimed_at": time(*at)})),
                "last_failure": r.activity.last_failure.as_ref().map(|f| json!({
                    "path": f.key.path(),
                    "kind": f.kind.map(|k| k.as_str()),
                    "message": f.message,
                    "at": time_opt(f.at),
                })),
            })
        })
        .collect();
    json!({ "datasets": datasets, "totals": counts_json(&totals), "total": totals.total() })
}

pub fn print_table(rows: &[Row]) {
    if rows.is_empty() {
        println!("no files registered yet");
        return;
    }
    println!(
        "{:<32} {:>9} {:>10} {:>9} {:>7} {:>8} {:>9} {:>9}",
        "dataset", "pending", "processing", "completed", "failed", "vanished", "per min", "eta"
    );
    for r in rows {
        let c = &r.summary.counts;
        println!(
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
            println!("    workers: {}", workers.join(", "));
        }
        if let Some((k, at)) = &r.activity.oldest_claim {
            println!("    oldest claim: {} since {}", k.path(), time(*at));
        }
        if let Some(f) = &r.activity.last_failure {
            println!(
                "    last failure: {} [{}] {}",
                f.key.path(),
                f.kind.map_or("?", |k| k.as_str()),
                f.message.as_deref().unwrap_or("")
            );
        }
    }
}
