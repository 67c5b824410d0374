//! Values at a place: for each point asked for, one row per time with
//! every asked parameter, each value taken from the stations around it,
//! and for every cell which stations gave it, how far they are, their
//! weights and the method.
//!
//! - **nearest**: the value of the nearest station within the parameter's
//!   distance limit that has a value at that time (ties: the smaller
//!   station id), with a quality level of at least `min_quality` when one
//!   is asked for.
//! - **idw**: the nearest such station's value when it lies within
//!   `near_km` (1 km); otherwise the mean of the `k` (4) nearest such
//!   stations weighted by 1/d² (d the great-circle distance in km). A
//!   parameter that may not be averaged (codes, text, directions) falls
//!   back to nearest. With the point's height given, a parameter with the
//!   lapse rule (air and dew point temperatures) is moved from each
//!   station's height to the point's by `lapse_k_per_km` (−6.5 K/km)
//!   before weighting.
//!
//! Only the series of stations within a parameter's limit are read, and of
//! those only the row groups of the asked period.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, ListBuilder, StringBuilder, UInt32Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dwd_translate::{Spatial, Tables};

use crate::duckdb::{SeriesSet, series_sets_of, wide_columns};
use crate::export::{Empty, ExportError, read_series};
use crate::layout::OutputLayout;
use crate::output::Format;

/// A place asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub id: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Height above sea level; with it, the lapse rule applies (idw).
    pub height_m: Option<f64>,
}

/// Why points could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PointsError {
    /// A place given as text (`LAT,LON[,HEIGHT_M]`).
    #[error("{field}: {value:?}: {why}")]
    Bad {
        field: dwd_catalog::Field,
        value: String,
        why: String,
    },
    #[error("{}: {message}", path.display())]
    File {
        path: std::path::PathBuf,
        message: String,
    },
}

/// A point as `--at` takes it: `LAT,LON` or `LAT,LON,HEIGHT_M`, named
/// `id` (a degree is a number; latitude −90 to 90, longitude −180 to 180).
pub fn parse_point(id: &str, text: &str) -> Result<Point, PointsError> {
    let bad = |why: &str| PointsError::Bad {
        field: dwd_catalog::Field::At,
        value: text.to_owned(),
        why: why.to_owned(),
    };
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad(
            "give LAT,LON or LAT,LON,HEIGHT_M (e.g. 51.34,12.37,113)",
        ));
    }
    let num = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    let (Some(latitude), Some(longitude)) = (num(parts[0]), num(parts[1])) else {
        return Err(bad(
            "not numbers: give LAT,LON in degrees (e.g. 51.34,12.37)",
        ));
    };
    point(
        id,
        latitude,
        longitude,
        parts.get(2).map(|h| num(h).ok_or(())),
    )
    .map_err(|why| bad(&why))
}

fn point(
    id: &str,
    latitude: f64,
    longitude: f64,
    height: Option<Result<f64, ()>>,
) -> Result<Point, String> {
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(format!("latitude {latitude} is not between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(format!("longitude {longitude} is not between -180 and 180"));
    }
    let height_m = match height {
        None => None,
        Some(Ok(h)) => Some(h),
        Some(Err(())) => return Err("the height is not a number of metres".into()),
    };
    Ok(Point {
        id: id.to_owned(),
        latitude,
        longitude,
        height_m,
    })
}

/// Points from a CSV file with the header `id,latitude,longitude` (and
/// optionally `height_m`; a UTF-8 byte order mark before it is skipped).
/// Each id once; an error names the line and what was expected there.
pub fn read_points(path: &std::path::Path) -> Result<Vec<Point>, PointsError> {
    let file_err = |message: String| PointsError::File {
        path: path.to_path_buf(),
        message,
    };
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |p| p.line());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| file_err(csv_error(&e)))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_err(csv_error(&e)))?
        .iter()
        .map(str::to_owned)
        .collect();
    let want = ["id", "latitude", "longitude"];
    if header.len() < 3
        || header.len() > 4
        || header[..3] != want
        || header.get(3).is_some_and(|h| h != "height_m")
    {
        return Err(file_err(format!(
            "line 1: the header is {:?}; it must be id,latitude,longitude[,height_m]",
            header.join(",")
        )));
    }
    let mut out: Vec<Point> = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let r = record.map_err(|e| file_err(csv_error(&e)))?;
        let line = line_of(&r);
        if r.len() != header.len() {
            return Err(file_err(format!(
                "line {line}: {} field(s) where the header has {} ({})",
                r.len(),
                header.len(),
                header.join(",")
            )));
        }
        let id = &r[0];
        if id.is_empty() {
            return Err(file_err(format!("line {line}: the id is empty")));
        }
        if let Some(first) = lines.insert(id.to_owned(), line) {
            return Err(file_err(format!(
                "line {line}: the id {id:?} is taken by line {first}: each place needs an id of its own"
            )));
        }
        let number = |i: usize| -> Result<f64, PointsError> {
            r[i].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    file_err(format!(
                        "line {line}: {} {:?} is not a number",
                        header[i], &r[i]
                    ))
                })
        };
        let height = match r.get(3) {
            None | Some("") => None,
            Some(_) => Some(Ok(number(3)?)),
        };
        let p = point(id, number(1)?, number(2)?, height)
            .map_err(|why| file_err(format!("line {line} (point {id}): {why}")))?;
        out.push(p);
    }
    if out.is_empty() {
        return Err(file_err(
            "no points: give a line id,latitude,longitude[,height_m] after the header".into(),
        ));
    }
    Ok(out)
}

/// A CSV reader's error as a line of text: where, and what.
fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { pos, .. } => format!(
            "line {}: not UTF-8 text",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => e.to_string(),
    }
}

