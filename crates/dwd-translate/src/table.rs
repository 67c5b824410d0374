//! A parsed `produkt` file turned into timestamp-centric rows with English
//! column names and UTC time: one Arrow record batch, written as Parquet,
//! CSV or JSON lines by arrow's own writers.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use dwd_parser::produkt::{Produkt, RowTime, Series, Value};
use dwd_parser::time::Reference;

use crate::{Column, Tables, ValueType};

/// What a 1-minute row with `MESS_DATUM_BEGINN`/`MESS_DATUM_ENDE` stands for.
pub const MINUTE_RANGES: &str = "each minute from timestamp_utc up to period_end_utc (excluded: the first minute after the range) has the row's values: DWD writes a run of equal minutes as one row";

/// What a monthly or annual row stands for.
pub const PERIOD_RANGES: &str = "the row covers the time from timestamp_utc up to period_end_utc (excluded: the first instant after the period, e.g. the first day of the next month)";

/// What is irregular in a file's rows, kept as written: a (station, time)
/// that repeats one before it, and a station id that changes inside the
/// file. Each is warned about once, with its count, and recorded.
fn anomalies(stations: &[u32], times: &[i64], file: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut ids: Vec<u32> = stations.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // rows come in time order per station: a time not after the one before
    // (same station) repeats or goes back
    let repeated = stations
        .windows(2)
        .zip(times.windows(2))
        .filter(|(s, t)| s[0] == s[1] && t[1] <= t[0])
        .count();
    if repeated > 0 {
        tracing::warn!(
            file,
            rows = repeated,
            "rows repeat or go back to a time seen before; kept as written"
        );
        out.push(("rows.repeated_times".into(), repeated.to_string()));
    }
    if ids.len() > 1 {
        let list: Vec<String> = ids.iter().map(u32::to_string).collect();
        tracing::warn!(
            file,
            stations = list.join(","),
            "more than one station id in one file; kept as written"
        );
        out.push(("rows.stations".into(), list.join(",")));
    }
    out
}

/// A translated file, by column.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// What a row with a begin and an end stands for (written as `row_span`).
    pub span_rule: Option<&'static str>,
    /// Irregular rows kept as written, counted (written as key-value
    /// metadata): `rows.repeated_times` (a station and time seen before),
    /// `rows.stations` (more than one station id in the file).
    pub anomalies: Vec<(String, String)>,
    pub reference: Reference,
    pub stations: Vec<u32>,
    /// The end of the interval (`MESS_DATUM`) or the start of the period, UTC, ms.
    pub timestamps_ms: Vec<i64>,
    /// The end of the period, for monthly and annual rows.
    pub period_ends_ms: Option<Vec<i64>>,
    /// The file's own (local) time as written, as ms of a naive date-time.
    pub local_ms: Vec<i64>,
    /// `MESS_DATUM_WOZ` (hourly solar): true local solar time, naive ms.
    pub true_local_ms: Option<Vec<Option<i64>>>,
    /// One series a column.
    pub series: Vec<Series>,
    /// What the quality levels mean (English), when the file has quality
    /// columns: written as `quality_level.<n>` key-value metadata.
    pub quality_levels: Vec<(u8, String)>,
}

impl Table {
    pub fn len(&self) -> usize {
        self.stations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }
}

fn naive_ms(dt: jiff::civil::DateTime) -> Option<i64> {
    Reference::Utc.to_utc(dt).map(|t| t.as_millisecond())
}

/// [`naive_ms`] with one calendar computation a day: rows come in time
/// order, most days have many.
#[derive(Default)]
struct NaiveMs {
    day: Option<(jiff::civil::Date, i64)>,
}

impl NaiveMs {
    fn of(&mut self, dt: jiff::civil::DateTime) -> Option<i64> {
        let date = dt.date();
        let midnight = match self.day {
            Some((d, ms)) if d == date => ms,
            _ => {
                let ms = naive_ms(date.to_datetime(jiff::civil::Time::midnight()))?;
                self.day = Some((date, ms));
                ms
            }
        };
        Some(
            midnight
                + i64::from(dt.hour()) * 3_600_000
                + i64::from(dt.minute()) * 60_000
                + i64::from(dt.second()) * 1_000
                + i64::from(dt.subsec_nanosecond()) / 1_000_000,
        )
    }
}

