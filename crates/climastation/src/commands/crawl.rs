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
pub struct Args {
    /// Only these datasets (repeatable); default: the configured ones.
    #[arg(long = "dataset", value_name = "D")]
    pub datasets: Vec<String>,
    /// An http(s):// root or a local mirror directory (default source.base_url).
    #[arg(long, value_name = "URL|DIR")]
    pub source: Option<String>,
}

/// What crawling one dataset did.
pub struct CrawlReport {
    pub dataset: String,
    pub listed: usize,
    pub registered: tracker_core::RegisterReport,
    pub vanished: Vec<String>,
}

/// Crawls `names` at `root`, registers what it finds and marks what vanished.
pub fn crawl_datasets(
    ctx: &Ctx,
    store: &dyn ProgressStore,
    names: &[String],
    root: &str,
) -> anyhow::Result<Vec<CrawlReport>> {
    let cfg = &ctx.config;
    let http = dwd_source::HttpOptions {
        timeout: cfg.source.timeout,
        retries: cfg.source.retries,
        ..dwd_source::HttpOptions::default()
    };
    let source = dwd_source::open(root, &http);
    let mut reports = Vec::new();
    for name in names {
        let dataset = ctx.dataset(name)?;
        let entries = dwd_source::crawl(source.as_ref(), name)
            .with_context(|| format!("crawling {name} at {root}"))?;
        write_manifest(&cfg.paths.data_dir.join("manifests"), name, &entries)?;
        let files = entries
            .iter()
            .map(|e| e.new_file(&dataset))
            .collect::<tracker_core::Result<Vec<_>>>()?;
        let registered = super::register::register_all(store, &files)?;
        let present: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
        let vanished = store.mark_vanished(&dataset, &present)?;
        for v in &vanished {
            tracing::warn!(dataset = %dataset, file = v.as_str(), "vanished from the source listing; kept out of future work");
        }
        tracing::info!(dataset = %dataset, listed = entries.len(), new = registered.new, changed = registered.changed,
            unchanged = registered.unchanged, vanished = vanished.len(), "crawled and registered");
        reports.push(CrawlReport {
            dataset: name.clone(),
            listed: entries.len(),
            registered,
            vanished,
        });
    }
    Ok(reports)
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
    let store = ctx.open_store()?;
    let reports = crawl_datasets(ctx, &store, &names, &root)?;
    if ctx.json {
        let list: Vec<Value> = reports
            .iter()
            .map(|r| {
                json!({
                    "dataset": r.dataset,
                    "listed": r.listed,
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
    println!(
        "{}: {} listed: {} new, {} changed, {} unchanged, {} vanished",
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
}

/// `data/manifests/<dataset with / as __>.jsonl`: what the crawl saw.
fn write_manifest(
    dir: &Path,
    dataset: &str,
    entries: &[dwd_source::ManifestEntry],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.jsonl", dataset.replace('/', "__")));
    let tmp = path.with_extension("jsonl.tmp");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?,
    );
    for e in entries {
        let line = json!({
            "path": e.path,
            "url": e.url,
            "size": e.size,
            "modified": time_opt(e.modified),
            "dataset": e.dataset,
            "period": e.facts.folder,
            "station": e.facts.station,
            "from": e.facts.from,
            "to": e.facts.to,
        });
        writeln!(out, "{line}")?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
