//! The timestamp-centric export: one record per station and time with the
//! chosen parameters of every dataset of one resolution (a full outer join
//! of their series on station and time), each parameter with its quality
//! column, as Parquet, CSV or JSON lines from the same record batches.
//!
//! Column names are the catalog's wide view's ([`crate::duckdb::wide_columns`]):
//! a name two datasets share (`quality`) is prefixed with the dataset.
//! Time filters skip whole row groups by their statistics before reading.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType, UInt32Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::statistics::Statistics;

use crate::duckdb::{SeriesSet, series_sets_of, wide_columns};
use crate::layout::OutputLayout;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no series of resolution {0} under the output folder: run the datasets first")]
    Nothing(dwd_catalog::Resolution),
    /// A value of the request is wrong (a parameter no series has).
    #[error(transparent)]
    Invalid(#[from] dwd_catalog::Invalid),
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Catalog(#[from] crate::duckdb::CatalogError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Encode(#[from] crate::output::EncodeError),
}

use crate::output::Format;

/// Parameters no series of the resolution has.
pub(crate) fn unknown_parameters(
    unknown: &[&str],
    resolution: dwd_catalog::Resolution,
) -> ExportError {
    ExportError::Invalid(dwd_catalog::Invalid::new(
        dwd_catalog::Field::Parameters,
        dwd_catalog::said!(format!(
            "no parameter {} in the {resolution} series (`datasets` lists each dataset's, and so does the catalog)",
            unknown.join(", ")
        )),
    ))
}

/// A station as its dataset's `stations.parquet` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedStation {
    pub info: dwd_catalog::selection::StationInfo,
    pub height_m: Option<f64>,
}

/// What to export.
#[derive(Clone, Debug)]
pub struct Spec {
    pub resolution: dwd_catalog::Resolution,
    /// Datasets of the resolution; empty: every one with series.
    pub datasets: Vec<String>,
    pub selection: dwd_catalog::Selection,
    /// Output names (or series names) of parameters; empty: all. A
    /// parameter's quality column comes with it.
    pub parameters: Vec<String>,
    /// Station name, coordinates and height as columns (and, in JSON
    /// lines, the units as a `units` object).
    pub with_station: bool,
    /// The tidy shape: a row per station, time and parameter (`dataset`,
    /// `parameter`, `value` as a float, `quality`) instead of a column
    /// per parameter; numeric parameters only.
    pub long: bool,
    /// Set (by Ctrl-C) to stop between stations: [`ExportError::Interrupted`].
    pub stop: Option<tracker_core::Cancel>,
    /// Each value column with a comparable normal of this period gets a
    /// `<column>_anomaly` column ([`crate::anomaly`]); wide shape only.
    pub anomaly: Option<dwd_catalog::ReferencePeriod>,
}

impl Spec {
    /// Every series of `resolution`: all datasets, stations and parameters.
    pub fn new(resolution: dwd_catalog::Resolution) -> Spec {
        Spec {
            resolution,
            datasets: Vec::new(),
            selection: dwd_catalog::Selection::default(),
            parameters: Vec::new(),
            with_station: false,
            long: false,
            stop: None,
            anomaly: None,
        }
    }
}

/// A dataset's chosen columns: (series name, output field).
type Columns = Vec<(String, Field)>;

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exported {
    pub stations: usize,
    pub rows: u64,
    pub columns: Vec<String>,
    /// Why the answer is empty (or a column has no value): never silent.
    pub empty: Vec<Empty>,
    /// Parameters asked by a former name (each front end warns).
    pub renamed: Vec<dwd_translate::Renamed>,
}

/// Why an answer has no rows, or a column of it no values.
#[derive(Clone, Debug, PartialEq)]
pub enum Empty {
    /// No station with a series matches the selection.
    NoStationSelected {
        resolution: dwd_catalog::Resolution,
        with_series: usize,
    },
    /// The stations chosen have no rows in the span asked.
    NoRowsInSpan {
        stations: usize,
        from: Option<jiff::civil::Date>,
        to: Option<jiff::civil::Date>,
    },
    /// A dataset has series but no merged station list: where its stations
    /// are is unknown, so no place can be answered from it.
    NoStationList { dataset: String },
    /// No station of the parameter's dataset lies within its distance limit
    /// of a place (the nearest, if any, and how far).
    NoStationWithin {
        point: String,
        parameter: String,
        dataset: String,
        limit_km: f64,
        nearest: Option<(u32, f64)>,
    },
}

