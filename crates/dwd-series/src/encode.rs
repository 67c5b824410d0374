//! The one writer of record batches: Parquet (Snappy, row groups of
//! [`ROW_GROUP`] rows, an encoding a column kind: [`ColumnKind`]), CSV and
//! JSON lines (arrow's writers: quoting, escaping and nulls done right; UTC
//! times in RFC 3339). Every table the program writes — a converted file,
//! a station list, metadata, a series, an export, values at a place — is
//! encoded here, in the one [`Format`] chosen.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;

use crate::output::{EncodeError, Format};

/// Rows a Parquet row group holds (a decade of 10-minute data is 8 of them).
pub const ROW_GROUP: usize = 65_536;

/// `batch` written whole in `format`; Parquet carries `meta` as key-value
/// metadata (CSV and JSON lines have no place for it).
pub fn write(
    format: Format,
    batch: &RecordBatch,
    meta: Vec<KeyValue>,
    w: impl Write + Send,
) -> Result<(), EncodeError> {
    match format {
        Format::Parquet => write_parquet(batch, meta, w)?,
        Format::Csv => write_csv(batch, w)?,
        Format::Jsonl => write_jsonl(batch, w)?,
    }
    Ok(())
}

/// The columns as one Parquet file, one row group at a time so that the
/// writer's buffers stay small.
pub fn write_parquet<W: Write + Send>(
    batch: &RecordBatch,
    meta: Vec<KeyValue>,
    w: W,
) -> Result<(), ParquetError> {
    let mut writer = parquet_writer(batch.schema(), meta, w)?;
    let mut offset = 0;
    while offset < batch.num_rows() {
        let len = ROW_GROUP.min(batch.num_rows() - offset);
        writer.write(&batch.slice(offset, len))?;
        offset += len;
    }
    writer.close()?;
    Ok(())
}

/// The Parquet writer every output uses: Snappy, row groups of
/// [`ROW_GROUP`] rows, and an encoding chosen by the column's kind
/// ([`column_kind`]). Measured with `cargo xtask bench parse` (a decade of
/// 10-minute data): this writes in 0.051–0.053 s what took 0.057–0.058 s
/// with a dictionary and statistics on every column (inflating the zip:
/// 0.043 s); the file's size and DuckDB's scans are the same (README,
/// Benchmarks).
pub fn parquet_writer<W: Write + Send>(
    schema: SchemaRef,
    meta: Vec<KeyValue>,
    w: W,
) -> Result<parquet::arrow::ArrowWriter<W>, ParquetError> {
    use parquet::basic::Encoding;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::schema::types::ColumnPath;

    let mut props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_write_batch_size(8192)
        .set_key_value_metadata(Some(meta));
    for f in schema.fields() {
        let col = ColumnPath::from(f.name().as_str());
        props = match column_kind(f.data_type()) {
            ColumnKind::Time | ColumnKind::Integer => props
                .set_column_dictionary_enabled(col.clone(), false)
                .set_column_encoding(col, Encoding::DELTA_BINARY_PACKED),
            ColumnKind::Text => props.set_column_statistics_enabled(col, EnabledStatistics::None),
            ColumnKind::Measured | ColumnKind::Other => props,
        };
    }
    parquet::arrow::ArrowWriter::try_new(w, schema, Some(props.build()))
}

/// What a column holds, for its encoding in Parquet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Timestamps: distinct row by row and evenly spaced, so a dictionary
    /// of them is wasted work and their deltas pack to almost nothing.
    /// DELTA_BINARY_PACKED, with statistics: readers skip row groups
    /// outside a time range by them (exports, merges and DuckDB do).
    Time,
    /// Integers (station ids, quality levels): long runs of one value,
    /// whose deltas pack to zero bits, with no hashing.
    /// DELTA_BINARY_PACKED, with statistics (cheap for integers).
    Integer,
    /// Measured values (floats): a few hundred distinct values a decade,
    /// so a dictionary (RLE_DICTIONARY, PLAIN past its size limit) is the
    /// small file (without: 6.8 times the size). With statistics: their
    /// null counts let DuckDB skip a column that is all missing (a real
    /// hourly solar file scanned 20% slower without them).
    Measured,
    /// Text (time reference, flags, names): a few distinct values;
    /// dictionary, no statistics (comparing strings for min/max took 7% of
    /// a part's write, for no filter's use).
    Text,
    /// Anything else: the writer's defaults.
    Other,
}