/// Translates `produkt` of `dataset` whose timestamps are in `reference`.
/// Takes the parsed file by value: its columns move into the table.
pub fn translate(
    produkt: Produkt,
    dataset: &str,
    file: &str,
    tables: &Tables,
    reference: Reference,
) -> Result<Table, crate::TranslateError> {
    let columns = tables.columns(dataset, &produkt.columns, file);
    let columns_have_quality = produkt
        .columns
        .iter()
        .any(|c| dwd_parser::produkt::is_quality(c));
    let n = produkt.len();
    let span = produkt.times.iter().any(|t| matches!(t, RowTime::Span(..)));
    let mut timestamps_ms = Vec::with_capacity(n);
    let mut local_ms = Vec::with_capacity(n);
    let mut period_ends = span.then(|| Vec::with_capacity(n));
    let bad = |dt: jiff::civil::DateTime| crate::TranslateError::Time {
        file: file.to_owned(),
        message: format!("{dt} cannot be converted to UTC"),
    };
    // UTC is the file's own time less its reference's offset
    let offset = reference.offset_ms();
    let (mut starts, mut ends_ms) = (NaiveMs::default(), NaiveMs::default());
    // a range's end as DWD writes it is its last minute or day; the output
    // states the first instant after it: [timestamp_utc, period_end_utc)
    let minute_data = dwd_catalog::get(dataset).is_some_and(|d| d.resolution.minute_data());
    let end_step: i64 = if minute_data { 60_000 } else { 86_400_000 };
    for t in &produkt.times {
        let (start, end) = match *t {
            RowTime::At(t) => (t, None),
            RowTime::Span(b, e) => (b, Some(e)),
        };
        let local = starts.of(start).ok_or_else(|| bad(start))?;
        timestamps_ms.push(local - offset);
        local_ms.push(local);
        if let Some(ends) = period_ends.as_mut() {
            let e = end.unwrap_or(start);
            ends.push(ends_ms.of(e).ok_or_else(|| bad(e))? - offset + end_step);
        }
    }
    // values DWD uses for "no value" besides -999 become null (the rule
    // is in the translation table and goes into the output's metadata)
    let mut series = produkt.series;
    for (c, s) in columns.iter().zip(series.iter_mut()) {
        for (sentinel, _) in &c.missing {
            s.null_where(*sentinel);
        }
    }
    let true_local_ms = produkt
        .true_local_times
        .map(|v| v.into_iter().map(|t| t.and_then(naive_ms)).collect());
    let anomalies = anomalies(&produkt.stations, &timestamps_ms, file);
    let span_rule = span.then_some(if minute_data {
        MINUTE_RANGES
    } else {
        PERIOD_RANGES
    });
    Ok(Table {
        columns,
        span_rule,
        anomalies,
        reference,
        stations: produkt.stations,
        timestamps_ms,
        period_ends_ms: period_ends,
        local_ms,
        true_local_ms,
        series,
        quality_levels: if columns_have_quality {
            tables.quality_levels()
        } else {
            Vec::new()
        },
    })
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Missing => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Code(c) => c.clone(),
    }
}

/// CSV with a header, from the same record batch as Parquet
/// ([`to_batch`]), by arrow's writer: fields quoted where needed, nulls
/// empty, times in RFC 3339.
pub fn write_csv(table: Table, source: &SourceInfo, w: impl Write) -> Result<(), ArrowError> {
    let (batch, _) = to_batch(table, source)?;
    write_csv_batch(&batch, w)
}

/// One JSON object a row (nulls written as `null`), from the same record
/// batch as Parquet, by arrow's writer.
pub fn write_jsonl(table: Table, source: &SourceInfo, w: impl Write) -> Result<(), ArrowError> {
    let (batch, _) = to_batch(table, source)?;
    write_jsonl_batch(&batch, w)
}

/// `batch` as CSV with a header (arrow-csv). Dictionary columns are written
/// as their values.
pub fn write_csv_batch(batch: &RecordBatch, w: impl Write) -> Result<(), ArrowError> {
    let batch = plain(batch)?;
    let mut writer = arrow_csv::WriterBuilder::new()
        .with_header(true)
        .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%SZ".to_owned())
        .with_timestamp_format("%Y-%m-%dT%H:%M:%S".to_owned())
        .build(w);
    writer.write(&batch)
}

/// `batch` as JSON lines (arrow-json), nulls written as `null`.
pub fn write_jsonl_batch(batch: &RecordBatch, w: impl Write) -> Result<(), ArrowError> {
    let batch = plain(batch)?;
    let mut writer = arrow_json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%SZ".to_owned())
        .with_timestamp_format("%Y-%m-%dT%H:%M:%S".to_owned())
        .build::<_, arrow_json::writer::LineDelimited>(w);
    writer.write(&batch)?;
    writer.finish()
}