/// Why an answer is empty, said once (one warning: a console that shows a
/// repeated warning once still shows every reason).
pub(crate) fn say_empty(reasons: &[Empty]) {
    if !reasons.is_empty() {
        let text: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        tracing::warn!("{}", text.join("; "));
    }
}

impl std::fmt::Display for Empty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let day = |d: &Option<jiff::civil::Date>| d.map_or("…".to_owned(), |d| d.to_string());
        match self {
            Empty::NoStationSelected {
                resolution,
                with_series,
            } => write!(
                f,
                "no rows: none of the {with_series} stations with a {resolution} series matches the selection"
            ),
            Empty::NoRowsInSpan { stations, from, to } => write!(
                f,
                "no rows: the series of the {stations} station(s) selected have no rows from {} to {}",
                day(from),
                day(to)
            ),
            Empty::NoStationList { dataset } => write!(
                f,
                "{dataset} has series but no station list (stations.parquet): where its stations are is unknown; its run merges DWD's `…_Beschreibung_Stationen.txt` of its period folders"
            ),
            Empty::NoStationWithin {
                point,
                parameter,
                dataset,
                limit_km,
                nearest,
            } => {
                write!(
                    f,
                    "{point}: no station of {dataset} within {limit_km} km gives {parameter}"
                )?;
                match nearest {
                    Some((id, km)) => write!(
                        f,
                        " (the nearest with a series, {id}, is {km:.1} km away; a larger distance limit takes it)"
                    ),
                    None => write!(f, " ({dataset} has no station with a series)"),
                }
            }
        }
    }
}

/// Every station of `dataset`'s `stations.parquet`.
pub fn stations(layout: &OutputLayout, dataset: &str) -> Result<Vec<ListedStation>, ExportError> {
    let path = layout.stations(dataset, "parquet");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path)?)?.build()?;
    let mut out = Vec::new();
    let epoch = jiff::civil::Date::constant(1970, 1, 1);
    for b in reader {
        let b = b?;
        let col = |n: &str| b.column_by_name(n).cloned();
        let (Some(id), Some(name), Some(lat), Some(lon)) = (
            col("station_id"),
            col("name"),
            col("latitude"),
            col("longitude"),
        ) else {
            continue;
        };
        let id = id.as_primitive::<UInt32Type>();
        let name = name.as_string::<i32>();
        let (lat, lon) = (
            lat.as_primitive::<Float64Type>(),
            lon.as_primitive::<Float64Type>(),
        );
        let state = col("state");
        let height = col("height_m");
        let date = |n: &str, i: usize| {
            col(n)
                .and_then(|c| {
                    let d = c.as_primitive::<arrow_array::types::Date32Type>().clone();
                    (!d.is_null(i)).then(|| d.value(i))
                })
                .and_then(|days| epoch.checked_add(jiff::Span::new().days(days)).ok())
                .unwrap_or(epoch)
        };
        for i in 0..b.num_rows() {
            out.push(ListedStation {
                info: dwd_catalog::selection::StationInfo {
                    id: id.value(i),
                    latitude: lat.value(i),
                    longitude: lon.value(i),
                    name: name.value(i).to_owned(),
                    state: state
                        .as_ref()
                        .map(|s| s.as_string::<i32>().value(i).to_owned())
                        .unwrap_or_default(),
                    from: date("first_date", i),
                    to: date("last_date", i),
                },
                height_m: height.as_ref().and_then(|h| {
                    let h = h.as_primitive::<Float64Type>();
                    (!h.is_null(i)).then(|| h.value(i))
                }),
            });
        }
    }
    Ok(out)
}

/// Rows of one merged series per UTC year of `timestamp_utc`, ascending:
/// which years a station's series covers (only that column is read).
pub fn rows_per_year(path: &std::path::Path) -> Result<Vec<(i16, u64)>, ExportError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), ["timestamp_utc"]);
    let reader = builder.with_projection(mask).build()?;
    let mut years: BTreeMap<i16, u64> = BTreeMap::new();
    for b in reader {
        let b = b?;
        let Some(col) = b.column_by_name("timestamp_utc") else {
            continue;
        };
        let Some(ts) = col.as_primitive_opt::<TimestampMillisecondType>() else {
            return Err(ExportError::Arrow(arrow_schema::ArrowError::SchemaError(
                format!(
                    "{}: timestamp_utc is {}, not a timestamp in milliseconds",
                    path.display(),
                    col.data_type()
                ),
            )));
        };
        // the year's bounds are kept: a series is in time order
        let mut span: Option<(i64, i64, i16)> = None;
        for t in ts.iter().flatten() {
            let year = match span {
                Some((from, to, y)) if (from..to).contains(&t) => y,
                _ => {
                    let Ok(stamp) = jiff::Timestamp::from_millisecond(t) else {
                        continue;
                    };
                    let y = jiff::tz::TimeZone::UTC.to_datetime(stamp).year();
                    let bound = |y: i16| jiff::civil::Date::new(y, 1, 1).ok().and_then(ms);
                    if let (Some(from), Some(to)) = (bound(y), bound(y + 1)) {
                        span = Some((from, to, y));
                    }
                    y
                }
            };
            *years.entry(year).or_default() += 1;
        }
    }
    Ok(years.into_iter().collect())
}

