//! Loading: the layers merged by figment (defaults, the base file, the
//! user's file, `CLIMASTATION_*` variables), then validated once into a
//! [`Config`]; every error names the key and where its value came from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Yaml};

use crate::*;

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
    // the file's own spelling of each field: `selection.bbox`
    let in_file = |e: dwd_catalog::SelectionError| {
        check.invalid("selection", e.render(&|f| format!("selection.{f}")))
    };
    let selection = raw.selection.to_layer().map_err(in_file)?;
    selection.selection().map_err(in_file)?;
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
        selection,
        values: validate_values(&raw.values, figment)?,
        serve: check.serve(&raw.serve)?,
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

    /// Seconds above 0, at most `most`.
    fn seconds(&self, key: &'static str, s: f64, most: f64) -> Result<Duration, ConfigError> {
        if s > 0.0 && s <= most {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(self.invalid(key, format!("{s}: give seconds above 0, at most {most}")))
        }
    }

    /// The address, the origins and the limits of `serve`.
    fn serve(&self, v: &RawServe) -> Result<Serve, ConfigError> {
        let listen: std::net::SocketAddr = v.listen.trim().parse().map_err(|_| {
            self.invalid(
                "serve.listen",
                format!("{:?}: give HOST:PORT, e.g. 127.0.0.1:8080", v.listen),
            )
        })?;
        for origin in &v.cors_origins {
            let o = origin.trim();
            if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
                return Err(self.invalid(
                    "serve.cors_origins",
                    format!(
                        "{origin:?}: give an origin like https://example.org (scheme, host, port; no path)"
                    ),
                ));
            }
        }
        let tiles = match v.tile_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(self.tiles(url, &v.tile_attribution)?),
        };
        Ok(Serve {
            tiles,
            listen,
            allow_remote: v.allow_remote,
            cors_origins: v.cors_origins.iter().map(|o| o.trim().to_owned()).collect(),
            max_json_rows: self.in_range("serve.max_json_rows", v.max_json_rows, 1, 100_000_000)?,
            max_concurrent: self.in_range("serve.max_concurrent", v.max_concurrent, 1, 4096)?
                as usize,
            max_streams: self.in_range("serve.max_streams", v.max_streams, 1, 4096)? as usize,
            queue: self.seconds("serve.queue_seconds", v.queue_seconds, 3600.0)?,
            request_timeout: self.seconds(
                "serve.request_timeout_seconds",
                v.request_timeout_seconds,
                86_400.0,
            )?,
            max_query_bytes: self.in_range(
                "serve.max_query_bytes",
                v.max_query_bytes,
                1,
                1 << 20,
            )? as usize,
            lock_wait: self.seconds("serve.lock_wait_seconds", v.lock_wait_seconds, 3600.0)?,
        })
    }

    /// `serve.tile_url`: http(s), a host, and the `{z}`, `{x}`, `{y}` of
    /// a tile; its origin is what the page may load images from.
    fn tiles(&self, url: &str, attribution: &str) -> Result<Tiles, ConfigError> {
        let bad = |why: &str| {
            self.invalid(
                "serve.tile_url",
                format!(
                    "{url:?}: {why}, e.g. https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
                ),
            )
        };
        let rest = url
            .strip_prefix("https://")
            .map(|r| ("https://", r))
            .or_else(|| url.strip_prefix("http://").map(|r| ("http://", r)));
        let Some((scheme, rest)) = rest else {
            return Err(bad("give an http or https address"));
        };
        let host = rest.split('/').next().unwrap_or("");
        if host.is_empty() || host.contains(['{', '}', ' ', '"', '\'', ';']) {
            return Err(bad("give a fixed host"));
        }
        if !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
            return Err(bad("the address needs {z}, {x} and {y}"));
        }
        Ok(Tiles {
            url: url.to_owned(),
            origin: format!("{scheme}{host}"),
            attribution: attribution.trim().to_owned(),
        })
    }

    /// Workers, memory limits (the total must hold every worker's share),
    /// lease, attempts, backoff, claim batch.
    fn processing(&self, p: &RawProcessing) -> Result<Processing, ConfigError> {
        let workers = self.in_range(
            "processing.workers",
            p.workers,
            *WORKERS.start(),
            *WORKERS.end(),
        )? as usize;
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
    if !IDW_K.contains(&v.k) {
        return Err(bad(
            "values.k",
            format!(
                "{}: give {} to {} stations",
                v.k,
                IDW_K.start(),
                IDW_K.end()
            ),
        ));
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
