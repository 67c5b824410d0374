//! Export and values at a place: files written whole (or not at all) to a
//! regular file, from tables checked against the output ledger first.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::file::metadata::KeyValue;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use dwd_series::export::{ExportError, Exported, Spec};
use dwd_series::output::Format;
use dwd_series::values::{ValuesReport, ValuesSpec};

use dwd_catalog::{Field, said};
use tracker_core::ProgressStore;

use crate::{JobError, Session};

impl From<ExportError> for JobError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Interrupted => JobError::Interrupted,
            ExportError::Invalid(i) => JobError::Invalid(i),
            ExportError::Nothing(resolution) => JobError::NoTables { resolution },
            e => JobError::Export(e),
        }
    }
}

/// Why the tables a reader would use cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    /// No progress database: nothing to check the tables against.
    #[error(
        "no progress database at {}: the tables under {} cannot be checked against what the runs wrote",
        db.display(),
        output.display()
    )]
    NoDatabase { db: PathBuf, output: PathBuf },
    /// Tables that are not what the runs wrote, each with its dataset.
    #[error("{}", self.render(&crate::fix::Named))]
    NotWritten {
        problems: Vec<(String, dwd_series::check::Problem)>,
    },
}

impl TablesError {
    /// Each problem on a line of its own, with the fix that mends it in a
    /// front end's words.
    pub fn render(&self, spell: &dyn crate::fix::Spelling) -> String {
        match self {
            TablesError::NotWritten { problems } => {
                let lines: String = problems
                    .iter()
                    .map(|(d, p)| {
                        format!(
                            "\n  {} (fix: {})",
                            p.describe(),
                            crate::check::fix(p, d, false).render(spell)
                        )
                    })
                    .collect();
                format!(
                    "nothing written: {} table(s) are not what the runs wrote:{lines}",
                    problems.len()
                )
            }
            e => e.to_string(),
        }
    }
}

/// An answer's rows in memory (Python's tables), as `export` and `values`
/// would write them: the schema carries the rules of the file's key-value
/// metadata. ("Table" is the translation tables' and the files' word.)
#[derive(Clone, Debug)]
pub struct Rows {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl Default for Rows {
    fn default() -> Self {
        Rows {
            schema: Arc::new(arrow_schema::Schema::empty()),
            batches: Vec::new(),
        }
    }
}

/// `schema` with the output's rules (key-value metadata) as its metadata.
pub fn with_rules(schema: &SchemaRef, rules: &[KeyValue]) -> SchemaRef {
    let meta: HashMap<String, String> = rules
        .iter()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
        .collect();
    Arc::new(schema.as_ref().clone().with_metadata(meta))
}

/// Where an answer's rows go as they are read: a table in memory
/// ([`Rows`]), an encoder writing a file or a socket ([`Encoded`]).
pub trait RowSink {
    /// The answer's schema and the rules the output's metadata holds;
    /// called once, before any batch.
    fn begin(&mut self, schema: SchemaRef, rules: Vec<KeyValue>) -> Result<(), ExportError>;
    fn batch(&mut self, batch: RecordBatch) -> Result<(), ExportError>;
    /// After the last batch.
    fn finish(&mut self) -> Result<(), ExportError> {
        Ok(())
    }
}

impl RowSink for Rows {
    fn begin(&mut self, schema: SchemaRef, rules: Vec<KeyValue>) -> Result<(), ExportError> {
        self.schema = with_rules(&schema, &rules);
        Ok(())
    }

    /// Adds a batch, under the table's schema (its metadata).
    fn batch(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        self.batches.push(batch.with_schema(self.schema.clone())?);
        Ok(())
    }
}

/// Rows encoded as a file of `format` into a writer, as the CLI writes
/// them (the same bytes for the same request).
pub struct Encoded<W: Write + Send> {
    format: Format,
    out: Option<W>,
    sink: Option<dwd_series::encode::Sink<W>>,
}

impl<W: Write + Send> std::fmt::Debug for Encoded<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoded")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> Encoded<W> {
    pub fn new(format: Format, out: W) -> Self {
        Encoded {
            format,
            out: Some(out),
            sink: None,
        }
    }
}

