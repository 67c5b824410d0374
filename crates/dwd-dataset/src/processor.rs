//! The `dwd` processor: the whole chain for one claimed file.
//!
//! 1. Fetch it from the source into `paths.raw` and verify it (the
//!    `download` processor; a file already present is only verified).
//! 2. By kind ([`FileKind`]), under `paths.output/<dataset>/`:
//!    - a data zip: its one `produkt*` member parsed, translated (English
//!      names, UTC) and written to `<period>/<station>/<source name>.parquet`
//!      (`.csv`, `.jsonl` with `--format`; likewise every table below);
//!      the `Metadaten_*` beside it (hourly, daily, monthly zips) as below.
//!      Its time reference comes from `Metadaten_Parameter` where there is
//!      one: in the zip, or for 10-minute data in the station's
//!      `meta_data/Meta_Daten_zehn_min_<key>_<id>.zip`, read from the source;
//!    - a `Meta_Daten_*.zip` (10-minute data keep station metadata apart):
//!      `metadata/<kind>/<station>/<source name>.parquet`, one file per
//!      kind (`locations`, `parameters`, `devices`, `names`);
//!    - a station list: `<period>/stations.parquet`;
//!    - when the dataset's run ends ([`Processor::finish_dataset`]): the
//!      lists of all periods merged into `stations.parquet`, and all station
//!      metadata, without repeats, into `metadata/<kind>.parquet`;
//!    - anything else (PDFs) is fetched and verified only.
//!
//! Output goes to a temp name and is renamed: a crash never leaves a half
//! file under the final name. Bad input fails the file with its reason.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dwd_parser::metadata::StationMetadata;
use dwd_translate::Tables;
use dwd_translate::table::SourceInfo;
use pipeline::{DatasetJob, Job, Outcome, ProcessError, Processor};
use tracker_core::FailureKind;

use crate::files::{FileKind, convert_file, metadata_zip_of};
use dwd_series::output::Format;

pub struct DwdProcessor {
    download: crate::download::Download,
    tables: Tables,
    output: PathBuf,
    /// `paths.raw`: where the fetched files are (station lists are merged
    /// from there when a dataset ends).
    raw: PathBuf,
    /// Parquet (the default), CSV or JSON lines, for every table written.
    format: Format,
    /// How closely the tables already written are checked before they are
    /// used: cheaply (size and time) or, to verify them, deeply (hashed).
    depth: dwd_series::ledger::Depth,
    /// Station metadata of 10-minute data (a separate zip at the source),
    /// read once per station and run: source path → metadata, `None` when
    /// the source has none.
    station_meta: Mutex<HashMap<String, Option<Arc<StationMetadata>>>>,
}

/// Metadata zips are a few KB; a bigger one is refused.
const MAX_METADATA_ZIP: u64 = 16 << 20;

impl DwdProcessor {
    pub fn new(
        download: crate::download::Download,
        tables: Tables,
        output: PathBuf,
        raw: PathBuf,
        format: Format,
    ) -> Self {
        DwdProcessor {
            download,
            tables,
            output,
            raw,
            format,
            depth: dwd_series::ledger::Depth::Cheap,
            station_meta: Mutex::new(HashMap::new()),
        }
    }

    /// Every table already written is hashed before it is used (not only
    /// its size and time compared): damage that kept both is found, and
    /// what was built from it is converted or merged again.
    pub fn verifying_outputs(mut self) -> Self {
        self.depth = dwd_series::ledger::Depth::Deep;
        self
    }

    /// The metadata zip at `source_path`, read from the source into memory
    /// (its own claim fetches it into `paths.raw`; reading it here keeps the
    /// result independent of which worker gets there first). A metadata zip
    /// that cannot be read leaves the data file to the period rule, with a
    /// warning: the data are fine, and the metadata zip's own claim fails
    /// with the reason (under fail-fast, a bad metadata zip must not stop
    /// the data of its station).
    fn station_metadata(
        &self,
        source_path: &str,
    ) -> Result<Option<Arc<StationMetadata>>, ProcessError> {
        let known = self
            .station_meta
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(source_path)
            .cloned();
        if let Some(known) = known {
            return Ok(known);
        }
        let bytes = match self.download.read_small(source_path, MAX_METADATA_ZIP) {
            Err(e) if e.severity() == dwd_source::Severity::Permanent => {
                tracing::warn!(file = source_path, error = %e, "station metadata unreadable; the period rule decides");
                None
            }
            other => other.map_err(crate::download::process_error)?,
        };
        let meta = match bytes {
            None => None,
            Some(bytes) => {
                match dwd_parser::archive::read_metadata(source_path, std::io::Cursor::new(bytes)) {
                    Ok(m) => Some(Arc::new(m)),
                    Err(e) => {
                        tracing::warn!(file = source_path, error = %e, "station metadata unreadable; the period rule decides");
                        None
                    }
                }
            }
        };
        self.station_meta
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source_path.to_owned(), meta.clone());
        Ok(meta)
    }
}

