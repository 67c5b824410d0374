//! Recursive crawl of a dataset's folders into a manifest.

use tracker_core::{DatasetId, FileKey, NewFile, Timestamp};

use crate::source::{Source, SourceError, check_relative};
use dwd_catalog::{NameFacts, facts};

/// Folders deeper than this below a dataset are not followed (DWD's are 1 deep).
pub const MAX_DEPTH: usize = 4;

/// One file of a dataset, as small as it can be: a crawl of the whole
/// archive holds 758K of them (what its name says and where it is fetched
/// from are derived when asked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Relative to the dataset folder, e.g. `historical/10minutenwerte_….zip`.
    pub path: String,
    pub size: Option<u64>,
    pub modified: Option<Timestamp>,
}

impl ManifestEntry {
    /// What its name says (period folder, station, dates).
    pub fn facts(&self) -> NameFacts {
        facts(&self.path)
    }

    /// The entry as a file to register.
    pub fn new_file(&self, dataset: &DatasetId) -> tracker_core::Result<NewFile> {
        Ok(NewFile {
            key: FileKey::new(dataset.clone(), self.path.clone())?,
            size: self.size,
            source_modified: self.modified,
        })
    }
}

/// Lists every file below `dataset` (e.g. `10_minutes/air_temperature`),
/// sorted by path, without duplicates.
pub fn crawl(source: &dyn Source, dataset: &str) -> Result<Vec<ManifestEntry>, SourceError> {
    crawl_to_depth(source, dataset, MAX_DEPTH, &|| false)
}

/// [`crawl`] that follows folders `max_depth - 1` deep at most: 2 lists the
/// dataset and its period folders, not the year folders of 1- and 5-minute
/// historical data (where the station lists are not).
///
/// `stopped` is asked before each listing: a crawl of a dataset with
/// thousands of year folders stops at once on Ctrl-C
/// ([`SourceError::Interrupted`]).
pub fn crawl_to_depth(
    source: &dyn Source,
    dataset: &str,
    max_depth: usize,
    stopped: &dyn Fn() -> bool,
) -> Result<Vec<ManifestEntry>, SourceError> {
    let dataset = dataset.trim_matches('/');
    check_relative(dataset)?;
    let mut files: Vec<ManifestEntry> = Vec::new();
    let mut queue: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((rel_dir, depth)) = queue.pop() {
        if stopped() {
            return Err(SourceError::Interrupted);
        }
        let dir = if rel_dir.is_empty() {
            dataset.to_owned()
        } else {
            format!("{dataset}/{rel_dir}")
        };
        let entries = source.list(&dir)?;
        tracing::debug!(dir, entries = entries.len(), "listed");
        for e in entries {
            let rel = if rel_dir.is_empty() {
                e.name.clone()
            } else {
                format!("{rel_dir}/{}", e.name)
            };
            if e.is_dir {
                if depth + 1 < max_depth.min(MAX_DEPTH) {
                    queue.push((rel, depth + 1));
                }
                continue;
            }
            files.push(ManifestEntry {
                path: rel,
                size: e.size,
                modified: e.modified,
            });
        }
    }
    // sorted by path; a path listed twice (a listing's duplicate link) once
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files.shrink_to_fit();
    tracing::info!(
        dataset,
        files = files.len(),
        source = source.root(),
        "crawled"
    );
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::DirSource;

    #[test]
    fn a_local_mirror_is_crawled_recursively_and_sorted() {
        let dir = std::env::temp_dir().join(format!("dwd-source-crawl-{}", std::process::id()));
        let ds = dir.join("10_minutes/air_temperature");
        for (p, body) in [
            ("recent/10minutenwerte_TU_00044_akt.zip", "b"),
            (
                "historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip",
                "aa",
            ),
            ("zehn_min_tu_Beschreibung_Stationen.txt", "ccc"),
        ] {
            let f = ds.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, body).unwrap();
        }
        std::fs::write(
            ds.join("historical/index.html"),
            "listing pages of a mirror are skipped",
        )
        .unwrap();
        let got = crawl(&DirSource::new(&dir), "10_minutes/air_temperature/").unwrap();
        let paths: Vec<_> = got.iter().map(|e| (e.path.as_str(), e.size)).collect();
        assert_eq!(
            paths,
            [
                (
                    "historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip",
                    Some(2)
                ),
                ("recent/10minutenwerte_TU_00044_akt.zip", Some(1)),
                ("zehn_min_tu_Beschreibung_Stationen.txt", Some(3)),
            ]
        );
        assert_eq!(got[0].facts().station.as_deref(), Some("00003"));
        assert!(got[0].modified.is_some());
        assert!(crawl(&DirSource::new(&dir), "../etc").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
