//! Crawl: list datasets at the source, write each listing as a manifest
//! (`data/manifests/<dataset>.jsonl`), register what the selection takes,
//! set aside what vanished.

use std::io::Write;
use std::path::Path;

use dwd_dataset::crawl::{CrawlReport, Crawler};
use tracker_core::ProgressStore;

use crate::manifest::{Line, Modified};
use crate::{JobError, Session};

/// What to crawl.
#[derive(Clone, Debug, Default)]
pub struct CrawlRequest {
    /// Dataset names; empty: the configured ones.
    pub datasets: Vec<String>,
    /// An `http(s)://` root or a local mirror; `None`: `source.base_url`.
    pub source: Option<String>,
    pub selection: dwd_catalog::Selection,
}

impl Session {
    /// Where a crawl keeps what it learns, and how it asks the source.
    pub fn crawler(&self) -> Crawler {
        Crawler {
            data_dir: self.config.paths.data_dir.clone(),
            http: self.http_options(),
            rate_limit: self.config.source.rate_limit,
        }
    }

    /// Crawls the request's datasets into `store`: each listing written as
    /// a manifest, then registered. Temp files of crawls that died are
    /// removed first.
    pub fn crawl(
        &self,
        store: &dyn ProgressStore,
        request: &CrawlRequest,
        stop: &tracker_core::Cancel,
    ) -> Result<Vec<CrawlReport>, JobError> {
        let names: Vec<String> = if request.datasets.is_empty() {
            self.config
                .datasets
                .iter()
                .map(|d| d.name.clone())
                .collect()
        } else {
            request.datasets.clone()
        };
        let datasets = names
            .iter()
            .map(|n| self.dataset(n))
            .collect::<Result<Vec<_>, _>>()?;
        let root = request
            .source
            .clone()
            .unwrap_or_else(|| self.config.source.base_url.clone());
        let manifests = self.manifests_dir();
        // what a killed crawl left half-written
        dwd_series::output::sweep_stale_temps_in(&manifests);
        dwd_series::output::sweep_stale_temps_in(&self.config.paths.data_dir);
        Ok(self.crawler().crawl(
            store,
            &datasets,
            &root,
            &request.selection,
            stop,
            &mut |d, entries| write_manifest(&manifests, &root, d.as_str(), entries),
        )?)
    }
}

/// `data/manifests/<dataset with / as __>.jsonl`: what the crawl saw,
/// written whole through a temp name of this process (two crawls at once
/// never share one).
fn write_manifest(
    dir: &Path,
    root: &str,
    dataset: &str,
    entries: &[dwd_source::ManifestEntry],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let path = dir.join(format!("{}.jsonl", dataset.replace('/', "__")));
    dwd_series::output::write_atomic(&path, |out| {
        for e in entries {
            let modified =
                e.modified
                    .map(|t| match jiff::Timestamp::from_millisecond(t.as_millis()) {
                        Ok(ts) => Modified::Text(ts.to_string()),
                        Err(_) => Modified::Millis(t.as_millis()),
                    });
            let facts = e.facts();
            let line = Line {
                path: e.path.clone(),
                size: e.size,
                modified,
                url: Some(dwd_source::locate(root, &format!("{dataset}/{}", e.path))),
                dataset: Some(dataset.to_owned()),
                period: facts.folder,
                station: facts.station,
                from: facts.from,
                to: facts.to,
            };
            let text = serde_json::to_string(&line)?;
            writeln!(out, "{text}")?;
        }
        Ok::<(), dwd_series::output::EncodeError>(())
    })
    .map(|_| ())
    .map_err(|e| e.into())
}