pub(crate) fn ms(d: jiff::civil::Date) -> Option<i64> {
    jiff::tz::TimeZone::UTC
        .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
        .ok()
        .map(|t| t.as_millisecond())
}

/// One dataset's rows of one station within `[from, to)`, projected to
/// `columns` (series names), sorted by time.
pub(crate) fn read_series(
    path: &std::path::Path,
    columns: &[String],
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Option<RecordBatch>, ExportError> {
    if !path.exists() {
        return Ok(None);
    }
    let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?;
    let schema = b.schema().clone();
    let wanted: Vec<&str> = std::iter::once("timestamp_utc")
        .chain(columns.iter().map(String::as_str))
        .filter(|c| schema.field_with_name(c).is_ok())
        .collect();
    let mask = ProjectionMask::columns(b.parquet_schema(), wanted.iter().copied());
    // row groups whose time range misses [from, to) are not read
    let ts_col = b
        .parquet_schema()
        .columns()
        .iter()
        .position(|c| c.name() == "timestamp_utc");
    let groups: Vec<usize> = (0..b.metadata().num_row_groups())
        .filter(|g| {
            let Some(stats) =
                ts_col.and_then(|c| b.metadata().row_group(*g).column(c).statistics())
            else {
                return true;
            };
            match stats {
                Statistics::Int64(s) => {
                    let (lo, hi) = (s.min_opt().copied(), s.max_opt().copied());
                    !(to.is_some_and(|t| lo.is_some_and(|lo| lo >= t))
                        || from.is_some_and(|f| hi.is_some_and(|hi| hi < f)))
                }
                _ => true,
            }
        })
        .collect();
    let reader = b
        .with_projection(mask)
        .with_row_groups(groups)
        .with_batch_size(65_536)
        .build()?;
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>()?;
    let Some(all) = crate::one_batch(batches)? else {
        return Ok(None);
    };
    let t = all
        .column_by_name("timestamp_utc")
        .map(|c| c.as_primitive::<TimestampMillisecondType>().clone());
    let Some(t) = t else {
        return Ok(None);
    };
    let keep: arrow_array::BooleanArray = t
        .values()
        .iter()
        .map(|v| Some(from.is_none_or(|f| *v >= f) && to.is_none_or(|e| *v < e)))
        .collect();
    Ok(Some(arrow_select::filter::filter_record_batch(
        &all, &keep,
    )?))
}

/// Writes the export of `spec` to `out`.
pub fn export<W: Write + Send>(
    layout: &OutputLayout,
    spec: &Spec,
    format: Format,
    out: W,
) -> Result<Exported, ExportError> {
    let plan = plan(layout, spec, format)?;
    let mut meta = export_metadata(spec);
    meta.extend(plan.anomaly_metadata());
    let mut sink = crate::encode::Sink::new(format, plan.schema(), meta, out)?;
    let report = plan.run(layout, spec, &mut |b| Ok(sink.write(&b)?))?;
    sink.finish()?;
    Ok(report)
}

/// What [`plan`] resolved: each dataset's chosen columns, the stations,
/// the output's schema; [`ExportPlan::run`] reads and joins the series.
#[derive(Debug)]
pub struct ExportPlan {
    columns: Vec<(String, Columns)>,
    infos: BTreeMap<u32, ListedStation>,
    ids: BTreeSet<u32>,
    /// Stations with a series, before the selection.
    with_series: usize,
    /// Datasets without a station list that the selection needed.
    unplaced: Vec<String>,
    resolution: dwd_catalog::Resolution,
    /// The days asked (for what an empty answer says).
    span: (Option<jiff::civil::Date>, Option<jiff::civil::Date>),
    from: Option<i64>,
    to: Option<i64>,
    /// The wide schema (one row per station and time).
    wide: SchemaRef,
    /// The tidy shape's parameters, when `spec.long`.
    long: Option<Vec<LongParam>>,
    units: Vec<(String, String)>,
    /// The anomaly columns and the normals they subtract.
    anomalies: Option<crate::anomaly::Anomalies>,
}

/// A parameter of the tidy shape: its wide column and its quality column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongParam {
    pub dataset: String,
    /// The wide column (the export's name of the parameter).
    pub parameter: String,
    /// The wide column of its quality level.
    pub quality: Option<String>,
}

