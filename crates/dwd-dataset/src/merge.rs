//! One series per station and dataset: the per-file tables of a station's
//! files (historical, recent, now) merged into one time-sorted table in
//! which each (station, time) appears once, each row naming its source.
//!
//! The rule ([`MERGE_RULE`], also written into every series' metadata):
//! where files overlap in time, the row of the more final source wins:
//! historical over recent over now, and within one period the file the
//! source changed last (then the later name). A time repeated inside one
//! file keeps its first row. Nothing else is dropped: a time only one file
//! has comes from that file, whatever its period.
//!
//! Memory: the merge reads the (station, time) keys of every input first
//! (16–24 bytes a row), decides the winner of each key, then copies rows
//! run by run, holding at most two decoded inputs at once; the writer
//! flushes a row group every [`ROW_GROUP`] rows.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::types::Int16Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Int16Array, RecordBatch, StringArray,
    TimestampMillisecondArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dwd_catalog::Period;
use dwd_translate::table::{ROW_GROUP, parquet_writer};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;

/// The overlap rule, as written into each series' `merge_rule` metadata.
pub const MERGE_RULE: &str = "one row per (station_id, timestamp_utc); where files overlap, the row of the more final source wins: historical over recent over now, and within a period the file the source changed last (then the later name); a time repeated inside one file keeps its first row; source_period and source_file name each row's file";

/// The columns every series ends with.
pub const SOURCE_PERIOD: &str = "source_period";
pub const SOURCE_FILE: &str = "source_file";

/// Key-value metadata of the inputs carried into the series (the first
/// input that has a key gives its value).
const CARRIED: [&str; 7] = [
    "unit.",
    "dwd_code.",
    "quality.",
    "missing.",
    "quality_level.",
    "row_span",
    "parser_version",
];

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Schema { path: PathBuf, message: String },
    #[error("writing the series: {0}")]
    Write(#[from] parquet::errors::ParquetError),
    #[error("writing the series: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// One per-file table of a station.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The per-file Parquet table.
    pub table: PathBuf,
    /// The source file relative to its dataset (`recent/…_akt.zip`).
    pub file: String,
    /// `None` for datasets without period folders (hourly solar).
    pub period: Option<Period>,
    /// When the source last changed the file (ms); newer wins in a period.
    pub modified: Option<i64>,
}

/// What a merge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub rows: u64,
    /// Rows of a less final file whose (station, time) a more final one has.
    pub overlapped: u64,
    /// Rows whose (station, time) appeared before in the same file.
    pub repeated: u64,
}

fn rank(p: Option<Period>) -> u8 {
    match p {
        None | Some(Period::Historical) => 0,
        Some(Period::Recent) => 1,
        Some(Period::Now) => 2,
    }
}

/// `inputs` in precedence order: the most final first.
pub fn by_precedence(inputs: &mut [Input]) {
    inputs.sort_by(|a, b| {
        rank(a.period)
            .cmp(&rank(b.period))
            .then(b.modified.cmp(&a.modified))
            .then(b.file.cmp(&a.file))
    });
}

fn read_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> MergeError + '_ {
    move |source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, MergeError> {
    let f = std::fs::File::open(path).map_err(|source| MergeError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(f).map_err(read_err(path))
}

/// The (station, time) of every row of `path`.
fn keys(path: &Path) -> Result<(Vec<u32>, Vec<i64>), MergeError> {
    let b = builder(path)?;
    let mask = ProjectionMask::columns(b.parquet_schema(), ["station_id", "timestamp_utc"]);
    let reader = b
        .with_projection(mask)
        .with_batch_size(ROW_GROUP)
        .build()
        .map_err(read_err(path))?;
    let (mut stations, mut times) = (Vec::new(), Vec::new());
    for batch in reader {
        let batch = batch.map_err(|e| MergeError::Read {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        let bad = |what: &str| MergeError::Schema {
            path: path.to_path_buf(),
            message: format!("no {what} column of the expected type"),
        };
        let s = batch
            .column_by_name("station_id")
            .and_then(|c| c.as_any().downcast_ref::<UInt32Array>())
            .ok_or_else(|| bad("station_id (uint32)"))?;
        let t = batch
            .column_by_name("timestamp_utc")
            .and_then(|c| c.as_any().downcast_ref::<TimestampMillisecondArray>())
            .ok_or_else(|| bad("timestamp_utc (timestamp ms)"))?;
        stations.extend(s.values().iter());
        times.extend(t.values().iter());
    }
    Ok((stations, times))
}

/// The type two files give one column: the wider of the two (Int32 and
/// Float64 → Float64; anything and text → text).
fn unify(a: &DataType, b: &DataType) -> DataType {
    if a == b {
        return a.clone();
    }
    match (a, b) {
        (DataType::Int32, DataType::Float64) | (DataType::Float64, DataType::Int32) => {
            DataType::Float64
        }
        _ => DataType::Utf8,
    }
}

fn dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8))
}