/// What the text writers take: dictionary columns cast to their value
/// type, and UTC timestamps as offset `+00:00` (the same instants; the
/// writers know offsets, not zone names).
pub fn plain(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;
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
                let _: Option<TimeUnit> = None;
            }
            _ => {
                arrays.push(a.clone());
                fields.push((**f).clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n         44;202506250000;    3;   -999;  16.6;  16.4;  98.9;  16.4;eor\r\n";

    proptest::proptest! {
        /// The per-day shortcut gives what jiff gives, for rows in time
        /// order (days repeat) and out of it.
        #[test]
        fn naive_ms_a_day_at_a_time_equals_jiff(
            rows in proptest::collection::vec(
                (1700i16..2200, 1i8..=12, 1i8..=28, 0i8..24, 0i8..60, 0..2u8),
                1..50,
            )
        ) {
            let mut by_day = NaiveMs::default();
            for (y, mo, d, h, mi, repeat) in rows {
                let dt = jiff::civil::date(y, mo, d).at(h, mi, 0, 0);
                for _ in 0..=repeat {
                    proptest::prop_assert_eq!(by_day.of(dt), naive_ms(dt));
                    proptest::prop_assert_eq!(
                        by_day.of(dt).map(|ms| ms - Reference::Mez.offset_ms()),
                        Reference::Mez.to_utc(dt).map(|t| t.as_millisecond())
                    );
                }
            }
        }
    }

    #[test]
    fn csv_and_jsonl_with_english_names_and_utc() {
        let p = dwd_parser::produkt::parse("now.txt", NOW.as_bytes()).unwrap();
        let t = translate(
            p,
            "10_minutes/air_temperature",
            "now.txt",
            &Tables::embedded().unwrap(),
            Reference::Utc,
        )
        .unwrap();
        let mut csv = Vec::new();
        write_csv(t.clone(), &SourceInfo::default(), &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(
            csv,
            "station_id,timestamp_utc,time_local,time_reference,quality,pressure_air_site,temperature_air_mean_2m,temperature_air_mean_0_05m,humidity,temperature_dew_point_mean_2m\n\
             44,2025-06-25T00:00:00Z,2025-06-25T00:00:00,UTC,3,,16.6,16.4,98.9,16.4\n"
        );
        let mut jl = Vec::new();
        write_jsonl(t, &SourceInfo::default(), &mut jl).unwrap();
        assert_eq!(
            String::from_utf8(jl).unwrap(),
            "{\"station_id\":44,\"timestamp_utc\":\"2025-06-25T00:00:00Z\",\"time_local\":\"2025-06-25T00:00:00\",\"time_reference\":\"UTC\",\"quality\":3,\"pressure_air_site\":null,\"temperature_air_mean_2m\":16.6,\"temperature_air_mean_0_05m\":16.4,\"humidity\":98.9,\"temperature_dew_point_mean_2m\":16.4}\n"
        );
    }

    #[test]
    fn the_mez_seam_has_no_gap_and_no_duplicate() {
        let tables = Tables::embedded().unwrap();
        let mez = "STATIONS_ID;MESS_DATUM;  QN;TT_10;eor\n3;199912312340;3;1.0;eor\n3;199912312350;3;1.1;eor\n";
        let utc = "STATIONS_ID;MESS_DATUM;  QN;TT_10;eor\n3;199912312300;3;1.2;eor\n3;199912312310;3;1.3;eor\n";
        let reference = |name: &str| {
            let (_, end) = dwd_parser::time::name_range(name).unwrap();
            dwd_parser::time::file_reference(
                dwd_parser::time::Resolution::Minutes10,
                Some(end),
                None,
            )
        };
        let a_name = "produkt_zehn_min_tu_19930428_19991231_00003.txt";
        let b_name = "produkt_zehn_min_tu_20000101_20091231_00003.txt";
        let a = translate(
            dwd_parser::produkt::parse(a_name, mez.as_bytes()).unwrap(),
            "10_minutes/air_temperature",
            a_name,
            &tables,
            reference(a_name),
        )
        .unwrap();
        let b = translate(
            dwd_parser::produkt::parse(b_name, utc.as_bytes()).unwrap(),
            "10_minutes/air_temperature",
            b_name,
            &tables,
            reference(b_name),
        )
        .unwrap();
        let times: Vec<String> = a
            .timestamps_ms
            .iter()
            .chain(&b.timestamps_ms)
            .map(|ms| jiff::Timestamp::from_millisecond(*ms).unwrap().to_string())
            .collect();
        assert_eq!(
            times,
            [
                "1999-12-31T22:40:00Z",
                "1999-12-31T22:50:00Z",
                "1999-12-31T23:00:00Z",
                "1999-12-31T23:10:00Z"
            ]
        );
        assert_eq!((a.reference, b.reference), (Reference::Mez, Reference::Utc));
    }
}

/// Facts about the source written into the Parquet key-value metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceInfo {
    pub file: String,
    pub size: Option<u64>,
    /// RFC 3339.
    pub modified: Option<String>,
    pub dataset: String,
    /// What decided the time reference (`Metadaten_Parameter`, `period`).
    pub time_basis: Option<&'static str>,
}

/// Rows a Parquet row group holds (a decade of 10-minute data is 8 of them).
pub const ROW_GROUP: usize = 65_536;

/// The version written as `parser_version`.
pub const PARSER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Parquet ([`to_batch`] written one row group at a time).
pub fn write_parquet<W: Write + Send>(
    table: Table,
    source: &SourceInfo,
    w: W,
) -> Result<(), parquet::errors::ParquetError> {
    let (batch, meta) = to_batch(table, source)?;
    write_batch(&batch, meta, w)
}

/// The table as one record batch: `station_id` (uint32), `timestamp_utc`
/// (timestamp ms, UTC), [`period_end_utc`], `time_local`, `time_reference`,
/// then one column a parameter under its English name, typed by
/// [`ValueType`](crate::ValueType): quality levels Int32, codes Utf8,
/// values Float64 (null for missing). Units, DWD codes and quality columns
/// are field metadata too; the returned key-value metadata holds them with
/// the source file, its size and date, and the parser version. Takes the
/// table by value: its columns move into the Arrow arrays without a copy.
pub fn to_batch(
    mut table: Table,
    source: &SourceInfo,
) -> Result<(RecordBatch, Vec<parquet::file::metadata::KeyValue>), ArrowError> {
    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, Float64Array, StringArray, TimestampMillisecondArray, UInt32Array,
    };
    use arrow_buffer::{NullBuffer, ScalarBuffer};
    let take = |v: &mut Vec<i64>| ScalarBuffer::from(std::mem::take(v));
    use arrow_schema::{DataType, Field, TimeUnit};
    use parquet::file::metadata::KeyValue;

    let ts_type = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let mut fields = vec![
        Field::new("station_id", DataType::UInt32, false),
        Field::new("timestamp_utc", ts_type.clone(), false),
    ];
    let rows = table.len();
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::new(
            ScalarBuffer::from(std::mem::take(&mut table.stations)),
            None,
        )),
        Arc::new(
            TimestampMillisecondArray::new(take(&mut table.timestamps_ms), None)
                .with_timezone("UTC"),
        ),
    ];
    if let Some(ends) = table.period_ends_ms.as_mut() {
        fields.push(Field::new("period_end_utc", ts_type, false));
        arrays.push(Arc::new(
            TimestampMillisecondArray::new(take(ends), None).with_timezone("UTC"),
        ));
    }
    // the file's own time: a timestamp without a time zone
    fields.push(Field::new(
        "time_local",
        DataType::Timestamp(TimeUnit::Millisecond, None),
        false,
    ));
    arrays.push(Arc::new(TimestampMillisecondArray::new(
        take(&mut table.local_ms),
        None,
    )));
    // one value for the whole file: a dictionary of one, not a string a row
    fields.push(Field::new(
        "time_reference",
        DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
        false,
    ));
    arrays.push(Arc::new(arrow_array::DictionaryArray::new(
        arrow_array::Int8Array::from(vec![0i8; rows]),
        Arc::new(StringArray::from(vec![table.reference.as_str()])),
    )));
    let mut seen = std::collections::HashSet::new();
    // unit, DWD code and quality column also as field metadata (for
    // Arrow readers: pyarrow, polars); DuckDB reads the key-value metadata
    let described = |f: Field, c: &Column| {
        let mut m = std::collections::HashMap::from([("dwd_code".to_owned(), c.code.clone())]);
        if let Some(u) = &c.unit {
            m.insert("unit".into(), u.clone());
        }
        if let Some(q) = &c.quality {
            m.insert("quality_column".into(), q.clone());
        }
        if let Some(d) = &c.description {
            m.insert("description".into(), d.clone());
        }
        f.with_metadata(m)
    };
    if let Some(t) = table.true_local_ms.take() {
        // hourly solar: the true local solar time, a naive timestamp
        fields.push(Field::new(
            "time_true_local",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ));
        arrays.push(Arc::new(TimestampMillisecondArray::from(t)));
    }
    let series = std::mem::take(&mut table.series);
    for (c, series) in table.columns.iter().zip(series) {
        // two codes with one English name (never in DWD's tables) stay apart
        let name = if seen.insert(c.name.clone()) {
            c.name.clone()
        } else {
            c.code.clone()
        };
        match (series, c.value_type) {
            (Series::Numbers { values, valid }, ValueType::Number) => {
                fields.push(described(Field::new(&name, DataType::Float64, true), c));
                let nulls = valid.contains(&false).then(|| NullBuffer::from(valid));
                arrays.push(Arc::new(Float64Array::new(
                    ScalarBuffer::from(values),
                    nulls,
                )));
            }
            (Series::Numbers { values, valid }, ValueType::Quality) => {
                fields.push(described(Field::new(&name, DataType::Int32, true), c));
                let mut levels = Vec::with_capacity(values.len());
                for (v, ok) in values.iter().zip(&valid) {
                    if !ok {
                        levels.push(None);
                    } else if v.fract() == 0.0 && v.abs() <= f64::from(i32::MAX) {
                        levels.push(Some(*v as i32));
                    } else {
                        return Err(ArrowError::InvalidArgumentError(format!(
                            "{}: quality level {v} is not a whole number",
                            c.code
                        )));
                    }
                }
                arrays.push(Arc::new(arrow_array::Int32Array::from(levels)));
            }
            (Series::Numbers { values, valid }, ValueType::Code) => {
                fields.push(described(Field::new(&name, DataType::Utf8, true), c));
                arrays.push(Arc::new(StringArray::from_iter(
                    values
                        .iter()
                        .zip(&valid)
                        .map(|(v, ok)| ok.then(|| value_text(&Value::Number(*v)))),
                )));
            }
            (Series::Values(v), _) => {
                fields.push(described(Field::new(&name, DataType::Utf8, true), c));
                arrays.push(Arc::new(StringArray::from_iter(v.iter().map(
                    |x| match x {
                        Value::Missing => None,
                        other => Some(value_text(other)),
                    },
                ))));
            }
        }
    }
    let mut meta = source_metadata(source);
    meta.push(KeyValue::new(
        "time_reference".into(),
        table.reference.as_str().to_owned(),
    ));
    for c in &table.columns {
        meta.push(KeyValue::new(
            format!("dwd_code.{}", c.name),
            c.code.clone(),
        ));
        if let Some(u) = &c.unit {
            meta.push(KeyValue::new(format!("unit.{}", c.name), u.clone()));
        }
        if let Some(q) = &c.quality {
            meta.push(KeyValue::new(format!("quality.{}", c.name), q.clone()));
        }
        if !c.missing.is_empty() {
            let rule: Vec<String> = std::iter::once("-999: missing".to_owned())
                .chain(c.missing.iter().map(|(v, why)| format!("{v}: {why}")))
                .collect();
            meta.push(KeyValue::new(
                format!("missing.{}", c.name),
                format!("read as null: {}", rule.join("; ")),
            ));
        }
    }
    if let Some(rule) = table.span_rule {
        meta.push(KeyValue::new("row_span".into(), rule.to_owned()));
    }
    for (k, v) in &table.anomalies {
        meta.push(KeyValue::new(k.clone(), v.clone()));
    }
    for (level, meaning) in &table.quality_levels {
        meta.push(KeyValue::new(
            format!("quality_level.{level}"),
            meaning.clone(),
        ));
    }
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    Ok((RecordBatch::try_new(schema, arrays)?, meta))
}