/// Resolves `spec`: the resolution's series sets, the chosen columns (an
/// unknown parameter is a usage error), the selected stations.
pub fn plan(layout: &OutputLayout, spec: &Spec, format: Format) -> Result<ExportPlan, ExportError> {
    let sets: Vec<SeriesSet> = series_sets_of(layout, &|d| {
        dwd_catalog::Resolution::of(d) == Some(spec.resolution)
            && (spec.datasets.is_empty() || spec.datasets.iter().any(|x| x == d))
    })?;
    if sets.is_empty() {
        return Err(ExportError::Nothing(spec.resolution));
    }
    let columns = chosen_columns(&sets, spec)?;

    // the stations: those with a series in any chosen dataset, selected
    let mut infos: BTreeMap<u32, ListedStation> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for s in &sets {
        if !layout.stations(&s.dataset, "parquet").exists() {
            unplaced.push(s.dataset.clone());
        }
        for st in stations(layout, &s.dataset)? {
            infos.entry(st.info.id).or_insert(st);
        }
    }
    let mut ids: BTreeSet<u32> = BTreeSet::new();
    for s in &sets {
        for f in std::fs::read_dir(layout.series_dir(&s.dataset))?.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".parquet").and_then(|n| n.parse().ok()) {
                ids.insert(id);
            }
        }
    }
    let sel = &spec.selection;
    let with_series = ids.len();
    ids.retain(|id| match infos.get(id) {
        Some(st) => sel.station_matches(&st.info),
        None => !sel.needs_station_list() && (sel.stations.is_empty() || sel.stations.contains(id)),
    });

    let mut fields = key_fields(spec.with_station);
    for (_, cols) in &columns {
        fields.extend(cols.iter().map(|(_, f)| f.clone()));
    }
    let units: Vec<(String, String)> = columns
        .iter()
        .flat_map(|(_, c)| c.iter())
        .filter_map(|(_, f)| Some((f.name().clone(), f.metadata().get("unit")?.clone())))
        .collect();
    if spec.with_station && !spec.long && format == Format::Jsonl && !units.is_empty() {
        let unit_fields: Vec<Field> = units
            .iter()
            .map(|(n, _)| Field::new(n, DataType::Utf8, false))
            .collect();
        fields.push(Field::new(
            "units",
            DataType::Struct(unit_fields.into()),
            false,
        ));
    }
    let long = spec.long.then(|| long_params(&columns));
    let anomalies = match spec.anomaly {
        None => None,
        Some(_) if spec.long => {
            return Err(ExportError::Invalid(dwd_catalog::Invalid::new(
                dwd_catalog::Field::Anomaly,
                dwd_catalog::said!("anomalies are columns of the wide shape, not of the tidy one"),
            )));
        }
        Some(period) => {
            let a = crate::anomaly::Anomalies::plan(layout, period, spec.resolution, &columns)?;
            fields.extend(a.fields());
            Some(a)
        }
    };
    Ok(ExportPlan {
        wide: Arc::new(Schema::new(fields)),
        columns,
        infos,
        ids,
        with_series,
        // a selection by place, name, state or span cannot see their stations
        unplaced: match sel.needs_station_list() {
            true => unplaced,
            false => Vec::new(),
        },
        resolution: spec.resolution,
        span: (sel.from, sel.to),
        from: sel.from.and_then(ms),
        to: sel.to.and_then(|d| d.tomorrow().ok()).and_then(ms),
        long,
        units,
        anomalies,
    })
}

/// `station_id`, `timestamp_utc` and, with the station, its name, place
/// and height: the first columns of both shapes.
fn key_fields(with_station: bool) -> Vec<Field> {
    let ts = DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into()));
    let mut fields = vec![
        Field::new("station_id", DataType::UInt32, false),
        Field::new("timestamp_utc", ts, false),
    ];
    if with_station {
        fields.push(Field::new("station_name", DataType::Utf8, true));
        fields.push(Field::new("latitude", DataType::Float64, true));
        fields.push(Field::new("longitude", DataType::Float64, true));
        fields.push(Field::new("height_m", DataType::Float64, true));
    }
    fields
}

