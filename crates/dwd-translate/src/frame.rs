//! A small column table for the outputs that are not time series (station
//! lists, station metadata), written as Parquet, CSV or JSON lines.

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, StringArray, UInt32Array};
use arrow_schema::{DataType, Field};
use jiff::civil::Date;

/// One column's values; `None` is null.
#[derive(Clone, Debug, PartialEq)]
pub enum Col {
    U32(Vec<u32>),
    F64(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
    Date(Vec<Option<Date>>),
}

impl Col {
    fn len(&self) -> usize {
        match self {
            Col::U32(v) => v.len(),
            Col::F64(v) => v.len(),
            Col::Str(v) => v.len(),
            Col::Date(v) => v.len(),
        }
    }

    /// The value as CSV/JSON text; `None` for null. `json` quotes strings.
    fn text(&self, row: usize, json: bool) -> Option<String> {
        match self {
            Col::U32(v) => Some(v[row].to_string()),
            Col::F64(v) => v[row].filter(|x| x.is_finite()).map(|x| x.to_string()),
            Col::Str(v) => v[row]
                .as_ref()
                .map(|s| if json { json_string(s) } else { csv_field(s) }),
            Col::Date(v) => v[row].map(|d| {
                if json {
                    format!("\"{d}\"")
                } else {
                    d.to_string()
                }
            }),
        }
    }
}

/// A JSON string literal: quoted, with `"`, `\\` and control characters escaped.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// RFC 4180: quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Named columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    pub columns: Vec<(String, Col)>,
}

impl Frame {
    pub fn push(&mut self, name: &str, col: Col) -> &mut Self {
        self.columns.push((name.to_owned(), col));
        self
    }

    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parquet (Snappy) with `meta` as key-value metadata.
    pub fn write_parquet<W: Write + Send>(
        &self,
        meta: Vec<parquet::file::metadata::KeyValue>,
        w: W,
    ) -> Result<(), parquet::errors::ParquetError> {
        let epoch = Date::constant(1970, 1, 1);
        let days = |d: &Date| d.since(epoch).ok().map(|s| s.get_days());
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (name, col) in &self.columns {
            let (ty, array): (DataType, ArrayRef) = match col {
                Col::U32(v) => (
                    DataType::UInt32,
                    Arc::new(UInt32Array::from_iter_values(v.iter().copied())),
                ),
                Col::F64(v) => (
                    DataType::Float64,
                    Arc::new(Float64Array::from_iter(v.iter().copied())),
                ),
                Col::Str(v) => (
                    DataType::Utf8,
                    Arc::new(StringArray::from_iter(v.iter().map(|s| s.as_deref()))),
                ),
                Col::Date(v) => (
                    DataType::Date32,
                    Arc::new(Date32Array::from_iter(
                        v.iter().map(|d| d.as_ref().and_then(days)),
                    )),
                ),
            };
            fields.push(Field::new(name, ty, array.null_count() > 0));
            arrays.push(array);
        }
        crate::table::write_batch(fields, arrays, meta, w)
    }

    /// CSV with a header; nulls are empty.
    pub fn write_csv(&self, mut w: impl Write) -> std::io::Result<()> {
        let header: Vec<String> = self.columns.iter().map(|(n, _)| csv_field(n)).collect();
        writeln!(w, "{}", header.join(","))?;
        for row in 0..self.len() {
            let cells: Vec<String> = self
                .columns
                .iter()
                .map(|(_, c)| c.text(row, false).unwrap_or_default())
                .collect();
            writeln!(w, "{}", cells.join(","))?;
        }
        Ok(())
    }

    /// One JSON object a row; nulls are `null`.
    pub fn write_jsonl(&self, mut w: impl Write) -> std::io::Result<()> {
        for row in 0..self.len() {
            let cells: Vec<String> = self
                .columns
                .iter()
                .map(|(n, c)| {
                    format!(
                        "{}:{}",
                        json_string(n),
                        c.text(row, true).unwrap_or_else(|| "null".into())
                    )
                })
                .collect();
            writeln!(w, "{{{}}}", cells.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        let mut f = Frame::default();
        f.push("station_id", Col::U32(vec![3, 44]))
            .push("name", Col::Str(vec![Some("Bergzabern, Bad".into()), None]))
            .push("height_m", Col::F64(vec![Some(202.0), None]))
            .push(
                "from",
                Col::Date(vec![Some(Date::constant(1891, 1, 1)), None]),
            );
        f
    }

    #[test]
    fn csv_quotes_and_nulls() {
        let mut out = Vec::new();
        frame().write_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "station_id,name,height_m,from\n3,\"Bergzabern, Bad\",202,1891-01-01\n44,,,\n"
        );
    }

    #[test]
    fn jsonl_escapes_and_nulls() {
        let mut out = Vec::new();
        let mut f = frame();
        f.columns[1].1 = Col::Str(vec![Some("a \"b\"\n".into()), None]);
        f.write_jsonl(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"station_id\":3,\"name\":\"a \\\"b\\\"\\n\",\"height_m\":202,\"from\":\"1891-01-01\"}\n\
             {\"station_id\":44,\"name\":null,\"height_m\":null,\"from\":null}\n"
        );
    }

    #[test]
    fn parquet_keeps_types_and_nulls() {
        use arrow_array::Array;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let mut buf = Vec::new();
        frame().write_parquet(Vec::new(), &mut buf).unwrap();
        let batch = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf))
            .unwrap()
            .build()
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(batch.num_rows(), 2);
        let from = batch.column_by_name("from").unwrap();
        assert_eq!(from.data_type(), &DataType::Date32);
        assert_eq!(from.null_count(), 1);
        let d = from.as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(d.value(0), -28854, "1891-01-01 in days since 1970");
    }
}
