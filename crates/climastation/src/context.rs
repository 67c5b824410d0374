//! What every command needs: configuration, logging, the progress store.

use std::fmt;
use std::io::IsTerminal;

use anyhow::Context as _;
use indicatif::{MultiProgress, ProgressDrawTarget};
use tracker_config::{Config, Sources};
use tracker_log::LogGuard;
use tracker_sqlite::SqliteStore;

use crate::Cli;
use crate::progress::BarWriter;

/// An error that exits with code 2 (usage, configuration, opening the database).
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub fn usage(e: impl fmt::Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(e.to_string()))
}

/// A job's error for the command line, by its kind: usage (exit 2), an
/// interrupt (130), a failure (1); the request's fields spelled as the
/// command line's options ([`flag`]).
pub fn job(e: climastation_jobs::JobError) -> anyhow::Error {
    match e.kind() {
        climastation_jobs::ErrorKind::Usage => usage(e.render(&CommandLine)),
        climastation_jobs::ErrorKind::Interrupted => anyhow::Error::new(Interrupted),
        climastation_jobs::ErrorKind::Failed => anyhow::Error::msg(e.render(&CommandLine)),
    }
}

/// A reference period the command line gave for `field` (`--period`,
/// `--anomaly`), parsed once; a bad one exits 2 naming the option.
pub fn reference_period(
    field: dwd_catalog::Field,
    text: Option<&str>,
) -> anyhow::Result<Option<dwd_catalog::ReferencePeriod>> {
    dwd_catalog::ReferencePeriod::parse_given(field, text)
        .map_err(|e| job(climastation_jobs::JobError::Invalid(e)))
}

/// The command line's words: a field is its option, a step of a fix the
/// command that does it.
#[derive(Clone, Copy, Debug)]
pub struct CommandLine;

impl climastation_jobs::fix::Spelling for CommandLine {
    fn field(&self, field: dwd_catalog::Field) -> String {
        flag(field)
    }

    fn run(&self, dataset: Option<&str>, crawl: bool, verify_outputs: bool) -> String {
        let mut c = String::from("climastation run");
        if crawl {
            c.push_str(" --crawl");
        }
        if let Some(d) = dataset {
            c.push_str(&format!(" --dataset {d}"));
        }
        if verify_outputs {
            c.push_str(" --verify-outputs");
        }
        c
    }

    fn retry_all_failed(&self) -> String {
        "climastation retry --all-failed".into()
    }
}

/// How the command line spells a field of a request: its option.
pub fn flag(field: dwd_catalog::Field) -> String {
    use dwd_catalog::Field;
    match field {
        Field::Stations => "--station",
        Field::Near => "--near",
        Field::RadiusKm => "--radius",
        Field::Bbox => "--bbox",
        Field::Name => "--name",
        Field::State => "--state",
        Field::Active => "--active",
        Field::Start => "--from",
        Field::End => "--to",
        Field::Periods => "--period",
        Field::Dataset => "--dataset",
        Field::Resolution => "--resolution",
        Field::Workers => "--workers",
        Field::Processor => "--processor",
        Field::Parameters => "--parameters",
        Field::At => "--at",
        Field::Points => "--points",
        Field::Method => "--method",
        Field::MaxDistanceKm => "--max-distance-km",
        Field::K => "--k",
        Field::MinQuality => "--min-quality",
        Field::Output => "-o",
        Field::Format => "--format",
        Field::Source => "--source",
        Field::Status => "--status",
        Field::ReferencePeriod => "--period",
        Field::Anomaly => "--anomaly",
    }
    .to_owned()
}

/// Ctrl-C or SIGTERM stopped the command cleanly: exit 130.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The first Ctrl-C or SIGTERM sets the returned handle (a clean stop);
/// a second one exits at once with 130.
pub fn stop_on_signals() -> anyhow::Result<tracker_core::Cancel> {
    let stop = tracker_core::Cancel::new();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(crate::exit::INTERRUPTED),
            stop.flag(),
        )
        .context("installing the signal handler")?;
        signal_hook::flag::register(signal, stop.flag())
            .context("installing the signal handler")?;
    }
    Ok(stop)
}

pub struct Ctx {
    pub config: Config,
    /// The jobs, over the same configuration.
    pub session: climastation_jobs::Session,
    pub json: bool,
    /// Progress bars; log lines are printed through it so they never tear a bar.
    pub bars: MultiProgress,
    _log: LogGuard,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub fn init(cli: &Cli) -> anyhow::Result<Ctx> {
        let config =
            tracker_config::load(&Sources::standard(cli.config.as_deref())).map_err(usage)?;
        // every configured dataset is one the catalog knows
        let session = climastation_jobs::Session::new(config.clone()).map_err(job)?;
        let draw = if cli.json || !std::io::stdout().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bars = MultiProgress::with_draw_target(draw);
        let console = tracker_log::Console {
            level: Some(cli.console_level()),
            ansi: cli.color.ansi(std::io::stderr().is_terminal()),
            fold_repeats: true,
        };
        // a command that writes nothing into the data folder makes no log
        // folder there (a failed `export` in a fresh folder left data/logs)
        let mut logging = config.logging.clone();
        if !cli.command.writes_data_folder() && !logging.directory.is_dir() {
            logging.file = false;
        }
        let log = tracker_log::init_with_console(&logging, &console, BarWriter(bars.clone()))
            .map_err(usage)?;
        Ok(Ctx {
            config,
            session,
            json: cli.json,
            bars,
            _log: log,
        })
    }

    /// Opens the progress database; a failure exits with code 2.
    pub fn open_store(&self) -> anyhow::Result<SqliteStore> {
        self.session.open_store().map_err(job)
    }

    /// A `--dataset` value: one the catalog knows (exit 2 with the
    /// closest names otherwise).
    pub fn dataset(&self, name: &str) -> anyhow::Result<tracker_core::DatasetId> {
        self.session.dataset(name).map_err(job)
    }

    /// An optional `--dataset` value, checked as [`Ctx::dataset`] checks it.
    pub fn dataset_opt(
        &self,
        name: Option<&str>,
    ) -> anyhow::Result<Option<tracker_core::DatasetId>> {
        name.map(|d| self.dataset(d)).transpose()
    }
}