/// The series' schema: every column of every input (in the order first
/// seen, most final input first), then the two source columns.
fn union_schema(schemas: &[SchemaRef]) -> Schema {
    let mut fields: Vec<Field> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for s in schemas {
        for f in s.fields() {
            match at.get(f.name()) {
                Some(&i) => {
                    let ty = unify(fields[i].data_type(), f.data_type());
                    let nullable = fields[i].is_nullable() || f.is_nullable();
                    fields[i] = fields[i].clone().with_data_type(ty).with_nullable(nullable);
                }
                None => {
                    at.insert(f.name().clone(), fields.len());
                    fields.push((**f).clone());
                }
            }
        }
    }
    // a column some input lacks is null there
    let n = schemas.len();
    for f in &mut fields {
        let everywhere = schemas
            .iter()
            .filter(|s| s.field_with_name(f.name()).is_ok())
            .count()
            == n;
        if !everywhere {
            *f = f.clone().with_nullable(true);
        }
    }
    fields.push(Field::new(SOURCE_PERIOD, dictionary(), false));
    fields.push(Field::new(SOURCE_FILE, dictionary(), false));
    Schema::new(fields)
}

/// `batch` with the columns of `schema` (less the source columns): cast
/// where the type differs, null where the input has none.
fn conform(batch: &RecordBatch, schema: &Schema) -> Result<Vec<ArrayRef>, MergeError> {
    let mut out = Vec::new();
    for f in schema.fields() {
        if f.name() == SOURCE_PERIOD || f.name() == SOURCE_FILE {
            continue;
        }
        out.push(match batch.column_by_name(f.name()) {
            Some(c) if c.data_type() == f.data_type() => c.clone(),
            Some(c) => arrow_cast::cast(c, f.data_type())?,
            None => arrow_array::new_null_array(f.data_type(), batch.num_rows()),
        });
    }
    Ok(out)
}

/// A dictionary column of `len` rows, all `value`.
fn constant(value: &str, len: usize) -> Result<ArrayRef, MergeError> {
    let keys = Int16Array::from(vec![0i16; len]);
    let values: ArrayRef = Arc::new(StringArray::from(vec![value]));
    Ok(Arc::new(DictionaryArray::<Int16Type>::try_new(
        keys, values,
    )?))
}

/// Decoded inputs, at most two at once (a run of one file, then the next;
/// at a seam two files may alternate).
struct Loaded<'a> {
    inputs: &'a [Input],
    schema: &'a Schema,
    held: Vec<(usize, Vec<ArrayRef>)>,
}

