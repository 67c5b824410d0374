//! ClimaStation logging: one [`init`] for binaries.
//!
//! Human text on the console (stderr) and, when configured, a rolling file
//! under `paths.logs` (tracing-appender, non-blocking, flushed when the
//! returned [`LogGuard`] drops) in text or JSON lines. Every line carries a
//! component code derived from the crate that emitted it ([`component`]):
//! `PROG` for the tracker, and a code for every other crate of the
//! workspace (`EXT` for the crates it uses).
//!
//! Libraries only emit events through `tracing`; only binaries call [`init`].

use std::fmt;
use std::io;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation as AppenderRotation};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Re-exported for binaries that pass their own console writer to [`init_with_console`].
pub use tracing_subscriber::fmt::MakeWriter;
pub use tracker_config::{LogFormat, Logging, Rotation};

/// The component code of an event's target (its module path).
pub fn component(target: &str) -> &'static str {
    let krate = target.split("::").next().unwrap_or(target);
    match krate {
        "tracker_core" | "tracker_sqlite" => "PROG",
        "tracker_config" => "CONF",
        "tracker_log" => "LOG",
        "pipeline" => "PIPE",
        "dwd_catalog" => "CATL",
        "dwd_source" => "CRWL",
        "dwd_parser" => "PARS",
        "dwd_translate" => "TRAN",
        "dwd_series" => "SERI",
        "dwd_dataset" => "DSET",
        "climastation_jobs" => "JOBS",
        "climastation" => "CLI",
        "_climastation" | "climastation_py" => "PY",
        "climastation_tests" => "TEST",
        "xtask" => "XTSK",
        _ => "EXT",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("invalid log level {level:?}: {source}")]
    Level {
        level: String,
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("cannot create the log directory {path}: {source}")]
    Directory {
        path: std::path::PathBuf,
        source: io::Error,
    },
    #[error("cannot open a log file in {path}: {source}")]
    File {
        path: std::path::PathBuf,
        source: tracing_appender::rolling::InitError,
    },
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Keeps the file writer alive; dropping it flushes the file and prints,
/// on the console, how often each repeated warning was held back.
#[must_use = "dropping the guard stops and flushes file logging"]
#[derive(Debug)]
pub struct LogGuard {
    _file: Option<WorkerGuard>,
    repeats: Option<Repeats>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(r) = &self.repeats {
            for line in r.summary() {
                eprintln!("{line}");
            }
        }
    }
}

/// The events the program prints itself (its final error): kept out of
/// the console so that each error is printed once, still in the file.
pub const QUIET_TARGET: &str = "climastation::final";

/// Warnings already shown on the console, by call site: a warning that
/// repeats (one per row, one per file) is printed the first time and
/// counted after that; the file log keeps every one.
#[derive(Clone, Debug, Default)]
pub struct Repeats(std::sync::Arc<std::sync::Mutex<Vec<Repeat>>>);

#[derive(Debug)]
struct Repeat {
    callsite: tracing::callsite::Identifier,
    message: String,
    held_back: u64,
}

impl Repeats {
    /// `true` the first time a warning's call site is seen.
    fn first(&self, event: &Event<'_>) -> bool {
        let id = event.metadata().callsite();
        let Ok(mut seen) = self.0.lock() else {
            return true;
        };
        if let Some(r) = seen.iter_mut().find(|r| r.callsite == id) {
            r.held_back += 1;
            return false;
        }
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        seen.push(Repeat {
            callsite: id,
            message: fields.message.unwrap_or_default(),
            held_back: 0,
        });
        true
    }

    /// One line for each warning held back at least once.
    pub fn summary(&self) -> Vec<String> {
        let Ok(seen) = self.0.lock() else {
            return Vec::new();
        };
        seen.iter()
            .filter(|r| r.held_back > 0)
            .map(|r| {
                format!(
                    "warning repeated {} more time(s) (all in the log file): {}",
                    r.held_back, r.message
                )
            })
            .collect()
    }
}

/// The console's filter besides the level: repeated warnings once, the
/// program's own final error not at all.
struct ConsoleFilter {
    repeats: Option<Repeats>,
}

impl<S> tracing_subscriber::layer::Filter<S> for ConsoleFilter {
    fn enabled(
        &self,
        meta: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        meta.target() != QUIET_TARGET
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if meta.target() == QUIET_TARGET {
            tracing::subscriber::Interest::never()
        } else {
            // every event is asked about: repeats are counted
            tracing::subscriber::Interest::sometimes()
        }
    }

    fn event_enabled(
        &self,
        event: &Event<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        match &self.repeats {
            Some(r) if *event.metadata().level() == tracing::Level::WARN => r.first(event),
            _ => true,
        }
    }
}

/// How the console shows events.
#[derive(Clone, Debug, Default)]
pub struct Console {
    /// A level or directives; `None`: the configured `logging.level`.
    pub level: Option<String>,
    /// Colours (ANSI escapes) on the console.
    pub ansi: bool,
    /// Print a repeated warning once, with a count at the end.
    pub fold_repeats: bool,
}