impl<W: Write + Send> RowSink for Encoded<W> {
    fn begin(&mut self, schema: SchemaRef, rules: Vec<KeyValue>) -> Result<(), ExportError> {
        if let Some(out) = self.out.take() {
            self.sink = Some(dwd_series::encode::Sink::new(
                self.format,
                schema,
                rules,
                out,
            )?);
        }
        Ok(())
    }

    fn batch(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        match self.sink.as_mut() {
            Some(sink) => Ok(sink.write(&batch)?),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        match self.sink.take() {
            Some(sink) => Ok(sink.finish()?),
            None => Ok(()),
        }
    }
}

/// One station's series of one dataset.
#[derive(Clone, Debug)]
pub struct SeriesRequest {
    pub dataset: String,
    pub station: u32,
    /// The days (and periods) wanted; its stations are replaced by `station`.
    pub selection: dwd_catalog::Selection,
    /// Output names; empty: all.
    pub parameters: Vec<String>,
    pub long: bool,
    pub with_station: bool,
    pub stop: Option<tracker_core::Cancel>,
    /// Anomalies against this period's normals.
    pub anomaly: Option<dwd_catalog::ReferencePeriod>,
}

/// The values at places, as asked (text as the command line gives it).
#[derive(Clone, Debug)]
pub struct ValuesRequest {
    pub resolution: dwd_catalog::Resolution,
    pub parameters: Vec<String>,
    /// `LAT,LON` or `LAT,LON,HEIGHT_M`, named `p1`, `p2`, … in order.
    pub at: Vec<String>,
    /// A CSV file of places (`id,lat,lon[,height_m]`).
    pub points_file: Option<std::path::PathBuf>,
    /// The first day (`1990-01-01`, or a year).
    pub from: Option<String>,
    /// The last day, inclusive.
    pub to: Option<String>,
    pub method: Option<dwd_series::values::Method>,
    pub min_quality: Option<i32>,
    /// `None`: the configuration's `values.max_distance_km`, else each
    /// parameter's own limit.
    pub max_distance_km: Option<f64>,
    /// `None`: the configuration's `values.k`.
    pub k: Option<usize>,
    /// Anomalies against this period's normals.
    pub anomaly: Option<dwd_catalog::ReferencePeriod>,
}

/// What was asked by a former name, in a table's metadata:
/// `renamed.<old>` = the warning.
fn renamed_metadata(
    renamed: &[dwd_translate::Renamed],
) -> impl Iterator<Item = parquet::file::metadata::KeyValue> + '_ {
    renamed.iter().map(|r| {
        parquet::file::metadata::KeyValue::new(format!("renamed.{}", r.old), r.to_string())
    })
}

/// A list with an empty item (`a,,b`, a trailing comma) is refused.
pub(crate) fn check_items(field: Field, items: &[String]) -> Result<(), JobError> {
    match items.iter().any(|p| p.trim().is_empty()) {
        true => Err(JobError::invalid_value(
            field,
            format!("{:?}", items.join(",")),
            said!("an empty item"),
        )),
        false => Ok(()),
    }
}

