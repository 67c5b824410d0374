//! Anomalies against DWD's climate normals: for each value column with a
//! comparable normal, `<column>_anomaly` = the value − the station's normal
//! of the row's month (of the year, for annual rows).
//!
//! Which normal a column is compared with, by the statistic the column's
//! field metadata carries ([`dwd_translate::what`]):
//! - a mean or a reading at one moment (temperatures) is compared with the
//!   normal of the same quantity's mean (`temperature_air_2m`, a reading,
//!   with `temperature_air_mean_2m`) at every resolution: monthly and
//!   shorter rows with the normal of their month (a monthly normal is not a
//!   day's or an hour's expected value: README says so), annual rows with
//!   the year's;
//! - a sum or a count (precipitation, sunshine, days of frost …) only where
//!   it covers what the normal covers: a month's (monthly rows) or a year's
//!   (annual rows). A day's sum against a month's normal means nothing, so
//!   such a column gets no anomaly, and the metadata says why.
//!
//! Months are those of `timestamp_utc` (DWD's monthly and annual rows are
//! stamped at their first day, 00:00 UTC).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, Float64Array};
use arrow_schema::{DataType, Field};
use parquet::file::metadata::KeyValue;

use crate::export::ExportError;
use crate::layout::OutputLayout;

/// One anomaly column.
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyColumn {
    /// The value column (as the output names it).
    pub value: String,
    /// `<value>_anomaly`.
    pub name: String,
    /// The normals' parameter it is compared with.
    pub parameter: String,
    /// Against the year's normal (annual rows), not the month's.
    pub yearly: bool,
    pub unit: Option<String>,
}

/// The anomaly columns of an answer and the normals they subtract.
#[derive(Clone, Debug)]
pub struct Anomalies {
    pub period: dwd_catalog::ReferencePeriod,
    pub columns: Vec<AnomalyColumn>,
    /// Value columns without an anomaly, and why.
    pub skipped: Vec<(String, String)>,
    normals: Arc<crate::normals::NormalsIndex>,
}

/// The normals' name for `column`: itself, or for a reading the name of
/// the same quantity's mean (`temperature_air_2m` → `temperature_air_mean_2m`,
/// `temperature_soil_0_05m` → `temperature_soil_mean_0_05m`).
pub fn mean_name(column: &str) -> Option<String> {
    let parts: Vec<&str> = column.split('_').collect();
    let height = parts
        .iter()
        .position(|p| p.starts_with(|c: char| c.is_ascii_digit()))?;
    (height > 0 && !parts.contains(&"mean")).then(|| {
        let mut out = parts[..height].to_vec();
        out.push("mean");
        out.extend(&parts[height..]);
        out.join("_")
    })
}

/// The UTC month (1-12) of a stamp in milliseconds.
pub fn month_of(ms: i64) -> Option<u8> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|ts| jiff::tz::Offset::UTC.to_datetime(ts).month() as u8)
}

impl Anomalies {
    /// The anomaly columns of the chosen `columns` of a `resolution`, with
    /// the period's normals (an empty table is an error: run its dataset).
    pub fn plan(
        layout: &OutputLayout,
        period: dwd_catalog::ReferencePeriod,
        resolution: dwd_catalog::Resolution,
        columns: &[(String, Vec<(String, Field)>)],
    ) -> Result<Anomalies, ExportError> {
        let normals = crate::normals::read(layout, period.dataset())?;
        if normals.rows.is_empty() {
            return Err(ExportError::Invalid(dwd_catalog::Invalid::of(
                dwd_catalog::Field::Anomaly,
                period,
                dwd_catalog::said!(format!(
                    "no normals of {period} under the output folder: run the dataset {} first",
                    period.dataset()
                )),
            )));
        }
        // a parameter's statistic, as the translation table gave it
        let stat_of = |p: &str| normals.statistics.get(p).cloned();
        let known = normals.parameters();
        let own_span = match resolution {
            dwd_catalog::Resolution::Monthly => Some("1 month"),
            dwd_catalog::Resolution::Annual => Some("1 year"),
            _ => None,
        };
        let yearly = resolution == dwd_catalog::Resolution::Annual;
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        for (_, cols) in columns {
            for (series_name, f) in cols {
                let meta = f.metadata();
                let (Some(stat), Some(span)) = (meta.get("statistic"), meta.get("span")) else {
                    continue;
                };
                if f.data_type() != &DataType::Float64 {
                    continue;
                }
                let candidates = [Some(series_name.clone()), mean_name(series_name)];
                let Some(parameter) = candidates
                    .iter()
                    .flatten()
                    .find(|c| known.contains(&c.as_str()))
                    .cloned()
                else {
                    // said, not silently left out: a user who asked for an
                    // anomaly learns which normals there are
                    let wanted = candidates
                        .iter()
                        .flatten()
                        .map(String::as_str)
                        .collect::<Vec<_>>();
                    skipped.push((
                        f.name().clone(),
                        format!(
                            "no {period} normal of {} among DWD's normals as converted here ({}: {})",
                            wanted.join(" or "),
                            period.dataset(),
                            known.join(", ")
                        ),
                    ));
                    continue;
                };
                let normal_stat = stat_of(&parameter).unwrap_or_default();
                let comparable = match normal_stat.as_str() {
                    // a mean's normal: readings and means of any span
                    "mean" => matches!(stat.as_str(), "mean" | "point"),
                    // sums and counts: only over what the normal covers
                    _ => stat == &normal_stat && own_span == Some(span.as_str()),
                };
                if !comparable {
                    skipped.push((
                        f.name().clone(),
                        format!(
                            "{} over {span} is not comparable with the {period} normal of {parameter} ({normal_stat} over {})",
                            stat,
                            if yearly { "the year" } else { "a month" }
                        ),
                    ));
                    continue;
                }
                out.push(AnomalyColumn {
                    value: f.name().clone(),
                    name: format!("{}_anomaly", f.name()),
                    parameter,
                    yearly,
                    unit: meta.get("unit").cloned(),
                });
            }
        }
        Ok(Anomalies {
            period,
            columns: out,
            skipped,
            normals: Arc::new(normals.index()),
        })
    }