impl From<PointsError> for dwd_catalog::Invalid {
    fn from(e: PointsError) -> Self {
        match e {
            PointsError::Bad { field, value, why } => {
                dwd_catalog::Invalid::of(field, format!("{value:?}"), dwd_catalog::said!(why))
            }
            e @ PointsError::File { .. } => dwd_catalog::Invalid::new(
                dwd_catalog::Field::Points,
                dwd_catalog::said!(e.to_string()),
            ),
        }
    }
}

/// How a value is taken from the stations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Method {
    Nearest,
    Idw,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Nearest => "nearest",
            Method::Idw => "idw",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = &'static str;

    /// `nearest` or `idw`, as `as_str` writes them.
    fn from_str(s: &str) -> Result<Method, &'static str> {
        match s {
            "nearest" => Ok(Method::Nearest),
            "idw" => Ok(Method::Idw),
            _ => Err("`nearest` or `idw`"),
        }
    }
}

/// How a cell's value was taken: a [`Method`] asked for falls back to
/// nearest where averaging does not apply, and is none where no station
/// qualified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Used {
    Nearest,
    Idw,
    /// No station within the limit had a value: the cell is null.
    #[default]
    None,
}

impl Used {
    /// As the output's `<parameter>_method` column says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Used::Nearest => "nearest",
            Used::Idw => "idw",
            Used::None => "none",
        }
    }
}

/// What to compute.
#[derive(Clone, Debug)]
pub struct ValuesSpec {
    pub resolution: dwd_catalog::Resolution,
    /// Output names of parameters (as the export names them).
    pub parameters: Vec<String>,
    pub points: Vec<Point>,
    pub from: Option<jiff::civil::Date>,
    /// The last day, inclusive.
    pub to: Option<jiff::civil::Date>,
    pub method: Method,
    /// Only values whose quality level is at least this.
    pub min_quality: Option<i32>,
    /// Replaces every parameter's distance limit (km).
    pub max_km: Option<f64>,
    /// Stations averaged by idw.
    pub k: usize,
    /// A station this close (km) stands for the point alone under idw.
    pub near_km: f64,
    /// Kelvin per km of height, for parameters with the lapse rule.
    pub lapse_k_per_km: f64,
    /// Stations never used (a leave-one-out check hides one at a time).
    pub exclude: BTreeSet<u32>,
    pub stop: Option<tracker_core::Cancel>,
    /// Anomalies against this period's normals ([`crate::anomaly`]): at a
    /// place, the normal is taken with the value's stations and weights.
    pub anomaly: Option<dwd_catalog::ReferencePeriod>,
}

impl ValuesSpec {
    /// Values of `resolution`'s series, with the defaults of the module
    /// doc (nearest; idw with k 4, 1 km, −6.5 K/km).
    pub fn new(resolution: dwd_catalog::Resolution) -> Self {
        ValuesSpec {
            resolution,
            parameters: Vec::new(),
            points: Vec::new(),
            from: None,
            to: None,
            method: Method::Nearest,
            min_quality: None,
            max_km: None,
            k: 4,
            near_km: 1.0,
            lapse_k_per_km: -6.5,
            exclude: BTreeSet::new(),
            stop: None,
            anomaly: None,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValuesReport {
    pub points: usize,
    pub rows: u64,
    pub columns: Vec<String>,
    /// Series files read.
    pub series_read: usize,
    /// Why the answer is empty, or a parameter has no value at a place.
    pub empty: Vec<Empty>,
    /// Parameters asked by a former name (each front end warns).
    pub renamed: Vec<dwd_translate::Renamed>,
}

/// One asked parameter, resolved.
#[derive(Clone, Debug)]
struct Param {
    /// As asked (the output's column name).
    name: String,
    dataset: String,
    /// The series column.
    column: String,
    quality: Option<String>,
    text: bool,
    rules: Spatial,
    /// The series column's field (its unit, statistic and span).
    field: arrow_schema::FieldRef,
}

/// A station of a dataset.
#[derive(Clone, Debug)]
struct Site {
    id: u32,
    latitude: f64,
    longitude: f64,
    height_m: Option<f64>,
}

/// One station's rows of one dataset, the columns needed.
#[derive(Debug)]
struct Rows {
    times: Vec<i64>,
    batch: RecordBatch,
}

/// A candidate of one point and parameter: station, distance, where its
/// rows are.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    id: u32,
    km: f64,
    height_m: Option<f64>,
    rows: usize,
}

/// The values a cell was made of.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub number: Option<f64>,
    pub text: Option<String>,
    pub stations: Vec<u32>,
    pub distances_km: Vec<f64>,
    pub weights: Vec<f64>,
    /// How the value was taken: nearest, idw, or none when no station
    /// qualified.
    pub method: Used,
}

/// A station's value at one time, for [`combine`].
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub station: u32,
    pub km: f64,
    pub height_m: Option<f64>,
    pub number: Option<f64>,
    pub text: Option<String>,
}

/// The rule of the module doc, on the readings of the stations within the
/// limit that have a value at that time, nearest first (ties: smaller id).
pub fn combine(
    readings: &[Reading],
    method: Method,
    rules: Spatial,
    spec: &ValuesSpec,
    point_height: Option<f64>,
) -> Cell {
    let Some(first) = readings.first() else {
        return Cell {
            method: Used::None,
            ..Cell::default()
        };
    };
    let nearest = || Cell {
        number: first.number,
        text: first.text.clone(),
        stations: vec![first.station],
        distances_km: vec![first.km],
        weights: vec![1.0],
        method: Used::Nearest,
    };
    if method == Method::Nearest || !rules.interpolate || first.km <= spec.near_km {
        return nearest();
    }
    let used: Vec<&Reading> = readings.iter().take(spec.k.max(1)).collect();
    let raw: Vec<f64> = used.iter().map(|r| 1.0 / (r.km * r.km)).collect();
    let total: f64 = raw.iter().sum();
    let mut sum = 0.0;
    for (r, w) in used.iter().zip(&raw) {
        let mut v = r.number.unwrap_or(f64::NAN);
        if rules.lapse
            && let (Some(to), Some(from)) = (point_height, r.height_m)
        {
            v += spec.lapse_k_per_km * (to - from) / 1000.0;
        }
        sum += v * w;
    }
    Cell {
        number: Some(sum / total),
        text: None,
        stations: used.iter().map(|r| r.station).collect(),
        distances_km: used.iter().map(|r| r.km).collect(),
        weights: raw.iter().map(|w| w / total).collect(),
        method: Used::Idw,
    }
}