impl Session {
    /// The values request checked (places, dates in order, limits) and
    /// completed from the configuration's `values:` section.
    pub fn values_spec(
        &self,
        r: &ValuesRequest,
        cancel: &tracker_core::Cancel,
    ) -> Result<ValuesSpec, JobError> {
        use dwd_series::values::{parse_point, read_points};
        if r.parameters.is_empty() {
            return Err(JobError::invalid(
                Field::Parameters,
                said!("name the parameters wanted at the places"),
            ));
        }
        check_items(Field::Parameters, &r.parameters)?;
        let mut points = Vec::new();
        for (i, at) in r.at.iter().enumerate() {
            points.push(
                parse_point(&format!("p{}", i + 1), at).map_err(|e| JobError::Invalid(e.into()))?,
            );
        }
        if let Some(file) = &r.points_file {
            points.extend(read_points(file).map_err(|e| JobError::Invalid(e.into()))?);
        }
        if points.is_empty() {
            return Err(JobError::invalid(
                Field::At,
                said!(
                    "give a place: LAT,LON[,HEIGHT_M], or ",
                    Field::Points,
                    " (a CSV file)"
                ),
            ));
        }
        if let Some(km) = r.max_distance_km
            && !(km > 0.0 && km.is_finite())
        {
            return Err(JobError::invalid_value(
                Field::MaxDistanceKm,
                km,
                said!("give a distance above 0 km"),
            ));
        }
        if let Some(k) = r.k
            && !i64::try_from(k).is_ok_and(|k| tracker_config::IDW_K.contains(&k))
        {
            return Err(JobError::invalid_value(
                Field::K,
                k,
                said!(format!(
                    "give {} to {} stations (as values.k)",
                    tracker_config::IDW_K.start(),
                    tracker_config::IDW_K.end()
                )),
            ));
        }
        if let Some(q) = r.min_quality
            && !(1..=10).contains(&q)
        {
            return Err(JobError::invalid_value(
                Field::MinQuality,
                q,
                said!(
                    "DWD's quality levels are 1 to 10 (a table's metadata `quality_level.<n>` says what each means)"
                ),
            ));
        }
        let date = |field, v: &Option<String>, end| {
            v.as_deref()
                .map(|d| dwd_catalog::selection::parse_date(field, d, end))
                .transpose()
        };
        let (from, to) = (
            date(Field::Start, &r.from, false)?,
            date(Field::End, &r.to, true)?,
        );
        dwd_catalog::selection::check_range(from, to)?;
        let v = &self.config.values;
        Ok(ValuesSpec {
            stop: Some(cancel.clone()),
            resolution: r.resolution,
            parameters: r.parameters.clone(),
            points,
            from,
            to,
            method: r.method.unwrap_or(dwd_series::values::Method::Nearest),
            min_quality: r.min_quality,
            max_km: r.max_distance_km.or(v.max_distance_km),
            k: r.k.unwrap_or(v.k),
            near_km: v.near_km,
            lapse_k_per_km: v.lapse_k_per_km,
            anomaly: r.anomaly,
            ..ValuesSpec::new(r.resolution)
        })
    }