/// Installs the global subscriber: console plus the optional rolling file.
/// `console_level` overrides the configured level for the console only
/// (e.g. from `--log-level`); `None` uses `settings.level`.
pub fn init(settings: &Logging, console_level: Option<&str>) -> Result<LogGuard, LogError> {
    use std::io::IsTerminal;
    let console = Console {
        level: console_level.map(str::to_owned),
        ansi: io::stderr().is_terminal(),
        fold_repeats: false,
    };
    init_with_console(settings, &console, io::stderr)
}

/// Like [`init`], with the console's options and writer (e.g. a writer
/// that suspends progress bars while it prints).
pub fn init_with_console<W>(
    settings: &Logging,
    options: &Console,
    console: W,
) -> Result<LogGuard, LogError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let (subscriber, guard) = subscriber_with(settings, options, console)?;
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LogError::AlreadyInstalled)?;
    Ok(guard)
}

fn filter(level: &str) -> Result<EnvFilter, LogError> {
    EnvFilter::builder()
        .parse(level)
        .map_err(|source| LogError::Level {
            level: level.to_owned(),
            source,
        })
}

/// The subscriber [`init`] installs, for tests that scope it with
/// `tracing::subscriber::with_default`.
pub fn subscriber<W>(
    settings: &Logging,
    console_level: Option<&str>,
    console: W,
    ansi: bool,
) -> Result<(impl Subscriber + Send + Sync + 'static + use<W>, LogGuard), LogError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let options = Console {
        level: console_level.map(str::to_owned),
        ansi,
        fold_repeats: false,
    };
    subscriber_with(settings, &options, console)
}

/// [`subscriber`] with every console option.
pub fn subscriber_with<W>(
    settings: &Logging,
    options: &Console,
    console: W,
) -> Result<(impl Subscriber + Send + Sync + 'static + use<W>, LogGuard), LogError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::filter::FilterExt as _;
    let repeats = options.fold_repeats.then(Repeats::default);
    let console_layer = tracing_subscriber::fmt::layer()
        .with_writer(console)
        .with_ansi(options.ansi)
        .event_format(ComponentFormat { json: false })
        .with_filter(
            filter(options.level.as_deref().unwrap_or(&settings.level))?.and(ConsoleFilter {
                repeats: repeats.clone(),
            }),
        );

    let (file_layer, guard) = if settings.file {
        std::fs::create_dir_all(&settings.directory).map_err(|source| LogError::Directory {
            path: settings.directory.clone(),
            source,
        })?;
        let rotation = match settings.rotation {
            Rotation::Hourly => AppenderRotation::HOURLY,
            Rotation::Daily => AppenderRotation::DAILY,
            Rotation::Never => AppenderRotation::NEVER,
        };
        let appender = RollingFileAppender::builder()
            .rotation(rotation)
            .filename_prefix("climastation")
            .filename_suffix(match settings.format {
                LogFormat::Text => "log",
                LogFormat::Json => "jsonl",
            })
            .max_log_files(settings.max_files)
            .build(&settings.directory)
            .map_err(|source| LogError::File {
                path: settings.directory.clone(),
                source,
            })?;
        let (writer, guard) = tracing_appender::non_blocking(appender);
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .event_format(ComponentFormat {
                json: settings.format == LogFormat::Json,
            })
            .with_filter(filter(&settings.level)?);
        (Some(layer), Some(guard))
    } else {
        (None, None)
    };

    let subscriber = Registry::default().with(console_layer).with(file_layer);
    Ok((
        subscriber,
        LogGuard {
            _file: guard,
            repeats,
        },
    ))
}

/// `2026-11-28T16:00:00.123456Z  INFO PROG registered files new=10 ...`, or
/// one JSON object a line with `timestamp`, `level`, `component`, `target`,
/// `message` and the event's fields.
#[derive(Debug, Clone, Copy)]
struct ComponentFormat {
    json: bool,
}