/// Writes the values of `spec` to `out`.
pub fn values<W: Write + Send>(
    layout: &OutputLayout,
    tables: &Tables,
    spec: &ValuesSpec,
    format: Format,
    out: W,
) -> Result<ValuesReport, ExportError> {
    let plan = plan(layout, tables, spec, format)?;
    let mut sink = crate::encode::Sink::new(format, plan.schema(), plan.metadata(spec), out)?;
    let report = plan.run(layout, spec, &mut |b| Ok(sink.write(&b)?))?;
    sink.finish()?;
    Ok(report)
}

/// What [`plan`] resolved: the parameters, their stations, the output's
/// schema; [`Plan::run`] computes the rows.
#[derive(Debug)]
pub struct Plan {
    params: Vec<Param>,
    sites: HashMap<String, Vec<Site>>,
    schema: SchemaRef,
    format: Format,
    from: Option<i64>,
    to: Option<i64>,
    /// Datasets asked for whose station list is missing.
    unplaced: Vec<String>,
    /// The anomaly columns and the normals they subtract.
    anomalies: Option<crate::anomaly::Anomalies>,
}

/// Resolves `spec`'s parameters in the resolution's series and reads the
/// station lists (stations with a series, less `spec.exclude`).
pub fn plan(
    layout: &OutputLayout,
    tables: &Tables,
    spec: &ValuesSpec,
    format: Format,
) -> Result<Plan, ExportError> {
    let sets: Vec<SeriesSet> = series_sets_of(layout, &|d| {
        dwd_catalog::Resolution::of(d) == Some(spec.resolution)
    })?;
    if sets.is_empty() {
        return Err(ExportError::Nothing(spec.resolution));
    }
    let params = resolve(&sets, tables, spec)?;
    let mut sites: HashMap<String, Vec<Site>> = HashMap::new();
    let mut unplaced = Vec::new();
    for p in &params {
        if !sites.contains_key(&p.dataset) {
            if !layout.stations(&p.dataset, "parquet").exists() {
                unplaced.push(p.dataset.clone());
            }
            let list = crate::export::stations(layout, &p.dataset)?
                .into_iter()
                .filter(|s| !spec.exclude.contains(&s.info.id))
                .filter(|s| {
                    layout
                        .series(&p.dataset, &format!("{:05}", s.info.id))
                        .exists()
                })
                .map(|s| Site {
                    id: s.info.id,
                    latitude: s.info.latitude,
                    longitude: s.info.longitude,
                    height_m: s.height_m,
                })
                .collect();
            sites.insert(p.dataset.clone(), list);
        }
    }
    let anomalies = match spec.anomaly {
        None => None,
        Some(period) => {
            let columns: Vec<(String, Vec<(String, Field)>)> = params
                .iter()
                .map(|p| {
                    (
                        p.dataset.clone(),
                        vec![(
                            p.column.clone(),
                            p.field.as_ref().clone().with_name(&p.name),
                        )],
                    )
                })
                .collect();
            Some(crate::anomaly::Anomalies::plan(
                layout,
                period,
                spec.resolution,
                &columns,
            )?)
        }
    };
    let with_anomaly = |name: &str| {
        anomalies
            .as_ref()
            .and_then(|a| a.columns.iter().find(|c| c.value == name))
            .map(|c| Field::new(&c.name, DataType::Float64, true))
    };
    Ok(Plan {
        schema: schema(&params, format, &with_anomaly),
        anomalies,
        params,
        sites,
        format,
        unplaced,
        from: spec.from.and_then(crate::export::ms),
        to: spec
            .to
            .and_then(|d| d.tomorrow().ok())
            .and_then(crate::export::ms),
    })
}