    /// The parameter names asked of `datasets` of `resolution` (none: all
    /// of it), each former name (a parameter renamed since, see
    /// [`dwd_translate::Tables::renamed`]) replaced by what it is called
    /// now — and kept where it is still a current name of these datasets —
    /// with what was renamed, for the front end's warning.
    pub fn current_parameters(
        &self,
        resolution: dwd_catalog::Resolution,
        datasets: &[String],
        asked: &[String],
    ) -> Result<(Vec<String>, Vec<dwd_translate::Renamed>), JobError> {
        let tables = self.tables()?;
        let chosen: Vec<&str> = dwd_catalog::all()
            .iter()
            .filter(|d| d.resolution == resolution)
            .map(|d| d.name)
            .filter(|d| datasets.is_empty() || datasets.iter().any(|x| x == d))
            .collect();
        let mut names = Vec::new();
        let mut renamed = Vec::new();
        for a in asked {
            let Some(r) = tables.renamed(chosen.iter().copied(), a) else {
                names.push(a.clone());
                continue;
            };
            let still = chosen
                .iter()
                .any(|d| tables.parameters(d).any(|(_, p)| p.name == *a));
            if still {
                names.push(a.clone());
            }
            for n in &r.new {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
            tracing::debug!(old = %r.old, new = ?r.new, "a former parameter name asked");
            renamed.push(r);
        }
        Ok((names, renamed))
    }

    /// `spec` with its parameters under their current names, and what was
    /// renamed.
    fn current_spec(&self, spec: &Spec) -> Result<(Spec, Vec<dwd_translate::Renamed>), JobError> {
        let (parameters, renamed) =
            self.current_parameters(spec.resolution, &spec.datasets, &spec.parameters)?;
        Ok((
            Spec {
                parameters,
                ..spec.clone()
            },
            renamed,
        ))
    }

    /// One record per station and time across a resolution's datasets,
    /// written whole to `target`.
    pub fn export(&self, spec: &Spec, format: Format, target: &Path) -> Result<Exported, JobError> {
        let (spec, renamed) = &self.current_spec(spec)?;
        self.check_export(spec)?;
        check_target(target)?;
        let layout = self.layout();
        let mut done = write_whole(target, |w| {
            dwd_series::export::export(&layout, spec, format, w)
        })?;
        done.renamed = renamed.clone();
        Ok(done)
    }

    /// [`Session::values_spec`] with its parameters under their current
    /// names (a former name asks for the one value column of its first
    /// dataset, as any name does), and what was renamed.
    fn values_spec_named(
        &self,
        request: &ValuesRequest,
        cancel: &tracker_core::Cancel,
    ) -> Result<(ValuesSpec, Vec<dwd_translate::Renamed>), JobError> {
        let mut spec = self.values_spec(request, cancel)?;
        let mut renamed = Vec::new();
        let mut parameters = Vec::new();
        for p in &spec.parameters {
            let (names, r) =
                self.current_parameters(spec.resolution, &[], std::slice::from_ref(p))?;
            if let Some(first) = names.into_iter().next()
                && !parameters.contains(&first)
            {
                parameters.push(first);
            }
            renamed.extend(r);
        }
        spec.parameters = parameters;
        Ok((spec, renamed))
    }

    /// One station's series of one dataset: an export of the dataset's
    /// resolution limited to it and to the station, which must be in the
    /// dataset's station list or have a series the runs recorded (DWD's
    /// lists miss some stations its files hold; [`JobError::UnknownStation`]
    /// otherwise).
    pub fn series_spec(&self, request: &SeriesRequest) -> Result<Spec, JobError> {
        let id = self.dataset(&request.dataset)?;
        let resolution = dwd_catalog::Resolution::of(id.as_str()).ok_or_else(|| {
            JobError::invalid_value(Field::Dataset, &request.dataset, said!("has no resolution"))
        })?;
        let mut selection = request.selection.clone();
        selection.stations = [request.station].into();
        let listed = self.stations_converted(&request.dataset, &selection)?;
        if listed.stations.is_empty() && !self.series_rows(&id)?.contains_key(&request.station) {
            return Err(JobError::UnknownStation {
                dataset: request.dataset.clone(),
                station: request.station,
            });
        }
        Ok(Spec {
            resolution,
            datasets: vec![request.dataset.clone()],
            selection,
            parameters: request.parameters.clone(),
            with_station: request.with_station,
            long: request.long,
            stop: request.stop.clone(),
            anomaly: request.anomaly,
        })
    }

    /// [`Session::export`]'s rows in memory.
    pub fn export_rows(&self, spec: &Spec) -> Result<Rows, JobError> {
        let mut rows = Rows::default();
        self.export_with(spec, Format::Parquet, &mut rows)?;
        Ok(rows)
    }

    /// [`Session::export`]'s rows handed to `sink` as they are read (a
    /// server's answer, streamed): the tables checked first, the rows laid
    /// out as `format` would write them.
    pub fn export_with(
        &self,
        spec: &Spec,
        format: Format,
        sink: &mut dyn RowSink,
    ) -> Result<Exported, JobError> {
        let (spec, renamed) = &self.current_spec(spec)?;
        self.check_export(spec)?;
        let layout = self.layout();
        let plan = dwd_series::export::plan(&layout, spec, format)?;
        let mut meta = dwd_series::export::export_metadata(spec);
        meta.extend(plan.anomaly_metadata());
        meta.extend(renamed_metadata(renamed));
        sink.begin(plan.schema(), meta)?;
        let mut report = plan.run(&layout, spec, &mut |b| sink.batch(b))?;
        sink.finish()?;
        report.renamed = renamed.clone();
        Ok(report)
    }

    /// [`Session::values`]' rows in memory.
    pub fn values_rows(
        &self,
        request: &ValuesRequest,
        cancel: &tracker_core::Cancel,
    ) -> Result<Rows, JobError> {
        let mut rows = Rows::default();
        self.values_with(request, cancel, Format::Parquet, &mut rows)?;
        Ok(rows)
    }

    /// [`Session::values`]' rows handed to `sink` as they are computed,
    /// laid out as `format` would write them.
    pub fn values_with(
        &self,
        request: &ValuesRequest,
        cancel: &tracker_core::Cancel,
        format: Format,
        sink: &mut dyn RowSink,
    ) -> Result<ValuesReport, JobError> {
        let (spec, renamed) = &self.values_spec_named(request, cancel)?;
        self.verify_served(spec.resolution, &[])?;
        if let Some(period) = spec.anomaly {
            self.verify_normals(period)?;
        }
        let layout = self.layout();
        let tables = self.tables()?;
        let plan = dwd_series::values::plan(&layout, tables, spec, format)?;
        let mut meta = plan.metadata(spec);
        meta.extend(renamed_metadata(renamed));
        sink.begin(plan.schema(), meta)?;
        let mut report = plan.run(&layout, spec, &mut |b| sink.batch(b))?;
        sink.finish()?;
        report.renamed = renamed.clone();
        Ok(report)
    }

    /// An export's resolution and datasets are the archive's, and every
    /// table it may read checks out against the output ledger.
    fn check_export(&self, spec: &Spec) -> Result<(), JobError> {
        for d in &spec.datasets {
            self.dataset(d)?;
            if dwd_catalog::Resolution::of(d) != Some(spec.resolution) {
                return Err(JobError::invalid_value(
                    Field::Dataset,
                    d,
                    said!(
                        "not of ",
                        Field::Resolution,
                        format!(
                            " {}: give a dataset of that resolution, or its resolution",
                            spec.resolution
                        )
                    ),
                ));
            }
        }
        self.verify_served(spec.resolution, &spec.datasets)?;
        if let Some(period) = spec.anomaly {
            self.verify_normals(period)?;
        }
        Ok(())
    }

    /// The normals of `period` are converted and check out against the
    /// output ledger (anomalies subtract them).
    pub(crate) fn verify_normals(
        &self,
        period: dwd_catalog::ReferencePeriod,
    ) -> Result<(), JobError> {
        let dataset = period.dataset();
        self.verify_served(dwd_catalog::Resolution::MultiAnnual, &[dataset.to_owned()])?;
        if !self.layout().normals(dataset, "parquet").is_file() {
            return Err(JobError::NoNormals { period, dataset });
        }
        Ok(())
    }

    /// The values at the spec's places, written whole to `target`.
    /// `cancel` (Ctrl-C) ends it between places: nothing is written.
    pub fn values(
        &self,
        request: &ValuesRequest,
        cancel: &tracker_core::Cancel,
        format: Format,
        target: &Path,
    ) -> Result<ValuesReport, JobError> {
        let (spec, renamed) = &self.values_spec_named(request, cancel)?;
        let layout = self.layout();
        check_target(target)?;
        self.verify_served(spec.resolution, &[])?;
        if let Some(period) = spec.anomaly {
            self.verify_normals(period)?;
        }
        let tables = self.tables()?;
        let mut done = write_whole(target, |w| {
            dwd_series::values::values(&layout, tables, spec, format, w)
        })?;
        done.renamed = renamed.clone();
        Ok(done)
    }

    /// The datasets of `resolution` (or of `only`) with an output folder.
    fn served_datasets(
        &self,
        resolution: dwd_catalog::Resolution,
        only: &[String],
    ) -> Vec<&'static str> {
        self.archived_datasets()
            .into_iter()
            .filter(|d| dwd_catalog::Resolution::of(d) == Some(resolution))
            .filter(|d| only.is_empty() || only.iter().any(|o| o == d))
            .collect()
    }

