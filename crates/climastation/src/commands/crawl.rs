//! `climastation crawl [--dataset D]... [--source URL|DIR]`: list a dataset's
//! files at the source, register them, and find the ones that vanished.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde_json::{Value, json};
use tracker_core::ProgressStore;

use crate::context::Ctx;
use crate::exit;
use crate::output::{print_json, time_opt};

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

pub use dwd_dataset::crawl::{CrawlReport, saved_selections};

/// How HTTP requests to the source are made.
pub fn http_options(ctx: &Ctx) -> dwd_source::HttpOptions {
    dwd_source::HttpOptions {
        timeout: ctx.config.source.timeout,
        retries: ctx.config.source.retries,
        max_wait: ctx.config.source.max_retry_wait,
        ..dwd_source::HttpOptions::default()
    }
}

/// Where the crawl keeps what it learns, and how it asks the source.
pub fn crawler(ctx: &Ctx) -> dwd_dataset::crawl::Crawler {
    dwd_dataset::crawl::Crawler {
        data_dir: ctx.config.paths.data_dir.clone(),
        http: http_options(ctx),
        rate_limit: ctx.config.source.rate_limit,
    }
}

/// A crawl error for the command line: a setup error exits 2, a stop 130.
pub fn crawl_error(e: dwd_dataset::crawl::CrawlError) -> anyhow::Error {
    match e {
        dwd_dataset::crawl::CrawlError::Interrupted => {
            anyhow::Error::new(crate::context::Interrupted)
        }
        dwd_dataset::crawl::CrawlError::Setup(m) => crate::context::usage(m),
        e => anyhow::Error::new(e),
    }
}

/// [`dwd_dataset::crawl::Crawler::crawl`] for the datasets `names`, each
/// listing written as `data/manifests/<dataset>.jsonl`.
pub fn crawl_datasets(
    ctx: &Ctx,
    store: &dyn ProgressStore,
    names: &[String],
    root: &str,
    selection: &dwd_catalog::Selection,
    stop: &pipeline::StopHandle,
) -> anyhow::Result<Vec<CrawlReport>> {
    let datasets = names
        .iter()
        .map(|n| ctx.dataset(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifests = ctx.config.paths.data_dir.join("manifests");
    // what a killed crawl left half-written
    dwd_dataset::output::sweep_stale_temps_in(&manifests);
    dwd_dataset::output::sweep_stale_temps_in(&ctx.config.paths.data_dir);
    crawler(ctx)
        .crawl(
            store,
            &datasets,
            root,
            selection,
            stop,
            &mut |d, entries| {
                write_manifest(&manifests, d.as_str(), entries).map_err(|e| format!("{e:#}"))
            },
        )
        .map_err(crawl_error)
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let cfg = &ctx.config;
    let names: Vec<String> = if args.datasets.is_empty() {
        cfg.datasets.iter().map(|d| d.name.clone()).collect()
    } else {
        args.datasets.clone()
    };
    let root = args
        .source
        .clone()
        .unwrap_or_else(|| cfg.source.base_url.clone());
    let selection = args.selection.resolve(ctx)?;
    let store = ctx.open_store()?;
    let stop = crate::context::stop_on_signals()?;
    let reports = crawl_datasets(ctx, &store, &names, &root, &selection, &stop)?;
    if ctx.json {
        let list: Vec<Value> = reports
            .iter()
            .map(|r| {
                json!({
                    "dataset": r.dataset,
                    "listed": r.listed,
                    "selected": r.selected,
                    "deselected": r.deselected.len(),
                    "new": r.registered.new,
                    "changed": r.registered.changed,
                    "unchanged": r.registered.unchanged,
                    "reappeared": r.registered.reappeared,
                    "vanished": r.vanished.len(),
                    "vanished_files": r.vanished,
                })
            })
            .collect();
        let sum = |f: fn(&tracker_core::RegisterReport) -> u64| {
            reports.iter().map(|r| f(&r.registered)).sum::<u64>()
        };
        print_json(&json!({
            "source": root,
            "selection": selection.describe(),
            "datasets": list,
            "new": sum(|r| r.new),
            "changed": sum(|r| r.changed),
            "unchanged": sum(|r| r.unchanged),
            "vanished": reports.iter().map(|r| r.vanished.len()).sum::<usize>(),
        }));
    } else {
        for r in &reports {
            print_human(r);
        }
    }
    Ok(exit::OK)
}

pub fn print_human(r: &CrawlReport) {
    let selected = if r.selected == r.listed {
        String::new()
    } else {
        format!(" ({} selected)", r.selected)
    };
    println!(
        "{}: {} listed{selected}: {} new, {} changed, {} unchanged, {} vanished",
        r.dataset,
        r.listed,
        r.registered.new,
        r.registered.changed,
        r.registered.unchanged,
        r.vanished.len()
    );
    for v in &r.vanished {
        println!("  vanished: {v}");
    }
    if !r.deselected.is_empty() {
        println!(
            "  {} pending files outside the selection set aside (a wider selection takes them back)",
            r.deselected.len()
        );
    }
}

/// `data/manifests/<dataset with / as __>.jsonl`: what the crawl saw,
/// written whole through a temp name of this process (two crawls at once
/// never share one).
fn write_manifest(
    dir: &Path,
    dataset: &str,
    entries: &[dwd_source::ManifestEntry],
) -> anyhow::Result<()> {
    let path = dir.join(format!("{}.jsonl", dataset.replace('/', "__")));
    dwd_dataset::output::write_atomic(&path, |out| {
        for e in entries {
            let line = crate::manifest::Line {
                path: e.path.clone(),
                size: e.size,
                modified: time_opt(e.modified)
                    .as_str()
                    .map(|t| crate::manifest::Modified::Text(t.to_owned())),
                url: Some(e.url.clone()),
                dataset: Some(e.dataset.clone()),
                period: e.facts.folder.clone(),
                station: e.facts.station.clone(),
                from: e.facts.from.clone(),
                to: e.facts.to.clone(),
            };
            let text = serde_json::to_string(&line).map_err(|e| e.to_string())?;
            writeln!(out, "{text}").map_err(|e| e.to_string())?;
        }
        Ok(())
    })
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