/// Each dataset's chosen columns (a parameter's quality column comes with
/// it); a parameter no dataset has is a usage error.
fn chosen_columns(sets: &[SeriesSet], spec: &Spec) -> Result<Vec<(String, Columns)>, ExportError> {
    let refs: Vec<&SeriesSet> = sets.iter().collect();
    let wide = wide_columns(&refs);
    let wanted = |set: &SeriesSet, name: &str, shown: &str| {
        if spec.parameters.is_empty() {
            return true;
        }
        let chosen = |n: &str| spec.parameters.iter().any(|p| p == n);
        if chosen(name) || chosen(shown) {
            return true;
        }
        // a quality column comes with a chosen parameter it qualifies
        set.fields.iter().any(|f| {
            (chosen(f.name()) || chosen(&format!("{}_{}", short(&set.dataset), f.name())))
                && f.metadata().get("quality_column").map(String::as_str) == Some(name)
        })
    };
    let mut plan: Vec<(String, Columns)> = Vec::new();
    for ((dataset, cols), set) in wide.iter().zip(sets) {
        let mut chosen = Vec::new();
        for (name, shown) in cols {
            if wanted(set, name, shown)
                && let Some(f) = set.fields.iter().find(|f| f.name() == name)
            {
                chosen.push((
                    name.clone(),
                    f.as_ref().clone().with_name(shown).with_nullable(true),
                ));
            }
        }
        // a quality column named in a field's metadata is named as this
        // table shows it
        for (_, f) in &mut chosen {
            let shown_quality = f
                .metadata()
                .get("quality_column")
                .and_then(|q| cols.iter().find(|(name, _)| name == q))
                .map(|(_, shown)| shown.clone());
            if let Some(q) = shown_quality {
                let mut meta = f.metadata().clone();
                meta.insert("quality_column".to_owned(), q);
                *f = f.clone().with_metadata(meta);
            }
        }
        if !chosen.is_empty() {
            plan.push((dataset.clone(), chosen));
        }
    }
    let unknown: Vec<&str> = spec
        .parameters
        .iter()
        .filter(|p| {
            !plan
                .iter()
                .any(|(_, c)| c.iter().any(|(n, f)| n == *p || f.name() == *p))
        })
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(unknown_parameters(&unknown, spec.resolution));
    }
    Ok(plan)
}

/// The tidy shape's parameters: every chosen numeric column that is not a
/// quality level, with the column of its quality level. Text columns
/// (codes as text, descriptions) have no number to stand in `value`.
fn long_params(columns: &[(String, Columns)]) -> Vec<LongParam> {
    let mut out = Vec::new();
    for (dataset, cols) in columns {
        // `quality_column` names the column as this table shows it
        let quality_of = |f: &Field| {
            let q = f.metadata().get("quality_column")?;
            cols.iter()
                .find(|(_, qf)| qf.name() == q)
                .map(|(_, qf)| qf.name().clone())
        };
        let is_quality = |name: &str, shown: &str| {
            name == "quality"
                || name.starts_with("quality_")
                || cols.iter().any(|(_, f)| {
                    f.metadata().get("quality_column").map(String::as_str) == Some(shown)
                })
        };
        for (name, f) in cols {
            if is_quality(name, f.name()) || !f.data_type().is_numeric() {
                continue;
            }
            out.push(LongParam {
                dataset: dataset.clone(),
                parameter: f.name().clone(),
                quality: quality_of(f),
            });
        }
    }
    out
}

impl ExportPlan {
    /// The schema of the batches [`ExportPlan::run`] hands on: wide, or
    /// with `spec.long` the tidy shape (`station_id`, `timestamp_utc`,
    /// the station's columns if asked, `dataset`, `parameter`, `value`,
    /// `quality`).
    pub fn schema(&self) -> SchemaRef {
        match &self.long {
            None => self.wide.clone(),
            Some(_) => {
                let with_station = self.wide.field_with_name("station_name").is_ok();
                let mut fields = key_fields(with_station);
                fields.extend([
                    Field::new("dataset", DataType::Utf8, false),
                    Field::new("parameter", DataType::Utf8, false),
                    Field::new("value", DataType::Float64, true),
                    Field::new("quality", DataType::Int32, true),
                ]);
                Arc::new(Schema::new(fields))
            }
        }
    }

