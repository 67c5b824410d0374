//! ClimaStation's use cases: one [`Session`], built once from the validated
//! configuration, offers each job as a method that returns a typed report.
//! The CLI parses arguments, calls one method and renders the report; the
//! Python module and a future server call the same methods.
//!
//! - [`Session::crawl`]: list datasets at the source, write their manifests,
//!   register what the selection takes (`crawl.rs`);
//! - [`Session::run`]: the pipeline over the datasets, then the catalog
//!   (`run.rs`);
//! - [`Session::check`]: the tracker and every recorded table (`check.rs`);
//! - [`Session::export`], [`Session::values`]: tables written whole, from
//!   tables checked against the output ledger (`tables.rs`);
//! - [`Session::status`], [`Session::failed`], [`Session::retry`],
//!   [`Session::reset`], [`Session::register`]: the tracker (`tracker.rs`);
//! - [`Session::stations`]: a dataset's stations from all its lists;
//! - [`Session::convert`]: files straight to tables, without the tracker;
//! - `manifest`: the manifests `crawl` writes and `register` reads;
//! - [`report`]: the reports, one `Serialize` struct each (the CLI's `--json`, Python's report objects, the HTTP API).
//!
//! Errors are [`JobError`]s whose [`JobError::kind`] says what the caller
//! does (a usage error, an interrupt, a failure), never their text.

mod check;
mod convert;
mod crawl;
pub mod fix;
pub mod manifest;
mod normals;
pub mod report;
mod run;
mod tables;
mod tracker;

use std::path::PathBuf;

use tracker_config::Config;
use tracker_core::{DatasetId, RetryPolicy, TrackerError};
use tracker_sqlite::{SqliteStore, StoreOptions};

pub use check::{CheckLine, CheckReport};
pub use convert::{ConvertRequest, ConvertedFile};
pub use crawl::CrawlRequest;
pub use normals::{NormalsAnswer, NormalsRequest};
pub use run::{ProcessorKind, RunEvents, RunOutcome, RunRequest, locate};
pub use tables::{
    Encoded, RowSink, Rows, SeriesRequest, TablesError, ValuesRequest, check_target, with_rules,
};
pub use tracker::{FailedList, RATE_WINDOW, StationRow, StationsReport, StatusRow};

/// Why a job did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A value of the request is wrong: its [`dwd_catalog::Field`] and why
    /// (the CLI's exit 2). Each front end shows the field in its own
    /// spelling ([`JobError::render`]).
    #[error(transparent)]
    Invalid(#[from] dwd_catalog::Invalid),
    /// The configuration is wrong (exit 2).
    #[error(transparent)]
    Config(#[from] tracker_config::ConfigError),
    /// A dataset or resolution the archive does not have (exit 2).
    #[error(transparent)]
    UnknownDataset(dwd_catalog::Invalid),
    /// A station the dataset's station list does not hold (exit 2).
    #[error("station {station} is not in {dataset}'s station list")]
    UnknownStation { dataset: String, station: u32 },
    /// A crawl: the source is wrong or out of reach before anything was
    /// done (exit 2), or failed while listing or fetching (exit 1).
    #[error(transparent)]
    Crawl(#[from] dwd_dataset::crawl::CrawlError),
    /// Listing a dataset's folders failed (exit 2 when the source itself
    /// is wrong or out of reach, else 1).
    #[error("listing {dataset} at {root}: {source}")]
    Listing {
        dataset: String,
        root: String,
        #[source]
        source: dwd_source::SourceError,
    },
    /// A dataset whose folders hold no station list (exit 2).
    #[error(
        "{dataset}: no station list at {root} (DWD's `…_Beschreibung_Stationen.txt` of its period folders): the stations are read from them"
    )]
    NoStationList { dataset: String, root: String },
    /// Tables under the output folder are not what the runs wrote, or
    /// cannot be checked: nothing was served (exit 1).
    #[error(transparent)]
    Tables(#[from] tables::TablesError),
    /// No tables of the resolution under the output folder: run the
    /// datasets first (exit 2).
    #[error("no series of resolution {resolution} under the output folder: run the datasets first")]
    NoTables { resolution: dwd_catalog::Resolution },
    /// No normals of the reference period under the output folder (exit 2).
    #[error(
        "no normals of {period} under the output folder: run the dataset {dataset} first (with the dwd processor)"
    )]
    NoNormals {
        period: dwd_catalog::ReferencePeriod,
        dataset: &'static str,
    },
    /// Reading the tables or writing the answer failed.
    #[error(transparent)]
    Export(dwd_series::export::ExportError),
    /// A file the job writes could not be written (nothing was).
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A job's thread panicked (a bug): what it said.
    #[error("the job panicked: {message}")]
    Panicked { message: String },
    /// Ctrl-C or SIGTERM stopped the job cleanly (exit 130).
    #[error("interrupted")]
    Interrupted,
    /// The progress database could not be opened (exit 2).
    #[error(transparent)]
    Open(tracker_sqlite::SqliteError),
    #[error(transparent)]
    Store(#[from] TrackerError),
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
    #[error(transparent)]
    Translations(#[from] dwd_translate::TranslateError),
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
}

/// What a caller does with a [`JobError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Fix the request or the configuration.
    Usage,
    /// Run again to resume.
    Interrupted,
    /// Something failed: the message says what.
    Failed,
}

