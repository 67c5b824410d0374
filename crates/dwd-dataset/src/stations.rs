//! A dataset's stations, from its station lists at the source: fetched on
//! demand and kept under `paths.data_dir/stations/`, one file a list and
//! version (size and date from the listing), so a second ask reads the
//! disk and a changed list is fetched again.

use std::collections::BTreeSet;
use std::path::PathBuf;

use dwd_catalog::{FileKind, Selection, StationInfo};
use dwd_parser::stations::Station;
use dwd_source::ManifestEntry;

use crate::crawl::{CrawlError, Crawler};

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
    crawler: &Crawler,
    root: &str,
    dataset: &str,
    lists: &[&ManifestEntry],
) -> Result<Vec<Station>, CrawlError> {
    if lists.is_empty() {
        return Err(CrawlError::Setup(format!(
            "{dataset}: no station list at {root}; selecting by place, name, state or active span needs one"
        )));
    }
    let download = crate::download::Download::new(
        root,
        crate::download::DownloadOptions {
            http: crawler.http.clone(),
            max_connections: 1,
            rate_limit: crawler.rate_limit,
        },
    );
    let cache_dir = crawler
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
                    .read_small(&source_path, MAX_LIST)?
                    .ok_or_else(|| CrawlError::Setup(format!("{source_path}: not at {root}")))?;
                dwd_series::output::write_atomic(&cached, |w| std::io::Write::write_all(w, &b))?;
                b
            }
        };
        let list = dwd_parser::stations::parse(&e.path, &bytes)?;
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
