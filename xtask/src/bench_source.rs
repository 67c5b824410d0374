//! `cargo xtask bench source`: crawl and download a synthetic DWD mirror
//! (see `fixtures`) served by the tests' loopback HTTP server.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tracker_core::{DatasetId, FileKey, ProgressStore, TrackerError};
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::args::Args;
use crate::fixtures;

#[path = "../../tests/http_server.rs"]
#[allow(dead_code, clippy::unwrap_used)]
// test helper code: a broken loopback server is a failed benchmark
mod http_server;

pub fn run(args: Args) -> anyhow::Result<()> {
    let stations: usize = args.get("stations", 541)?;
    let rows: usize = args.get("rows", 20_000)?;
    let workers: usize = args.get("workers", 4)?;
    let tmp = tempfile::tempdir()?;
    let mirror = tmp.path().join("mirror");
    let t = Instant::now();
    let written = fixtures::generate(&mirror, stations, rows, 1)?;
    if !args.flag("json") {
        eprintln!(
            "generated {} files, {:.1} MB in {:.1} s",
            written.files,
            written.bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }
    let server = http_server::Server::serve_dir(&mirror);
    let root = server.url("climate/");

    let source = dwd_source::open(&root, &dwd_source::HttpOptions::default());
    let t = Instant::now();
    let entries = dwd_source::crawl(source.as_ref(), fixtures::DATASET)?;
    let crawl_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        entries.len() == written.files,
        "crawl found {} of {} files",
        entries.len(),
        written.files
    );

    let db = tmp.path().join("progress.db");
    let dataset = DatasetId::new(fixtures::DATASET)?;
    let store = SqliteStore::open(&db, StoreOptions::default())?;
    let files = entries
        .iter()
        .map(|e| e.new_file(&dataset))
        .collect::<Result<Vec<_>, TrackerError>>()?;
    store.register(&files)?;
    drop(store);

    let raw = tmp.path().join("raw");
    let download = dwd_dataset::Download::new(
        &root,
        dwd_dataset::DownloadOptions {
            max_connections: workers,
            ..Default::default()
        },
    );
    let options = pipeline::RunOptions {
        workers,
        claim_batch: 8,
        idle_poll: Duration::from_millis(50),
        ..Default::default()
    };
    let open = || SqliteStore::open(&db, StoreOptions::default()).map_err(TrackerError::from);
    let locate = |k: &FileKey| raw.join(k.dataset.as_str()).join(k.path());
    let t = Instant::now();
    let report = pipeline::run(
        &open,
        std::slice::from_ref(&dataset),
        &locate,
        &download,
        &options,
        &tracker_core::Cancel::new(),
        &pipeline::Quiet,
    )?;
    let download_s = t.elapsed().as_secs_f64();
    let d = report.datasets.first().context("no dataset ran")?;
    anyhow::ensure!(
        d.completed as usize == written.files,
        "downloaded {} of {}",
        d.completed,
        written.files
    );

    let out = json!({
        "files": written.files,
        "mb": (written.bytes as f64 / 1e6 * 10.0).round() / 10.0,
        "crawl_s": (crawl_s * 1000.0).round() / 1000.0,
        "crawl_files_per_s": (written.files as f64 / crawl_s).round(),
        "download_workers": workers,
        "download_s": (download_s * 100.0).round() / 100.0,
        "download_files_per_s": (written.files as f64 / download_s * 10.0).round() / 10.0,
        "download_mb_per_s": (written.bytes as f64 / 1e6 / download_s * 10.0).round() / 10.0,
        "peak_rss_kb": crate::measure::peak_rss_kb(),
    });
    println!("{out}");
    Ok(())
}