    /// Reads, joins and hands on each station's rows (one batch a station,
    /// stations by id); stops between stations when `spec.stop` is set.
    pub fn run(
        &self,
        layout: &OutputLayout,
        spec: &Spec,
        on_batch: &mut dyn FnMut(RecordBatch) -> Result<(), ExportError>,
    ) -> Result<Exported, ExportError> {
        let schema = self.schema();
        let mut report = Exported {
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
            ..Exported::default()
        };
        for &id in &self.ids {
            if spec
                .stop
                .as_ref()
                .is_some_and(tracker_core::Cancel::is_cancelled)
            {
                return Err(ExportError::Interrupted);
            }
            let Some(wide) = self.station(layout, id)? else {
                continue;
            };
            let batch = match &self.long {
                None => wide,
                Some(params) => to_long(&wide, params, &schema)?,
            };
            report.rows += batch.num_rows() as u64;
            report.stations += 1;
            on_batch(batch)?;
        }
        if report.rows == 0 {
            report.empty.extend(
                self.unplaced
                    .iter()
                    .map(|d| Empty::NoStationList { dataset: d.clone() }),
            );
            report.empty.push(match self.ids.len() {
                0 => Empty::NoStationSelected {
                    resolution: self.resolution,
                    with_series: self.with_series,
                },
                n => Empty::NoRowsInSpan {
                    stations: n,
                    from: self.span.0,
                    to: self.span.1,
                },
            });
        }
        crate::export::say_empty(&report.empty);
        Ok(report)
    }

    /// One station's wide rows: every time any chosen dataset has, each
    /// dataset's columns at that time (null where it has none).
    fn station(&self, layout: &OutputLayout, id: u32) -> Result<Option<RecordBatch>, ExportError> {
        let station = format!("{id:05}");
        let mut parts: Vec<(Option<RecordBatch>, &Columns)> = Vec::new();
        for (dataset, cols) in &self.columns {
            let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
            let b = read_series(
                &layout.series(dataset, &station),
                &names,
                self.from,
                self.to,
            )?;
            parts.push((b, cols));
        }
        let times_of = |b: &RecordBatch| {
            b.column_by_name("timestamp_utc")
                .map(|c| {
                    c.as_primitive::<TimestampMillisecondType>()
                        .values()
                        .to_vec()
                })
                .unwrap_or_default()
        };
        // every time any dataset has, in order
        let mut times: Vec<i64> = parts
            .iter()
            .filter_map(|(b, _)| b.as_ref())
            .flat_map(times_of)
            .collect();
        times.sort_unstable();
        times.dedup();
        if times.is_empty() {
            return Ok(None);
        }
        let n = times.len();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![id; n])),
            Arc::new(
                arrow_array::TimestampMillisecondArray::from(times.clone()).with_timezone("UTC"),
            ),
        ];
        if self.wide.field_with_name("station_name").is_ok() {
            let st = self.infos.get(&id);
            let number = |f: fn(&ListedStation) -> Option<f64>| -> ArrayRef {
                Arc::new(arrow_array::Float64Array::from(vec![st.and_then(f); n]))
            };
            columns.push(Arc::new(StringArray::from(vec![
                st.map(|s| s
                    .info
                    .name
                    .clone());
                n
            ])));
            columns.push(number(|s| Some(s.info.latitude)));
            columns.push(number(|s| Some(s.info.longitude)));
            columns.push(number(|s| s.height_m));
        }
        for (batch, cols) in &parts {
            // where each output row is in this dataset's rows (none: null)
            let index: Option<UInt32Array> = batch.as_ref().map(|b| {
                let own = times_of(b);
                let mut k = 0;
                times
                    .iter()
                    .map(|t| {
                        while k < own.len() && own[k] < *t {
                            k += 1;
                        }
                        (k < own.len() && own[k] == *t).then_some(k as u32)
                    })
                    .collect()
            });
            for (name, field) in cols.iter() {
                let col = match (batch, &index) {
                    (Some(b), Some(ix)) => match b.column_by_name(name) {
                        Some(c) => {
                            let c = arrow_select::take::take(c, ix, None)?;
                            if c.data_type() == field.data_type() {
                                c
                            } else {
                                arrow_cast::cast(&c, field.data_type())?
                            }
                        }
                        None => arrow_array::new_null_array(field.data_type(), n),
                    },
                    _ => arrow_array::new_null_array(field.data_type(), n),
                };
                columns.push(col);
            }
        }
        if let Some(DataType::Struct(unit_fields)) = self
            .wide
            .field_with_name("units")
            .ok()
            .map(|f| f.data_type().clone())
        {
            let arrays: Vec<ArrayRef> = self
                .units
                .iter()
                .map(|(_, u)| Arc::new(StringArray::from(vec![u.as_str(); n])) as ArrayRef)
                .collect();
            columns.push(Arc::new(arrow_array::StructArray::try_new(
                unit_fields,
                arrays,
                None,
            )?));
        }
        if let Some(a) = &self.anomalies {
            let value_of = |name: &str| {
                self.wide
                    .index_of(name)
                    .ok()
                    .and_then(|i| columns.get(i).cloned())
            };
            let anomalies = a.columns(id, &times, &value_of)?;
            columns.extend(anomalies);
        }
        Ok(Some(RecordBatch::try_new(self.wide.clone(), columns)?))
    }

    /// The rules the anomaly columns follow (for the output's metadata).
    pub fn anomaly_metadata(&self) -> Vec<parquet::file::metadata::KeyValue> {
        self.anomalies
            .as_ref()
            .map(crate::anomaly::Anomalies::metadata)
            .unwrap_or_default()
    }
}