impl DwdProcessor {
    /// Converts the fetched file at `path` (its `.part` until it is
    /// committed) by kind; errors name the file by its final name.
    fn convert(
        &self,
        job: &Job<'_>,
        path: &Path,
        fetched: &Outcome,
    ) -> Result<Outcome, ProcessError> {
        let key = &job.claim.key;
        let dataset = key.dataset.as_str();
        let name = key
            .path()
            .rsplit('/')
            .next()
            .unwrap_or(key.path())
            .to_owned();
        let facts = dwd_catalog::facts(key.path());
        let period = facts.folder.clone().unwrap_or_else(|| "all".into());
        let source = SourceInfo {
            file: key.path().to_owned(),
            size: Some(fetched.bytes),
            modified: job
                .claim
                .source_modified
                .and_then(|t| jiff::Timestamp::from_millisecond(t.as_millis()).ok())
                .map(|t| t.to_string()),
            dataset: dataset.to_owned(),
            time_basis: None,
        };
        if FileKind::of(&name) == FileKind::Other {
            tracing::debug!(file = %key, "fetched and verified; not a data file");
            return Ok(fetched.clone());
        }
        if job.should_stop() {
            return Err(ProcessError::interrupted());
        }
        let shown = job.path.display().to_string();
        let targets = PartTargets {
            layout: dwd_series::OutputLayout::new(&self.output),
            path: key.path(),
            name: &name,
            period: &period,
            station: facts.station.clone().unwrap_or_else(|| "unknown".into()),
            ext: self.format.ext(),
        };
        let station_metadata = |dataset: &str, member: &str| match metadata_zip_of(member) {
            Some(rel) => self.station_metadata(&format!("{dataset}/{rel}")),
            None => Ok(None),
        };
        let converted = convert_file(
            crate::files::FileToConvert {
                path,
                shown: &shown,
                name: &name,
                dataset: Some(dataset),
                source,
                budget: job.budget.per_worker_bytes,
                placed: true,
            },
            &self.tables,
            self.format,
            &targets,
            &station_metadata,
        )?;
        if let (Some(member), Some(time)) = (&converted.member, &converted.time) {
            tracing::debug!(file = %key, member = %member, reference = time.reference.as_str(),
                basis = time.basis.as_str(), "converted");
        }
        let dir = dwd_series::OutputLayout::new(&self.output).dataset(dataset);
        let names = self.tables.naming(dataset);
        let outputs = converted
            .written
            .iter()
            .map(|(w, rows)| {
                dwd_series::ledger::record(&dir, w, *rows as u64, key.path(), Some(&names))
            })
            .collect();
        Ok(Outcome {
            records: converted.rows,
            outputs,
            ..fetched.clone()
        })
    }
}

/// Where the `dwd` processor puts one file's tables: under `parts/`.
struct PartTargets<'a> {
    layout: dwd_series::OutputLayout,
    /// The file's path in its dataset.
    path: &'a str,
    name: &'a str,
    period: &'a str,
    station: String,
    ext: &'a str,
}

impl crate::files::Targets for PartTargets<'_> {
    fn data(&self, dataset: &str) -> PathBuf {
        self.layout
            .part(dataset, self.path, &self.station, self.ext)
    }

    fn metadata(&self, dataset: &str, kind: &str, station: &str) -> PathBuf {
        self.layout
            .parts(dataset)
            .join("metadata")
            .join(kind)
            .join(station)
            .join(format!("{}.{}", self.name, self.ext))
    }

    fn stations(&self, dataset: &str) -> PathBuf {
        self.layout
            .parts(dataset)
            .join(self.period)
            .join(format!("stations.{}", self.ext))
    }
}

