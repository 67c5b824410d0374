//! Manifests: the files of a dataset, one path a line, or JSON lines with
//! `path`, `size` (bytes) and `modified` (RFC 3339 or Unix milliseconds);
//! the lines `crawl` writes (`data/manifests/<dataset>.jsonl`, with `url`,
//! `dataset`, `period`, `station`, `from`, `to` besides) are the same type,
//! [`Line`], so `register` reads them as they are.
//! Blank lines and `#` comments are skipped.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracker_core::{DatasetId, FileKey, NewFile, Timestamp};

/// A manifest that cannot be read, naming the file and the line.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("reading manifest {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("manifest {}: {source}", path.display())]
    In {
        path: PathBuf,
        source: Box<ManifestError>,
    },
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

/// One line of a manifest.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Relative to the dataset's folder.
    pub path: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub modified: Option<Modified>,
    /// Where the file was listed (written by `crawl`; not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A file's date: RFC 3339 text or Unix milliseconds.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Modified {
    Millis(i64),
    Text(String),
}

pub fn read(path: &Path, dataset: &DatasetId) -> Result<Vec<NewFile>, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, dataset).map_err(|e| ManifestError::In {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

pub fn parse(text: &str, dataset: &DatasetId) -> Result<Vec<NewFile>, ManifestError> {
    let mut files = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i + 1;
        let bad = |message: String| ManifestError::Line { line: n, message };
        let entry = if line.starts_with('{') {
            serde_json::from_str::<Line>(line)
                .map_err(|e| bad(format!("not a manifest JSON object: {e}")))?
        } else {
            Line {
                path: line.to_owned(),
                size: None,
                modified: None,
                url: None,
                dataset: None,
                period: None,
                station: None,
                from: None,
                to: None,
            }
        };
        if let Some(d) = &entry.dataset
            && d != dataset.as_str()
        {
            return Err(bad(format!("the file is of dataset {d}, not {dataset}")));
        }
        let source_modified = match entry.modified {
            None => None,
            Some(Modified::Millis(ms)) => Some(Timestamp::from_millis(ms)),
            Some(Modified::Text(t)) => {
                let ts: jiff::Timestamp = match t.parse() {
                    Ok(ts) => ts,
                    Err(e) => {
                        return Err(bad(format!("modified {t:?} is not an RFC 3339 time: {e}")));
                    }
                };
                Some(Timestamp::from_millis(ts.as_millisecond()))
            }
        };
        let key = FileKey::new(dataset.clone(), entry.path).map_err(|e| bad(e.to_string()))?;
        files.push(NewFile {
            key,
            size: entry.size,
            source_modified,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> DatasetId {
        DatasetId::new("monthly/kl").unwrap()
    }

    #[test]
    fn plain_and_json_lines() {
        let text = "# comment\nhistorical/a.zip\n\n{\"path\":\"historical/b.zip\",\"size\":53709,\"modified\":\"2021-11-22T16:18:02Z\"}\n{\"path\":\"c.zip\",\"modified\":1700000000000}\n";
        let files = parse(text, &ds()).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].key.path(), "historical/a.zip");
        assert_eq!(files[1].size, Some(53709));
        assert_eq!(
            files[1].source_modified,
            Some(Timestamp::from_millis(1_637_597_882_000))
        );
        assert_eq!(
            files[2].source_modified,
            Some(Timestamp::from_millis(1_700_000_000_000))
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a.zip\n../../etc/passwd\n", &ds())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains(".."), "{e}");
        let e = parse("{\"path\": 3}\n", &ds()).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = parse("{\"path\":\"a\",\"modified\":\"yesterday\"}", &ds())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("RFC 3339"), "{e}");
    }
}
