//! The validated configuration: what the program uses, parsed once into
//! types (the processor kind, durations, paths, the `values:` section).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::*;

// ---- validated layer: what the program uses --------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub paths: Paths,
    pub processing: Processing,
    pub tracker: Tracker,
    pub logging: Logging,
    pub source: Source,
    /// Datasets in processing order (enabled ones only).
    pub datasets: Vec<DatasetConfig>,
    /// The `selection:` section, parsed (a front end's values layer over it).
    pub selection: dwd_catalog::SelectionLayer,
    /// The `values:` section.
    pub values: Values,
    /// The `serve:` section.
    pub serve: Serve,
    /// Where a value came from (`config/job.yaml`, `environment variable
    /// CLIMASTATION_PROCESSING__WORKERS`, `defaults`), for the keys that
    /// later checks name: the processing limits.
    pub origins: std::collections::BTreeMap<&'static str, String>,
}

impl Config {
    /// The configuration with its data folder moved to `dir`: every path
    /// under the old `paths.data_dir` (the progress database, raw files,
    /// output, logs, manifests) moves with it; a path set elsewhere stays.
    pub fn with_data_dir(mut self, dir: &Path) -> Config {
        let old = self.paths.data_dir.clone();
        let moved = |p: &mut PathBuf| {
            if let Ok(rest) = p.strip_prefix(&old) {
                *p = dir.join(rest);
            }
        };
        let paths = &mut self.paths;
        for p in [
            &mut paths.progress_db,
            &mut paths.raw,
            &mut paths.output,
            &mut paths.logs,
            &mut self.logging.directory,
        ] {
            moved(p);
        }
        paths.data_dir = dir.to_path_buf();
        self
    }
}

/// Where the archive comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// An `http(s)://` root (DWD's `observations_germany/climate/` by default)
    /// or a local directory mirror of it.
    pub base_url: String,
    pub timeout: Duration,
    pub retries: u32,
    pub max_connections: usize,
    /// Bytes per second over all downloads; `None` for no limit.
    pub rate_limit: Option<u64>,
    /// The longest wait before a retry (also for a server's `Retry-After`).
    pub max_retry_wait: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DatasetConfig {
    pub name: String,
    pub manifest: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub progress_db: PathBuf,
    pub raw: PathBuf,
    pub output: PathBuf,
    pub logs: PathBuf,
    pub translations: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Processing {
    /// `dwd` (the default), `download` or `verify`.
    pub processor: ProcessorKind,
    pub workers: usize,
    pub memory_limit_mb_per_worker: u64,
    pub memory_limit_mb_total: u64,
    pub fail_fast: bool,
    pub lease: Duration,
    pub max_attempts: u32,
    pub retry_backoff: Duration,
    pub claim_batch: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tracker {
    pub busy_timeout: Duration,
    pub journal_size_limit_bytes: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Logging {
    /// A level (`info`) or filter directives (`info,tracker_sqlite=debug`).
    pub level: String,
    pub format: LogFormat,
    pub file: bool,
    pub rotation: Rotation,
    pub max_files: usize,
    pub directory: PathBuf,
}

/// The validated `values:` section.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub max_distance_km: Option<f64>,
    pub k: usize,
    pub near_km: f64,
    pub lapse_k_per_km: f64,
}

/// What `climastation serve` listens on and what one request may cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Serve {
    pub listen: std::net::SocketAddr,
    pub allow_remote: bool,
    pub cors_origins: Vec<String>,
    pub max_json_rows: u64,
    pub max_concurrent: usize,
    /// Event streams open at once.
    pub max_streams: usize,
    pub queue: Duration,
    pub request_timeout: Duration,
    pub max_query_bytes: usize,
    pub lock_wait: Duration,
    /// The page's base map from a tile server; none: the bundled outline.
    pub tiles: Option<Tiles>,
}

/// A tile server for the page's base map (`serve.tile_url`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tiles {
    /// With `{z}`, `{x}` and `{y}`.
    pub url: String,
    /// Scheme, host and port of `url`: what the page may load images from.
    pub origin: String,
    pub attribution: String,
}

/// Parallel workers a run may have: the configuration's and a run's own
/// choice are checked against this one range.
pub const WORKERS: std::ops::RangeInclusive<i64> = 1..=64;

/// Stations idw may average: `values.k` and a request's own `k` alike.
pub const IDW_K: std::ops::RangeInclusive<i64> = 1..=64;

/// What `run` does with each file: the configuration's
/// `processing.processor`, or a run's own choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ProcessorKind {
    /// Read each file fully, check zip integrity, record bytes and SHA-256.
    Verify,
    /// Fetch each file from source.base_url into paths.raw (resumable,
    /// verified before it gets its final name), then as verify.
    Download,
    /// The whole chain: download, then parse data zips and station lists
    /// into Parquet under paths.output (English names, UTC).
    Dwd,
}

impl ProcessorKind {
    pub const ALL: [ProcessorKind; 3] = [
        ProcessorKind::Dwd,
        ProcessorKind::Download,
        ProcessorKind::Verify,
    ];

    /// Its name in the configuration, the CLI and Python.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessorKind::Verify => "verify",
            ProcessorKind::Download => "download",
            ProcessorKind::Dwd => "dwd",
        }
    }
}

impl std::str::FromStr for ProcessorKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ProcessorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = ProcessorKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("{s:?}: one of {}", names.join(", "))
            })
    }
}