impl JobError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            // out of disk space is the machine's, not the request's (exit 1)
            JobError::Open(e) if e.is_disk_full() => ErrorKind::Failed,
            JobError::Crawl(dwd_dataset::crawl::CrawlError::Interrupted) => ErrorKind::Interrupted,
            JobError::Crawl(dwd_dataset::crawl::CrawlError::Setup(_)) => ErrorKind::Usage,
            JobError::Listing { source, .. } if source.is_setup() => ErrorKind::Usage,
            JobError::Invalid(_)
            | JobError::Config(_)
            | JobError::UnknownDataset(_)
            | JobError::UnknownStation { .. }
            | JobError::NoStationList { .. }
            | JobError::NoTables { .. }
            | JobError::NoNormals { .. }
            | JobError::Open(_)
            | JobError::Manifest(_)
            | JobError::Translations(_) => ErrorKind::Usage,
            JobError::Interrupted => ErrorKind::Interrupted,
            _ => ErrorKind::Failed,
        }
    }

    /// `field` missing or wrong as a whole, and why.
    fn invalid(field: dwd_catalog::Field, said: dwd_catalog::Said) -> JobError {
        JobError::Invalid(dwd_catalog::Invalid::new(field, said))
    }

    /// A wrong `value` of `field`, and why.
    fn invalid_value(
        field: dwd_catalog::Field,
        value: impl std::fmt::Display,
        said: dwd_catalog::Said,
    ) -> JobError {
        JobError::Invalid(dwd_catalog::Invalid::of(field, value, said))
    }

    /// The message in a front end's words: each field of the request
    /// spelled as it spells it (the CLI's `--from`, Python's `start`), each
    /// fix as it names its steps; [`std::fmt::Display`] uses the library's
    /// own names ([`fix::Named`]).
    pub fn render(&self, spell: &dyn fix::Spelling) -> String {
        match self {
            JobError::Invalid(i) | JobError::UnknownDataset(i) => i.render(&|f| spell.field(f)),
            JobError::Tables(t) => t.render(spell),
            e => e.to_string(),
        }
    }
}

/// A dataset name the catalog does not know, and why (the closest names).
pub(crate) fn unknown_dataset(e: impl std::fmt::Display) -> JobError {
    JobError::UnknownDataset(dwd_catalog::Invalid::new(
        dwd_catalog::Field::Dataset,
        dwd_catalog::said!(e.to_string()),
    ))
}

/// The datasets of the catalog, or of one resolution, with their periods,
/// time rule and parameters (from the translation tables: the compiled
/// ones, with `translations` layered over them when given).
pub fn datasets(
    translations: Option<&std::path::Path>,
    resolution: Option<dwd_catalog::Resolution>,
) -> Result<report::Datasets, JobError> {
    let tables = dwd_translate::Tables::load(translations).map_err(JobError::Translations)?;
    let chosen: Vec<&dwd_catalog::Dataset> = dwd_catalog::all()
        .iter()
        .filter(|d| resolution.is_none_or(|r| d.resolution == r))
        .collect();
    Ok(report::Datasets::new(&tables, &chosen))
}

/// The jobs over one configuration (and one progress database).
#[derive(Debug)]
pub struct Session {
    config: Config,
    /// A reader's session (a server): the progress database is opened
    /// read-only, never created, migrated or recovered.
    read_only: bool,
    /// How long a reader waits for a run writing a dataset's outputs;
    /// `None`: as long as it takes (the command line).
    lock_wait: Option<std::time::Duration>,
    /// A reader's stores, open and idle, reused by [`Session::reading`].
    idle: std::sync::Mutex<Vec<SqliteStore>>,
    /// The translation tables, loaded once ([`Session::tables`]).
    tables: std::sync::OnceLock<dwd_translate::Tables>,
}

/// Stores a reader's session keeps open for reuse.
const IDLE_STORES: usize = 8;

impl Session {
    /// A session over `config`; every configured dataset must be one the
    /// catalog knows.
    pub fn new(config: Config) -> Result<Session, JobError> {
        for d in &config.datasets {
            dwd_catalog::require(&d.name).map_err(|e| {
                JobError::Config(tracker_config::ConfigError::Invalid {
                    key: "datasets",
                    origin: "the configuration".into(),
                    message: e.to_string(),
                })
            })?;
        }
        Ok(Session {
            config,
            read_only: false,
            lock_wait: None,
            idle: std::sync::Mutex::new(Vec::new()),
            tables: std::sync::OnceLock::new(),
        })
    }

