//! The `dwd` processor's end of a dataset ([`pipeline::Processor::finish_dataset`]),
//! under the dataset lock, each table rebuilt only when its inputs changed
//! or a recorded table fails its check against the output ledger:
//! the station lists of all periods merged into `stations.<ext>`, the
//! station metadata of all files into `metadata/<kind>.<ext>`, and one
//! series a station (Parquet only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dwd_translate::Tables;
use dwd_translate::meta::{merge_station_lists, stations_frame};
use dwd_translate::table::SourceInfo;
use pipeline::{DatasetJob, ProcessError};
use tracker_core::{FileRecord, OutputRecord, SeriesInput, TrackerError};

use crate::files::{FileKind, write_frame};
use dwd_series::output::Format;

/// What the processor was set up with.
#[derive(Debug)]
pub(crate) struct Settings<'a> {
    pub output: &'a Path,
    pub raw: &'a Path,
    pub format: Format,
    pub tables: &'a Tables,
    /// How closely recorded tables are checked before they are used.
    pub depth: dwd_series::ledger::Depth,
}

/// A dataset being finished: its lock held, its completed files, what each
/// dataset-wide table was built from, and its recorded tables.
pub(crate) struct Finishing<'a, 'j> {
    settings: Settings<'a>,
    job: &'a DatasetJob<'j>,
    layout: dwd_series::OutputLayout,
    dir: PathBuf,
    files: Vec<FileRecord>,
    built_from: BTreeMap<String, Vec<(String, Option<String>)>>,
    outputs: Vec<OutputRecord>,
    _lock: dwd_series::ledger::DatasetLock,
}

/// A tracker error while a dataset is prepared or finished: transient, or
/// the machine's resource when the store is out of space.
pub(crate) fn store_err(e: TrackerError) -> ProcessError {
    match e {
        // a full disk under the tracker: the machine's, the run stops
        TrackerError::StorageFull(_) => ProcessError::resource(e.to_string()),
        e => ProcessError::transient(e.to_string()),
    }
}

impl<'a, 'j> Finishing<'a, 'j> {
    /// Takes the dataset lock (waiting for another process's run; a stop
    /// ends the wait) and reads what the tracker knows of the dataset.
    pub(crate) fn start(
        settings: Settings<'a>,
        job: &'a DatasetJob<'j>,
    ) -> Result<Self, ProcessError> {
        let name = job.dataset.as_str();
        let layout = dwd_series::OutputLayout::new(settings.output);
        let dir = layout.dataset(name);
        let lock = crate::processor::lock(&dir, job)?;
        let files = dwd_series::update::completed(job.store, job.dataset).map_err(store_err)?;
        let built_from = dwd_series::update::inputs_by_series(
            job.store.series_inputs(job.dataset).map_err(store_err)?,
        );
        let outputs = job.store.outputs(job.dataset).map_err(store_err)?;
        Ok(Finishing {
            settings,
            job,
            layout,
            dir,
            files,
            built_from,
            outputs,
            _lock: lock,
        })
    }

    fn name(&self) -> &str {
        self.job.dataset.as_str()
    }

    /// The completed files of these kinds.
    fn of_kind(&self, kinds: &[FileKind]) -> Vec<&FileRecord> {
        self.files
            .iter()
            .filter(|f| kinds.contains(&crate::files::kind_of(Path::new(f.key.path()))))
            .collect()
    }

    /// A merged table's source: the files it was made of.
    fn source(&self, from: &[&FileRecord]) -> SourceInfo {
        SourceInfo {
            file: from
                .iter()
                .map(|f| f.key.path())
                .collect::<Vec<_>>()
                .join(", "),
            dataset: self.name().to_owned(),
            ..SourceInfo::default()
        }
    }

    /// Where a completed file is on disk.
    fn raw(&self, f: &FileRecord) -> PathBuf {
        self.settings.raw.join(self.name()).join(f.key.path())
    }