impl<S, N> FormatEvent<S, N> for ComponentFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let code = component(meta.target());
        let mut time = String::new();
        SystemTime.format_time(&mut Writer::new(&mut time))?;
        if self.json {
            let mut fields = JsonFields::default();
            event.record(&mut fields);
            let mut obj = Map::new();
            obj.insert("timestamp".into(), Value::String(time));
            obj.insert("level".into(), Value::String(meta.level().to_string()));
            obj.insert("component".into(), Value::String(code.into()));
            obj.insert("target".into(), Value::String(meta.target().into()));
            obj.insert(
                "message".into(),
                fields.message.map(Value::String).unwrap_or(Value::Null),
            );
            if !fields.fields.is_empty() {
                obj.insert("fields".into(), Value::Object(fields.fields));
            }
            let line = serde_json::to_string(&obj).map_err(|_| fmt::Error)?;
            writeln!(writer, "{line}")
        } else {
            write!(writer, "{time} {:>5} {code} ", meta.level())?;
            ctx.field_format().format_fields(writer.by_ref(), event)?;
            writeln!(writer)
        }
    }
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl JsonFields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn components_come_from_the_emitting_crate() {
        let check = |target, code| assert_eq!(component(target), code, "{target}");
        check("tracker_sqlite::store", "PROG");
        check("tracker_core", "PROG");
        check("tracker_config", "CONF");
        check("pipeline::runner", "PIPE");
        check("dwd_source::crawl", "CRWL");
        check("dwd_parser", "PARS");
        check("dwd_translate::tables", "TRAN");
        check("climastation::commands::run", "CLI");
        check("hyper::client", "EXT");
    }

    /// Every crate of the workspace has a code of its own (none logs as a
    /// dependency, `EXT`), read from the workspace's members.
    #[test]
    fn every_workspace_crate_has_a_component_code() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let members: Vec<&str> = manifest
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix('"')?.strip_suffix("\","))
            .collect();
        assert!(members.len() >= 16, "{members:?}");
        for m in members {
            let crate_manifest = std::fs::read_to_string(root.join(m).join("Cargo.toml")).unwrap();
            let name = crate_manifest
                .lines()
                .find_map(|l| l.strip_prefix("name = \""))
                .and_then(|l| l.strip_suffix('"'))
                .unwrap();
            let target = name.replace('-', "_");
            assert_ne!(component(&target), "EXT", "{m}: {name}");
        }
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    fn settings(dir: &std::path::Path, format: LogFormat) -> Logging {
        Logging {
            level: "debug".into(),
            format,
            file: true,
            rotation: Rotation::Never,
            max_files: 3,
            directory: dir.to_path_buf(),
        }
    }

    fn emit_like_the_tracker() {
        tracing::info!(target: "tracker_sqlite::store", files = 3, new = 2, "registered files");
        tracing::debug!(target: "tracker_sqlite::store", dataset = "d", file = "a.zip", from = "pending", to = "processing", "claimed");
        tracing::trace!(target: "tracker_sqlite::store", "too fine to log");
    }

    fn file_text(dir: &std::path::Path) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(dir).unwrap() {
            out.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
        out
    }

    #[test]
    fn json_file_lines_carry_component_and_fields_and_are_flushed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let console = Buf::default();
        let (sub, guard) = subscriber(
            &settings(dir.path(), LogFormat::Json),
            Some("info"),
            console.clone(),
            false,
        )
        .unwrap();
        tracing::subscriber::with_default(sub, emit_like_the_tracker);
        drop(guard);
        let text = file_text(dir.path());
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["component"], "PROG");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["message"], "registered files");
        assert_eq!(lines[0]["fields"]["new"], 2);
        assert_eq!(lines[1]["fields"]["to"], "processing");
        let console = String::from_utf8(console.0.lock().unwrap().clone()).unwrap();
        assert_eq!(console.lines().count(), 1, "console at info: {console}");
        assert!(
            console.contains(" INFO PROG registered files files=3 new=2"),
            "{console}"
        );
    }

    #[test]
    fn text_file_lines_carry_the_component() {
        let dir = tempfile::tempdir().unwrap();
        let (sub, guard) = subscriber(
            &settings(dir.path(), LogFormat::Text),
            None,
            Buf::default(),
            false,
        )
        .unwrap();
        tracing::subscriber::with_default(sub, emit_like_the_tracker);
        drop(guard);
        let text = file_text(dir.path());
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().all(|l| l.contains(" PROG ")), "{text}");
        assert!(
            text.contains("DEBUG PROG claimed dataset=\"d\" file=\"a.zip\""),
            "{text}"
        );
    }

    #[test]
    fn a_bad_level_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path(), LogFormat::Text);
        s.level = "info,=[".into();
        assert!(matches!(
            subscriber(&s, None, Buf::default(), false),
            Err(LogError::Level { .. })
        ));
    }

    #[test]
    fn repeated_warnings_are_shown_once_and_counted_and_the_final_error_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let console = Buf::default();
        let options = Console {
            level: Some("warn".into()),
            ansi: false,
            fold_repeats: true,
        };
        let (sub, guard) = subscriber_with(
            &settings(dir.path(), LogFormat::Text),
            &options,
            console.clone(),
        )
        .unwrap();
        tracing::subscriber::with_default(sub, || {
            for row in 0..5 {
                tracing::warn!(target: "dwd_parser::metadata", row, "latitude and longitude are swapped");
            }
            tracing::warn!(target: "dwd_translate", "unknown column kept");
            tracing::info!(target: "dwd_translate", "not on the console at warn");
            tracing::error!(target: QUIET_TARGET, "printed by the program itself");
        });
        let summary = guard.repeats.as_ref().unwrap().summary();
        drop(guard);
        let console = String::from_utf8(console.0.lock().unwrap().clone()).unwrap();
        assert_eq!(console.matches("swapped").count(), 1, "{console}");
        assert_eq!(
            console.matches("unknown column kept").count(),
            1,
            "{console}"
        );
        assert!(!console.contains("printed by the program"), "{console}");
        assert!(!console.contains("INFO"), "{console}");
        assert_eq!(
            summary,
            [
                "warning repeated 4 more time(s) (all in the log file): latitude and longitude are swapped"
            ]
        );
        // the file keeps every event
        let file = file_text(dir.path());
        assert_eq!(file.matches("swapped").count(), 5, "{file}");
        assert!(file.contains("printed by the program itself"), "{file}");
    }
}
