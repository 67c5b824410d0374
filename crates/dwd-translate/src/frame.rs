//! A small column table for the outputs that are not time series (station
//! lists, station metadata), written as Parquet, CSV or JSON lines.

use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, StringArray, UInt32Array};
use arrow_schema::{DataType, Field};
use jiff::civil::Date;

/// One column's values; `None` is null.
#[derive(Clone, Debug, PartialEq)]
pub enum Col {
    U32(Vec<u32>),
    /// Small counts and codes that may be missing (a month, a source code).
    U32Opt(Vec<Option<u32>>),
    F64(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
    Date(Vec<Option<Date>>),
}

impl Col {
    fn len(&self) -> usize {
        match self {
            Col::U32(v) => v.len(),
            Col::U32Opt(v) => v.len(),
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
                Col::U32Opt(v) => (
                    DataType::UInt32,
                    Arc::new(UInt32Array::from_iter(v.iter().copied())),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn the_batch_keeps_types_and_nulls() {
        let mut f = Frame::default();
        f.push("station_id", Col::U32(vec![3, 44])).push(
            "first_date",
            Col::Date(vec![Some(Date::constant(1891, 1, 1)), None]),
        );
        let batch = f.to_batch().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let from = batch.column_by_name("first_date").unwrap();
        assert_eq!(from.data_type(), &DataType::Date32);
        assert_eq!(from.null_count(), 1);
        let d = from.as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(d.value(0), -28854, "1891-01-01 in days since 1970");
    }
}