    /// A dataset-wide table's work: `None` when it is up to date; else
    /// whether its recorded tables still pass their check (a cache may then
    /// be reused): its inputs changed since it was built, or one of its
    /// tables fails (or none was recorded).
    fn needs(&self, key: &str, inputs: &[&FileRecord]) -> Option<bool> {
        let built: Vec<&OutputRecord> = self
            .outputs
            .iter()
            .filter(|o| o.built_from == key)
            .collect();
        let naming = dwd_series::ledger::Naming::of(self.settings.tables, self.name());
        let intact = !built.is_empty()
            && built.iter().all(|o| {
                naming.is_current(o)
                    && dwd_series::check::usable(&self.dir, o, self.settings.depth).is_ok()
            });
        let current = self.built_from.get(key) == Some(&dwd_series::update::inputs_of(inputs));
        (!current || !intact).then_some(intact)
    }

    /// Records the tables `key` was written as and what from; its tables
    /// recorded before but not written now are removed.
    fn record(
        &self,
        key: &str,
        inputs: &[&FileRecord],
        written: &[OutputRecord],
    ) -> Result<(), ProcessError> {
        let list: Vec<SeriesInput> = inputs
            .iter()
            .map(|f| SeriesInput {
                series: key.to_owned(),
                file: f.key.path().to_owned(),
                checksum: f.checksum.clone(),
            })
            .collect();
        let stale: Vec<String> = self
            .outputs
            .iter()
            .filter(|o| o.built_from == key && !written.iter().any(|w| w.path == o.path))
            .map(|o| o.path.clone())
            .collect();
        for p in &stale {
            let _ = std::fs::remove_file(self.dir.join(p));
        }
        let (store, dataset) = (self.job.store, self.job.dataset);
        store
            .forget_outputs(dataset, &stale)
            .and_then(|()| store.record_outputs(dataset, written))
            .and_then(|()| store.set_series_inputs(dataset, key, &list))
            .map_err(store_err)
    }

    /// The station lists of all periods merged into `stations.<ext>`.
    pub(crate) fn station_lists(&self) -> Result<(), ProcessError> {
        let lists = self.of_kind(&[FileKind::StationList, FileKind::NormalsStationList]);
        if lists.is_empty() || self.needs("stations", &lists).is_none() {
            return Ok(());
        }
        let mut parsed = Vec::new();
        for f in &lists {
            let path = self.raw(f);
            let shown = path.display().to_string();
            parsed.push(crate::files::read_any_station_list(
                &path,
                f.key.path(),
                &shown,
            )?);
        }
        let merged = merge_station_lists(parsed);
        let target = self
            .layout
            .stations(self.name(), self.settings.format.ext());
        let written = write_frame(
            &stations_frame(&merged),
            self.settings.format,
            &self.source(&lists),
            &target,
        )?;
        let rec =
            dwd_series::ledger::record(&self.dir, &written, merged.len() as u64, "stations", None);
        self.record("stations", &lists, &[rec])?;
        tracing::info!(dataset = %self.job.dataset, stations = merged.len(), file = %target.display(), "station lists merged");
        Ok(())
    }

    /// A `multi_annual` dataset's normals tables (and what its source codes
    /// mean, from `Beschreibung_Datenquelle.txt`) into one tidy
    /// `normals.<ext>`.
    pub(crate) fn normals(&self) -> Result<(), ProcessError> {
        let parts = self.of_kind(&[FileKind::Normals]);
        if parts.is_empty() {
            return Ok(());
        }
        let sources = self.files.iter().find(|f| {
            dwd_catalog::NormalsFile::of(f.key.path()) == Some(dwd_catalog::NormalsFile::Sources)
        });
        let mut inputs = parts.clone();
        inputs.extend(sources);
        if self.needs("normals", &inputs).is_none() {
            return Ok(());
        }
        let mut read = Vec::new();
        for f in &parts {
            let path = self.raw(f);
            read.push(crate::files::read_normals(
                &path,
                f.key.path(),
                &path.display().to_string(),
            )?);
        }
        let meanings = match sources {
            Some(f) => {
                let path = self.raw(f);
                crate::files::read_sources(&path, &path.display().to_string())?
            }
            None => Vec::new(),
        };
        let views: Vec<dwd_translate::normals::NormalsPart<'_>> = read
            .iter()
            .map(|r| dwd_translate::normals::NormalsPart {
                code: &r.code,
                rows: &r.rows,
                rule: r.rule,
            })
            .collect();
        let (frame, extra) = dwd_translate::normals::normals_frame(
            self.name(),
            &views,
            &meanings,
            self.settings.tables,
        );
        let target = self.layout.normals(self.name(), self.settings.format.ext());
        let written = crate::files::write_frame_with(
            &frame,
            self.settings.format,
            &self.source(&inputs),
            extra,
            &target,
        )?;
        let names = self.settings.tables.naming(self.name());
        let rec = dwd_series::ledger::record(
            &self.dir,
            &written,
            frame.len() as u64,
            "normals",
            Some(&names),
        );
        self.record("normals", &inputs, &[rec])?;
        tracing::info!(dataset = %self.job.dataset, files = parts.len(), rows = frame.len(), file = %target.display(), "normals merged");
        Ok(())
    }

