//! `climastation crawl [--dataset D]... [--source URL|DIR]`: list a dataset's
//! files at the source, register them, and find the ones that vanished.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde_json::{Value, json};
use tracker_core::{FileKey, NewFile, ProgressStore};

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
    let http = dwd_source::HttpOptions {
        timeout: cfg.source.timeout,
        retries: cfg.source.retries,
        ..dwd_source::HttpOptions::default()
    };
    let source = dwd_source::open(&root, &http);
    let store = ctx.open_store()?;
    let mut reports = Vec::new();
    for name in &names {
        let dataset = ctx.dataset(name)?;
        let entries = dwd_source::crawl(source.as_ref(), name)
            .with_context(|| format!("crawling {name} at {root}"))?;
        let manifest_dir = cfg.paths.data_dir.join("manifests");
        write_manifest(&manifest_dir, name, &entries)?;
        let files = entries
            .iter()
            .map(|e| {
                Ok(NewFile {
                    key: FileKey::new(dataset.clone(), e.path.clone())?,
                    size: e.size,
                    source_modified: e.modified,
                })
            })
            .collect::<tracker_core::Result<Vec<_>>>()?;
        let r = super::register::register_all(&store, &files)?;
        let present: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
        let vanished = store.mark_vanished(&dataset, &present)?;
        for v in &vanished {
            tracing::warn!(dataset = %dataset, file = v.as_str(), "vanished from the source listing; kept out of future work");
        }
        reports.push((name.clone(), entries.len(), r, vanished));
    }
    if ctx.json {
        let list: Vec<Value> = reports
            .iter()
            .map(|(name, listed, r, vanished)| {
                json!({
                    "dataset": name,
                    "listed": listed,
                    "new": r.new,
                    "changed": r.changed,
                    "unchanged": r.unchanged,
                    "reappeared": r.reappeared,
                    "vanished": vanished.len(),
                    "vanished_files": vanished,
                })
            })
            .collect();
        let sum = |f: fn(&tracker_core::RegisterReport) -> u64| {
            reports.iter().map(|(_, _, r, _)| f(r)).sum::<u64>()
        };
        print_json(&json!({
            "source": root,
            "datasets": list,
            "new": sum(|r| r.new),
            "changed": sum(|r| r.changed),
            "unchanged": sum(|r| r.unchanged),
            "vanished": reports.iter().map(|(_, _, _, v)| v.len()).sum::<usize>(),
        }));
    } else {
        for (name, listed, r, vanished) in &reports {
            println!(
                "{name}: {listed} listed: {} new, {} changed, {} unchanged, {} vanished",
                r.new,
                r.changed,
                r.unchanged,
                vanished.len()
            );
            for v in vanished {
                println!("  vanished: {v}");
            }
        }
    }
    Ok(exit::OK)
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
            "period": e.facts.period,
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
