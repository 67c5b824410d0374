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

/// An error of these helpers.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Writes `batch` as a Parquet table at `path` (its folder made).
pub fn write_table(path: &std::path::Path, batch: &arrow_array::RecordBatch) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::encode::write_parquet(batch, Vec::new(), std::fs::File::create(path)?)?;
    Ok(())
}

/// Writes `dataset`'s `stations.parquet`: (id, latitude, longitude, height
/// in m) a station, named `Station <id>`.
pub fn write_stations(
    layout: &crate::OutputLayout,
    dataset: &str,
    stations: &[(u32, f64, f64, f64)],
) -> Result<(), Error> {
    use arrow_array::{Float64Array, StringArray, UInt32Array};
    let schema = Arc::new(Schema::new(vec![
        Field::new("station_id", DataType::UInt32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("latitude", DataType::Float64, false),
        Field::new("longitude", DataType::Float64, false),
        Field::new("height_m", DataType::Float64, true),
    ]));
    let batch = arrow_array::RecordBatch::try_new(
        schema,
        vec![
            Arc::new(UInt32Array::from_iter_values(stations.iter().map(|s| s.0))),
            Arc::new(StringArray::from_iter_values(
                stations.iter().map(|s| format!("Station {}", s.0)),
            )),
            Arc::new(Float64Array::from_iter_values(stations.iter().map(|s| s.1))),
            Arc::new(Float64Array::from_iter_values(stations.iter().map(|s| s.2))),
            Arc::new(Float64Array::from_iter_values(stations.iter().map(|s| s.3))),
        ],
    )?;
    write_table(&layout.stations(dataset, "parquet"), &batch)
}