impl std::fmt::Debug for DwdProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DwdProcessor")
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl Processor for DwdProcessor {
    fn name(&self) -> &str {
        "dwd"
    }

    fn process(&self, job: &Job<'_>) -> Result<Outcome, ProcessError> {
        let name = job
            .claim
            .key
            .path()
            .rsplit('/')
            .next()
            .unwrap_or(job.claim.key.path());
        // the parse reads every member of a data or metadata zip, and the
        // zip reader checks each CRC as it reads: one inflate per file, and
        // the file gets its final name only once it converted
        let members = !matches!(
            FileKind::of(name),
            FileKind::DataZip | FileKind::MetadataZip
        );
        let fetched = self.download.fetch_checked(job, members)?;
        match self.convert(job, &fetched.path, &fetched.outcome) {
            Ok(outcome) => {
                self.download.commit(job, &fetched)?;
                Ok(outcome)
            }
            Err(e) => {
                if e.kind() == FailureKind::Permanent && !e.is_interrupted() {
                    // the content failed: nothing of it stays
                    self.download.discard(&fetched);
                }
                Err(e)
            }
        }
    }

    fn abandon(&self, job: &Job<'_>) {
        self.download.abandon(job);
    }

    /// Before a dataset's files are claimed, under the dataset lock: temp
    /// files of dead processes are removed, and every completed file's
    /// tables are checked against the output ledger (size and time, or
    /// hashed when verifying outputs); a
    /// file whose tables are missing, damaged, were never recorded or carry
    /// parameter names renamed since goes
    /// back to `pending`, so that this run converts it again.
    fn prepare_dataset(&self, job: &DatasetJob<'_>) -> Result<(), ProcessError> {
        let dataset = job.dataset;
        let dir = dwd_series::OutputLayout::new(&self.output).dataset(dataset.as_str());
        let _lock = lock(&dir, job)?;
        dwd_series::output::sweep_stale_temps(&dir);
        let store_err = crate::finish::store_err;
        let files = dwd_series::update::completed(job.store, dataset).map_err(store_err)?;
        let outputs = job.store.outputs(dataset).map_err(store_err)?;
        let naming = dwd_series::ledger::Naming::of(&self.tables, dataset.as_str());
        let redo = dwd_series::check::files_to_redo(&dir, &files, &outputs, self.depth, &naming);
        if !redo.is_empty() {
            let n = job.store.redo(dataset, &redo).map_err(store_err)?;
            tracing::info!(dataset = %dataset, files = n, "converted again: their tables were missing, damaged, unrecorded or written under earlier names");
        }
        Ok(())
    }

    /// When a dataset's run ends, under the dataset lock, from its
    /// completed files (the tracker knows them, with their checksums), each
    /// step only when its inputs changed since it last ran (kept in the
    /// tracker, as series inputs) or its tables fail their check against
    /// the output ledger:
    /// - the station lists of all periods merged into `stations.<ext>`;
    /// - the station metadata of all files (metadata zips, the `Metadaten_*`
    ///   inside data zips), without repeats, into `metadata/<kind>.<ext>`;
    /// - one series a station (Parquet only): `series/<station>.parquet`
    ///   ([`dwd_series::update_series`]).
    fn finish_dataset(&self, job: &DatasetJob<'_>) -> Result<(), ProcessError> {
        let finishing = crate::finish::Finishing::start(
            crate::finish::Settings {
                output: &self.output,
                raw: &self.raw,
                format: self.format,
                tables: &self.tables,
                depth: self.depth,
            },
            job,
        )?;
        finishing.station_lists()?;
        finishing.normals()?;
        finishing.metadata()?;
        finishing.series()
    }
}

/// The dataset lock, waiting while another process holds it.
/// The dataset lock, waited for (a stop ends the wait).
pub(crate) fn lock(
    dir: &Path,
    job: &DatasetJob<'_>,
) -> Result<dwd_series::ledger::DatasetLock, ProcessError> {
    dwd_series::ledger::lock_dataset(dir, &|| job.should_stop()).map_err(|e| match e {
        dwd_series::ledger::LockError::Interrupted { .. } => ProcessError::interrupted(),
        e @ (dwd_series::ledger::LockError::Io { .. }
        | dwd_series::ledger::LockError::Busy { .. }) => ProcessError::transient(e.to_string()),
    })
}