impl Plan {
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The rules that made the values, as key-value metadata (Parquet's,
    /// and the schema's of the tables handed to Python).
    pub fn metadata(&self, spec: &ValuesSpec) -> Vec<parquet::file::metadata::KeyValue> {
        let mut m = metadata_of(&self.params, spec);
        if let Some(a) = &self.anomalies {
            m.extend(a.metadata());
            m.push(parquet::file::metadata::KeyValue::new(
                "anomaly_at_a_place".to_owned(),
                "at a place the normal is taken as the value is: the same stations and weights (and, where the value was moved to the point's height by the lapse rate, the same move), so the anomaly is the weighted mean of the stations' own anomalies; null where a station used has no normal".to_owned(),
            ));
        }
        m
    }

    /// Computes each point's rows (one batch a point) and hands them on.
    pub fn run(
        &self,
        layout: &OutputLayout,
        spec: &ValuesSpec,
        on_batch: &mut dyn FnMut(RecordBatch) -> Result<(), ExportError>,
    ) -> Result<ValuesReport, ExportError> {
        let params = &self.params;
        let mut report = ValuesReport {
            points: spec.points.len(),
            columns: self
                .schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect(),
            ..ValuesReport::default()
        };
        // series read once a run: (dataset, station) → rows
        let mut cache: HashMap<(String, u32), Option<Rows>> = HashMap::new();
        for point in &spec.points {
            if spec
                .stop
                .as_ref()
                .is_some_and(tracker_core::Cancel::is_cancelled)
            {
                return Err(ExportError::Interrupted);
            }
            // each parameter's stations within its limit, nearest first
            let mut candidates: Vec<Vec<(Site, f64)>> = Vec::new();
            for p in params {
                let limit = spec.max_km.unwrap_or(p.rules.max_km);
                let mut near: Vec<(Site, f64)> = self.sites[&p.dataset]
                    .iter()
                    .map(|s| {
                        let km = dwd_catalog::selection::distance_km(
                            (point.latitude, point.longitude),
                            (s.latitude, s.longitude),
                        );
                        (s.clone(), km)
                    })
                    .filter(|(_, km)| *km <= limit)
                    .collect();
                near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
                candidates.push(near);
            }
            // read what is needed, once
            for (p, near) in params.iter().zip(&candidates) {
                for (s, _) in near {
                    let key = (p.dataset.clone(), s.id);
                    if cache.contains_key(&key) {
                        continue;
                    }
                    let columns: Vec<String> = params
                        .iter()
                        .filter(|q| q.dataset == p.dataset)
                        .flat_map(|q| std::iter::once(q.column.clone()).chain(q.quality.clone()))
                        .collect();
                    let path = layout.series(&p.dataset, &format!("{:05}", s.id));
                    let rows =
                        read_series(&path, &columns, self.from, self.to)?.and_then(|batch| {
                            let times = batch
                                .column_by_name("timestamp_utc")?
                                .as_primitive::<TimestampMillisecondType>()
                                .values()
                                .to_vec();
                            Some(Rows { times, batch })
                        });
                    report.series_read += 1;
                    cache.insert(key, rows);
                }
            }
            let batch = point_batch(point, self, &candidates, &cache, spec)?;
            report.rows += batch.num_rows() as u64;
            if batch.num_rows() > 0 {
                on_batch(batch)?;
            }
            self.say_why_empty(point, spec, &candidates, &mut report);
        }
        if report.rows == 0 && report.empty.is_empty() {
            report.empty.push(Empty::NoRowsInSpan {
                stations: self.sites.values().map(Vec::len).sum(),
                from: spec.from,
                to: spec.to,
            });
        }
        crate::export::say_empty(&report.empty);
        Ok(report)
    }

    /// A parameter without a station within its limit of `point`: said,
    /// with the nearest station and its distance; a dataset without a
    /// station list, once.
    fn say_why_empty(
        &self,
        point: &Point,
        spec: &ValuesSpec,
        candidates: &[Vec<(Site, f64)>],
        report: &mut ValuesReport,
    ) {
        for (p, near) in self.params.iter().zip(candidates) {
            if !near.is_empty() {
                continue;
            }
            let why = match self.unplaced.contains(&p.dataset) {
                true => Empty::NoStationList {
                    dataset: p.dataset.clone(),
                },
                false => Empty::NoStationWithin {
                    point: point.id.clone(),
                    parameter: p.name.clone(),
                    dataset: p.dataset.clone(),
                    limit_km: spec.max_km.unwrap_or(p.rules.max_km),
                    nearest: self.sites[&p.dataset]
                        .iter()
                        .map(|s| {
                            let km = dwd_catalog::selection::distance_km(
                                (point.latitude, point.longitude),
                                (s.latitude, s.longitude),
                            );
                            (s.id, km)
                        })
                        .min_by(|a, b| a.1.total_cmp(&b.1)),
                },
            };
            if !report.empty.contains(&why) {
                report.empty.push(why);
            }
        }
    }
}

/// The asked parameters: each the first dataset's column of that output
/// name (or series name), with its quality column and rules.
fn resolve(
    sets: &[SeriesSet],
    tables: &Tables,
    spec: &ValuesSpec,
) -> Result<Vec<Param>, ExportError> {
    let refs: Vec<&SeriesSet> = sets.iter().collect();
    let wide = wide_columns(&refs);
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for asked in &spec.parameters {
        let found = wide.iter().zip(sets).find_map(|((dataset, cols), set)| {
            cols.iter()
                .find(|(name, shown)| shown == asked || name == asked)
                .and_then(|(name, _)| {
                    let f = set.fields.iter().find(|f| f.name() == name)?;
                    Some((dataset.clone(), name.clone(), f.clone()))
                })
        });
        let Some((dataset, column, field)) = found else {
            unknown.push(asked.clone());
            continue;
        };
        let rules = tables
            .parameters(&dataset)
            .find(|(_, p)| p.name == column)
            .map(|(_, p)| p.spatial())
            .unwrap_or(Spatial {
                max_km: 40.0,
                interpolate: false,
                lapse: false,
            });
        let text = !matches!(field.data_type(), DataType::Float64);
        out.push(Param {
            field: field.clone(),
            name: asked.clone(),
            quality: field.metadata().get("quality_column").cloned(),
            text,
            dataset,
            column,
            // what is not a number is never averaged, whatever the table says
            rules: Spatial {
                interpolate: rules.interpolate && !text,
                ..rules
            },
        });
    }
    if !unknown.is_empty() {
        let unknown: Vec<&str> = unknown.iter().map(String::as_str).collect();
        return Err(crate::export::unknown_parameters(&unknown, spec.resolution));
    }
    if out.is_empty() {
        return Err(ExportError::Invalid(dwd_catalog::Invalid::new(
            dwd_catalog::Field::Parameters,
            dwd_catalog::said!("name at least one parameter"),
        )));
    }
    Ok(out)
}

/// The output's columns: the point, the time, then per parameter its value,
/// the stations, their distances and weights, the method and the count.
/// In CSV the lists are text: ids and numbers joined by `;`.
fn schema(
    params: &[Param],
    format: Format,
    anomaly_of: &dyn Fn(&str) -> Option<Field>,
) -> SchemaRef {
    let ts = DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into()));
    let list = |t: DataType| match format {
        Format::Csv => DataType::Utf8,
        _ => DataType::List(Arc::new(Field::new("item", t, true))),
    };
    let mut fields = vec![
        Field::new("point_id", DataType::Utf8, false),
        Field::new("latitude", DataType::Float64, false),
        Field::new("longitude", DataType::Float64, false),
        Field::new("height_m", DataType::Float64, true),
        Field::new("timestamp_utc", ts, false),
    ];
    for p in params {
        let value = if p.text {
            DataType::Utf8
        } else {
            DataType::Float64
        };
        fields.push(Field::new(&p.name, value, true));
        fields.push(Field::new(
            format!("{}_stations", p.name),
            list(DataType::UInt32),
            true,
        ));
        fields.push(Field::new(
            format!("{}_distances_km", p.name),
            list(DataType::Float64),
            true,
        ));
        fields.push(Field::new(
            format!("{}_weights", p.name),
            list(DataType::Float64),
            true,
        ));
        fields.push(Field::new(
            format!("{}_method", p.name),
            DataType::Utf8,
            false,
        ));
        fields.push(Field::new(
            format!("{}_count", p.name),
            DataType::UInt32,
            false,
        ));
        fields.extend(anomaly_of(&p.name));
    }
    Arc::new(Schema::new(fields))
}

