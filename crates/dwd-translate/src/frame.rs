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

    /// The frame as one Arrow record batch.
    pub fn to_batch(&self) -> Result<arrow_array::RecordBatch, arrow_schema::ArrowError> {
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
        arrow_array::RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), arrays)
    }

    /// Parquet (Snappy) with `meta` as key-value metadata.
    pub fn write_parquet<W: Write + Send>(
        &self,
        meta: Vec<parquet::file::metadata::KeyValue>,
        w: W,
    ) -> Result<(), parquet::errors::ParquetError> {
        crate::table::write_batch(&self.to_batch()?, meta, w)
    }

    /// CSV with a header (arrow's writer); nulls are empty.
    pub fn write_csv(&self, w: impl Write) -> Result<(), arrow_schema::ArrowError> {
        crate::table::write_csv_batch(&self.to_batch()?, w)
    }

    /// One JSON object a row (arrow's writer); nulls are `null`.
    pub fn write_jsonl(&self, w: impl Write) -> Result<(), arrow_schema::ArrowError> {
        crate::table::write_jsonl_batch(&self.to_batch()?, w)
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
                "first_date",
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
            "station_id,name,height_m,first_date\n3,\"Bergzabern, Bad\",202.0,1891-01-01\n44,,,\n"
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
            "{\"station_id\":3,\"name\":\"a \\\"b\\\"\\n\",\"height_m\":202.0,\"first_date\":\"1891-01-01\"}\n\
             {\"station_id\":44,\"name\":null,\"height_m\":null,\"first_date\":null}\n"
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
        let from = batch.column_by_name("first_date").unwrap();
        assert_eq!(from.data_type(), &DataType::Date32);
        assert_eq!(from.null_count(), 1);
        let d = from.as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(d.value(0), -28854, "1891-01-01 in days since 1970");
    }
}