pub fn column_kind(t: &DataType) -> ColumnKind {
    match t {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => ColumnKind::Time,
        t if t.is_integer() => ColumnKind::Integer,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ColumnKind::Measured,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            ColumnKind::Text
        }
        _ => ColumnKind::Other,
    }
}

/// The CSV writer: a header, nulls empty, times in RFC 3339 (UTC with `Z`).
pub fn csv_writer<W: Write>(w: W) -> arrow_csv::Writer<W> {
    arrow_csv::WriterBuilder::new()
        .with_header(true)
        .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%SZ".to_owned())
        .with_timestamp_format("%Y-%m-%dT%H:%M:%S".to_owned())
        .build(w)
}

/// The JSON lines writer: one object a row, nulls written as `null`.
pub fn jsonl_writer<W: Write>(w: W) -> arrow_json::LineDelimitedWriter<W> {
    arrow_json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%SZ".to_owned())
        .with_timestamp_format("%Y-%m-%dT%H:%M:%S".to_owned())
        .build::<_, arrow_json::writer::LineDelimited>(w)
}

/// `batch` as CSV with a header. Dictionary columns are written as their
/// values.
pub fn write_csv(batch: &RecordBatch, w: impl Write) -> Result<(), ArrowError> {
    csv_writer(w).write(&plain(batch)?)
}

/// `batch` as JSON lines.
pub fn write_jsonl(batch: &RecordBatch, w: impl Write) -> Result<(), ArrowError> {
    let mut writer = jsonl_writer(w);
    writer.write(&plain(batch)?)?;
    writer.finish()
}

/// What the text writers take: dictionary columns cast to their value
/// type, and UTC timestamps as offset `+00:00` (the same instants; the
/// writers know offsets, not zone names).
pub fn plain(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (f, a) in batch.schema().fields().iter().zip(batch.columns()) {
        match f.data_type() {
            DataType::Dictionary(_, value) => {
                arrays.push(arrow_cast::cast(a, value)?);
                fields.push(Field::new(f.name(), (**value).clone(), f.is_nullable()));
            }
            DataType::Timestamp(unit, Some(_)) => {
                let ty = DataType::Timestamp(*unit, Some("+00:00".into()));
                arrays.push(arrow_cast::cast(a, &ty)?);
                fields.push(Field::new(f.name(), ty, f.is_nullable()));
            }
            _ => {
                arrays.push(a.clone());
                fields.push((**f).clone());
            }
        }
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), arrays)
}

/// Where a stream of batches goes, in the chosen format (the export's and
/// the values at a place's): one batch at a time, then [`Sink::finish`].
/// A table of no rows still has its columns: Parquet its schema, CSV its
/// header line; JSON lines has no place for them (no line is no row).
pub enum Sink<W: Write + Send> {
    Parquet(parquet::arrow::ArrowWriter<W>),
    Csv {
        writer: arrow_csv::Writer<W>,
        /// The columns, for the header of a table with no batch.
        schema: SchemaRef,
        wrote: bool,
    },
    Json(arrow_json::LineDelimitedWriter<W>),
}

impl<W: Write + Send> std::fmt::Debug for Sink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sink::Parquet(_) => "Sink::Parquet",
            Sink::Csv { .. } => "Sink::Csv",
            Sink::Json(_) => "Sink::Json",
        })
    }
}

