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

/// What crawling one dataset did.
pub struct CrawlReport {
    pub dataset: String,
    pub listed: usize,
    /// Listed files the selection takes.
    pub selected: usize,
    pub registered: tracker_core::RegisterReport,
    pub vanished: Vec<String>,
    /// Pending files the selection no longer takes: set aside (counted as
    /// vanished) until a selection takes them again.
    pub deselected: Vec<String>,
}

/// How HTTP requests to the source are made.
pub fn http_options(ctx: &Ctx) -> dwd_source::HttpOptions {
    dwd_source::HttpOptions {
        timeout: ctx.config.source.timeout,
        retries: ctx.config.source.retries,
        max_wait: ctx.config.source.max_retry_wait,
        ..dwd_source::HttpOptions::default()
    }
}

/// Crawls `names` at `root`, registers what `selection` takes of it and
/// marks what vanished. Files outside the selection are not registered;
/// pending ones registered by a wider selection are set aside; done ones
/// are left alone.
pub fn crawl_datasets(
    ctx: &Ctx,
    store: &dyn ProgressStore,
    names: &[String],
    root: &str,
    selection: &dwd_catalog::Selection,
    stop: &pipeline::StopHandle,
) -> anyhow::Result<Vec<CrawlReport>> {
    let cfg = &ctx.config;
    let source = dwd_source::open(root, &http_options(ctx));
    let today = jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let mut reports = Vec::new();
    for name in names {
        let dataset = ctx.dataset(name)?;
        if stop.is_stopped() {
            return Err(anyhow::Error::new(crate::context::Interrupted));
        }
        let entries = dwd_source::crawl_to_depth(
            source.as_ref(),
            name,
            dwd_source::crawl::MAX_DEPTH,
            &|| stop.is_stopped(),
        )
        .map_err(|e| {
            // an unreachable or missing source is a setup error (exit 2)
            let message = format!("crawling {name} at {root}: {e}");
            if matches!(e, dwd_source::SourceError::Interrupted) {
                anyhow::Error::new(crate::context::Interrupted)
            } else if e.is_setup() {
                crate::context::usage(message)
            } else {
                anyhow::anyhow!(message)
            }
        })?;
        write_manifest(&cfg.paths.data_dir.join("manifests"), name, &entries)?;
        let stations = if selection.needs_station_list() {
            let lists = crate::stations::lists(&entries);
            let all = crate::stations::load(ctx, root, name, &lists)?;
            Some(crate::stations::selected_ids(selection, &all))
        } else {
            None
        };
        let (chosen, left): (Vec<_>, Vec<_>) = entries
            .iter()
            .partition(|e| selection.file_matches(&e.path, stations.as_ref(), today));
        let files = chosen
            .iter()
            .map(|e| e.new_file(&dataset))
            .collect::<tracker_core::Result<Vec<_>>>()?;
        let registered = super::register::register_all(store, &files)?;
        // listed but no longer selected, and not started: set aside (the
        // pending files are asked for only when the selection left some out)
        let deselected: Vec<String> = if left.is_empty() {
            Vec::new()
        } else {
            let pending = pending_paths(store, &dataset)?;
            left.iter()
                .filter(|e| pending.contains(&e.path))
                .map(|e| e.path.clone())
                .collect()
        };
        let aside: std::collections::HashSet<&str> =
            deselected.iter().map(String::as_str).collect();
        let present: Vec<String> = entries
            .iter()
            .filter(|e| !aside.contains(e.path.as_str()))
            .map(|e| e.path.clone())
            .collect();
        let mut vanished = store.mark_vanished(&dataset, &present)?;
        vanished.retain(|v| !aside.contains(v.as_str()));
        if !selection.is_all() {
            tracing::info!(dataset = %dataset, selection = selection.describe(), selected = chosen.len(),
                listed = entries.len(), set_aside = deselected.len(), "selection applied");
        }
        save_selection(&cfg.paths.data_dir, name, selection)?;
        for v in &vanished {
            tracing::warn!(dataset = %dataset, file = v.as_str(), "vanished from the source listing; kept out of future work");
        }
        tracing::info!(dataset = %dataset, listed = entries.len(), new = registered.new, changed = registered.changed,
            unchanged = registered.unchanged, vanished = vanished.len(), "crawled and registered");
        reports.push(CrawlReport {
            dataset: name.clone(),
            listed: entries.len(),
            selected: chosen.len(),
            registered,
            vanished,
            deselected,
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

/// The paths of `dataset`'s pending files.
fn pending_paths(
    store: &dyn ProgressStore,
    dataset: &tracker_core::DatasetId,
) -> anyhow::Result<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let page = store.list(&tracker_core::ListQuery {
            unconfirmed_only: false,
            dataset: Some(dataset.clone()),
            status: tracker_core::FileStatus::Pending,
            after,
            limit: 10_000,
        })?;
        out.extend(page.files.iter().map(|f| f.key.path().to_owned()));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// `paths.data_dir/selections.json`: the selection each dataset was last
/// crawled with, for `status`.
fn selections_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("selections.json")
}

fn save_selection(
    data_dir: &Path,
    dataset: &str,
    selection: &dwd_catalog::Selection,
) -> anyhow::Result<()> {
    let path = selections_file(data_dir);
    let mut all = saved_selections(data_dir);
    all.insert(dataset.to_owned(), selection.describe());
    let text = serde_json::to_string_pretty(&all)?;
    dwd_dataset::files::write_atomic(&path, |w| {
        w.write_all(text.as_bytes()).map_err(|e| e.to_string())
    })
    .map_err(anyhow::Error::msg)
}

/// The selection each dataset was last crawled with.
pub fn saved_selections(data_dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read(selections_file(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
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
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