    /// The datasets the output folder has tables of (a run converted
    /// them), in the catalog's order.
    pub fn archived_datasets(&self) -> Vec<&'static str> {
        let layout = self.layout();
        dwd_catalog::DATASETS
            .iter()
            .map(|d| d.name)
            .filter(|d| layout.dataset(d).is_dir())
            .collect()
    }

    /// What the tables a reader of `resolution` (or of `only`) may use are,
    /// as the output ledger records them: a SHA-256 over each table's path
    /// and checksum. Equal fingerprints, equal tables (the tables are
    /// checked against the same records before anything is read): a
    /// server's strong ETag. No progress database: none.
    pub fn fingerprint(
        &self,
        resolution: dwd_catalog::Resolution,
        only: &[String],
    ) -> Result<Option<[u8; 32]>, JobError> {
        use sha2::Digest;
        let datasets = self.served_datasets(resolution, only);
        if !self.config.paths.progress_db.exists() {
            return Ok(None);
        }
        let mut hash = sha2::Sha256::new();
        self.reading(|store| {
            for d in datasets {
                let id = self.dataset(d)?;
                let mut records = store.outputs(&id)?;
                records.sort_by(|a, b| a.path.cmp(&b.path));
                for r in records {
                    hash.update(d.as_bytes());
                    hash.update([0]);
                    hash.update(r.path.as_bytes());
                    hash.update([0]);
                    hash.update(r.sha256);
                }
            }
            Ok(())
        })?;
        Ok(Some(hash.finalize().into()))
    }

    /// Every table a reader of `resolution` may use (the series, station
    /// lists and metadata of its datasets, or of `only`) is checked against
    /// the output ledger: a missing, damaged or foreign table is never
    /// served (each named with the command that fixes it).
    pub fn verify_served(
        &self,
        resolution: dwd_catalog::Resolution,
        only: &[String],
    ) -> Result<(), JobError> {
        let layout = self.layout();
        let datasets = self.served_datasets(resolution, only);
        if datasets.is_empty() {
            return Ok(());
        }
        let db = &self.config.paths.progress_db;
        if !db.exists() {
            return Err(TablesError::NoDatabase {
                db: db.clone(),
                output: layout.root().to_path_buf(),
            }
            .into());
        }
        let mut problems = Vec::new();
        self.reading(|store| {
            for d in datasets {
                let id = self.dataset(d)?;
                let naming = self.naming(d)?;
                for p in dwd_series::check::served_problems(
                    &layout,
                    &id,
                    store,
                    self.lock_wait,
                    &naming,
                )? {
                    problems.push((d.to_owned(), p));
                }
            }
            Ok(())
        })?;
        if problems.is_empty() {
            return Ok(());
        }
        Err(TablesError::NotWritten { problems }.into())
    }
}