impl Loaded<'_> {
    fn get(&mut self, i: usize) -> Result<&Vec<ArrayRef>, MergeError> {
        if let Some(pos) = self.held.iter().position(|(k, _)| *k == i) {
            let item = self.held.remove(pos);
            self.held.push(item);
        } else {
            let path = &self.inputs[i].table;
            let reader = builder(path)?
                .with_batch_size(ROW_GROUP)
                .build()
                .map_err(read_err(path))?;
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| MergeError::Read {
                    path: path.clone(),
                    source: e.into(),
                })?;
            let Some(first) = batches.first() else {
                return Err(MergeError::Schema {
                    path: path.clone(),
                    message: "no rows".into(),
                });
            };
            let whole = arrow_select::concat::concat_batches(&first.schema(), &batches)?;
            let columns = conform(&whole, self.schema)?;
            if self.held.len() == 2 {
                self.held.remove(0);
            }
            self.held.push((i, columns));
        }
        match self.held.last() {
            Some((_, c)) => Ok(c),
            None => Err(MergeError::Schema {
                path: self.inputs[i].table.clone(),
                message: "not loaded".into(),
            }),
        }
    }
}

/// Merges `inputs` (one station's per-file tables, any order) into one
/// series written as Parquet to `out`, with `extra` key-value metadata
/// (dataset, station) beside the rule and what the inputs carry.
pub fn merge<W: Write + Send>(
    mut inputs: Vec<Input>,
    extra: &[(String, String)],
    out: W,
) -> Result<Merged, MergeError> {
    by_precedence(&mut inputs);
    let mut schemas = Vec::with_capacity(inputs.len());
    let mut carried: Vec<KeyValue> = Vec::new();
    let mut keys_of = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let b = builder(&input.table)?;
        schemas.push(b.schema().clone());
        for kv in b
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
        {
            if CARRIED.iter().any(|p| kv.key.starts_with(p))
                && !carried.iter().any(|c| c.key == kv.key)
            {
                carried.push(kv.clone());
            }
        }
        keys_of.push(keys(&input.table)?);
    }
    // every row's key with its input's rank; the first of each key wins
    let total: usize = keys_of.iter().map(|(s, _)| s.len()).sum();
    let mut all: Vec<(u32, i64, u16, u32)> = Vec::with_capacity(total);
    for (i, (stations, times)) in keys_of.iter().enumerate() {
        let i = u16::try_from(i).map_err(|_| MergeError::Schema {
            path: inputs[0].table.clone(),
            message: "more than 65,535 files for one station".into(),
        })?;
        for (row, (s, t)) in stations.iter().zip(times).enumerate() {
            all.push((*s, *t, i, row as u32));
        }
    }
    drop(keys_of);
    all.sort_unstable();
    let mut merged = Merged::default();
    let mut winners: Vec<(u16, u32)> = Vec::with_capacity(all.len());
    let mut last: Option<(u32, i64, u16)> = None;
    for (s, t, i, row) in all {
        match last {
            Some((ls, lt, li)) if ls == s && lt == t => {
                if li == i {
                    merged.repeated += 1;
                } else {
                    merged.overlapped += 1;
                }
            }
            _ => {
                winners.push((i, row));
                last = Some((s, t, i));
            }
        }
    }
    merged.rows = winners.len() as u64;

    let schema = Arc::new(union_schema(&schemas));
    let files: Vec<String> = inputs.iter().map(|i| i.file.clone()).collect();
    let mut meta = carried;
    meta.extend(
        extra
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    meta.push(KeyValue::new("merge_rule".into(), MERGE_RULE.to_owned()));
    meta.push(KeyValue::new("source_files".into(), files.join(",")));
    meta.push(KeyValue::new(
        "rows.overlapped".into(),
        merged.overlapped.to_string(),
    ));
    meta.push(KeyValue::new(
        "rows.repeated".into(),
        merged.repeated.to_string(),
    ));
    let mut writer = parquet_writer(schema.clone(), meta, out)?;
    let mut loaded = Loaded {
        inputs: &inputs,
        schema: &schema,
        held: Vec::new(),
    };
    // runs: consecutive winners from one input's consecutive rows
    let mut k = 0;
    while k < winners.len() {
        let (i, start) = winners[k];
        let mut end = k + 1;
        while end < winners.len()
            && winners[end].0 == i
            && winners[end].1 == start + (end - k) as u32
        {
            end += 1;
        }
        let len = end - k;
        let input = &inputs[usize::from(i)];
        let columns = loaded.get(usize::from(i))?;
        let mut run: Vec<ArrayRef> = columns
            .iter()
            .map(|c| c.slice(start as usize, len))
            .collect();
        let period = input.period.map_or("none", Period::folder);
        run.push(constant(period, len)?);
        run.push(constant(&input.file, len)?);
        writer.write(&RecordBatch::try_new(schema.clone(), run)?)?;
        k = end;
    }
    writer.close()?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int32Array};
    use std::collections::{BTreeMap, BTreeSet};

    /// A per-file table: station 44, times (minutes), value = tag·1000 + t.
    fn table(dir: &Path, name: &str, times: &[i64], tag: f64, extra: bool) -> PathBuf {
        let mut fields = vec![
            Field::new("station_id", DataType::UInt32, false),
            Field::new(
                "timestamp_utc",
                DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into())),
                false,
            ),
            Field::new("temperature", DataType::Float64, true),
            Field::new("quality", DataType::Int32, true),
        ];
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![44u32; times.len()])),
            Arc::new(
                TimestampMillisecondArray::from(
                    times.iter().map(|t| t * 60_000).collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(Float64Array::from(
                times
                    .iter()
                    .map(|t| tag * 1000.0 + *t as f64)
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int32Array::from(vec![3; times.len()])),
        ];
        if extra {
            fields.push(Field::new("humidity", DataType::Float64, true));
            arrays.push(Arc::new(Float64Array::from(vec![50.0; times.len()])));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
        let path = dir.join(format!("{name}.parquet"));
        let kv = vec![KeyValue::new("unit.temperature".into(), "°C".to_owned())];
        dwd_translate::table::write_batch(&batch, kv, std::fs::File::create(&path).unwrap())
            .unwrap();
        path
    }

    fn input(table: PathBuf, file: &str, period: Period, modified: i64) -> Input {
        Input {
            table,
            file: file.into(),
            period: Some(period),
            modified: Some(modified),
        }
    }

    /// (minute, temperature, source_file) a row.
    type Rows = Vec<(i64, f64, String)>;

    /// The series' rows and key-value metadata.
    fn read(bytes: Vec<u8>) -> (Rows, HashMap<String, String>) {
        let b = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap();
        let kv: HashMap<String, String> = b
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
            .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
            .collect();
        let mut rows = Vec::new();
        for batch in b.build().unwrap() {
            let batch = batch.unwrap();
            let t = batch
                .column_by_name("timestamp_utc")
                .unwrap()
                .as_any()
                .downcast_ref::<TimestampMillisecondArray>()
                .unwrap()
                .clone();
            let v = batch
                .column_by_name("temperature")
                .unwrap()
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .clone();
            let src = arrow_cast::cast(batch.column_by_name(SOURCE_FILE).unwrap(), &DataType::Utf8)
                .unwrap();
            let src = src.as_any().downcast_ref::<StringArray>().unwrap().clone();
            for i in 0..batch.num_rows() {
                rows.push((t.value(i) / 60_000, v.value(i), src.value(i).to_owned()));
            }
        }
        (rows, kv)
    }

    #[test]
    fn historical_beats_recent_beats_now_and_every_time_is_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let inputs = vec![
            input(
                table(d, "now", &[18, 19, 20, 21], 3.0, false),
                "now/n.zip",
                Period::Now,
                3,
            ),
            input(
                table(d, "hist", &[0, 1, 2, 3, 4, 5], 1.0, false),
                "historical/h.zip",
                Period::Historical,
                1,
            ),
            input(
                table(d, "recent", &[4, 5, 6, 19, 20], 2.0, true),
                "recent/r.zip",
                Period::Recent,
                2,
            ),
        ];
        let mut out = Vec::new();
        let m = merge(inputs, &[("station".into(), "00044".into())], &mut out).unwrap();
        assert_eq!(
            m,
            Merged {
                rows: 11,
                overlapped: 4,
                repeated: 0
            }
        );
        let (rows, kv) = read(out);
        let got: Vec<(i64, f64, &str)> =
            rows.iter().map(|(t, v, s)| (*t, *v, s.as_str())).collect();
        assert_eq!(
            got,
            [
                (0, 1000.0, "historical/h.zip"),
                (1, 1001.0, "historical/h.zip"),
                (2, 1002.0, "historical/h.zip"),
                (3, 1003.0, "historical/h.zip"),
                (4, 1004.0, "historical/h.zip"),
                (5, 1005.0, "historical/h.zip"),
                (6, 2006.0, "recent/r.zip"),
                (18, 3018.0, "now/n.zip"),
                (19, 2019.0, "recent/r.zip"),
                (20, 2020.0, "recent/r.zip"),
                (21, 3021.0, "now/n.zip"),
            ]
        );
        assert_eq!(kv["merge_rule"], MERGE_RULE);
        assert_eq!(kv["station"], "00044");
        assert_eq!(kv["unit.temperature"], "°C");
        assert_eq!(kv["rows.overlapped"], "4");
    }

    #[test]
    fn within_a_period_the_newer_file_wins_and_repeats_keep_the_first_row() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let inputs = vec![
            input(
                table(d, "old", &[1, 2], 1.0, false),
                "recent/a.zip",
                Period::Recent,
                10,
            ),
            input(
                table(d, "new", &[2, 3, 3], 2.0, false),
                "recent/a2.zip",
                Period::Recent,
                20,
            ),
        ];
        let mut out = Vec::new();
        let m = merge(inputs, &[], &mut out).unwrap();
        assert_eq!(
            m,
            Merged {
                rows: 3,
                overlapped: 1,
                repeated: 1
            }
        );
        let (rows, _) = read(out);
        assert_eq!(rows[1], (2, 2002.0, "recent/a2.zip".to_owned()));
    }

    #[test]
    fn a_missing_or_broken_input_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("x.parquet");
        std::fs::write(&broken, b"not parquet").unwrap();
        let e = merge(
            vec![input(broken.clone(), "now/x.zip", Period::Now, 1)],
            &[],
            Vec::new(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("x.parquet"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]
        /// Any overlap of files: each time once, from the most final file
        /// that has it; the times are the union of the files' times.
        #[test]
        fn the_series_is_the_union_with_the_most_final_row(
            files in proptest::collection::vec(
                (0u8..3, 0i64..5, proptest::collection::btree_set(0i64..120, 0..60)),
                1..5,
            )
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut inputs = Vec::new();
            let mut expect: BTreeMap<i64, (u8, i64, usize)> = BTreeMap::new();
            for (k, (period, modified, times)) in files.iter().enumerate() {
                if times.is_empty() {
                    continue;
                }
                let times: Vec<i64> = times.iter().copied().collect();
                let p = [Period::Historical, Period::Recent, Period::Now][*period as usize];
                let file = format!("{}/f{k}.zip", p.folder());
                let path = table(dir.path(), &format!("f{k}"), &times, k as f64, false);
                inputs.push(input(path, &file, p, *modified));
                for t in times {
                    // the winner: lowest period rank, then newest, then later name
                    let cand = (*period, -*modified, k);
                    let better = |old: &(u8, i64, usize)| {
                        (cand.0, cand.1) < (old.0, old.1)
                            || ((cand.0, cand.1) == (old.0, old.1)
                                && format!("f{}", cand.2) > format!("f{}", old.2))
                    };
                    let e = expect.entry(t).or_insert(cand);
                    if better(e) {
                        *e = cand;
                    }
                }
            }
            proptest::prop_assume!(!inputs.is_empty());
            let mut out = Vec::new();
            merge(inputs, &[], &mut out).unwrap();
            let (rows, _) = read(out);
            let times: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let unique: BTreeSet<i64> = times.iter().copied().collect();
            proptest::prop_assert_eq!(times.len(), unique.len(), "each time once");
            proptest::prop_assert_eq!(unique, expect.keys().copied().collect::<BTreeSet<_>>());
            for (t, v, _) in rows {
                let (_, _, k) = expect[&t];
                proptest::prop_assert_eq!(v, k as f64 * 1000.0 + t as f64, "time {}", t);
            }
        }
    }
}
