//! Manifests: the files of a dataset, one path a line, or JSON lines with
//! `path`, `size` (bytes) and `modified` (RFC 3339 or Unix milliseconds);
//! the lines `crawl` writes (`data/manifests/<dataset>.jsonl`, with `url`,
//! `dataset`, `period`, `station`, `from`, `to` besides) are the same type,
//! [`Line`], so `register` reads them as they are.
//! Blank lines and `#` comments are skipped.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tracker_core::{DatasetId, FileKey, NewFile, Timestamp};

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

pub fn read(path: &Path, dataset: &DatasetId) -> anyhow::Result<Vec<NewFile>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading manifest {}", path.display()))?;
    parse(&text, dataset).with_context(|| format!("manifest {}", path.display()))
}

pub fn parse(text: &str, dataset: &DatasetId) -> anyhow::Result<Vec<NewFile>> {
    let mut files = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i + 1;
        let entry = if line.starts_with('{') {
            serde_json::from_str::<Line>(line)
                .with_context(|| format!("line {n}: not a manifest JSON object"))?
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
            bail!("line {n}: the file is of dataset {d}, not {dataset}");
        }
        let source_modified = match entry.modified {
            None => None,
            Some(Modified::Millis(ms)) => Some(Timestamp::from_millis(ms)),
            Some(Modified::Text(t)) => {
                let ts: jiff::Timestamp = match t.parse() {
                    Ok(ts) => ts,
                    Err(e) => bail!("line {n}: modified {t:?} is not an RFC 3339 time: {e}"),
                };
                Some(Timestamp::from_millis(ts.as_millisecond()))
            }
        };
        let key = FileKey::new(dataset.clone(), entry.path).with_context(|| format!("line {n}"))?;
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
        let e = format!(
            "{:#}",
            parse("a.zip\n../../etc/passwd\n", &ds()).unwrap_err()
        );
        assert!(e.contains("line 2") && e.contains(".."), "{e}");
        let e = format!("{:#}", parse("{\"path\": 3}\n", &ds()).unwrap_err());
        assert!(e.contains("line 1"), "{e}");
        let e = format!(
            "{:#}",
            parse("{\"path\":\"a\",\"modified\":\"yesterday\"}", &ds()).unwrap_err()
        );
        assert!(e.contains("line 1") && e.contains("RFC 3339"), "{e}");
    }
}
