//! `climastation register --dataset D MANIFEST`

use std::path::PathBuf;

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

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let dataset = ctx.dataset(&args.dataset)?;
    let (r, lines) = ctx
        .session
        .register(&dataset, &args.manifest)
        .map_err(crate::context::job)?;
    if ctx.json {
        print_json(&climastation_jobs::report::Register::new(&dataset, &r))?;
    } else {
        outln!(
            "{dataset}: {} new, {} changed, {} unchanged ({lines} in the manifest)",
            r.new,
            r.changed,
            r.unchanged
        );
    }
    Ok(exit::OK)
}
