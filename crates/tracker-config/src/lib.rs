//! ClimaStation configuration.
//!
//! Layers, later ones win: compiled defaults → `config/base_config.yaml`
//! (when present) → a user file (`--config` or `CLIMASTATION_CONFIG`) →
//! environment variables `CLIMASTATION_<SECTION>__<KEY>` (e.g.
//! `CLIMASTATION_PROCESSING__WORKERS=2`). The raw layers are merged by figment
//! and validated once into a typed [`Config`]; every error names the key and
//! the file or variable it came from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Yaml};
use serde::{Deserialize, Serialize};

/// Where the base configuration lives, relative to the working directory.
pub const BASE_CONFIG: &str = "config/base_config.yaml";
/// Prefix of the environment variables.
pub const ENV_PREFIX: &str = "CLIMASTATION_";
/// Names the user file when `--config` is not given.
pub const ENV_CONFIG_FILE: &str = "CLIMASTATION_CONFIG";

/// Errors of loading; each names the key and where its value came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    Missing { path: PathBuf },

    #[error("{0}")]
    Parse(String),

    #[error("invalid value for {key} (from {origin}): {message}")]
    Invalid {
        key: &'static str,
        origin: String,
        message: String,
    },
}

// ---- raw layer: what files and variables may say --------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub paths: RawPaths,
    pub processing: RawProcessing,
    pub tracker: RawTracker,
    pub logging: RawLogging,
    pub source: RawSource,
    pub datasets: Vec<RawDataset>,
    /// Which stations, places, periods and dates to work on.
    #[serde(default)]
    pub selection: RawSelection,
    /// How `values` lets stations stand for a place.
    #[serde(default)]
    pub values: RawValues,
}

/// The `values:` section: the defaults of `climastation values` (the
/// command line overrides them; each parameter's own limit is in the
/// translation table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawValues {
    /// Replaces every parameter's distance limit (km); null: the table's.
    pub max_distance_km: Option<f64>,
    /// Stations averaged by idw.
    pub k: i64,
    /// A station this close (km) stands for a place alone under idw.
    pub near_km: f64,
    /// K per km of height for air and dew point temperatures under idw.
    pub lapse_k_per_km: f64,
}

impl Default for RawValues {
    fn default() -> Self {
        RawValues {
            max_distance_km: None,
            k: 4,
            near_km: 1.0,
            lapse_k_per_km: -6.5,
        }
    }
}

/// The validated `values:` section.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub max_distance_km: Option<f64>,
    pub k: usize,
    pub near_km: f64,
    pub lapse_k_per_km: f64,
}

/// A value YAML or an environment variable may give as a number or as
/// text (`44` or `"00044"`, `1990` or `"1990-01-01"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Text(t) => f.write_str(t),
        }
    }
}

/// One value or a list of them (`stations: 44` or `stations: [44, 3987]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(Scalar),
    Many(Vec<Scalar>),
}

impl OneOrMany {
    fn texts(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.to_string()],
            OneOrMany::Many(v) => v.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The `selection:` section: the same filters as `--station`, `--near` …
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelection {
    /// Station ids, as DWD writes them (`44`, `00044`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stations: Option<OneOrMany>,
    /// `LAT,LON`, with `radius_km`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_km: Option<f64>,
    /// `W,S,E,N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `FROM..TO`: stations that measured during the span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Scalar>,
    /// `historical`, `recent`, `now`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods: Option<OneOrMany>,
}

impl RawSelection {
    /// The selection these values give; errors name the option.
    pub fn to_selection(&self) -> Result<dwd_catalog::Selection, dwd_catalog::SelectionError> {
        use dwd_catalog::selection as sel;
        let texts = |v: &Option<OneOrMany>| v.as_ref().map(OneOrMany::texts).unwrap_or_default();
        let selection = dwd_catalog::Selection {
            stations: sel::parse_stations(&texts(&self.stations))?,
            near: match (&self.near, self.radius_km) {
                (Some(n), r) => Some(sel::parse_near(n, r)?),
                (None, Some(_)) => {
                    return Err(dwd_catalog::Invalid::new(
                        dwd_catalog::Field::RadiusKm,
                        dwd_catalog::said!("needs ", dwd_catalog::Field::Near, " (LAT,LON)"),
                    ));
                }
                (None, None) => None,
            },
            bbox: self.bbox.as_deref().map(sel::parse_bbox).transpose()?,
            name: self.name.clone().filter(|n| !n.trim().is_empty()),
            state: self.state.clone().filter(|n| !n.trim().is_empty()),
            active: self
                .active
                .as_deref()
                .map(|a| sel::parse_span(dwd_catalog::Field::Active, a))
                .transpose()?,
            from: self
                .from
                .as_ref()
                .map(|d| sel::parse_date(dwd_catalog::Field::Start, &d.to_string(), false))
                .transpose()?,
            to: self
                .to
                .as_ref()
                .map(|d| sel::parse_date(dwd_catalog::Field::End, &d.to_string(), true))
                .transpose()?,
            periods: sel::parse_periods(&texts(&self.periods))?,
        };
        sel::check_range(selection.from, selection.to)?;
        Ok(selection)
    }