    /// The anomaly columns' fields (after the answer's other columns).
    pub fn fields(&self) -> Vec<Field> {
        self.columns
            .iter()
            .map(|c| {
                let mut m = HashMap::new();
                if let Some(u) = &c.unit {
                    m.insert("unit".to_owned(), u.clone());
                }
                m.insert(
                    "description".to_owned(),
                    format!(
                        "{} minus the station's {} normal of {} for the row's {}",
                        c.value,
                        self.period,
                        c.parameter,
                        if c.yearly { "year" } else { "month" }
                    ),
                );
                Field::new(&c.name, DataType::Float64, true).with_metadata(m)
            })
            .collect()
    }

    /// The normal `column` subtracts at `station` for a row of `month`.
    pub fn normal(&self, station: u32, column: &AnomalyColumn, month: Option<u8>) -> Option<f64> {
        if !column.yearly && month.is_none() {
            return None;
        }
        let key_month = if column.yearly { None } else { month };
        self.normals
            .get(&column.parameter)?
            .get(&(station, key_month))
            .copied()
    }

    /// The anomaly arrays of one station's rows: `value_of` gives a value
    /// column of the rows by its output name, `times` their stamps (ms).
    pub fn columns(
        &self,
        station: u32,
        times: &[i64],
        value_of: &dyn Fn(&str) -> Option<ArrayRef>,
    ) -> Result<Vec<ArrayRef>, ExportError> {
        let months: Vec<Option<u8>> = times.iter().map(|t| month_of(*t)).collect();
        let mut out = Vec::new();
        for c in &self.columns {
            let Some(values) = value_of(&c.value) else {
                out.push(arrow_array::new_null_array(&DataType::Float64, times.len()));
                continue;
            };
            let values = arrow_cast::cast(&values, &DataType::Float64)?;
            let values = values.as_primitive::<Float64Type>();
            let normal = |month: Option<u8>| self.normal(station, c, month);
            let anomalies: Float64Array = (0..values.len())
                .map(|i| {
                    let v = values.is_valid(i).then(|| values.value(i))?;
                    let n = normal(months.get(i).copied().flatten())?;
                    // DWD writes one decimal: the difference keeps it
                    Some(((v - n) * 1e6).round() / 1e6)
                })
                .collect();
            out.push(Arc::new(anomalies));
        }
        Ok(out)
    }

    /// The rule, the period and each column's normal, and the columns
    /// without an anomaly with why.
    pub fn metadata(&self) -> Vec<KeyValue> {
        let mut m = vec![KeyValue::new(
            "anomaly".into(),
            format!(
                "<column>_anomaly = the value minus the station's {} normal (DWD's, multi_annual/{}) of the row's month (UTC) — of the year for annual rows; null where the station has no normal. Rows shorter than a month are compared with their month's normal, which is not a day's or an hour's expected value. Means and readings are compared with the normal of the mean; sums and counts only where they cover a month (or a year) as the normal does.",
                self.period,
                self.period.dataset().trim_start_matches("multi_annual/")
            ),
        )];
        for c in &self.columns {
            m.push(KeyValue::new(
                format!("anomaly.{}", c.name),
                format!("{} − normal {} {}", c.value, self.period, c.parameter),
            ));
        }
        for (col, why) in &self.skipped {
            m.push(KeyValue::new(format!("no_anomaly.{col}"), why.clone()));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_readings_normal_is_its_quantitys_mean() {
        assert_eq!(
            mean_name("temperature_air_2m").as_deref(),
            Some("temperature_air_mean_2m")
        );
        assert_eq!(
            mean_name("temperature_soil_0_05m").as_deref(),
            Some("temperature_soil_mean_0_05m")
        );
        assert_eq!(mean_name("temperature_air_mean_2m"), None);
        assert_eq!(mean_name("precipitation_height"), None);
    }
}
