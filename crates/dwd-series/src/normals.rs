//! A `multi_annual` dataset's `normals.parquet` read back: DWD's climate
//! normals per station, parameter and month, for `climastation normals`
//! and for anomalies against them.

use std::collections::{BTreeMap, HashMap};

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::export::ExportError;
use crate::layout::OutputLayout;

/// One station's normal of one parameter for a month (`None`: the year).
#[derive(Clone, Debug, PartialEq)]
pub struct Normal {
    pub station_id: u32,
    pub period: String,
    pub parameter: String,
    pub month: Option<u8>,
    pub value: Option<f64>,
    /// DWD's `Datenquelle` code: how the normal was formed.
    pub source: Option<u16>,
    /// An older normal's place: `fixed` or `current` (`_obsolete`
    /// folders); `None` for the current normals.
    pub location_rule: Option<String>,
}

/// A dataset's normals, with their units and what each source code means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Normals {
    pub dataset: String,
    pub rows: Vec<Normal>,
    /// Each parameter's unit.
    pub units: BTreeMap<String, String>,
    /// Each parameter's statistic (`mean`, `sum`, `count`).
    pub statistics: BTreeMap<String, String>,
    /// What each source code means (DWD's `Beschreibung_Datenquelle`).
    pub sources: BTreeMap<u16, String>,
    /// The table's rules (`normals`).
    pub rule: String,
}

/// The normals by parameter, then (station, month; `None`: the year): a
/// lookup allocates nothing.
pub type NormalsIndex = HashMap<String, HashMap<(u32, Option<u8>), f64>>;

impl Normals {
    /// The values for lookups ([`NormalsIndex`]).
    pub fn index(&self) -> NormalsIndex {
        let mut index = NormalsIndex::new();
        for n in &self.rows {
            if let Some(v) = n.value {
                index
                    .entry(n.parameter.clone())
                    .or_default()
                    .insert((n.station_id, n.month), v);
            }
        }
        index
    }

    /// The parameters it has, sorted.
    pub fn parameters(&self) -> Vec<&str> {
        let mut p: Vec<&str> = self.rows.iter().map(|n| n.parameter.as_str()).collect();
        p.sort_unstable();
        p.dedup();
        p
    }
}

/// `dataset`'s `normals.parquet` (none yet: an empty [`Normals`]). The
/// caller checks it against the output ledger first.
pub fn read(layout: &OutputLayout, dataset: &str) -> Result<Normals, ExportError> {
    let path = layout.normals(dataset, "parquet");
    let mut out = Normals {
        dataset: dataset.to_owned(),
        ..Normals::default()
    };
    if !path.exists() {
        return Ok(out);
    }
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path)?)?;
    for kv in builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
    {
        let v = kv.value.clone().unwrap_or_default();
        if let Some(p) = kv.key.strip_prefix("unit.") {
            out.units.insert(p.to_owned(), v);
        } else if let Some(p) = kv.key.strip_prefix("statistic.") {
            out.statistics.insert(p.to_owned(), v);
        } else if let Some(code) = kv.key.strip_prefix("source.").and_then(|c| c.parse().ok()) {
            out.sources.insert(code, v);
        } else if kv.key == "normals" {
            out.rule = v;
        }
    }
    let missing = |c: &str| {
        ExportError::Io(std::io::Error::other(format!(
            "{}: no column {c}: not a normals table",
            path.display()
        )))
    };
    for b in builder.build()? {
        let b = b?;
        let col = |n: &str| b.column_by_name(n).cloned().ok_or_else(|| missing(n));
        let (id, period, parameter, month, value, source) = (
            col("station_id")?,
            col("period")?,
            col("parameter")?,
            col("month")?,
            col("value")?,
            col("source")?,
        );
        let (id, month, source) = (
            id.as_primitive::<UInt32Type>(),
            month.as_primitive::<UInt32Type>(),
            source.as_primitive::<UInt32Type>(),
        );
        let (period, parameter) = (period.as_string::<i32>(), parameter.as_string::<i32>());
        let rule = b.column_by_name("location_rule").cloned();
        let rule = rule.as_ref().map(|r| r.as_string::<i32>());
        let value = value.as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            out.rows.push(Normal {
                station_id: id.value(i),
                period: period.value(i).to_owned(),
                parameter: parameter.value(i).to_owned(),
                month: month.is_valid(i).then(|| month.value(i) as u8),
                value: value.is_valid(i).then(|| value.value(i)),
                source: source.is_valid(i).then(|| source.value(i) as u16),
                location_rule: rule
                    .filter(|r| r.is_valid(i))
                    .map(|r| r.value(i).to_owned()),
            });
        }
    }
    Ok(out)
}

/// DWD's published normal of one station and parameter against the one
/// recomputed from our own `monthly/kl` series over the same years.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossCheck {
    pub station_id: u32,
    pub parameter: String,
    /// DWD's `Datenquelle` code of the published normal.
    pub source: Option<u16>,
    /// The months (of 12) whose 30 values our series has in full.
    pub complete_months: usize,
    /// The largest |ours − DWD's| over the complete months, and its month.
    pub max_difference: Option<(f64, u8)>,
    /// The mean of ours − DWD's over the complete months.
    pub mean_difference: Option<f64>,
}

