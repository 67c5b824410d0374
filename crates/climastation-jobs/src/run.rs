//! Run: the configured (or asked) datasets through the pipeline, after
//! their manifests are registered and, when asked, a crawl; then the DuckDB
//! catalog, with every table it names checked against the output ledger.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dwd_dataset::crawl::CrawlReport;
use tracker_core::{DatasetId, FileKey, ProgressStore, TrackerError};
use tracker_sqlite::SqliteStore;

use dwd_catalog::{Field, said};

use crate::{CrawlRequest, JobError, Session};

/// What `run` does with each file (the configuration owns the type).
pub use tracker_config::ProcessorKind;

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Dataset names; empty: the configured ones, in order.
    pub datasets: Vec<String>,
    /// 1 to 64; `None`: `processing.workers`.
    pub workers: Option<i64>,
    /// Process everything and report failures at the end.
    pub keep_going: bool,
    /// `None`: `processing.processor`.
    pub processor: Option<ProcessorKind>,
    /// Crawl first, with this selection.
    pub crawl: Option<dwd_catalog::Selection>,
    /// The format of the tables (`dwd`).
    pub format: dwd_series::output::Format,
    /// `dwd`: hash every table already written before it is used, so that
    /// damage that kept a table's size and time is found and rebuilt
    /// (what `check --deep` advises).
    pub verify_outputs: bool,
}