    /// A session that only reads: the progress database is opened
    /// read-only ([`StoreOptions::read_only`]); the jobs that write refuse
    /// at the store.
    /// A reader waits at most `serve.lock_wait_seconds` for a run writing
    /// the outputs it reads.
    pub fn reader(config: Config) -> Result<Session, JobError> {
        let wait = config.serve.lock_wait;
        Ok(Session {
            read_only: true,
            lock_wait: Some(wait),
            ..Session::new(config)?
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The translation tables (the compiled ones, with
    /// `translations.file`'s folder layered over them), loaded once.
    pub fn tables(&self) -> Result<&dwd_translate::Tables, JobError> {
        if let Some(t) = self.tables.get() {
            return Ok(t);
        }
        let t = dwd_translate::Tables::load(self.config.paths.translations.as_deref())
            .map_err(JobError::Translations)?;
        Ok(self.tables.get_or_init(|| t))
    }

    /// The names `dataset`'s tables carry now ([`dwd_series::ledger::Naming`]).
    pub fn naming(&self, dataset: &str) -> Result<dwd_series::ledger::Naming, JobError> {
        Ok(dwd_series::ledger::Naming::of(self.tables()?, dataset))
    }

    /// How the progress database is opened.
    pub fn store_options(&self) -> StoreOptions {
        let p = &self.config.processing;
        StoreOptions {
            busy_timeout: self.config.tracker.busy_timeout,
            retry: RetryPolicy {
                max_attempts: p.max_attempts,
                backoff_base: p.retry_backoff,
                backoff_max: (p.retry_backoff * 64).max(p.retry_backoff),
            },
            journal_size_limit: self.config.tracker.journal_size_limit_bytes,
            read_only: self.read_only,
            ..StoreOptions::default()
        }
    }

    /// Opens (creating and migrating if needed) the progress database.
    pub fn open_store(&self) -> Result<SqliteStore, JobError> {
        let store = SqliteStore::open(&self.config.paths.progress_db, self.store_options())
            .map_err(JobError::Open)?;
        let r = store.open_report();
        if r.orphans_recovered > 0 {
            tracing::info!(
                claims = r.orphans_recovered,
                "recovered the claims of a run that died"
            );
        }
        Ok(store)
    }

    /// `f` with a store. A reader's session (a server) reuses the stores
    /// it opened before (an open costs about a millisecond, a request
    /// little more): they stay open, read-only, while the server runs, so a
    /// run started meanwhile is not the database's sole user (it migrates
    /// nothing and takes back a dead run's claims when their leases
    /// expire). Others open one for the call.
    pub fn reading<T>(
        &self,
        f: impl FnOnce(&SqliteStore) -> Result<T, JobError>,
    ) -> Result<T, JobError> {
        if !self.read_only {
            return f(&self.open_store()?);
        }
        let idle = || {
            self.idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let reused = idle().pop();
        let store = match reused {
            Some(s) => s,
            None => self.open_store()?,
        };
        let out = f(&store);
        // a store that failed may be the reason: it is not kept
        if out.is_ok() {
            let mut kept = idle();
            if kept.len() < IDLE_STORES {
                kept.push(store);
            }
        }
        out
    }

    /// A dataset name the catalog knows (a usage error with the closest
    /// names otherwise).
    pub fn dataset(&self, name: &str) -> Result<DatasetId, JobError> {
        dwd_catalog::require(name).map_err(unknown_dataset)?;
        DatasetId::new(name).map_err(unknown_dataset)
    }

    /// The configuration's `selection:` section with a front end's values
    /// laid over it (a value given replaces the section's), checked.
    pub fn selection(
        &self,
        over: &dwd_catalog::SelectionLayer,
    ) -> Result<dwd_catalog::Selection, JobError> {
        over.over(&self.config.selection)
            .selection()
            .map_err(JobError::Invalid)
    }

    /// The output root's layout.
    pub fn layout(&self) -> dwd_series::OutputLayout {
        dwd_series::OutputLayout::new(&self.config.paths.output)
    }

    /// `paths.data_dir/manifests`: what each crawl saw.
    pub fn manifests_dir(&self) -> PathBuf {
        self.config.paths.data_dir.join("manifests")
    }

    /// How HTTP requests to the source are made.
    pub fn http_options(&self) -> dwd_source::HttpOptions {
        dwd_source::HttpOptions {
            timeout: self.config.source.timeout,
            retries: self.config.source.retries,
            max_wait: self.config.source.max_retry_wait,
            ..dwd_source::HttpOptions::default()
        }
    }
}