    /// The station metadata of all files (metadata zips, the `Metadaten_*`
    /// inside data zips), without repeats, into `metadata/<kind>.<ext>`;
    /// only new and changed zips are read while the cache is intact.
    pub(crate) fn metadata(&self) -> Result<(), ProcessError> {
        let with_meta = self.of_kind(&[FileKind::MetadataZip, FileKind::DataZip]);
        if with_meta.is_empty() {
            return Ok(());
        }
        let Some(intact) = self.needs("metadata", &with_meta) else {
            return Ok(());
        };
        let metafiles: Vec<dwd_series::metadata::MetaFile> = with_meta
            .iter()
            .map(|f| dwd_series::metadata::MetaFile {
                file: f.key.path().to_owned(),
                checksum: f.checksum.clone(),
                raw: self.raw(f),
            })
            .collect();
        // a damaged (or unrecorded) cache or table: every zip is read again
        let before = match intact {
            true => self.built_from.get("metadata").cloned().unwrap_or_default(),
            false => Vec::new(),
        };
        let report = dwd_series::metadata::update_metadata(
            &self.layout,
            self.name(),
            &metafiles,
            &before,
            self.settings.tables,
            self.settings.format,
        )
        .map_err(|e| match e {
            dwd_series::metadata::MetadataError::Output(e) => ProcessError::from(e),
            other => ProcessError::transient(other.to_string()),
        })?;
        let written: Vec<_> = report
            .written
            .iter()
            .map(|(w, rows)| {
                dwd_series::ledger::record(&self.dir, w, *rows as u64, "metadata", None)
            })
            .collect();
        self.record("metadata", &with_meta, &written)?;
        tracing::info!(dataset = %self.job.dataset, files = with_meta.len(), read = report.read, tables = ?report.rows, "station metadata merged");
        Ok(())
    }

    /// One series a station, merged again where its files changed (Parquet
    /// only: CSV and JSON lines come from `climastation export`).
    pub(crate) fn series(&self) -> Result<(), ProcessError> {
        if self.settings.format != Format::Parquet {
            tracing::info!(dataset = %self.job.dataset, "series are merged from Parquet tables only; an export writes CSV and JSON lines");
            return Ok(());
        }
        let stop = self.job.cancel();
        let report = dwd_series::update_series(
            &self.layout,
            self.job.dataset,
            self.job.store,
            self.job.workers,
            self.settings.depth,
            &dwd_series::ledger::Naming::of(self.settings.tables, self.job.dataset.as_str()),
            &|| stop.is_cancelled(),
        )
        .map_err(|e| match e {
            dwd_series::update::UpdateError::Interrupted => ProcessError::interrupted(),
            other => ProcessError::transient(other.to_string()),
        })?;
        if let Some((station, why)) = report.failed.first() {
            return Err(ProcessError::transient(format!(
                "the series of {} station(s) could not be merged (kept as they were; tried again next run): {station}: {why}",
                report.failed.len()
            )));
        }
        Ok(())
    }
}
