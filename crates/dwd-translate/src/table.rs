//! A parsed `produkt` file turned into timestamp-centric rows with English
//! column names and UTC time: one Arrow record batch, written as Parquet,
//! CSV or JSON lines by arrow's own writers.

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

    /// The DWD codes of its columns that no translation names (kept
    /// under their DWD names, with a warning).
    pub fn unknown_codes(&self) -> Vec<&str> {
        unknown_codes(&self.columns)
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

#[cfg(test)]
mod tests {
    use super::*;

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

/// The DWD codes of `columns` that no translation names.
pub fn unknown_codes(columns: &[Column]) -> Vec<&str> {
    columns
        .iter()
        .filter(|c| !c.known)
        .map(|c| c.code.as_str())
        .collect()
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

/// The version written as `parser_version`.
pub const PARSER_VERSION: &str = env!("CARGO_PKG_VERSION");

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
    let (mut fields, mut arrays) = time_columns(&mut table);
    let mut seen = std::collections::HashSet::new();
    let series = std::mem::take(&mut table.series);
    for (c, series) in table.columns.iter().zip(series) {
        // two codes with one English name (never in DWD's tables) stay apart
        let name = if seen.insert(c.name.clone()) {
            c.name.clone()
        } else {
            c.code.clone()
        };
        let (field, array) = value_column(c, series, &name)?;
        fields.push(described(field, c));
        arrays.push(array);
    }
    let meta = table_metadata(&table, source);
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    Ok((RecordBatch::try_new(schema, arrays)?, meta))
}

/// The columns of time: `station_id`, `timestamp_utc`, `period_end_utc`
/// (interval data), `time_local` (the file's own time, naive),
/// `time_reference` (one value for the file: a dictionary of one), and
/// `time_true_local` (hourly solar). The vectors move into the arrays.
fn time_columns(table: &mut Table) -> (Vec<arrow_schema::Field>, Vec<arrow_array::ArrayRef>) {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, StringArray, TimestampMillisecondArray, UInt32Array};
    use arrow_buffer::ScalarBuffer;
    use arrow_schema::{DataType, Field, TimeUnit};
    let take = |v: &mut Vec<i64>| ScalarBuffer::from(std::mem::take(v));

    let ts_type = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let naive = DataType::Timestamp(TimeUnit::Millisecond, None);
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
    fields.push(Field::new("time_local", naive.clone(), false));
    arrays.push(Arc::new(TimestampMillisecondArray::new(
        take(&mut table.local_ms),
        None,
    )));
    fields.push(Field::new(
        "time_reference",
        DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
        false,
    ));
    arrays.push(Arc::new(arrow_array::DictionaryArray::new(
        arrow_array::Int8Array::from(vec![0i8; rows]),
        Arc::new(StringArray::from(vec![table.reference.as_str()])),
    )));
    if let Some(t) = table.true_local_ms.take() {
        // hourly solar: the true local solar time, a naive timestamp
        fields.push(Field::new("time_true_local", naive, true));
        arrays.push(Arc::new(TimestampMillisecondArray::from(t)));
    }
    (fields, arrays)
}

/// Unit, DWD code, quality column, description, statistic, span and the CF
/// `standard_name` and `cell_methods` as field metadata (for
/// Arrow readers: pyarrow, polars); DuckDB reads the key-value metadata.
fn described(f: arrow_schema::Field, c: &Column) -> arrow_schema::Field {
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
    if let Some(w) = &c.what {
        m.insert("statistic".into(), w.stat.as_str().to_owned());
        m.insert("span".into(), w.span.as_str().to_owned());
        if let Some(s) = &w.standard_name {
            m.insert("standard_name".into(), s.clone());
        }
        if let Some(cm) = &w.cell_methods {
            m.insert("cell_methods".into(), cm.clone());
        }
    }
    f.with_metadata(m)
}

/// One parameter's column, typed by its [`ValueType`]: values Float64 (the
/// vector moves in), quality levels Int32 (a level that is not a whole
/// number is an error), codes and text Utf8; null where missing.
fn value_column(
    c: &Column,
    series: Series,
    name: &str,
) -> Result<(arrow_schema::Field, arrow_array::ArrayRef), ArrowError> {
    use std::sync::Arc;

    use arrow_array::{Float64Array, StringArray};
    use arrow_buffer::{NullBuffer, ScalarBuffer};
    use arrow_schema::{DataType, Field};
    Ok(match (series, c.value_type) {
        (Series::Numbers { values, valid }, ValueType::Number) => {
            let nulls = valid.contains(&false).then(|| NullBuffer::from(valid));
            (
                Field::new(name, DataType::Float64, true),
                Arc::new(Float64Array::new(ScalarBuffer::from(values), nulls)),
            )
        }
        (Series::Numbers { values, valid }, ValueType::Quality) => {
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
            (
                Field::new(name, DataType::Int32, true),
                Arc::new(arrow_array::Int32Array::from(levels)),
            )
        }
        (Series::Numbers { values, valid }, ValueType::Code) => (
            Field::new(name, DataType::Utf8, true),
            Arc::new(StringArray::from_iter(
                values
                    .iter()
                    .zip(&valid)
                    .map(|(v, ok)| ok.then(|| value_text(&Value::Number(*v)))),
            )),
        ),
        (Series::Values(v), _) => (
            Field::new(name, DataType::Utf8, true),
            Arc::new(StringArray::from_iter(v.iter().map(|x| match x {
                Value::Missing => None,
                other => Some(value_text(other)),
            }))),
        ),
    })
}

/// The table's key-value metadata: the source, the time reference, each
/// column's DWD code, unit, quality column and missing-value rule, the row
/// span rule, anomalies, and the quality levels' meanings.
fn table_metadata(table: &Table, source: &SourceInfo) -> Vec<parquet::file::metadata::KeyValue> {
    use parquet::file::metadata::KeyValue;
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
    meta
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

#[cfg(test)]
mod metadata_tests {
    use super::*;
    use arrow_array::{Array, Float64Array, TimestampMillisecondArray};

    #[test]
    fn the_batch_carries_units_and_source_metadata() {
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
        let (batch, meta) = to_batch(t, &source).unwrap();
        let kv = crate::layout_tests::key_values(&meta);
        assert_eq!(kv["unit.temperature_air_2m"], "°C");
        assert_eq!(kv["dwd_code.temperature_air_2m"], "TT_10");
        assert_eq!(
            kv["quality.temperature_air_2m"], "quality",
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
            .column_by_name("temperature_air_2m")
            .unwrap()
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(tt.value(0), 16.6);
        let pp = batch.column_by_name("pressure_air_site").unwrap();
        assert_eq!(pp.null_count(), 2, "-999 is null");
    }
}
