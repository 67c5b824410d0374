//! Where the archive comes from: DWD's HTTPS server (or any server with the
//! same nginx listings) or a local directory mirror, behind one [`Source`]:
//! both list a folder as [`Entry`]s, fetch a file to a local one and read a
//! small file whole, so crawling, registration and downloads are one code
//! path for either.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracker_core::Timestamp;

use crate::http::{FetchError, Http};
use crate::listing::{self, Entry};
use crate::transfer::Transfer;

/// DWD's observation root; datasets are named relative to it
/// (`10_minutes/air_temperature`).
pub const DWD_BASE_URL: &str =
    "https://opendata.dwd.de/climate_environment/CDC/observations_germany/climate/";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The listing request failed ([`FetchError`] says how).
    #[error("listing {0}")]
    Fetch(#[from] FetchError),
    #[error("listing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid path {path:?}: {why}")]
    BadPath { path: String, why: &'static str },
    /// A stop was asked for (Ctrl-C) between two listings.
    #[error("interrupted")]
    Interrupted,
}

impl SourceError {
    /// Worth trying again (network, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Fetch(e) => {
                e.is_transient() && !matches!(e, FetchError::Unreachable { .. })
            }
            SourceError::Io { .. } | SourceError::BadPath { .. } | SourceError::Interrupted => {
                false
            }
        }
    }

    /// The source itself is wrong or out of reach (not one file of it): a
    /// setup error, not a failed file.
    pub fn is_setup(&self) -> bool {
        match self {
            SourceError::Fetch(FetchError::Unreachable { .. }) | SourceError::BadPath { .. } => {
                true
            }
            SourceError::Fetch(FetchError::Status { status, .. }) => *status == 404,
            SourceError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            SourceError::Fetch(_) | SourceError::Interrupted => false,
        }
    }

    /// A stop was asked for, between listings or while one waited.
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            SourceError::Interrupted | SourceError::Fetch(FetchError::Interrupted)
        )
    }
}

/// A relative folder or file path below the source root, validated: `/`
/// separated, no empty, `.` or `..` components, not absolute.
pub fn check_relative(path: &str) -> Result<(), SourceError> {
    let bad = |why| {
        Err(SourceError::BadPath {
            path: path.to_owned(),
            why,
        })
    };
    if path.starts_with('/') || path.contains('\\') || path.contains("://") {
        return bad("absolute or foreign");
    }
    if path.split('/').any(|c| c == "." || c == "..") {
        return bad("`.` and `..` are not allowed");
    }
    Ok(())
}

/// The archive, from DWD's server or a mirror: its folders listed, its
/// files fetched to a local file or read whole. Paths are relative to the
/// root and checked ([`check_relative`]) before anything is asked.
pub trait Source: Send + Sync {
    /// The root, for messages and manifests.
    fn root(&self) -> String;
    /// The entries of folder `dir` (relative, `""` for the root).
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError>;
    /// Where the file at `path` (relative) is fetched from.
    fn locate(&self, path: &str) -> String;
    /// The file at `path` into `part`, resuming what `part` holds where the
    /// source can; more than `expected` bytes fails at once.
    fn fetch(
        &self,
        path: &str,
        part: &Path,
        expected: Option<u64>,
        transfer: &Transfer<'_>,
    ) -> Result<(), FetchError>;
    /// A small file (a station list, a station's metadata zip) read whole;
    /// `None` when the source does not have it; more than `max_bytes` is
    /// refused.
    fn read(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, FetchError>;
}

/// `path` checked as [`check_relative`] does, as a fetch error.
fn checked(path: &str) -> Result<(), FetchError> {
    check_relative(path).map_err(|e| FetchError::BadPath {
        path: path.to_owned(),
        why: match e {
            SourceError::BadPath { why, .. } => why,
            _ => "not a relative path",
        },
    })
}

/// Opens `root`: `http://` or `https://` → [`HttpSource`], anything else a
/// local directory → [`DirSource`].
pub fn open(root: &str, http: &HttpOptions) -> Box<dyn Source> {
    if root.starts_with("http://") || root.starts_with("https://") {
        Box::new(HttpSource::new(root, http))
    } else {
        Box::new(DirSource::new(root))
    }
}

/// How HTTP requests are made.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub user_agent: String,
    pub timeout: Duration,
    pub retries: u32,
    /// The first wait before a retry; it doubles ([`crate::retry::wait`]).
    pub backoff: Duration,
    /// The longest wait before a retry, also for a server's `Retry-After`.
    pub max_wait: Duration,
    /// Set by Ctrl-C (a run's stop flag): a request waiting for a stalled
    /// server is abandoned within a tenth of a second
    /// ([`FetchError::Interrupted`]).
    pub stop: Option<tracker_core::Cancel>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            user_agent: format!("climastation/{}", env!("CARGO_PKG_VERSION")),
            timeout: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            stop: None,
        }
    }
}