/// The tidy shape of one station's wide rows: a row per time and
/// parameter (parameters in order, each over all times), the value as a
/// float and the parameter's quality level. Values are as in the wide
/// shape (a null stays a row with a null value).
pub fn to_long(
    wide: &RecordBatch,
    params: &[LongParam],
    schema: &SchemaRef,
) -> Result<RecordBatch, ExportError> {
    let n = wide.num_rows();
    let keys = schema.fields().len() - 4;
    let mut pieces = Vec::with_capacity(params.len());
    for p in params {
        let Some(value) = wide.column_by_name(&p.parameter) else {
            continue;
        };
        let mut columns: Vec<ArrayRef> = wide.columns()[..keys].to_vec();
        columns.push(Arc::new(StringArray::from(vec![p.dataset.as_str(); n])));
        columns.push(Arc::new(StringArray::from(vec![p.parameter.as_str(); n])));
        columns.push(arrow_cast::cast(value, &DataType::Float64)?);
        columns.push(
            match p.quality.as_ref().and_then(|q| wide.column_by_name(q)) {
                Some(q) => arrow_cast::cast(q, &DataType::Int32)?,
                None => arrow_array::new_null_array(&DataType::Int32, n),
            },
        );
        pieces.push(RecordBatch::try_new(schema.clone(), columns)?);
    }
    Ok(arrow_select::concat::concat_batches(schema, &pieces)?)
}

fn short(dataset: &str) -> String {
    dataset
        .split_once('/')
        .map_or(dataset, |(_, rest)| rest)
        .replace('/', "_")
}