impl Default for RunRequest {
    fn default() -> Self {
        RunRequest {
            datasets: Vec::new(),
            workers: None,
            keep_going: false,
            processor: None,
            crawl: None,
            format: dwd_series::output::Format::Parquet,
            verify_outputs: false,
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub struct RunOutcome {
    /// The datasets asked for, in order.
    pub requested: Vec<DatasetId>,
    pub report: pipeline::RunReport,
    /// The exit code: the pipeline's, or 1 when a table the catalog names
    /// is not what a run wrote or the catalog could not be written.
    pub exit_code: u8,
}

/// What a run tells as it goes, besides the pipeline's events.
pub trait RunEvents: pipeline::Observer {
    /// A dataset was crawled (with `--crawl`), before any file is processed.
    fn crawled(&self, _report: &CrawlReport) {}
    /// A dataset has no file registered: crawl first.
    fn nothing_registered(&self, _dataset: &DatasetId) {}
}

/// Where a dataset's files are on disk: `paths.raw/<dataset>/<path>`.
pub fn locate(raw: &Path, key: &FileKey) -> PathBuf {
    raw.join(key.dataset.as_str()).join(key.path())
}

impl Session {
    /// Runs the request's datasets, dataset after dataset: their configured
    /// manifests registered first, a crawl when asked, then the pipeline
    /// with the processor, then (for Parquet under `dwd`) the catalog.
    /// `stop` is the caller's Ctrl-C; a stalled request ends on it at once.
    pub fn run(
        &self,
        request: &RunRequest,
        stop: &tracker_core::Cancel,
        events: &dyn RunEvents,
    ) -> Result<RunOutcome, JobError> {
        let cfg = &self.config;
        let (datasets, manifests) = self.datasets_and_manifests(&request.datasets)?;
        let workers = match request.workers {
            Some(w) if !tracker_config::WORKERS.contains(&w) => {
                return Err(JobError::invalid_value(
                    Field::Workers,
                    w,
                    said!(format!(
                        "must be {} to {}",
                        tracker_config::WORKERS.start(),
                        tracker_config::WORKERS.end()
                    )),
                ));
            }
            Some(w) => w as usize,
            None => cfg.processing.workers,
        };
        let per = cfg.processing.memory_limit_mb_per_worker;
        if workers as u64 * per > cfg.processing.memory_limit_mb_total {
            let from = |k: &str| {
                cfg.origins
                    .get(k)
                    .map_or("defaults", String::as_str)
                    .to_owned()
            };
            return Err(JobError::invalid_value(
                Field::Workers,
                workers,
                said!(
                    format!(
                        "times processing.memory_limit_mb_per_worker {per} MB (from {}) = {} MB exceeds processing.memory_limit_mb_total {} MB (from {}): lower ",
                        from("processing.memory_limit_mb_per_worker"),
                        workers as u64 * per,
                        cfg.processing.memory_limit_mb_total,
                        from("processing.memory_limit_mb_total"),
                    ),
                    Field::Workers,
                    " or raise the total"
                ),
            ));
        }

        let store = self.open_store()?;
        for (dataset, manifest) in datasets.iter().zip(&manifests) {
            if let Some(m) = manifest {
                let files = crate::manifest::read(m, dataset)?;
                let r = dwd_dataset::crawl::register_all(&store, &files)?;
                tracing::info!(dataset = %dataset, manifest = %m.display(), new = r.new, changed = r.changed, unchanged = r.unchanged, "registered the manifest");
            }
        }
        if let Some(selection) = &request.crawl {
            let crawl = CrawlRequest {
                datasets: datasets.iter().map(|d| d.as_str().to_owned()).collect(),
                source: None,
                selection: selection.clone(),
            };
            for r in self.crawl(&store, &crawl, stop)? {
                events.crawled(&r);
            }
        }
        // a dataset with nothing registered: say what to do, not just "done"
        for d in &datasets {
            if store
                .summary(Some(d))?
                .iter()
                .all(|s| s.counts.total() == 0)
            {
                tracing::warn!(
                    dataset = d.as_str(),
                    "nothing registered: crawl first, or run --crawl"
                );
                events.nothing_registered(d);
            }
        }
        drop(store);

        let kind = self.processor_kind(request.processor);
        let processor = self.processor(kind, request, stop)?;
        let options = pipeline::RunOptions {
            workers,
            claim_batch: cfg.processing.claim_batch,
            lease: cfg.processing.lease,
            fail_fast: cfg.processing.fail_fast && !request.keep_going,
            grace: Duration::from_secs(30),
            budget: pipeline::MemoryBudget::from_mb(per, cfg.processing.memory_limit_mb_total),
            idle_poll: Duration::from_millis(500),
            ..pipeline::RunOptions::default()
        };
        let db = cfg.paths.progress_db.clone();
        let store_options = self.store_options();
        let open = || SqliteStore::open(&db, store_options.clone()).map_err(TrackerError::from);
        let raw = cfg.paths.raw.clone();
        let locate = |k: &FileKey| locate(&raw, k);
        let report = pipeline::run(
            &open,
            &datasets,
            &locate,
            processor.as_ref(),
            &options,
            stop,
            events,
        )?;
        let mut exit_code = u8::try_from(report.exit_code()).unwrap_or(1);
        // a run that ran out of disk space or memory leaves the catalog as
        // it was (writing it would fail the same way, or name tables that
        // are not there); the run's report is said whatever the catalog does
        let out_of_room = report
            .datasets
            .iter()
            .any(|d| matches!(d.stopped, Some(pipeline::StopReason::Resource(_))));
        if kind == ProcessorKind::Dwd
            && request.format == dwd_series::output::Format::Parquet
            && cfg.paths.output.exists()
            && !out_of_room
        {
            match self.write_catalog() {
                Ok(true) => {}
                Ok(false) => exit_code = exit_code.max(1),
                Err(e) => {
                    tracing::error!(error = %e, "the DuckDB catalog could not be written");
                    exit_code = exit_code.max(1);
                }
            }
        }
        Ok(RunOutcome {
            requested: datasets,
            report,
            exit_code,
        })
    }

    /// The asked datasets (or the configured ones) with their configured
    /// manifests.
    fn datasets_and_manifests(
        &self,
        asked: &[String],
    ) -> Result<(Vec<DatasetId>, Vec<Option<PathBuf>>), JobError> {
        let cfg = &self.config;
        let mut names = Vec::new();
        let mut manifests = Vec::new();
        if asked.is_empty() {
            for d in &cfg.datasets {
                names.push(self.dataset(&d.name)?);
                manifests.push(d.manifest.clone());
            }
        } else {
            for d in asked {
                names.push(self.dataset(d)?);
                manifests.push(
                    cfg.datasets
                        .iter()
                        .find(|c| &c.name == d)
                        .and_then(|c| c.manifest.clone()),
                );
            }
        }
        if names.is_empty() {
            return Err(JobError::invalid(
                Field::Dataset,
                said!(
                    "none given, none configured: configure `datasets` or give ",
                    Field::Dataset
                ),
            ));
        }
        Ok((names, manifests))
    }

    fn processor_kind(&self, asked: Option<ProcessorKind>) -> ProcessorKind {
        asked.unwrap_or(self.config.processing.processor)
    }

    /// The processor of `kind`; downloads get the stop handle, so that a
    /// request waiting on a stalled server ends at once on Ctrl-C (its
    /// `.part` stays for the next run to resume).
    fn processor(
        &self,
        kind: ProcessorKind,
        request: &RunRequest,
        stop: &tracker_core::Cancel,
    ) -> Result<Arc<dyn pipeline::Processor>, JobError> {
        let cfg = &self.config;
        let download = || {
            dwd_dataset::Download::new(
                &cfg.source.base_url,
                dwd_dataset::DownloadOptions {
                    http: dwd_source::HttpOptions {
                        stop: Some(stop.clone()),
                        ..self.http_options()
                    },
                    max_connections: cfg.source.max_connections,
                    rate_limit: cfg.source.rate_limit,
                },
            )
        };
        Ok(match kind {
            ProcessorKind::Verify => Arc::new(pipeline::Verify),
            ProcessorKind::Download => Arc::new(download()),
            ProcessorKind::Dwd => {
                let dwd = dwd_dataset::processor::DwdProcessor::new(
                    download(),
                    dwd_translate::Tables::load(cfg.paths.translations.as_deref())?,
                    cfg.paths.output.clone(),
                    cfg.paths.raw.clone(),
                    request.format,
                );
                Arc::new(match request.verify_outputs {
                    true => dwd.verifying_outputs(),
                    false => dwd,
                })
            }
        })
    }

    /// The DuckDB catalog over every dataset's series, stations and
    /// metadata: an output of the run like the tables. Every table it
    /// names is checked against the ledger first, also those of datasets
    /// this run did not touch. False when a table is not what a run wrote
    /// or the catalog could not be written (each said with its fix).
    fn write_catalog(&self) -> Result<bool, JobError> {
        let layout = self.layout();
        dwd_series::output::sweep_stale_temps_in(layout.root());
        let store = self.open_store()?;
        let mut ok = true;
        for s in store.summary(None)? {
            if !layout.dataset(s.dataset.as_str()).is_dir() {
                continue;
            }
            let naming = self.naming(s.dataset.as_str())?;
            for p in dwd_series::check::served_problems(&layout, &s.dataset, &store, None, &naming)?
            {
                tracing::error!(table = %p.describe(), fix = %crate::check::fix(&p, s.dataset.as_str(), false), "a table the catalog names is not what a run wrote");
                ok = false;
            }
        }
        let root = DatasetId::new(dwd_series::duckdb::ROOT)?;
        let path = dwd_series::ledger::relative(layout.root(), &layout.catalog());
        let recorded = store.outputs(&root)?.into_iter().find(|o| o.path == path);
        match dwd_series::write_catalog(&layout, recorded.as_ref()) {
            Ok(Some(w)) => {
                let rec = dwd_series::ledger::record(layout.root(), &w, 0, "catalog", None);
                store.record_outputs(&root, &[rec])?;
                tracing::info!(file = %w.path.display(), "DuckDB catalog written");
            }
            Ok(None) => tracing::debug!("the DuckDB catalog is up to date"),
            Err(e) => {
                tracing::error!(error = %e, "the DuckDB catalog could not be written");
                ok = false;
            }
        }
        Ok(ok)
    }
}