impl<W: Write + Send> Sink<W> {
    /// `meta`: key-value metadata of a Parquet file.
    pub fn new(
        format: Format,
        schema: SchemaRef,
        meta: Vec<KeyValue>,
        out: W,
    ) -> Result<Self, ParquetError> {
        Ok(match format {
            Format::Parquet => Sink::Parquet(parquet_writer(schema, meta, out)?),
            Format::Csv => Sink::Csv {
                writer: csv_writer(out),
                schema,
                wrote: false,
            },
            Format::Jsonl => Sink::Json(jsonl_writer(out)),
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), EncodeError> {
        match self {
            Sink::Parquet(w) => w.write(batch)?,
            Sink::Csv { writer, wrote, .. } => {
                writer.write(&plain(batch)?)?;
                *wrote = true;
            }
            Sink::Json(w) => w.write(&plain(batch)?)?,
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(), EncodeError> {
        match self {
            Sink::Parquet(w) => {
                w.close()?;
            }
            Sink::Csv {
                mut writer,
                schema,
                wrote,
            } => {
                if !wrote {
                    // the header line alone
                    writer.write(&plain(&RecordBatch::new_empty(schema))?)?;
                }
                drop(writer.into_inner());
            }
            Sink::Json(mut w) => w.finish()?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dwd_parser::time::Reference;
    use dwd_translate::Tables;
    use dwd_translate::frame::{Col, Frame};
    use dwd_translate::table::{SourceInfo, to_batch, translate};

    /// A real 10-minute `produkt` line (station 44, 2025-06-25) translated.
    fn now() -> dwd_translate::table::Table {
        let p = dwd_parser::produkt::parse("now.txt", NOW.as_bytes()).unwrap();
        translate(
            p,
            "10_minutes/air_temperature",
            "now.txt",
            &Tables::embedded().unwrap(),
            Reference::Utc,
        )
        .unwrap()
    }

    const NOW: &str = "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n         44;202506250000;    3;   -999;  16.6;  16.4;  98.9;  16.4;eor\r\n";

    /// Each column kind of a real converted file gets its encoding: time
    /// and integers delta-packed, values and text in a dictionary;
    /// statistics for all but text.
    #[test]
    fn parquet_encodes_each_column_by_its_kind() {
        use parquet::basic::Encoding;
        let source = SourceInfo {
            file: "10minutenwerte_TU_00044_now.zip".into(),
            dataset: "10_minutes/air_temperature".into(),
            ..Default::default()
        };
        let (batch, meta) = to_batch(now(), &source).unwrap();
        let mut buf = Vec::new();
        write(Format::Parquet, &batch, meta, &mut buf).unwrap();
        let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(buf),
        )
        .unwrap();
        let rg = r.metadata().row_group(0);
        let mut seen = Vec::new();
        for (f, c) in batch.schema().fields().iter().zip(rg.columns()) {
            let kind = column_kind(f.data_type());
            let delta = c.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED);
            let dict = c.encodings().any(|e| e == Encoding::RLE_DICTIONARY);
            let stats = c.statistics().is_some_and(|s| s.min_bytes_opt().is_some());
            let stats = stats || c.statistics().is_some_and(|s| s.null_count_opt().is_some());
            let expected = match kind {
                ColumnKind::Time | ColumnKind::Integer => (true, false, true),
                ColumnKind::Measured => (false, true, true),
                ColumnKind::Text => (false, true, false),
                ColumnKind::Other => continue,
            };
            assert_eq!((delta, dict, stats), expected, "{}: {kind:?}", f.name());
            seen.push(kind);
        }
        for k in [
            ColumnKind::Time,
            ColumnKind::Integer,
            ColumnKind::Measured,
            ColumnKind::Text,
        ] {
            assert!(seen.contains(&k), "the file has no {k:?} column");
        }
    }

    #[test]
    fn csv_and_jsonl_with_english_names_and_utc() {
        let t = now();
        let (batch, _) = to_batch(t, &SourceInfo::default()).unwrap();
        let mut csv = Vec::new();
        write_csv(&batch, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(
            csv,
            "station_id,timestamp_utc,time_local,time_reference,quality,pressure_air_site,temperature_air_2m,temperature_air_0_05m,humidity,temperature_dew_point_2m\n\
             44,2025-06-25T00:00:00Z,2025-06-25T00:00:00,UTC,3,,16.6,16.4,98.9,16.4\n"
        );
        let mut jl = Vec::new();
        write_jsonl(&batch, &mut jl).unwrap();
        assert_eq!(
            String::from_utf8(jl).unwrap(),
            "{\"station_id\":44,\"timestamp_utc\":\"2025-06-25T00:00:00Z\",\"time_local\":\"2025-06-25T00:00:00\",\"time_reference\":\"UTC\",\"quality\":3,\"pressure_air_site\":null,\"temperature_air_2m\":16.6,\"temperature_air_0_05m\":16.4,\"humidity\":98.9,\"temperature_dew_point_2m\":16.4}\n"
        );
    }

    fn frame() -> Frame {
        let mut f = Frame::default();
        f.push("station_id", Col::U32(vec![3, 44]))
            .push("name", Col::Str(vec![Some("Bergzabern, Bad".into()), None]))
            .push("height_m", Col::F64(vec![Some(202.0), None]))
            .push(
                "first_date",
                Col::Date(vec![Some(jiff::civil::Date::constant(1891, 1, 1)), None]),
            );
        f
    }

    #[test]
    fn csv_quotes_and_nulls() {
        let mut out = Vec::new();
        write_csv(&frame().to_batch().unwrap(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "station_id,name,height_m,first_date\n3,\"Bergzabern, Bad\",202.0,1891-01-01\n44,,,\n"
        );
    }

    /// A stream of no batches still writes its CSV header (pyarrow and
    /// polars refuse a 0-byte CSV); a stream of batches writes it once.
    #[test]
    fn a_csv_sink_without_rows_has_its_header() {
        let schema = frame().to_batch().unwrap().schema();
        let mut out = Vec::new();
        let sink = Sink::new(Format::Csv, schema.clone(), Vec::new(), &mut out).unwrap();
        sink.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "station_id,name,height_m,first_date\n"
        );
        let mut out = Vec::new();
        let mut sink = Sink::new(Format::Csv, schema, Vec::new(), &mut out).unwrap();
        sink.write(&frame().to_batch().unwrap()).unwrap();
        sink.write(&frame().to_batch().unwrap()).unwrap();
        sink.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("station_id,name").count(), 1, "{text}");
        assert_eq!(text.lines().count(), 5, "{text}");
    }

    #[test]
    fn jsonl_escapes_and_nulls() {
        let mut out = Vec::new();
        let mut f = frame();
        f.columns[1].1 = Col::Str(vec![Some("a \"b\"\n".into()), None]);
        write_jsonl(&f.to_batch().unwrap(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"station_id\":3,\"name\":\"a \\\"b\\\"\\n\",\"height_m\":202.0,\"first_date\":\"1891-01-01\"}\n\
             {\"station_id\":44,\"name\":null,\"height_m\":null,\"first_date\":null}\n"
        );
    }

    /// Parquet keeps types, nulls, field and key-value metadata, in row
    /// groups of ROW_GROUP rows with time statistics.
    #[test]
    fn parquet_round_trip_keeps_types_nulls_and_metadata() {
        use arrow_array::Array;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let t = now();
        let source = SourceInfo {
            file: "10minutenwerte_TU_00044_now.zip".into(),
            dataset: "10_minutes/air_temperature".into(),
            ..SourceInfo::default()
        };
        let (batch, meta) = to_batch(t, &source).unwrap();
        let mut buf = Vec::new();
        write(Format::Parquet, &batch, meta, &mut buf).unwrap();
        let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf)).unwrap();
        let kv: std::collections::HashMap<String, String> = r
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
            .collect();
        assert_eq!(kv["source_file"], "10minutenwerte_TU_00044_now.zip");
        assert_eq!(kv["unit.temperature_air_2m"], "°C");
        let schema = r.schema().clone();
        assert_eq!(
            schema
                .field_with_name("temperature_air_2m")
                .unwrap()
                .metadata()
                .get("unit")
                .map(String::as_str),
            Some("°C")
        );
        let ts = r.metadata().row_group(0).column(1).statistics();
        assert!(ts.is_some(), "time statistics for row-group skipping");
        let back = r.build().unwrap().next().unwrap().unwrap();
        assert_eq!(back.num_rows(), 1);
        assert_eq!(
            back.column_by_name("pressure_air_site")
                .unwrap()
                .null_count(),
            1
        );
        let mut dates = Vec::new();
        write(
            Format::Parquet,
            &frame().to_batch().unwrap(),
            Vec::new(),
            &mut dates,
        )
        .unwrap();
        let d = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(dates))
            .unwrap()
            .build()
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let from = d.column_by_name("first_date").unwrap();
        assert_eq!(from.data_type(), &DataType::Date32);
        assert_eq!(from.null_count(), 1);
    }
}
