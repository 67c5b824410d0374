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
}

/// A dataset's normals, with their units and what each source code means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Normals {
    pub dataset: String,
    pub rows: Vec<Normal>,
    /// Each parameter's unit.
    pub units: BTreeMap<String, String>,
    /// What each source code means (DWD's `Beschreibung_Datenquelle`).
    pub sources: BTreeMap<u16, String>,
    /// The table's rules (`normals`).
    pub rule: String,
}

impl Normals {
    /// (station, parameter, month) → value, for lookups.
    pub fn index(&self) -> HashMap<(u32, &str, Option<u8>), f64> {
        self.rows
            .iter()
            .filter_map(|n| Some(((n.station_id, n.parameter.as_str(), n.month), n.value?)))
            .collect()
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
        let value = value.as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            out.rows.push(Normal {
                station_id: id.value(i),
                period: period.value(i).to_owned(),
                parameter: parameter.value(i).to_owned(),
                month: month.is_valid(i).then(|| month.value(i) as u8),
                value: value.is_valid(i).then(|| value.value(i)),
                source: source.is_valid(i).then(|| source.value(i) as u16),
            });
        }
    }
    Ok(out)
}
