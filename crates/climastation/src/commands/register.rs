//! `climastation register --dataset D MANIFEST`

use std::path::PathBuf;

use serde_json::json;

use crate::context::Ctx;
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation register --dataset daily/kl files.txt
  climastation register --dataset daily/kl data/manifests/daily__kl.jsonl   # what crawl wrote")]
pub struct Args {
    /// The dataset, e.g. 10_minutes/air_temperature.
    #[arg(long)]
    pub dataset: String,
    /// The manifest: one path a line, or JSON lines {"path", "size", "modified"}.
    pub manifest: PathBuf,
}

pub use dwd_dataset::crawl::register_all;

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let dataset = ctx.dataset(&args.dataset)?;
    let files = climastation_jobs::manifest::read(&args.manifest, &dataset)
        .map_err(crate::context::usage)?;
    let store = ctx.open_store()?;
    let r = register_all(&store, &files)?;
    if ctx.json {
        print_json(&json!({
            "dataset": dataset.as_str(),
            "new": r.new,
            "changed": r.changed,
            "unchanged": r.unchanged,
        }));
    } else {
        println!(
            "{dataset}: {} new, {} changed, {} unchanged ({} in the manifest)",
            r.new,
            r.changed,
            r.unchanged,
            files.len()
        );
    }
    Ok(exit::OK)
}