/// What every output file says about its source.
pub fn source_metadata(source: &SourceInfo) -> Vec<parquet::file::metadata::KeyValue> {
    use parquet::file::metadata::KeyValue;
    let mut meta = vec![
        KeyValue::new("source_file".into(), source.file.clone()),
        KeyValue::new("dataset".into(), source.dataset.clone()),
        KeyValue::new(
            "parser_version".into(),
            format!("climastation {PARSER_VERSION}"),
        ),
    ];
    if let Some(s) = source.size {
        meta.push(KeyValue::new("source_size".into(), s.to_string()));
    }
    if let Some(m) = &source.modified {
        meta.push(KeyValue::new("source_modified".into(), m.clone()));
    }
    if let Some(b) = source.time_basis {
        meta.push(KeyValue::new("time_reference_basis".into(), b.to_owned()));
    }
    meta
}

/// Writes the columns as one Parquet file (Snappy), one row group at a
/// time so that the writer's buffers stay small.
pub fn write_batch<W: Write + Send>(
    batch: &RecordBatch,
    meta: Vec<parquet::file::metadata::KeyValue>,
    w: W,
) -> Result<(), parquet::errors::ParquetError> {
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
/// [`ROW_GROUP`] rows (each with min/max statistics, so readers skip those
/// outside a time range), timestamps delta-encoded without a dictionary.
pub fn parquet_writer<W: Write + Send>(
    schema: arrow_schema::SchemaRef,
    meta: Vec<parquet::file::metadata::KeyValue>,
    w: W,
) -> Result<parquet::arrow::ArrowWriter<W>, parquet::errors::ParquetError> {
    use parquet::file::properties::WriterProperties;

    let mut props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_write_batch_size(8192)
        .set_key_value_metadata(Some(meta));
    // Timestamps are distinct row by row and evenly spaced: a dictionary
    // of them is wasted work, their deltas pack to almost nothing.
    for f in schema.fields() {
        if matches!(f.data_type(), arrow_schema::DataType::Timestamp(..)) {
            let col = parquet::schema::types::ColumnPath::from(f.name().as_str());
            props = props
                .set_column_dictionary_enabled(col.clone(), false)
                .set_column_encoding(col, parquet::basic::Encoding::DELTA_BINARY_PACKED);
        }
    }
    let props = props.build();
    parquet::arrow::ArrowWriter::try_new(w, schema, Some(props))
}

#[cfg(test)]
mod parquet_tests {
    use super::*;
    use arrow_array::{Array, Float64Array, TimestampMillisecondArray};

    #[test]
    fn parquet_round_trip_with_units_and_source_metadata() {
        let text = "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n         44;202506250000;    3;   -999;  16.6;  16.4;  98.9;  16.4;eor\r\n         44;202506250010;    3;   -999;  16.7;  16.5;  99.6;  16.6;eor\r\n";
        let p = dwd_parser::produkt::parse("now.txt", text.as_bytes()).unwrap();
        let t = translate(
            p,
            "10_minutes/air_temperature",
            "now.txt",
            &Tables::embedded().unwrap(),
            Reference::Utc,
        )
        .unwrap();
        let source = SourceInfo {
            file: "10minutenwerte_TU_00044_now.zip".into(),
            size: Some(1234),
            modified: Some("2025-06-25T17:00:00Z".into()),
            dataset: "10_minutes/air_temperature".into(),
            time_basis: Some("period"),
        };
        let reader = crate::layout_tests::written_with(t, &source);
        let kv = crate::layout_tests::key_values(&reader);
        assert_eq!(kv["unit.temperature_air_mean_2m"], "°C");
        assert_eq!(kv["dwd_code.temperature_air_mean_2m"], "TT_10");
        assert_eq!(
            kv["quality.temperature_air_mean_2m"], "quality",
            "QN qualifies TT_10"
        );
        assert!(!kv.contains_key("quality.quality"));
        assert_eq!(
            kv["quality_level.10"],
            "quality control finished, all corrections finished"
        );
        assert_eq!(kv["source_file"], "10minutenwerte_TU_00044_now.zip");
        assert_eq!(kv["source_size"], "1234");
        assert_eq!(kv["time_reference_basis"], "period");
        assert!(kv["parser_version"].starts_with("climastation "));
        let batch = reader.build().unwrap().next().unwrap().unwrap();
        assert_eq!(batch.num_rows(), 2);
        let ts = batch
            .column_by_name("timestamp_utc")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap();
        assert_eq!(
            ts.value(1),
            jiff::Timestamp::from_second(1_750_810_200)
                .unwrap()
                .as_millisecond()
        );
        let tt = batch
            .column_by_name("temperature_air_mean_2m")
            .unwrap()
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(tt.value(0), 16.6);
        let pp = batch.column_by_name("pressure_air_site").unwrap();
        assert_eq!(pp.null_count(), 2, "-999 is null");
    }
}
