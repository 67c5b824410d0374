//! Building blocks for tests and benchmarks that write series by hand.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

/// The schema of a minimal merged series: `station_id`, `timestamp_utc`
/// (ms, UTC), `quality` (Int32), then `columns` (name, type, unit), each
/// with a unit qualified by `quality` (as the translation writes them).
pub fn series_schema(columns: &[(&str, DataType, &str)]) -> SchemaRef {
    let mut fields = vec![
        Field::new("station_id", DataType::UInt32, false),
        Field::new(
            "timestamp_utc",
            DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("quality", DataType::Int32, true),
    ];
    for (name, data_type, unit) in columns {
        let meta = std::collections::HashMap::from([
            ("unit".to_owned(), (*unit).to_owned()),
            ("quality_column".to_owned(), "quality".to_owned()),
        ]);
        fields.push(Field::new(*name, data_type.clone(), true).with_metadata(meta));
    }
    Arc::new(Schema::new(fields))
}