/// The export's key-value metadata (Parquet's, and the schema's of the
/// tables handed to Python).
pub fn export_metadata(spec: &Spec) -> Vec<parquet::file::metadata::KeyValue> {
    let shape = match spec.long {
        false => "one row per station and time",
        true => {
            "one row per station, time and parameter (numeric parameters; value as a float, quality the parameter's quality level)"
        }
    };
    vec![
        parquet::file::metadata::KeyValue::new(
            "export".into(),
            format!(
                "resolution {}; {shape}, from a full outer join of the datasets' series on (station_id, timestamp_utc); selection: {}",
                spec.resolution,
                spec.selection.describe()
            ),
        ),
        parquet::file::metadata::KeyValue::new("merge_rule".into(), crate::MERGE_RULE.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int32Array, TimestampMillisecondArray};

    const H: i64 = 3_600_000;

    /// A series of station 44 at the given hours: `<param>` = hour·factor.
    fn series(
        layout: &OutputLayout,
        dataset: &str,
        param: &str,
        unit: &str,
        hours: &[i64],
        factor: f64,
    ) {
        let schema = crate::testing::series_schema(&[(param, DataType::Float64, unit)]);
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt32Array::from(vec![44; hours.len()])),
                Arc::new(
                    TimestampMillisecondArray::from(
                        hours.iter().map(|h| h * H).collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(Int32Array::from(vec![3; hours.len()])),
                Arc::new(Float64Array::from(
                    hours.iter().map(|h| *h as f64 * factor).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        let path = layout.series(dataset, "00044");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        crate::encode::write_parquet(&batch, Vec::new(), std::fs::File::create(path).unwrap())
            .unwrap();
    }

    #[test]
    fn rows_per_year_counts_each_utc_year_once() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OutputLayout::new(dir.path());
        // hours from 1970-01-01: the last hour of 1970, two of 1971, then
        // 1973 (1972 has none)
        let h1971 = 365 * 24;
        let h1973 = (365 + 365 + 366) * 24;
        series(
            &layout,
            "hourly/air_temperature",
            "temperature_air_2m",
            "°C",
            &[h1971 - 1, h1971, h1971 + 1, h1973 + 5],
            1.0,
        );
        let years = rows_per_year(&layout.series("hourly/air_temperature", "00044")).unwrap();
        assert_eq!(years, vec![(1970, 1), (1971, 2), (1973, 1)]);
    }

    fn lab() -> (tempfile::TempDir, OutputLayout) {
        let dir = tempfile::tempdir().unwrap();
        let layout = OutputLayout::new(dir.path());
        series(
            &layout,
            "hourly/air_temperature",
            "temperature_air_2m",
            "°C",
            &[1, 2, 3],
            1.0,
        );
        series(
            &layout,
            "hourly/wind",
            "wind_speed",
            "m/s",
            &[2, 3, 4, 5],
            10.0,
        );
        (dir, layout)
    }

    fn spec() -> Spec {
        Spec {
            resolution: dwd_catalog::Resolution::Hourly,
            ..Spec::new(dwd_catalog::Resolution::Hourly)
        }
    }

    #[test]
    fn one_record_per_station_and_time_across_datasets() {
        let (_d, layout) = lab();
        let mut out = Vec::new();
        let e = export(&layout, &spec(), Format::Csv, &mut out).unwrap();
        assert_eq!((e.stations, e.rows), (1, 5));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "station_id,timestamp_utc,air_temperature_quality,temperature_air_2m,wind_quality,wind_speed\n\
             44,1970-01-01T01:00:00Z,3,1.0,,\n\
             44,1970-01-01T02:00:00Z,3,2.0,3,20.0\n\
             44,1970-01-01T03:00:00Z,3,3.0,3,30.0\n\
             44,1970-01-01T04:00:00Z,,,3,40.0\n\
             44,1970-01-01T05:00:00Z,,,3,50.0\n"
        );
    }

    #[test]
    fn parameters_times_and_units() {
        let (_d, layout) = lab();
        let mut s = spec();
        s.parameters = vec!["wind_speed".into()];
        s.selection.from = jiff::civil::Date::new(1970, 1, 1).ok();
        s.selection.to = jiff::civil::Date::new(1970, 1, 1).ok();
        s.with_station = true;
        let mut out = Vec::new();
        export(&layout, &s, Format::Jsonl, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("{\"station_id\":44,\"timestamp_utc\":\"1970-01-01T02:00:00Z\",\"station_name\":null"),
            "{first}"
        );
        assert!(
            first.contains("\"wind_quality\":3,\"wind_speed\":20.0"),
            "{first}"
        );
        assert!(
            first.contains("\"units\":{\"wind_speed\":\"m/s\"}"),
            "{first}"
        );
        assert!(
            !first.contains("temperature"),
            "only the chosen parameter: {first}"
        );
        // a day that has no rows: none
        s.selection.from = jiff::civil::Date::new(1971, 1, 1).ok();
        s.selection.to = None;
        let mut out = Vec::new();
        assert_eq!(
            export(&layout, &s, Format::Parquet, &mut out).unwrap().rows,
            0
        );
        s.parameters = vec!["nope".into()];
        assert!(matches!(
            export(&layout, &s, Format::Csv, Vec::new()),
            Err(ExportError::Invalid(_))
        ));
        s.resolution = dwd_catalog::Resolution::Daily;
        assert!(matches!(
            export(&layout, &s, Format::Csv, Vec::new()),
            Err(ExportError::Nothing(_))
        ));
    }

    /// The tidy shape: a row per time and parameter, each parameter over
    /// all the station's times (a time only the other dataset has stays,
    /// with a null value), its own quality level beside it.
    #[test]
    fn the_long_shape_has_a_row_per_time_and_parameter() {
        let (_d, layout) = lab();
        let mut s = spec();
        s.long = true;
        let mut out = Vec::new();
        let e = export(&layout, &s, Format::Csv, &mut out).unwrap();
        assert_eq!((e.stations, e.rows), (1, 10));
        assert_eq!(
            e.columns,
            [
                "station_id",
                "timestamp_utc",
                "dataset",
                "parameter",
                "value",
                "quality"
            ]
        );
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "44,1970-01-01T01:00:00Z,hourly/air_temperature,temperature_air_2m,1.0,3"
        );
        assert_eq!(
            lines[4],
            "44,1970-01-01T04:00:00Z,hourly/air_temperature,temperature_air_2m,,"
        );
        assert_eq!(lines[6], "44,1970-01-01T01:00:00Z,hourly/wind,wind_speed,,");
        assert_eq!(
            lines[10],
            "44,1970-01-01T05:00:00Z,hourly/wind,wind_speed,50.0,3"
        );
        // a chosen parameter, with the station's columns
        s.parameters = vec!["wind_speed".into()];
        s.with_station = true;
        let plan = plan(&layout, &s, Format::Parquet).unwrap();
        assert_eq!(plan.schema().fields().len(), 10);
        let mut rows = 0;
        plan.run(&layout, &s, &mut |b| {
            rows += b.num_rows();
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, 4, "one parameter over the times of its dataset");
    }
}