/// The rules, in the Parquet file's key-value metadata.
fn metadata_of(params: &[Param], spec: &ValuesSpec) -> Vec<parquet::file::metadata::KeyValue> {
    let kv = |k: String, v: String| parquet::file::metadata::KeyValue::new(k, v);
    let mut meta = vec![
        kv(
            "values".into(),
            format!(
                "resolution {}; method {}; one row per point and time; nearest: the nearest station within the limit with a value at that time (ties: smaller id){}; idw: the nearest station's value within {} km, else the 1/d² weighted mean of the {} nearest stations within the limit with a value (great-circle km); codes, text, directions, extremes (maxima, minima) and counts of days: nearest (each parameter's `rules.<name>` says whether it is interpolated); lapse rate {} K/km to the point's height before weighting where the parameter has the lapse rule",
                spec.resolution,
                spec.method.as_str(),
                spec.min_quality
                    .map_or(String::new(), |q| format!("; quality level at least {q}")),
                spec.near_km,
                spec.k,
                spec.lapse_k_per_km
            ),
        ),
        kv("merge_rule".into(), crate::MERGE_RULE.to_owned()),
    ];
    for p in params {
        meta.push(kv(
            format!("rules.{}", p.name),
            format!(
                "dataset {}; max_km {}; interpolate {}; lapse {}",
                p.dataset,
                spec.max_km.unwrap_or(p.rules.max_km),
                p.rules.interpolate,
                p.rules.lapse
            ),
        ));
    }
    meta
}