pub struct HttpSource {
    base: String,
    http: Http,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HttpSource {
    pub fn new(base: &str, options: &HttpOptions) -> Self {
        HttpSource {
            base: with_slash(base),
            http: Http::new(options),
        }
    }

    fn get_text(&self, url: &str) -> Result<String, FetchError> {
        // a listing of DWD's biggest folder is a few MB
        const MAX_LISTING: u64 = 64 << 20;
        match self.http.read(url, MAX_LISTING, &|| false)? {
            Some(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            None => Err(FetchError::status(url, 404)),
        }
    }
}

/// Where the file at `path` (relative to the archive root) is fetched
/// from: the URL below an `http(s)://` root, or the file below a mirror.
pub fn locate(root: &str, path: &str) -> String {
    if root.starts_with("http://") || root.starts_with("https://") {
        format!("{}{path}", with_slash(root))
    } else {
        Path::new(root).join(path).display().to_string()
    }
}

/// `base` with one trailing `/`.
pub(crate) fn with_slash(base: &str) -> String {
    if base.ends_with('/') {
        base.to_owned()
    } else {
        format!("{base}/")
    }
}

impl Source for HttpSource {
    fn root(&self) -> String {
        self.base.clone()
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        check_relative(dir)?;
        let url = if dir.is_empty() {
            self.base.clone()
        } else {
            format!("{}{}/", self.base, dir.trim_end_matches('/'))
        };
        let page = listing::parse(&self.get_text(&url)?);
        for r in &page.refused {
            tracing::warn!(
                url,
                href = r.as_str(),
                "ignored a listing link that leaves the folder or points elsewhere"
            );
        }
        Ok(page.entries)
    }

    fn locate(&self, path: &str) -> String {
        locate(&self.base, path)
    }

    fn fetch(
        &self,
        path: &str,
        part: &Path,
        expected: Option<u64>,
        transfer: &Transfer<'_>,
    ) -> Result<(), FetchError> {
        checked(path)?;
        crate::transfer::over_http(&self.http, &self.locate(path), part, expected, transfer)
    }

    fn read(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, FetchError> {
        checked(path)?;
        self.http.read(&self.locate(path), max_bytes, &|| false)
    }
}

/// A local mirror: folders are read from the file system (size and
/// modification time from metadata). Symbolic links are not followed.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    pub fn new(root: impl AsRef<Path>) -> Self {
        DirSource {
            root: root.as_ref().to_path_buf(),
        }
    }
}

impl Source for DirSource {
    fn root(&self) -> String {
        self.root.display().to_string()
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        check_relative(dir)?;
        let path = self.root.join(dir);
        let io = |source| SourceError::Io {
            path: path.clone(),
            source,
        };
        let mut out = Vec::new();
        for item in std::fs::read_dir(&path).map_err(io)? {
            let item = item.map_err(io)?;
            let meta = item.path().symlink_metadata().map_err(io)?;
            let Ok(name) = item.file_name().into_string() else {
                continue;
            };
            if meta.file_type().is_symlink() || name == "index.html" || name.starts_with('.') {
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| Timestamp::from_millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
            out.push(Entry {
                name,
                is_dir: meta.is_dir(),
                modified,
                size: meta.is_file().then_some(meta.len()),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn locate(&self, path: &str) -> String {
        self.root.join(path).display().to_string()
    }

    fn fetch(
        &self,
        path: &str,
        part: &Path,
        _expected: Option<u64>,
        _transfer: &Transfer<'_>,
    ) -> Result<(), FetchError> {
        checked(path)?;
        crate::transfer::from_dir(&self.root.join(path), part)
    }

    fn read(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, FetchError> {
        checked(path)?;
        crate::transfer::read_from_dir(&self.root.join(path), max_bytes)
    }
}
