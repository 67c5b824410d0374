//! Crawl → register → vanish: a dataset's files listed at the source, the
//! ones the selection takes registered in the tracker, the ones gone from
//! the listing set aside. The use case behind `crawl` and `run --crawl`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use dwd_source::ManifestEntry;
use tracker_core::{DatasetId, ProgressStore, RegisterReport, TrackerError};

use dwd_series::output::{OutputError, write_atomic};

/// Why a crawl stopped.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The source is wrong or out of reach, or a selection needs what it
    /// does not have: a setup error, not a failed file.
    #[error("{0}")]
    Setup(String),
    #[error("interrupted")]
    Interrupted,
    #[error("crawling {dataset} at {root}: {source}")]
    Source {
        dataset: String,
        root: String,
        source: dwd_source::SourceError,
    },
    #[error(transparent)]
    Fetch(dwd_source::FetchError),
    #[error(transparent)]
    StationList(#[from] dwd_parser::ParseError),
    #[error(transparent)]
    Store(#[from] TrackerError),
    #[error(transparent)]
    Output(#[from] OutputError),
    /// What the caller does with each dataset's listing failed.
    #[error(transparent)]
    Listed(Box<dyn std::error::Error + Send + Sync>),
}

impl From<dwd_source::FetchError> for CrawlError {
    fn from(e: dwd_source::FetchError) -> Self {
        match e {
            dwd_source::FetchError::Interrupted => CrawlError::Interrupted,
            e => CrawlError::Fetch(e),
        }
    }
}

/// Where a crawl keeps what it learns, and how it asks the source.
#[derive(Clone, Debug)]
pub struct Crawler {
    /// `paths.data_dir`: station-list cache and `selections.json`.
    pub data_dir: PathBuf,
    pub http: dwd_source::HttpOptions,
    pub rate_limit: Option<u64>,
}

/// What crawling one dataset did.
#[derive(Debug)]
pub struct CrawlReport {
    pub dataset: String,
    pub listed: usize,
    /// Listed files the selection takes.
    pub selected: usize,
    pub registered: RegisterReport,
    pub vanished: Vec<String>,
    /// Pending files the selection no longer takes: set aside (counted as
    /// vanished) until a selection takes them again.
    pub deselected: Vec<String>,
}

/// What the caller does with each dataset's listing (the CLI writes it as a
/// manifest); an error stops the crawl.
pub type OnListed<'a> = &'a mut dyn FnMut(
    &DatasetId,
    &[ManifestEntry],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Registers in chunks: each chunk is one transaction, and registering is
/// idempotent, so an interrupted registration is simply run again.
pub const CHUNK: usize = 10_000;

pub fn register_all(
    store: &dyn ProgressStore,
    files: &[tracker_core::NewFile],
) -> Result<RegisterReport, TrackerError> {
    let mut total = RegisterReport::default();
    for chunk in files.chunks(CHUNK) {
        total.add(&store.register(chunk)?);
    }
    Ok(total)
}

impl Crawler {
    /// Crawls `datasets` at `root`, registers what `selection` takes of it
    /// and marks what vanished. Files outside the selection are not
    /// registered; pending ones registered by a wider selection are set
    /// aside; done ones are left alone. `listed` sees each dataset's
    /// listing first (the CLI writes it as a manifest).
    pub fn crawl(
        &self,
        store: &dyn ProgressStore,
        datasets: &[DatasetId],
        root: &str,
        selection: &dwd_catalog::Selection,
        stop: &tracker_core::Cancel,
        listed: OnListed<'_>,
    ) -> Result<Vec<CrawlReport>, CrawlError> {
        // a listing that waits on a stalled server ends at once on a stop
        let with_stop = Crawler {
            http: dwd_source::HttpOptions {
                stop: Some(stop.clone()),
                ..self.http.clone()
            },
            ..self.clone()
        };
        let source = dwd_source::open(root, &with_stop.http);
        let today = jiff::tz::TimeZone::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
        let mut reports = Vec::new();
        for dataset in datasets {
            let name = dataset.as_str();
            if stop.is_cancelled() {
                return Err(CrawlError::Interrupted);
            }
            let entries = dwd_source::crawl_to_depth(
                source.as_ref(),
                name,
                dwd_source::crawl::MAX_DEPTH,
                &|| stop.is_cancelled(),
            )
            .map_err(|e| match e {
                e if e.is_interrupted() => CrawlError::Interrupted,
                // an unreachable or missing source is a setup error
                e if e.is_setup() => CrawlError::Setup(format!("crawling {name} at {root}: {e}")),
                e => CrawlError::Source {
                    dataset: name.to_owned(),
                    root: root.to_owned(),
                    source: e,
                },
            })?;
            listed(dataset, &entries).map_err(CrawlError::Listed)?;
            let stations = if selection.needs_station_list() {
                let lists = crate::stations::lists(&entries);
                let all = crate::stations::load(&with_stop, root, name, &lists)?;
                Some(crate::stations::selected_ids(selection, &all))
            } else {
                None
            };
            let (chosen, left): (Vec<_>, Vec<_>) = entries
                .iter()
                .partition(|e| selection.file_matches(&e.path, stations.as_ref(), today));
            // registered a chunk at a time: the archive's biggest dataset
            // has 328K files, never all of them as tracker rows in memory
            let mut registered = RegisterReport::default();
            for chunk in chosen.chunks(CHUNK) {
                let files = chunk
                    .iter()
                    .map(|e| e.new_file(dataset))
                    .collect::<tracker_core::Result<Vec<_>>>()?;
                registered.add(&store.register(&files)?);
            }
            // listed but no longer selected, and not started: set aside (the
            // pending files are asked for only when the selection left some out)
            let deselected: Vec<String> = if left.is_empty() {
                Vec::new()
            } else {
                let pending = pending_paths(store, dataset)?;
                left.iter()
                    .filter(|e| pending.contains(&e.path))
                    .map(|e| e.path.clone())
                    .collect()
            };
            let aside: HashSet<&str> = deselected.iter().map(String::as_str).collect();
            let present: Vec<&str> = entries
                .iter()
                .map(|e| e.path.as_str())
                .filter(|p| !aside.contains(p))
                .collect();
            let mut vanished = store.mark_vanished(dataset, &present)?;
            vanished.retain(|v| !aside.contains(v.as_str()));
            if !selection.is_all() {
                tracing::info!(dataset = %dataset, selection = selection.describe(), selected = chosen.len(),
                    listed = entries.len(), set_aside = deselected.len(), "selection applied");
            }
            save_selection(&self.data_dir, name, selection)?;
            for v in &vanished {
                tracing::warn!(dataset = %dataset, file = v.as_str(), "vanished from the source listing; kept out of future work");
            }
            tracing::info!(dataset = %dataset, listed = entries.len(), new = registered.new, changed = registered.changed,
                unchanged = registered.unchanged, vanished = vanished.len(), "crawled and registered");
            reports.push(CrawlReport {
                dataset: name.to_owned(),
                listed: entries.len(),
                selected: chosen.len(),
                registered,
                vanished,
                deselected,
            });
        }
        Ok(reports)
    }
}

fn pending_paths(
    store: &dyn ProgressStore,
    dataset: &DatasetId,
) -> Result<HashSet<String>, TrackerError> {
    let pending = dwd_series::update::files_in(store, dataset, tracker_core::FileStatus::Pending)?;
    Ok(pending
        .into_iter()
        .map(|f| f.key.path().to_owned())
        .collect())
}

/// `paths.data_dir/selections.json`: the selection each dataset was last
/// crawled with, for `status`.
fn selections_file(data_dir: &Path) -> PathBuf {
    data_dir.join("selections.json")
}

fn save_selection(
    data_dir: &Path,
    dataset: &str,
    selection: &dwd_catalog::Selection,
) -> Result<(), OutputError> {
    let path = selections_file(data_dir);
    let io = |source| OutputError::Io {
        path: path.clone(),
        source,
    };
    // two crawls at once (of other datasets) each read, change and write
    // the file: one at a time, or one's entry is lost
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let guard = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("selections.json.lock"))
        .map_err(io)?;
    guard.lock().map_err(io)?;
    let mut all = saved_selections(data_dir);
    all.insert(dataset.to_owned(), selection.describe());
    let text = serde_json::to_string_pretty(&all).map_err(|e| OutputError::Encode {
        path: path.clone(),
        source: Box::new(e),
        io: None,
    })?;
    write_atomic(&path, |w| std::io::Write::write_all(w, text.as_bytes())).map(|_| ())
}

/// The selection each dataset was last crawled with.
pub fn saved_selections(data_dir: &Path) -> BTreeMap<String, String> {
    std::fs::read(selections_file(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Crawls of different datasets at once each keep their entry in
    /// `selections.json` (read, change, write under a lock).
    #[test]
    fn concurrent_saves_keep_every_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let selection = dwd_catalog::Selection::default();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (dir, selection) = (dir.path(), &selection);
                s.spawn(move || {
                    for _ in 0..20 {
                        save_selection(dir, &format!("test/dataset_{t}"), selection).unwrap();
                    }
                });
            }
        });
        let saved = saved_selections(dir.path());
        assert_eq!(saved.len(), 8, "{saved:?}");
    }
}