/// One point's rows.
fn point_batch(
    point: &Point,
    plan: &Plan,
    candidates: &[Vec<(Site, f64)>],
    cache: &HashMap<(String, u32), Option<Rows>>,
    spec: &ValuesSpec,
) -> Result<RecordBatch, ExportError> {
    let (params, schema, format) = (&plan.params, &plan.schema, plan.format);
    // every time any candidate has, in order
    let mut times: Vec<i64> = Vec::new();
    for (p, near) in params.iter().zip(candidates) {
        for (s, _) in near {
            if let Some(Some(r)) = cache.get(&(p.dataset.clone(), s.id)) {
                times.extend_from_slice(&r.times);
            }
        }
    }
    times.sort_unstable();
    times.dedup();
    let n = times.len();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![point.id.as_str(); n])),
        Arc::new(Float64Array::from(vec![point.latitude; n])),
        Arc::new(Float64Array::from(vec![point.longitude; n])),
        Arc::new(Float64Array::from(vec![point.height_m; n])),
        Arc::new(arrow_array::TimestampMillisecondArray::from(times.clone()).with_timezone("UTC")),
    ];
    for (p, near) in params.iter().zip(candidates) {
        // each candidate's row at each output time (None: no row)
        let mut sources: Vec<(Candidate, Vec<Option<u32>>, &RecordBatch)> = Vec::new();
        for (s, km) in near {
            let Some(Some(r)) = cache.get(&(p.dataset.clone(), s.id)) else {
                continue;
            };
            let mut at = vec![None; n];
            let mut k = 0;
            for (i, t) in r.times.iter().enumerate() {
                while k < n && times[k] < *t {
                    k += 1;
                }
                if k < n && times[k] == *t {
                    at[k] = Some(i as u32);
                }
            }
            sources.push((
                Candidate {
                    id: s.id,
                    km: *km,
                    height_m: s.height_m,
                    rows: r.batch.num_rows(),
                },
                at,
                &r.batch,
            ));
        }
        let mut cells = Vec::with_capacity(n);
        let mut readings: Vec<Reading> = Vec::new();
        for k in 0..n {
            readings.clear();
            for (c, at, batch) in &sources {
                let Some(row) = at[k] else { continue };
                let row = row as usize;
                if row >= c.rows {
                    continue;
                }
                if let Some(reading) = read_one(p, batch, row, spec, c) {
                    readings.push(reading);
                }
            }
            cells.push(combine(
                &readings,
                spec.method,
                p.rules,
                spec,
                point.height_m,
            ));
        }
        columns.extend(cell_columns(&cells, p.text, format));
        if let Some((a, c)) = plan
            .anomalies
            .as_ref()
            .and_then(|a| a.columns.iter().find(|c| c.value == p.name).map(|c| (a, c)))
        {
            let heights: HashMap<u32, Option<f64>> =
                sources.iter().map(|(s, _, _)| (s.id, s.height_m)).collect();
            let anomalies: Float64Array = cells
                .iter()
                .zip(&times)
                .map(|(cell, t)| {
                    let value = cell.number?;
                    let month = crate::anomaly::month_of(*t);
                    // the normal as the value was taken: same stations,
                    // weights and move to the point's height
                    let mut normal = 0.0;
                    for (s, w) in cell.stations.iter().zip(&cell.weights) {
                        let mut n = a.normal(*s, c, month)?;
                        if cell.method == Used::Idw
                            && p.rules.lapse
                            && let (Some(to), Some(Some(from))) = (point.height_m, heights.get(s))
                        {
                            n += spec.lapse_k_per_km * (to - from) / 1000.0;
                        }
                        normal += w * n;
                    }
                    Some(((value - normal) * 1e6).round() / 1e6)
                })
                .collect();
            columns.push(Arc::new(anomalies));
        }
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// A candidate's value at `row`, when it has one of the asked quality.
fn read_one(
    p: &Param,
    batch: &RecordBatch,
    row: usize,
    spec: &ValuesSpec,
    c: &Candidate,
) -> Option<Reading> {
    let col = batch.column_by_name(&p.column)?;
    if col.is_null(row) {
        return None;
    }
    if let Some(min) = spec.min_quality {
        let q = p
            .quality
            .as_ref()
            .and_then(|q| batch.column_by_name(q))
            .filter(|q| !q.is_null(row))
            .and_then(|q| match q.data_type() {
                DataType::Int32 => Some(q.as_primitive::<Int32Type>().value(row)),
                _ => None,
            });
        if q.is_none_or(|q| q < min) {
            return None;
        }
    }
    let (number, text) = match col.data_type() {
        DataType::Float64 => (Some(col.as_primitive::<Float64Type>().value(row)), None),
        DataType::Utf8 => (None, Some(col.as_string::<i32>().value(row).to_owned())),
        _ => {
            let s = arrow_cast::display::ArrayFormatter::try_new(col.as_ref(), &Default::default())
                .ok()?
                .value(row)
                .to_string();
            (None, Some(s))
        }
    };
    Some(Reading {
        station: c.id,
        km: c.km,
        height_m: c.height_m,
        number,
        text,
    })
}

/// A parameter's six columns from its cells.
fn cell_columns(cells: &[Cell], text: bool, format: Format) -> Vec<ArrayRef> {
    let value: ArrayRef = if text {
        Arc::new(
            cells
                .iter()
                .map(|c| c.text.clone())
                .collect::<StringArray>(),
        )
    } else {
        Arc::new(cells.iter().map(|c| c.number).collect::<Float64Array>())
    };
    let joined = |f: &dyn Fn(&Cell) -> Vec<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for c in cells {
            if c.stations.is_empty() {
                b.append_null();
            } else {
                b.append_value(f(c).join(";"));
            }
        }
        Arc::new(b.finish())
    };
    let (stations, distances, weights): (ArrayRef, ArrayRef, ArrayRef) = match format {
        Format::Csv => (
            joined(&|c| c.stations.iter().map(u32::to_string).collect()),
            joined(&|c| c.distances_km.iter().map(|d| format!("{d:.3}")).collect()),
            joined(&|c| c.weights.iter().map(|w| format!("{w:.4}")).collect()),
        ),
        _ => {
            let mut s = ListBuilder::new(UInt32Builder::new());
            let mut d = ListBuilder::new(Float64Builder::new());
            let mut w = ListBuilder::new(Float64Builder::new());
            for c in cells {
                if c.stations.is_empty() {
                    s.append_null();
                    d.append_null();
                    w.append_null();
                    continue;
                }
                s.values().append_slice(&c.stations);
                s.append(true);
                d.values().append_slice(&c.distances_km);
                d.append(true);
                w.values().append_slice(&c.weights);
                w.append(true);
            }
            (
                Arc::new(s.finish()),
                Arc::new(d.finish()),
                Arc::new(w.finish()),
            )
        }
    };
    let method: ArrayRef = Arc::new(
        cells
            .iter()
            .map(|c| Some(c.method.as_str()))
            .collect::<StringArray>(),
    );
    let count: ArrayRef = Arc::new(arrow_array::UInt32Array::from(
        cells
            .iter()
            .map(|c| c.stations.len() as u32)
            .collect::<Vec<_>>(),
    ));
    vec![value, stations, distances, weights, method, count]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(station: u32, km: f64, v: f64) -> Reading {
        Reading {
            station,
            km,
            height_m: None,
            number: Some(v),
            text: None,
        }
    }

    const NUMBER: Spatial = Spatial {
        max_km: 40.0,
        interpolate: true,
        lapse: false,
    };

    #[test]
    fn nearest_takes_the_first_reading_and_none_is_counted_zero() {
        let spec = ValuesSpec::new(dwd_catalog::Resolution::Hourly);
        let c = combine(
            &[r(44, 3.0, 10.0), r(45, 5.0, 20.0)],
            Method::Nearest,
            NUMBER,
            &spec,
            None,
        );
        assert_eq!(c.number, Some(10.0));
        assert_eq!(c.stations, vec![44]);
        assert_eq!(c.distances_km, vec![3.0]);
        assert_eq!(c.method, Used::Nearest);
        let none = combine(&[], Method::Idw, NUMBER, &spec, None);
        assert_eq!(
            (none.number, none.stations.len(), none.method),
            (None, 0, Used::None)
        );
    }

    #[test]
    fn idw_weights_by_inverse_square_distance_of_the_k_nearest() {
        let spec = ValuesSpec {
            k: 2,
            ..ValuesSpec::new(dwd_catalog::Resolution::Hourly)
        };
        // 1/4 and 1/16: weights 0.8 and 0.2; the third station is past k
        let c = combine(
            &[r(1, 2.0, 10.0), r(2, 4.0, 20.0), r(3, 5.0, 1000.0)],
            Method::Idw,
            NUMBER,
            &spec,
            None,
        );
        assert_eq!(c.stations, vec![1, 2]);
        assert!((c.number.unwrap() - 12.0).abs() < 1e-9, "{c:?}");
        assert!((c.weights[0] - 0.8).abs() < 1e-12 && (c.weights[1] - 0.2).abs() < 1e-12);
        assert_eq!(c.method, Used::Idw);
    }

    #[test]
    fn a_station_within_one_km_stands_alone() {
        let spec = ValuesSpec::new(dwd_catalog::Resolution::Hourly);
        let c = combine(
            &[r(1, 0.9, 10.0), r(2, 1.5, 20.0)],
            Method::Idw,
            NUMBER,
            &spec,
            None,
        );
        assert_eq!(
            (c.number, c.method, c.stations.clone()),
            (Some(10.0), Used::Nearest, vec![1])
        );
        let c = combine(
            &[r(1, 1.1, 10.0), r(2, 1.5, 20.0)],
            Method::Idw,
            NUMBER,
            &spec,
            None,
        );
        assert_eq!(c.method, Used::Idw);
    }

    #[test]
    fn codes_and_directions_fall_back_to_nearest() {
        let spec = ValuesSpec::new(dwd_catalog::Resolution::Hourly);
        let direction = Spatial {
            interpolate: false,
            ..NUMBER
        };
        let c = combine(
            &[r(1, 5.0, 350.0), r(2, 6.0, 10.0)],
            Method::Idw,
            direction,
            &spec,
            None,
        );
        assert_eq!((c.number, c.method), (Some(350.0), Used::Nearest));
    }

    #[test]
    fn the_lapse_rate_moves_temperatures_to_the_points_height() {
        let spec = ValuesSpec {
            k: 1,
            near_km: 0.0,
            ..ValuesSpec::new(dwd_catalog::Resolution::Hourly)
        };
        let t = Spatial {
            lapse: true,
            ..NUMBER
        };
        let mut low = r(1, 5.0, 10.0);
        low.height_m = Some(100.0);
        // 1,100 m above the station: 6.5 K/km × 1 km colder
        let c = combine(&[low.clone()], Method::Idw, t, &spec, Some(1100.0));
        assert!((c.number.unwrap() - 3.5).abs() < 1e-9, "{c:?}");
        // without the rule, or without a height, as measured
        assert_eq!(
            combine(&[low.clone()], Method::Idw, NUMBER, &spec, Some(1100.0)).number,
            Some(10.0)
        );
        assert_eq!(
            combine(&[low], Method::Idw, t, &spec, None).number,
            Some(10.0)
        );
    }

    // ---- on series files: the rules as `values` applies them ----

    use arrow_array::{Int32Array, TimestampMillisecondArray, UInt32Array};

    const H: i64 = 3_600_000;
    const DS: &str = "hourly/air_temperature";

    /// Station `id`'s series: per hour (1, 2, 3) a temperature (or none)
    /// and its quality level; `code` a text column beside it.
    fn series(layout: &OutputLayout, id: u32, temps: [Option<f64>; 3], quality: [i32; 3]) {
        let schema = crate::testing::series_schema(&[
            ("temperature_air_2m", DataType::Float64, "°C"),
            ("humidity", DataType::Utf8, "%"),
        ]);
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt32Array::from(vec![id; 3])),
                Arc::new(
                    TimestampMillisecondArray::from(vec![H, 2 * H, 3 * H]).with_timezone("UTC"),
                ),
                Arc::new(Int32Array::from(quality.to_vec())),
                Arc::new(Float64Array::from(temps.to_vec())),
                Arc::new(StringArray::from(vec![Some(format!("s{id}")); 3])),
            ],
        )
        .unwrap();
        crate::testing::write_table(&layout.series(DS, &format!("{id:05}")), &batch).unwrap();
    }

    /// The stations list: (id, latitude, longitude, height).
    fn stations(layout: &OutputLayout, list: &[(u32, f64, f64, f64)]) {
        crate::testing::write_stations(layout, DS, list).unwrap();
    }

    /// Runs `values` on the layout as JSON lines: one object per row.
    fn run(layout: &OutputLayout, spec: &ValuesSpec) -> Vec<serde_json::Value> {
        let tables = Tables::embedded().unwrap();
        let mut out = Vec::new();
        values(layout, &tables, spec, Format::Jsonl, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn at(lat: f64, lon: f64) -> ValuesSpec {
        ValuesSpec {
            resolution: dwd_catalog::Resolution::Hourly,
            parameters: vec!["temperature_air_2m".into()],
            points: vec![Point {
                id: "p".into(),
                latitude: lat,
                longitude: lon,
                height_m: None,
            }],
            ..ValuesSpec::new(dwd_catalog::Resolution::Hourly)
        }
    }

    /// Ties go to the smaller id; a station without a value at a time
    /// gives way to the next; a station past the limit is never used.
    #[test]
    fn ties_nulls_and_limits_on_series() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OutputLayout::new(dir.path());
        // 10 and 5 lie equally far east and west of the point (50, 10),
        // about 7.2 km; 7 lies 0.9° (100 km) north, past the 40 km limit
        stations(
            &layout,
            &[
                (10, 50.0, 10.1, 0.0),
                (5, 50.0, 9.9, 0.0),
                (7, 50.9, 10.0, 0.0),
            ],
        );
        series(&layout, 10, [Some(1.0), Some(2.0), None], [3; 3]);
        series(&layout, 5, [Some(5.0), None, None], [3; 3]);
        series(&layout, 7, [Some(9.0), Some(9.0), Some(9.0)], [3; 3]);
        let rows = run(&layout, &at(50.0, 10.0));
        assert_eq!(rows.len(), 3, "{rows:?}");
        let t = |i: usize| rows[i]["temperature_air_2m"].clone();
        let st = |i: usize| rows[i]["temperature_air_2m_stations"].clone();
        // hour 1: the tie goes to 5
        assert_eq!(
            (t(0), st(0)),
            (serde_json::json!(5.0), serde_json::json!([5]))
        );
        // hour 2: 5 has none, 10 has
        assert_eq!(
            (t(1), st(1)),
            (serde_json::json!(2.0), serde_json::json!([10]))
        );
        // hour 3: only 7 has one, and it is too far: null, count 0
        assert!(t(2).is_null(), "{:?}", rows[2]);
        assert_eq!(rows[2]["temperature_air_2m_count"], 0);
        assert_eq!(rows[2]["temperature_air_2m_method"], "none");
        let d = rows[0]["temperature_air_2m_distances_km"][0]
            .as_f64()
            .unwrap();
        assert!((d - 7.15).abs() < 0.1, "{d}");
        // a wider limit takes 7 in
        let wide = run(
            &layout,
            &ValuesSpec {
                max_km: Some(150.0),
                ..at(50.0, 10.0)
            },
        );
        assert_eq!(wide[2]["temperature_air_2m"], 9.0);
        // a station hidden (leave-one-out) is never used
        let mut hidden = at(50.0, 10.0);
        hidden.exclude.insert(5);
        assert_eq!(
            run(&layout, &hidden)[0]["temperature_air_2m_stations"],
            serde_json::json!([10])
        );
    }

    /// Station `id`'s readings (statistic point) at hours 1-3 of 1970-01-01.
    fn readings(layout: &OutputLayout, id: u32, t: f64) {
        let base =
            crate::testing::series_schema(&[("temperature_air_2m", DataType::Float64, "°C")]);
        let fields: Vec<Field> = base
            .fields()
            .iter()
            .map(|f| {
                let mut m = f.metadata().clone();
                if f.name() == "temperature_air_2m" {
                    m.insert("statistic".to_owned(), "point".to_owned());
                    m.insert("span".to_owned(), "instant".to_owned());
                }
                f.as_ref().clone().with_metadata(m)
            })
            .collect();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            vec![
                Arc::new(UInt32Array::from(vec![id; 3])),
                Arc::new(
                    TimestampMillisecondArray::from(vec![H, 2 * H, 3 * H]).with_timezone("UTC"),
                ),
                Arc::new(Int32Array::from(vec![3; 3])),
                Arc::new(Float64Array::from(vec![t; 3])),
            ],
        )
        .unwrap();
        crate::testing::write_table(&layout.series(DS, &format!("{id:05}")), &batch).unwrap();
    }

    /// 1961-1990 January normals of the mean temperature, by station.
    fn normals(layout: &OutputLayout, january: &[(u32, f64)]) {
        let rows: Vec<dwd_parser::normals::NormalRow> = january
            .iter()
            .map(|(id, v)| dwd_parser::normals::NormalRow {
                station: *id,
                period: "1961-1990".into(),
                source: Some(42),
                months: [
                    Some(*v),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ],
                year: None,
            })
            .collect();
        let (frame, meta) = dwd_translate::normals::normals_frame(
            "multi_annual/mean_61-90",
            &[dwd_translate::normals::NormalsPart {
                code: "Temperatur",
                rows: &rows,
                rule: None,
            }],
            &[],
            &Tables::embedded().unwrap(),
        );
        let path = layout.normals("multi_annual/mean_61-90", "parquet");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        crate::encode::write(Format::Parquet, &frame.to_batch().unwrap(), meta, file).unwrap();
    }

    /// At a place the normal is taken as the value is: the anomaly is the
    /// weighted mean of the stations' own anomalies; null where a station
    /// used has no normal.
    #[test]
    fn an_anomaly_at_a_place_weighs_the_stations_normals_like_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OutputLayout::new(dir.path());
        stations(&layout, &[(1, 50.0, 10.05, 0.0), (2, 50.0, 9.9, 0.0)]);
        readings(&layout, 1, 1.0);
        readings(&layout, 2, 4.0);
        normals(&layout, &[(1, 0.0), (2, 2.0)]);
        let mut spec = at(50.0, 10.0);
        spec.method = Method::Idw;
        spec.anomaly = Some(dwd_catalog::ReferencePeriod::ALL[0]);
        let rows = run(&layout, &spec);
        // weights 0.8 and 0.2: 0.8·(1 − 0) + 0.2·(4 − 2)
        let v = rows[0]["temperature_air_2m"].as_f64().unwrap();
        let a = rows[0]["temperature_air_2m_anomaly"].as_f64().unwrap();
        assert!((v - 1.6).abs() < 0.01, "{v}");
        assert!((a - 1.2).abs() < 0.01, "{a}");
        // nearest: station 1's own
        spec.method = Method::Nearest;
        assert_eq!(run(&layout, &spec)[0]["temperature_air_2m_anomaly"], 1.0);
        // a station used without a normal: no anomaly
        normals(&layout, &[(1, 0.0)]);
        spec.method = Method::Idw;
        assert!(run(&layout, &spec)[0]["temperature_air_2m_anomaly"].is_null());
    }

    /// Values below the asked quality give way; idw averages what is
    /// left; a text column falls back to nearest.
    #[test]
    fn quality_filter_idw_and_text_columns_on_series() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OutputLayout::new(dir.path());
        stations(&layout, &[(1, 50.0, 10.05, 0.0), (2, 50.0, 9.9, 0.0)]);
        series(&layout, 1, [Some(1.0), Some(1.0), Some(1.0)], [1, 10, 10]);
        series(&layout, 2, [Some(4.0), Some(4.0), Some(4.0)], [10, 10, 10]);
        let mut spec = at(50.0, 10.0);
        spec.min_quality = Some(5);
        let rows = run(&layout, &spec);
        // hour 1: station 1's quality 1 is below 5: station 2's value
        assert_eq!(rows[0]["temperature_air_2m"], 4.0);
        assert_eq!(rows[1]["temperature_air_2m"], 1.0);
        // idw over both: 1 is twice as close, so 4× the weight: (4·1 + 1·4)/5
        let mut idw = at(50.0, 10.0);
        idw.method = Method::Idw;
        idw.parameters.push("humidity".into());
        let rows = run(&layout, &idw);
        let v = rows[1]["temperature_air_2m"].as_f64().unwrap();
        assert!((v - 1.6).abs() < 0.01, "{v}");
        assert_eq!(rows[1]["temperature_air_2m_method"], "idw");
        assert_eq!(rows[1]["temperature_air_2m_count"], 2);
        // the text column: nearest (station 1)
        assert_eq!(rows[1]["humidity"], "s1");
        assert_eq!(rows[1]["humidity_method"], "nearest");
    }
}
