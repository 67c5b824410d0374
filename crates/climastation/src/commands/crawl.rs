//! `climastation crawl [--dataset D]... [--source URL|DIR]`: list a dataset's
//! files at the source, register them, and find the ones that vanished.

use crate::context::Ctx;
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation crawl --dataset hourly/air_temperature
  climastation crawl --dataset hourly/air_temperature --near 51.34,12.37 --radius 50 --from 1990 --to 2020
  climastation crawl --source tests/data/dwd --station 44,3987 --period recent,now")]
pub struct Args {
    /// Only these datasets (repeatable); default: the configured ones.
    #[arg(long = "dataset", value_name = "D")]
    pub datasets: Vec<String>,
    /// An http(s):// root or a local mirror directory (default source.base_url).
    #[arg(long, value_name = "URL|DIR")]
    pub source: Option<String>,
    #[command(flatten)]
    pub selection: super::selection::SelectionArgs,
}

pub use dwd_dataset::crawl::CrawlReport;

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let root = args
        .source
        .clone()
        .unwrap_or_else(|| ctx.config.source.base_url.clone());
    let request = climastation_jobs::CrawlRequest {
        datasets: args.datasets.clone(),
        source: args.source.clone(),
        selection: args.selection.resolve(ctx)?,
    };
    let selection = &request.selection;
    let store = ctx.open_store()?;
    let stop = crate::context::stop_on_signals()?;
    let reports = ctx
        .session
        .crawl(&store, &request, &stop)
        .map_err(crate::context::job)?;
    if ctx.json {
        print_json(&climastation_jobs::report::Crawl::new(
            &root, selection, &reports,
        ))?;
    } else {
        for r in &reports {
            print_human(r)?;
        }
    }
    Ok(exit::OK)
}

pub fn print_human(r: &CrawlReport) -> anyhow::Result<()> {
    let selected = if r.selected == r.listed {
        String::new()
    } else {
        format!(" ({} selected)", r.selected)
    };
    outln!(
        "{}: {} listed{selected}: {} new, {} changed, {} unchanged, {} vanished",
        r.dataset,
        r.listed,
        r.registered.new,
        r.registered.changed,
        r.registered.unchanged,
        r.vanished.len()
    );
    for v in &r.vanished {
        outln!("  vanished: {v}");
    }
    if !r.deselected.is_empty() {
        outln!(
            "  {} pending files outside the selection set aside (a wider selection takes them back)",
            r.deselected.len()
        );
    }
    Ok(())
}