/// The parameters recomputed: monthly means of the monthly mean
/// temperature (`MO_TT`) and of the monthly precipitation sum (`MO_RR`).
pub const CROSS_CHECKED: [&str; 2] = ["temperature_air_mean_2m", "precipitation_height"];

/// For every station with normals of `period` and a `monthly/kl` series:
/// each month's mean over the period's years of our series' values
/// (only months with every year present), against DWD's published normal.
/// The caller checks the tables against the output ledger first.
pub fn cross_check(
    layout: &OutputLayout,
    period: dwd_catalog::ReferencePeriod,
) -> Result<Vec<CrossCheck>, ExportError> {
    let normals = read(layout, period.dataset())?;
    let index = normals.index();
    let sources: HashMap<(u32, &str), Option<u16>> = normals
        .rows
        .iter()
        .map(|n| ((n.station_id, n.parameter.as_str()), n.source))
        .collect();
    let mut stations: Vec<u32> = normals.rows.iter().map(|n| n.station_id).collect();
    stations.sort_unstable();
    stations.dedup();
    let (from, to) = (
        jiff::civil::Date::new(period.first, 1, 1)
            .ok()
            .and_then(crate::export::ms),
        jiff::civil::Date::new(period.last + 1, 1, 1)
            .ok()
            .and_then(crate::export::ms),
    );
    let years = usize::try_from(period.last - period.first + 1).unwrap_or(0);
    let columns: Vec<String> = CROSS_CHECKED.iter().map(|s| (*s).to_owned()).collect();
    let mut out = Vec::new();
    for id in stations {
        let path = layout.series("monthly/kl", &format!("{id:05}"));
        let Some(b) = crate::export::read_series(&path, &columns, from, to)? else {
            continue;
        };
        let times = b
            .column_by_name("timestamp_utc")
            .map(|c| {
                c.as_primitive::<arrow_array::types::TimestampMillisecondType>()
                    .values()
                    .to_vec()
            })
            .unwrap_or_default();
        for parameter in CROSS_CHECKED {
            if !sources.contains_key(&(id, parameter)) {
                continue;
            }
            let Some(col) = b.column_by_name(parameter) else {
                continue;
            };
            let col = arrow_cast::cast(col, &arrow_schema::DataType::Float64)?;
            let values = col.as_primitive::<Float64Type>();
            let mut by_month: [Vec<f64>; 12] = Default::default();
            for (i, t) in times.iter().enumerate() {
                if let (true, Some(m)) = (values.is_valid(i), crate::anomaly::month_of(*t)) {
                    by_month[usize::from(m) - 1].push(values.value(i));
                }
            }
            let mut diffs = Vec::new();
            for (m, v) in by_month.iter().enumerate() {
                let month = m as u8 + 1;
                let Some(published) = index
                    .get(parameter)
                    .and_then(|by| by.get(&(id, Some(month))))
                else {
                    continue;
                };
                if v.len() == years && years > 0 {
                    let ours = v.iter().sum::<f64>() / years as f64;
                    diffs.push((ours - published, month));
                }
            }
            let max = diffs
                .iter()
                .copied()
                .max_by(|a, b| a.0.abs().total_cmp(&b.0.abs()));
            out.push(CrossCheck {
                station_id: id,
                parameter: parameter.to_owned(),
                source: sources.get(&(id, parameter)).copied().flatten(),
                complete_months: diffs.len(),
                // rounded to DWD's hundredths; never a "-0.00"
                max_difference: max.map(|(d, m)| ((d * 100.0).round() / 100.0 + 0.0, m)),
                mean_difference: (!diffs.is_empty()).then(|| {
                    let mean = diffs.iter().map(|d| d.0).sum::<f64>() / diffs.len() as f64;
                    (mean * 100.0).round() / 100.0 + 0.0
                }),
            });
        }
    }
    Ok(out)
}

/// The cross-check as README's Markdown table: a row a station and
/// parameter (`names`: the stations' names).
pub fn cross_check_table(rows: &[CrossCheck], names: &BTreeMap<u32, String>) -> String {
    let mut out = String::from(
        "| station | parameter | DWD source | complete months | largest difference (month) | mean difference |\n|---|---|---|---|---|---|\n",
    );
    for c in rows {
        let unit = match c.parameter.as_str() {
            "precipitation_height" => "mm",
            _ => "°C",
        };
        out.push_str(&format!(
            "| {} {} | `{}` | {} | {} of 12 | {} | {} |\n",
            c.station_id,
            names.get(&c.station_id).map_or("", String::as_str),
            c.parameter,
            c.source.map_or("–".to_owned(), |s| s.to_string()),
            c.complete_months,
            c.max_difference
                .map_or("–".to_owned(), |(d, m)| format!("{d:+.2} {unit} ({m})")),
            c.mean_difference
                .map_or("–".to_owned(), |d| format!("{d:+.2} {unit}")),
        ));
    }
    out
}