    /// `self` with each value `over` sets replacing this one's.
    pub fn overridden_by(&self, over: &RawSelection) -> RawSelection {
        RawSelection {
            stations: over.stations.clone().or_else(|| self.stations.clone()),
            near: over.near.clone().or_else(|| self.near.clone()),
            radius_km: over.radius_km.or(self.radius_km),
            bbox: over.bbox.clone().or_else(|| self.bbox.clone()),
            name: over.name.clone().or_else(|| self.name.clone()),
            state: over.state.clone().or_else(|| self.state.clone()),
            active: over.active.clone().or_else(|| self.active.clone()),
            from: over.from.clone().or_else(|| self.from.clone()),
            to: over.to.clone().or_else(|| self.to.clone()),
            periods: over.periods.clone().or_else(|| self.periods.clone()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub base_url: String,
    pub timeout_seconds: i64,
    pub retries: i64,
    pub max_connections: i64,
    /// 0 for no limit.
    pub rate_limit_kbps: i64,
    /// The longest wait before a retry, also when the server asks for more
    /// (`Retry-After`).
    #[serde(default = "sixty")]
    pub max_retry_wait_seconds: i64,
}

fn sixty() -> i64 {
    60
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPaths {
    pub data_dir: PathBuf,
    pub progress_db: PathBuf,
    pub raw: PathBuf,
    pub output: PathBuf,
    pub logs: PathBuf,
    /// A folder of translation tables (`parameters.yaml`,
    /// `quality_levels.yaml`, `devices.yaml`) layered over the compiled-in ones.
    #[serde(default)]
    pub translations: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProcessing {
    /// What `run` does with each file: `verify`, `download` or `dwd`.
    #[serde(default = "dwd")]
    pub processor: String,
    pub workers: i64,
    pub memory_limit_mb_per_worker: i64,
    pub memory_limit_mb_total: i64,
    pub fail_fast: bool,
    pub lease_seconds: i64,
    pub max_attempts: i64,
    pub retry_backoff_seconds: i64,
    pub claim_batch: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTracker {
    pub busy_timeout_ms: i64,
    pub journal_size_limit_mb: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogging {
    pub level: String,
    pub format: LogFormat,
    pub file: bool,
    pub rotation: Rotation,
    pub max_files: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A list of the dataset's files to register before a run: one path a
    /// line, or JSON lines with `path`, `size`, `modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

fn dwd() -> String {
    "dwd".into()
}

/// Format of the log file (the console is always human text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// When the log file rolls over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rotation {
    Hourly,
    Daily,
    Never,
}

impl Default for RawConfig {
    /// The compiled defaults; `config/base_config.yaml` states the same values
    /// (a test keeps the two equal).
    fn default() -> Self {
        RawConfig {
            paths: RawPaths {
                data_dir: "data".into(),
                progress_db: "data/progress_tracking.db".into(),
                raw: "data/raw".into(),
                output: "data/output".into(),
                logs: "data/logs".into(),
                translations: None,
            },
            processing: RawProcessing {
                processor: dwd(),
                workers: 4,
                memory_limit_mb_per_worker: 512,
                memory_limit_mb_total: 2048,
                fail_fast: true,
                lease_seconds: 300,
                max_attempts: 3,
                retry_backoff_seconds: 30,
                claim_batch: 8,
            },
            tracker: RawTracker {
                busy_timeout_ms: 10_000,
                journal_size_limit_mb: 16,
            },
            logging: RawLogging {
                level: "info".into(),
                format: LogFormat::Text,
                file: true,
                rotation: Rotation::Daily,
                max_files: 14,
            },
            source: RawSource {
                base_url:
                    "https://opendata.dwd.de/climate_environment/CDC/observations_germany/climate/"
                        .into(),
                timeout_seconds: 60,
                retries: 4,
                max_connections: 4,
                rate_limit_kbps: 0,
                max_retry_wait_seconds: sixty(),
            },
            datasets: vec![RawDataset {
                name: "10_minutes/air_temperature".into(),
                enabled: true,
                manifest: None,
            }],
            selection: RawSelection::default(),
            values: RawValues::default(),
        }
    }
}

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
    /// The `selection:` section as written (the command line layers over it).
    pub selection: RawSelection,
    /// The `values:` section.
    pub values: Values,
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

/// Which layers to read. [`Sources::standard`] is what the binaries use.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The base file; skipped when it does not exist.
    pub base_file: Option<PathBuf>,
    /// The user's file; an error when it does not exist.
    pub user_file: Option<PathBuf>,
    /// Read `CLIMASTATION_*` variables.
    pub env: bool,
}

impl Sources {
    /// `config/base_config.yaml`, the user file from `--config` or
    /// `CLIMASTATION_CONFIG`, and the environment.
    pub fn standard(user_file: Option<&Path>) -> Self {
        let user_file = user_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(ENV_CONFIG_FILE).map(PathBuf::from));
        Sources {
            base_file: Some(PathBuf::from(BASE_CONFIG)),
            user_file,
            env: true,
        }
    }
}

/// Loads and validates the configuration from `sources`.
pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
    let figment = figment(sources)?;
    let raw: RawConfig = figment.extract().map_err(|e| {
        ConfigError::Parse(
            e.into_iter()
                .map(|e| describe(&e))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    // the base file's paths are relative to the working directory, like
    // the defaults it restates
    let config = validate(&raw, &figment, sources.base_file.clone())?;
    tracing::debug!(?sources, "configuration loaded");
    Ok(config)
}

fn figment(sources: &Sources) -> Result<Figment, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
    if let Some(base) = sources.base_file.as_ref().filter(|p| p.exists()) {
        figment = figment.merge(Yaml::file_exact(base));
    }
    if let Some(user) = &sources.user_file {
        if !user.exists() {
            return Err(ConfigError::Missing { path: user.clone() });
        }
        figment = figment.merge(Yaml::file_exact(user));
    }
    if sources.env {
        // only `CLIMASTATION_<SECTION>__<KEY>` is configuration: a wrapper's
        // own `CLIMASTATION_BIN` is none of ours (a misspelt section, with
        // its `__`, is still refused)
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|k| k.as_str().contains("__"))
                .split("__"),
        );
    }
    Ok(figment)
}

/// The variable that sets `key`: `processing.workers` → `CLIMASTATION_PROCESSING__WORKERS`.
pub fn env_var(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

/// One extraction error as "what for key K (from origin)".
fn describe(e: &figment::Error) -> String {
    let key = e.path.join(".");
    let origin = match e.metadata.as_ref() {
        Some(md) => match &md.source {
            Some(figment::Source::File(path)) => path.display().to_string(),
            _ if md.name.contains("environment") && !key.is_empty() => {
                format!("environment variable {}", env_var(&key))
            }
            _ => md.name.to_string(),
        },
        None => "defaults".into(),
    };
    if key.is_empty() {
        format!("{} (in {origin})", e.kind)
    } else {
        format!("{} for key {key} (from {origin})", e.kind)
    }
}

/// Where the value of `key` came from, for error messages.
fn origin(figment: &Figment, key: &str) -> String {
    match figment.find_metadata(key) {
        Some(md) => match &md.source {
            Some(figment::Source::File(path)) => path.display().to_string(),
            _ if md.name.contains("environment") => {
                format!("environment variable {}", env_var(key))
            }
            _ if md.name.contains("RawConfig") => "the compiled defaults".into(),
            _ => md.name.to_string(),
        },
        None => "defaults".into(),
    }
}

fn validate(
    raw: &RawConfig,
    figment: &Figment,
    base_file: Option<PathBuf>,
) -> Result<Config, ConfigError> {
    let check = Check {
        figment,
        base_file: base_file.as_deref(),
    };
    let processing = check.processing(&raw.processing)?;
    let tracker = check.tracker(&raw.tracker)?;
    let max_files = check.in_range("logging.max_files", raw.logging.max_files, 1, 10_000)? as usize;
    let source = check.source(&raw.source)?;
    validate_level(&raw.logging.level).map_err(|m| check.invalid("logging.level", m))?;
    raw.selection
        .to_selection()
        // the file's own spelling of each field: `selection.bbox`
        .map_err(|e| check.invalid("selection", e.render(&|f| format!("selection.{f}"))))?;
    let paths = check.paths(&raw.paths)?;
    let datasets = check.datasets(&raw.datasets)?;
    Ok(Config {
        logging: Logging {
            level: raw.logging.level.trim().to_owned(),
            format: raw.logging.format,
            file: raw.logging.file,
            rotation: raw.logging.rotation,
            max_files,
            directory: paths.logs.clone(),
        },
        paths,
        source,
        processing,
        tracker,
        datasets,
        selection: raw.selection.clone(),
        values: validate_values(&raw.values, figment)?,
        origins: [
            "processing.workers",
            "processing.memory_limit_mb_per_worker",
            "processing.memory_limit_mb_total",
        ]
        .into_iter()
        .map(|k| (k, origin(figment, k)))
        .collect(),
    })
}

/// What the checks of [`validate`] share: where each value came from.
struct Check<'a> {
    figment: &'a Figment,
    /// `config/base_config.yaml`: its paths are relative to the working
    /// directory, like the defaults it restates.
    base_file: Option<&'a Path>,
}

impl Check<'_> {
    fn invalid(&self, key: &'static str, message: String) -> ConfigError {
        ConfigError::Invalid {
            key,
            origin: origin(self.figment, key),
            message,
        }
    }

    /// A relative path written in a config file is relative to that file's
    /// folder; from the environment or the defaults, to the working
    /// directory.
    fn resolve(&self, key: &str, p: &Path) -> PathBuf {
        let from_file = match self
            .figment
            .find_metadata(key)
            .and_then(|m| m.source.as_ref())
        {
            Some(figment::Source::File(f)) if Some(f.as_path()) != self.base_file => {
                f.parent().map(Path::to_path_buf)
            }
            _ => None,
        };
        match from_file {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }

    fn in_range(&self, key: &'static str, v: i64, lo: i64, hi: i64) -> Result<u64, ConfigError> {
        if (lo..=hi).contains(&v) {
            Ok(v as u64)
        } else {
            Err(self.invalid(key, format!("{v} is out of range {lo}..={hi}")))
        }
    }

    /// Workers, memory limits (the total must hold every worker's share),
    /// lease, attempts, backoff, claim batch.
    fn processing(&self, p: &RawProcessing) -> Result<Processing, ConfigError> {
        let workers = self.in_range("processing.workers", p.workers, 1, 64)? as usize;
        let per_worker = self.in_range(
            "processing.memory_limit_mb_per_worker",
            p.memory_limit_mb_per_worker,
            16,
            1 << 20,
        )?;
        let total = self.in_range(
            "processing.memory_limit_mb_total",
            p.memory_limit_mb_total,
            16,
            1 << 24,
        )?;
        if total < per_worker * workers as u64 {
            return Err(self.invalid(
                "processing.memory_limit_mb_total",
                format!(
                    "{total} MB is below workers × memory_limit_mb_per_worker = {workers} × {per_worker} MB = {} MB",
                    per_worker * workers as u64
                ),
            ));
        }
        let lease = self.in_range("processing.lease_seconds", p.lease_seconds, 5, 86_400)?;
        let max_attempts =
            self.in_range("processing.max_attempts", p.max_attempts, 1, 1000)? as u32;
        let backoff = self.in_range(
            "processing.retry_backoff_seconds",
            p.retry_backoff_seconds,
            0,
            86_400,
        )?;
        let claim_batch =
            self.in_range("processing.claim_batch", p.claim_batch, 1, 10_000)? as usize;
        Ok(Processing {
            processor: self.processor(p)?,
            workers,
            memory_limit_mb_per_worker: per_worker,
            memory_limit_mb_total: total,
            fail_fast: p.fail_fast,
            lease: Duration::from_secs(lease),
            max_attempts,
            retry_backoff: Duration::from_secs(backoff),
            claim_batch,
        })
    }

    /// The processor is one `run` knows.
    fn processor(&self, p: &RawProcessing) -> Result<ProcessorKind, ConfigError> {
        p.processor
            .parse()
            .map_err(|why| self.invalid("processing.processor", why))
    }

    fn tracker(&self, t: &RawTracker) -> Result<Tracker, ConfigError> {
        let busy = self.in_range("tracker.busy_timeout_ms", t.busy_timeout_ms, 0, 600_000)?;
        let wal = self.in_range(
            "tracker.journal_size_limit_mb",
            t.journal_size_limit_mb,
            1,
            1 << 20,
        )?;
        Ok(Tracker {
            busy_timeout: Duration::from_millis(busy),
            journal_size_limit_bytes: (wal as i64) * 1024 * 1024,
        })
    }

    /// The root (an `http(s)://` URL, or a mirror folder resolved like any
    /// path) and how it is asked.
    fn source(&self, s: &RawSource) -> Result<Source, ConfigError> {
        let timeout = self.in_range("source.timeout_seconds", s.timeout_seconds, 1, 3600)?;
        let retries = self.in_range("source.retries", s.retries, 0, 100)? as u32;
        let max_retry_wait = self.in_range(
            "source.max_retry_wait_seconds",
            s.max_retry_wait_seconds,
            0,
            86_400,
        )?;
        let max_connections =
            self.in_range("source.max_connections", s.max_connections, 1, 64)? as usize;
        let rate_kbps =
            self.in_range("source.rate_limit_kbps", s.rate_limit_kbps, 0, 100_000_000)?;
        let base_url = s.base_url.trim().to_owned();
        if base_url.is_empty() {
            return Err(self.invalid(
                "source.base_url",
                "empty: give an http(s):// root or a directory".into(),
            ));
        }
        let base_url = if base_url.starts_with("http://") || base_url.starts_with("https://") {
            base_url
        } else {
            self.resolve("source.base_url", Path::new(&base_url))
                .to_string_lossy()
                .into_owned()
        };
        Ok(Source {
            base_url,
            timeout: Duration::from_secs(timeout),
            retries,
            max_connections,
            rate_limit: (rate_kbps > 0).then_some(rate_kbps * 1000),
            max_retry_wait: Duration::from_secs(max_retry_wait),
        })
    }

    fn paths(&self, raw: &RawPaths) -> Result<Paths, ConfigError> {
        let non_empty = |key: &'static str, p: &Path| {
            if p.as_os_str().is_empty() {
                Err(self.invalid(key, "the path is empty".into()))
            } else {
                Ok(self.resolve(key, p))
            }
        };
        Ok(Paths {
            data_dir: non_empty("paths.data_dir", &raw.data_dir)?,
            progress_db: non_empty("paths.progress_db", &raw.progress_db)?,
            raw: non_empty("paths.raw", &raw.raw)?,
            output: non_empty("paths.output", &raw.output)?,
            logs: non_empty("paths.logs", &raw.logs)?,
            translations: match &raw.translations {
                Some(p) => Some(non_empty("paths.translations", p)?),
                None => None,
            },
        })
    }

    /// The enabled datasets in order, each named once and like a dataset.
    fn datasets(&self, raw: &[RawDataset]) -> Result<Vec<DatasetConfig>, ConfigError> {
        let mut datasets: Vec<DatasetConfig> = Vec::new();
        for d in raw.iter().filter(|d| d.enabled) {
            let name = d.name.trim();
            if name.is_empty()
                || name.starts_with('/')
                || name.split('/').any(|c| c == ".." || c.is_empty())
            {
                return Err(self.invalid(
                    "datasets",
                    format!(
                        "{:?} is not a dataset name like 10_minutes/air_temperature",
                        d.name
                    ),
                ));
            }
            if datasets.iter().any(|d| d.name == name) {
                return Err(self.invalid("datasets", format!("{name} is listed twice")));
            }
            datasets.push(DatasetConfig {
                name: name.to_owned(),
                manifest: d.manifest.as_deref().map(|m| self.resolve("datasets", m)),
            });
        }
        Ok(datasets)
    }
}

fn validate_values(v: &RawValues, figment: &Figment) -> Result<Values, ConfigError> {
    let bad = |key: &'static str, message: String| ConfigError::Invalid {
        key,
        origin: origin(figment, key),
        message,
    };
    if let Some(km) = v.max_distance_km
        && !(km > 0.0 && km.is_finite())
    {
        return Err(bad(
            "values.max_distance_km",
            format!("{km}: give a distance above 0 km, or null"),
        ));
    }
    if !(1..=64).contains(&v.k) {
        return Err(bad("values.k", format!("{}: give 1 to 64 stations", v.k)));
    }
    if !(v.near_km >= 0.0 && v.near_km.is_finite()) {
        return Err(bad(
            "values.near_km",
            format!("{}: give 0 km or more", v.near_km),
        ));
    }
    if !v.lapse_k_per_km.is_finite() {
        return Err(bad("values.lapse_k_per_km", "give a number".into()));
    }
    Ok(Values {
        max_distance_km: v.max_distance_km,
        k: v.k as usize,
        near_km: v.near_km,
        lapse_k_per_km: v.lapse_k_per_km,
    })
}

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

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// Accepts `info` or directives like `info,tracker_sqlite=debug`.
fn validate_level(spec: &str) -> Result<(), String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err("empty level: use one of trace, debug, info, warn, error, off".into());
    }
    for directive in spec.split(',') {
        let level = directive.rsplit('=').next().unwrap_or(directive).trim();
        let target_ok = directive.split('=').count() <= 2;
        if !target_ok || !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "{directive:?} is not a level or a `target=level` directive (levels: {})",
                LEVELS.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
