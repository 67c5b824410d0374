//! A dataset's stations, from its station lists at the source: fetched on
//! demand and kept under `paths.data_dir/stations/`, one file a list and
//! version (size and date from the listing), so a second ask reads the
//! disk and a changed list is fetched again.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Context as _;
use dwd_catalog::{FileKind, Selection, StationInfo};
use dwd_parser::stations::Station;
use dwd_source::ManifestEntry;

use crate::context::{Ctx, usage};

/// The largest station list read (DWD's are under 1 MB).
const MAX_LIST: u64 = 16 << 20;

/// The station lists among a dataset's listed files.
pub fn lists(entries: &[ManifestEntry]) -> Vec<&ManifestEntry> {
    entries
        .iter()
        .filter(|e| FileKind::of(&e.path) == FileKind::StationList)
        .collect()
}

/// Every station of `dataset` from its `lists` at `root`, merged (a station
/// once, its earliest start, latest end, the newest list's name and place).
pub fn load(
    ctx: &Ctx,
    root: &str,
    dataset: &str,
    lists: &[&ManifestEntry],
) -> anyhow::Result<Vec<Station>> {
    if lists.is_empty() {
        return Err(usage(format!(
            "{dataset}: no station list at {root}; selecting by place, name, state or active span needs one"
        )));
    }
    let cfg = &ctx.config;
    let download = dwd_source::Download::new(
        root,
        dwd_source::DownloadOptions {
            http: crate::commands::crawl::http_options(ctx),
            max_connections: 1,
            rate_limit: cfg.source.rate_limit,
        },
    );
    let cache_dir = cfg
        .paths
        .data_dir
        .join("stations")
        .join(dataset.replace('/', "__"));
    let mut parsed = Vec::new();
    for e in lists {
        let cached: PathBuf = cache_dir.join(format!(
            "{}.{}.{}",
            e.path.replace('/', "__"),
            e.size.map_or("-".into(), |s| s.to_string()),
            e.modified.map_or("-".into(), |m| m.as_millis().to_string())
        ));
        let bytes = match std::fs::read(&cached) {
            Ok(b) => b,
            Err(_) => {
                let source_path = format!("{dataset}/{}", e.path);
                let b = download
                    .read_small(&source_path, MAX_LIST)
                    .map_err(|err| anyhow::anyhow!("{source_path}: {err}"))?
                    .ok_or_else(|| anyhow::anyhow!("{source_path}: not at {root}"))?;
                dwd_dataset::files::write_atomic(&cached, |w| {
                    std::io::Write::write_all(w, &b).map_err(|e| e.to_string())
                })
                .map_err(anyhow::Error::msg)?;
                b
            }
        };
        let list = dwd_parser::stations::parse(&e.path, &bytes)
            .with_context(|| format!("reading the station list {dataset}/{}", e.path))?;
        parsed.push(list);
    }
    Ok(dwd_translate::meta::merge_station_lists(parsed))
}

/// What a selection needs of a station.
pub fn info(s: &Station) -> StationInfo {
    StationInfo {
        id: s.id,
        latitude: s.latitude,
        longitude: s.longitude,
        name: s.name.clone(),
        state: s.state.clone(),
        from: s.from,
        to: s.to,
    }
}

/// The ids of the stations `selection` selects.
pub fn selected_ids(selection: &Selection, stations: &[Station]) -> BTreeSet<u32> {
    stations
        .iter()
        .filter(|s| selection.station_matches(&info(s)))
        .map(|s| s.id)
        .collect()
}