/// `target` names a regular file to be, in a folder that exists: an
/// existing device, FIFO, folder or symbolic link is refused (writing over
/// it would replace it or write into it), and so is a missing folder.
pub fn check_target(path: &Path) -> Result<(), JobError> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            let what = if t.is_symlink() {
                Some("a symbolic link")
            } else if t.is_dir() {
                Some("a folder")
            } else if t.is_file() {
                None
            } else {
                Some("a device, FIFO or socket")
            };
            if let Some(what) = what {
                return Err(JobError::invalid_value(
                    Field::Output,
                    shown,
                    said!(format!(
                        "{what}; give the path of a regular file (it is replaced whole)"
                    )),
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(JobError::invalid_value(
                Field::Output,
                shown,
                said!(e.to_string()),
            ));
        }
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(parent) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(JobError::invalid_value(
            Field::Output,
            shown,
            said!(format!("{} is not a folder", parent.display())),
        )),
        Err(e) => Err(JobError::invalid_value(
            Field::Output,
            shown,
            said!(format!("the folder {}: {e}", parent.display())),
        )),
    }
}

/// Writes `path` whole with `write` (nothing at all when it fails: the
/// temp file is removed); the error names the path.
fn write_whole<T>(
    path: &Path,
    write: impl FnOnce(&mut dwd_series::output::Out) -> Result<T, ExportError>,
) -> Result<T, JobError> {
    // what a killed export to the same target left
    dwd_series::output::sweep_stale_temps_of(path);
    let mut result = None;
    let written = dwd_series::output::write_atomic(path, |w| {
        let r = write(w);
        let failed = r.is_err();
        result = Some(r);
        match failed {
            true => Err(dwd_series::output::EncodeError::from("nothing written")),
            false => Ok(()),
        }
    });
    let write_error = |source: Box<dyn std::error::Error + Send + Sync>| JobError::Write {
        path: path.to_path_buf(),
        source,
    };
    let value = match result {
        Some(Err(e)) => {
            return Err(match JobError::from(e) {
                JobError::Export(e) => write_error(Box::new(e)),
                other => other,
            });
        }
        Some(Ok(v)) => v,
        None => {
            return Err(match written {
                Err(e) => write_error(Box::new(e)),
                Ok(_) => write_error("nothing written".into()),
            });
        }
    };
    written.map_err(|e| write_error(Box::new(e)))?;
    Ok(value)
}
