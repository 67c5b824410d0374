//! The raw layers: what files and variables may say (serde, with the
//! compiled defaults), before anything is checked.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    /// `climastation serve`: where it listens and what one request may cost.
    #[serde(default)]
    pub serve: RawServe,
}

/// The `serve:` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawServe {
    /// `HOST:PORT`; loopback unless `allow_remote`.
    pub listen: String,
    /// Listening on an address other hosts reach must be allowed here.
    pub allow_remote: bool,
    /// Origins allowed to read the API from a browser page elsewhere
    /// (`Access-Control-Allow-Origin`); none: no CORS header at all.
    pub cors_origins: Vec<String>,
    /// Rows a JSON answer may hold; more: 413, naming the binary formats.
    pub max_json_rows: i64,
    /// Requests answered at once; more wait up to `queue_seconds`, then 503.
    pub max_concurrent: i64,
    pub queue_seconds: f64,
    /// Event streams open at once (each a status report a second, not a
    /// request slot); more: 503.
    pub max_streams: i64,
    /// The longest a request may take before it is cut with 503.
    pub request_timeout_seconds: f64,
    /// The longest query string taken (bytes); longer: 414.
    pub max_query_bytes: i64,
    /// A reader waits this long for a dataset a run is writing, then 503.
    pub lock_wait_seconds: f64,
    /// The page's base map from a tile server (`https://…/{z}/{x}/{y}.png`)
    /// instead of the bundled outline of Germany; none: offline.
    pub tile_url: Option<String>,
    /// Credit shown under tiles (the tile server's terms ask for one).
    pub tile_attribution: String,
}

impl Default for RawServe {
    fn default() -> Self {
        RawServe {
            listen: "127.0.0.1:8080".into(),
            allow_remote: false,
            cors_origins: Vec::new(),
            max_json_rows: 1_000_000,
            max_concurrent: 8,
            max_streams: 64,
            queue_seconds: 10.0,
            request_timeout_seconds: 120.0,
            max_query_bytes: 8192,
            lock_wait_seconds: 2.0,
            tile_url: None,
            tile_attribution: String::new(),
        }
    }
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
    /// The values as written, each parsed (combined later, by
    /// [`dwd_catalog::SelectionLayer::selection`]); errors name the field.
    pub fn to_layer(&self) -> Result<dwd_catalog::SelectionLayer, dwd_catalog::SelectionError> {
        use dwd_catalog::Field;
        use dwd_catalog::selection as sel;
        let some_text = |t: &Option<String>| t.clone().filter(|n| !n.trim().is_empty());
        Ok(dwd_catalog::SelectionLayer {
            stations: self
                .stations
                .as_ref()
                .map(|s| sel::parse_stations(&s.texts()))
                .transpose()?,
            near: self.near.as_deref().map(sel::parse_point).transpose()?,
            radius_km: self.radius_km.map(sel::check_radius).transpose()?,
            bbox: self.bbox.as_deref().map(sel::parse_bbox).transpose()?,
            name: some_text(&self.name),
            state: some_text(&self.state),
            active: self
                .active
                .as_deref()
                .map(|a| sel::parse_span(Field::Active, a))
                .transpose()?,
            from: self
                .from
                .as_ref()
                .map(|d| sel::parse_date(Field::Start, &d.to_string(), false))
                .transpose()?,
            to: self
                .to
                .as_ref()
                .map(|d| sel::parse_date(Field::End, &d.to_string(), true))
                .transpose()?,
            periods: self
                .periods
                .as_ref()
                .map(|p| sel::parse_periods(&p.texts()))
                .transpose()?,
        })
    }

    /// The selection these values give alone; errors name the field.
    pub fn to_selection(&self) -> Result<dwd_catalog::Selection, dwd_catalog::SelectionError> {
        self.to_layer()?.selection()
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
            serve: RawServe::default(),
        }
    }
}
