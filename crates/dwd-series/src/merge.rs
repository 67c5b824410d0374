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
//! How: the merge reads the (station, time) keys of every input (16 bytes
//! a row), sweeps them in time order deciding each key's winner, and gets
//! the series as runs of consecutive rows of one input. A run that covers
//! a whole row group of its input copies that row group's column chunks as
//! they are encoded (statistics and page index with them), adding only the
//! two source columns; the rest is decoded one row group at a time and
//! encoded again, [`ROW_GROUP`] rows to a row group. With DWD's overlaps
//! (recent repeats the end of historical, now the end of recent) nearly
//! every row is copied, so a merge costs little more than reading its keys.
//! Memory: the keys, one decoded row group an input and the row group being
//! written.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::encode::{ROW_GROUP, parquet_writer};
use arrow_array::types::Int16Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Int16Array, RecordBatch, StringArray,
    TimestampMillisecondArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dwd_catalog::Period;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::file::metadata::{KeyValue, PageIndexPolicy};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::SchemaDescriptor;

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
pub struct PartTable {
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
    /// Rows copied in whole row groups of their input, as encoded there.
    pub copied: u64,
}

fn rank(p: Option<Period>) -> u8 {
    match p {
        None | Some(Period::Historical) => 0,
        Some(Period::Recent) => 1,
        Some(Period::Now) => 2,
    }
}

/// `inputs` in precedence order: the most final first.
pub fn by_precedence(inputs: &mut [PartTable]) {
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

/// One input, opened once: its file (whose column chunks may be copied) and
/// its metadata with the page index.
struct OpenInput {
    input: PartTable,
    file: std::fs::File,
    meta: ArrowReaderMetadata,
    /// The first row of each row group, and the row count at the end.
    starts: Vec<u64>,
    /// Whether its data columns are the series' columns, encoded alike, so
    /// whole row groups are copied instead of decoded and encoded again.
    copyable: bool,
}

impl OpenInput {
    fn open(input: PartTable) -> Result<OpenInput, MergeError> {
        let path = input.table.clone();
        let file = std::fs::File::open(&path).map_err(|source| MergeError::Open {
            path: path.clone(),
            source,
        })?;
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        let meta = ArrowReaderMetadata::load(&file, options).map_err(read_err(&path))?;
        let mut starts = vec![0u64];
        for rg in meta.metadata().row_groups() {
            let rows = u64::try_from(rg.num_rows()).unwrap_or(0);
            starts.push(starts[starts.len() - 1] + rows);
        }
        Ok(OpenInput {
            input,
            file,
            meta,
            starts,
            copyable: false,
        })
    }

    fn path(&self) -> &Path {
        &self.input.table
    }

    fn rows(&self) -> u64 {
        self.starts[self.starts.len() - 1]
    }

    fn reader(&self) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, MergeError> {
        let file = self.file.try_clone().map_err(|source| MergeError::Open {
            path: self.path().to_path_buf(),
            source,
        })?;
        Ok(
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
                .with_batch_size(ROW_GROUP),
        )
    }

    fn batch_err(&self) -> impl Fn(arrow_schema::ArrowError) -> MergeError + '_ {
        move |e| MergeError::Read {
            path: self.path().to_path_buf(),
            source: e.into(),
        }
    }

    /// Row group `g`, conformed to the series' columns (less the source
    /// columns).
    fn decode(&self, g: usize, schema: &Schema) -> Result<Vec<ArrayRef>, MergeError> {
        let batches = self
            .reader()?
            .with_row_groups(vec![g])
            .build()
            .map_err(read_err(self.path()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.batch_err())?;
        let Some(whole) = crate::one_batch(batches)? else {
            return Err(MergeError::Schema {
                path: self.path().to_path_buf(),
                message: format!("row group {g} has no rows"),
            });
        };
        conform(&whole, schema)
    }

    /// The (station, time) of every row, time-sorted with repeats removed.
    fn keys(&self) -> Result<SortedKeys, MergeError> {
        let b = self.reader()?;
        let mask = ProjectionMask::columns(b.parquet_schema(), ["station_id", "timestamp_utc"]);
        let reader = b
            .with_projection(mask)
            .build()
            .map_err(read_err(self.path()))?;
        let mut keys: Vec<(u32, i64)> =
            Vec::with_capacity(usize::try_from(self.rows()).unwrap_or(0));
        for batch in reader {
            let batch = batch.map_err(self.batch_err())?;
            let bad = |what: &str| MergeError::Schema {
                path: self.path().to_path_buf(),
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
            keys.extend(s.values().iter().copied().zip(t.values().iter().copied()));
        }
        Ok(SortedKeys::new(keys))
    }
}

/// An input's keys in (station, time) order, each once; `rows` maps each
/// back to its row where the file itself is not in that order.
struct SortedKeys {
    keys: Vec<(u32, i64)>,
    rows: Option<Vec<u32>>,
    /// Rows dropped because the same file had their key before.
    repeated: u64,
}

impl SortedKeys {
    fn new(keys: Vec<(u32, i64)>) -> SortedKeys {
        if keys.windows(2).all(|w| w[0] < w[1]) {
            return SortedKeys {
                keys,
                rows: None,
                repeated: 0,
            };
        }
        // out of order or repeated: sort (row, stable: the first row of a
        // repeated key comes first) and keep the first of each key
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_by_key(|&r| keys[r as usize]);
        let before = order.len();
        order.dedup_by_key(|r| keys[*r as usize]);
        let sorted = order.iter().map(|&r| keys[r as usize]).collect();
        SortedKeys {
            keys: sorted,
            repeated: (before - order.len()) as u64,
            rows: Some(order),
        }
    }
}

/// `len` consecutive rows of input `input` from `start`, in the series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    input: usize,
    start: u64,
    len: u64,
}

/// Appends rows `start..start + len` of `input`, joining the last run
/// where they continue it.
fn extend(out: &mut Vec<Run>, input: usize, start: u64, len: u64) {
    match out.last_mut() {
        Some(r) if r.input == input && r.start + r.len == start => r.len += len,
        _ => out.push(Run { input, start, len }),
    }
}

/// The series as runs of input rows, in (station, time) order: at each
/// key the first input (the most final, `keys` being in precedence order)
/// that has it; also the count of rows that lost to a more final input.
fn runs(keys: &[SortedKeys]) -> (Vec<Run>, u64) {
    let mut head = vec![0usize; keys.len()];
    let mut out: Vec<Run> = Vec::new();
    let mut overlapped = 0u64;
    loop {
        // the smallest head key; on a tie the most final input
        let mut best: Option<(usize, (u32, i64))> = None;
        for (i, k) in keys.iter().enumerate() {
            if let Some(&key) = k.keys.get(head[i])
                && best.is_none_or(|(_, b)| key < b)
            {
                best = Some((i, key));
            }
        }
        let Some((w, key)) = best else { break };
        // the others' rows of that key lose
        for (i, k) in keys.iter().enumerate() {
            if i != w && k.keys.get(head[i]) == Some(&key) {
                head[i] += 1;
                overlapped += 1;
            }
        }
        // the winner's rows up to the next key another input has
        let limit = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != w)
            .filter_map(|(i, k)| k.keys.get(head[i]).copied())
            .min();
        let own = &keys[w].keys[head[w]..];
        let n = match limit {
            // a key equal to the limit is decided in the next round
            Some(limit) => own.partition_point(|k| *k < limit).max(1),
            None => own.len(),
        };
        match &keys[w].rows {
            None => extend(&mut out, w, head[w] as u64, n as u64),
            Some(rows) => {
                for &row in &rows[head[w]..head[w] + n] {
                    extend(&mut out, w, u64::from(row), 1);
                }
            }
        }
        head[w] += n;
    }
    (out, overlapped)
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

/// Rows gathered for the next encoded row group: which decoded row groups
/// they come from, and (decoded row group, row) for each in series order.
#[derive(Default)]
struct Pending {
    /// (input, row group) and its columns conformed to the series.
    from: Vec<((usize, usize), Vec<ArrayRef>)>,
    picks: Vec<(usize, usize)>,
}

/// Writes the series row group by row group: decoded rows are gathered
/// and encoded [`ROW_GROUP`] at a time; a row group an input gives whole
/// is copied as it is encoded (its column chunks, statistics and page
/// index), beside its two source columns.
struct SeriesWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    columns: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Each input's period folder and file: the source columns' values.
    periods: ArrayRef,
    files: ArrayRef,
    pending: Pending,
    row_groups: usize,
}

impl<W: Write + Send> SeriesWriter<W> {
    fn new(
        schema: SchemaRef,
        inputs: &[&PartTable],
        meta: Vec<KeyValue>,
        out: W,
    ) -> Result<Self, MergeError> {
        let (file, columns) =
            parquet_writer(schema.clone(), meta, out)?.into_serialized_writer()?;
        let periods: Vec<&str> = inputs
            .iter()
            .map(|i| i.period.map_or("none", Period::folder))
            .collect();
        let files: Vec<&str> = inputs.iter().map(|i| i.file.as_str()).collect();
        Ok(SeriesWriter {
            file,
            columns,
            schema,
            periods: Arc::new(StringArray::from(periods)),
            files: Arc::new(StringArray::from(files)),
            pending: Pending::default(),
            row_groups: 0,
        })
    }

    /// Rows `offset..offset + len` of row group `g` of `input`, decoded
    /// (`columns`).
    fn push(
        &mut self,
        (input, g): (usize, usize),
        columns: &[ArrayRef],
        offset: usize,
        len: usize,
    ) -> Result<(), MergeError> {
        let mut at = offset;
        while at < offset + len {
            let k = match self
                .pending
                .from
                .iter()
                .rposition(|(key, _)| *key == (input, g))
            {
                Some(k) => k,
                None => {
                    self.pending.from.push(((input, g), columns.to_vec()));
                    self.pending.from.len() - 1
                }
            };
            let n = (ROW_GROUP - self.pending.picks.len()).min(offset + len - at);
            self.pending.picks.extend((at..at + n).map(|row| (k, row)));
            at += n;
            if self.pending.picks.len() == ROW_GROUP {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Encodes the gathered rows as one row group.
    fn flush(&mut self) -> Result<(), MergeError> {
        let Pending { from, picks } = std::mem::take(&mut self.pending);
        if picks.is_empty() {
            return Ok(());
        }
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for c in 0..self.schema.fields().len() - 2 {
            let arrays: Vec<&dyn Array> = from.iter().map(|(_, cols)| cols[c].as_ref()).collect();
            columns.push(arrow_select::interleave::interleave(&arrays, &picks)?);
        }
        // the source columns: dictionary keys are input numbers
        let mut keys = Vec::with_capacity(picks.len());
        for (k, _) in &picks {
            let input = from[*k].0.0;
            keys.push(i16::try_from(input).map_err(|_| {
                MergeError::Write(parquet::errors::ParquetError::General(
                    "more than 32,767 files for one station".into(),
                ))
            })?);
        }
        let keys = Int16Array::from(keys);
        for values in [&self.periods, &self.files] {
            columns.push(Arc::new(DictionaryArray::<Int16Type>::try_new(
                keys.clone(),
                values.clone(),
            )?));
        }
        let mut writers = self.columns.create_column_writers(self.row_groups)?;
        for ((field, column), writer) in self
            .schema
            .fields()
            .iter()
            .zip(&columns)
            .zip(writers.iter_mut())
        {
            for leaf in compute_leaves(field, column)? {
                writer.write(&leaf)?;
            }
        }
        let mut rg = self.file.next_row_group()?;
        for w in writers {
            w.close()?.append_to_row_group(&mut rg)?;
        }
        rg.close()?;
        self.row_groups += 1;
        Ok(())
    }

    /// Row group `g` of `source` as it is, with its source columns.
    fn copy(&mut self, source: &OpenInput, g: usize) -> Result<(), MergeError> {
        self.flush()?;
        let meta = source.meta.metadata();
        if g >= meta.num_row_groups() {
            return Err(MergeError::Schema {
                path: source.path().to_path_buf(),
                message: format!("no row group {g}"),
            });
        }
        let period = source.input.period.map_or("none", Period::folder);
        crate::pages::append_row_group(
            &mut self.file,
            &source.file,
            meta,
            g,
            &[period, source.input.file.as_str()],
        )?;
        self.row_groups += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(), MergeError> {
        self.flush()?;
        self.file.close()?;
        Ok(())
    }
}

/// Whether `source`'s row groups can be copied into a series of `schema`:
/// the same data columns, in the same order, of the same Arrow type and
/// Parquet leaf (physical type, logical type, nullability).
fn copyable(source: &OpenInput, schema: &Schema, series: &SchemaDescriptor) -> bool {
    let own = source.meta.schema();
    let data = schema.fields().len() - 2;
    let leaves = source.meta.metadata().file_metadata().schema_descr();
    own.fields().len() == data
        && leaves.num_columns() == data
        && own
            .fields()
            .iter()
            .zip(schema.fields())
            .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type())
        && (0..data).all(|c| leaves.column(c) == series.column(c))
}

/// Merges `inputs` (one station's per-file tables, any order) into one
/// series written as Parquet to `out`, with `extra` key-value metadata
/// (dataset, station) beside the rule and what the inputs carry.
pub fn merge<W: Write + Send>(
    mut inputs: Vec<PartTable>,
    extra: &[(String, String)],
    out: W,
) -> Result<Merged, MergeError> {
    by_precedence(&mut inputs);
    let mut sources = inputs
        .into_iter()
        .map(OpenInput::open)
        .collect::<Result<Vec<_>, _>>()?;
    let mut carried: Vec<KeyValue> = Vec::new();
    for s in &sources {
        for kv in s
            .meta
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
    }
    let keys = sources
        .iter()
        .map(OpenInput::keys)
        .collect::<Result<Vec<_>, _>>()?;
    let (runs, overlapped) = runs(&keys);
    let mut merged = Merged {
        rows: runs.iter().map(|r| r.len).sum(),
        overlapped,
        repeated: keys.iter().map(|k| k.repeated).sum(),
        copied: 0,
    };
    drop(keys);

    let schemas: Vec<SchemaRef> = sources.iter().map(|s| s.meta.schema().clone()).collect();
    let schema = Arc::new(union_schema(&schemas));
    let files: Vec<&str> = sources.iter().map(|s| s.input.file.as_str()).collect();
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
    let mut writer = SeriesWriter::new(
        schema.clone(),
        &sources.iter().map(|s| &s.input).collect::<Vec<_>>(),
        meta,
        out,
    )?;
    for s in &mut sources {
        s.copyable = copyable(s, &schema, writer.file.schema_descr());
    }
    // each input's last decoded row group: an input's runs come in row
    // order, so each of its row groups is decoded once, however the
    // inputs interleave
    let mut decoded: Vec<Option<(usize, Vec<ArrayRef>)>> = vec![None; sources.len()];
    for run in runs {
        let source = &sources[run.input];
        let end = run.start + run.len;
        let mut at = run.start;
        while at < end {
            // the row group holding row `at`
            let g = source.starts.partition_point(|&s| s <= at) - 1;
            let (from, to) = (source.starts[g], source.starts[g + 1]);
            let upto = end.min(to);
            if source.copyable && at == from && upto == to {
                writer.copy(source, g)?;
                merged.copied += to - from;
            } else {
                let held = &mut decoded[run.input];
                if !matches!(held, Some((h, _)) if *h == g) {
                    *held = Some((g, source.decode(g, &schema)?));
                }
                if let Some((_, columns)) = held {
                    let (offset, len) = ((at - from) as usize, (upto - at) as usize);
                    writer.push((run.input, g), columns, offset, len)?;
                }
            }
            at = upto;
        }
    }
    writer.finish()?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int32Array};
    use std::collections::{BTreeMap, BTreeSet};

    /// A per-file table: station 44, times (minutes), value = tag·1000 + t.
    fn table(dir: &Path, name: &str, times: &[i64], tag: f64, extra: bool) -> PathBuf {
        let mut columns = vec![("temperature", DataType::Float64, "°C")];
        if extra {
            columns.push(("humidity", DataType::Float64, "%"));
        }
        let schema = crate::testing::series_schema(&columns);
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![44u32; times.len()])),
            Arc::new(
                TimestampMillisecondArray::from(
                    times.iter().map(|t| t * 60_000).collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(Int32Array::from(vec![3; times.len()])),
            Arc::new(Float64Array::from(
                times
                    .iter()
                    .map(|t| tag * 1000.0 + *t as f64)
                    .collect::<Vec<_>>(),
            )),
        ];
        if extra {
            arrays.push(Arc::new(Float64Array::from(vec![50.0; times.len()])));
        }
        let batch = RecordBatch::try_new(schema, arrays).unwrap();
        let path = dir.join(format!("{name}.parquet"));
        let kv = vec![KeyValue::new("unit.temperature".into(), "°C".to_owned())];
        crate::encode::write_parquet(&batch, kv, std::fs::File::create(&path).unwrap()).unwrap();
        path
    }

    fn input(table: PathBuf, file: &str, period: Period, modified: i64) -> PartTable {
        PartTable {
            table,
            file: file.into(),
            period: Some(period),
            modified: Some(modified),
        }
    }

    fn timestamps(batch: &RecordBatch) -> TimestampMillisecondArray {
        batch
            .column_by_name("timestamp_utc")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap()
            .clone()
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
            let t = timestamps(&batch);
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
                repeated: 0,
                copied: 0,
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
                repeated: 1,
                copied: 0,
            }
        );
        let (rows, _) = read(out);
        assert_eq!(rows[1], (2, 2002.0, "recent/a2.zip".to_owned()));
    }

    #[test]
    fn whole_row_groups_are_copied_and_read_back_like_encoded_ones() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let span = |a: i64, b: i64| (a..b).collect::<Vec<_>>();
        // three row groups each; recent overlaps historical by 50,000 rows,
        // now overlaps recent by 10,000
        let inputs = vec![
            input(
                table(d, "hist", &span(0, 150_000), 1.0, false),
                "historical/h.zip",
                Period::Historical,
                1,
            ),
            input(
                table(d, "recent", &span(100_000, 250_000), 2.0, false),
                "recent/r.zip",
                Period::Recent,
                2,
            ),
            input(
                table(d, "now", &span(240_000, 250_100), 3.0, false),
                "now/n.zip",
                Period::Now,
                3,
            ),
        ];
        let mut out = Vec::new();
        let m = merge(inputs, &[], &mut out).unwrap();
        let g = ROW_GROUP as u64;
        assert_eq!(m.rows, 250_100);
        assert_eq!(m.overlapped, 50_000 + 10_000);
        // historical whole; recent's last two row groups (its first holds
        // rows historical has); none of now's (its one group is partly recent)
        assert_eq!(m.copied, 150_000 + g + (150_000 - 2 * g));

        let bytes = bytes::Bytes::from(out);
        let (rows, _) = read(bytes.to_vec());
        assert_eq!(rows.len(), 250_100);
        for (t, v, src) in &rows {
            let (tag, file) = match t {
                0..150_000 => (1.0, "historical/h.zip"),
                150_000..250_000 => (2.0, "recent/r.zip"),
                _ => (3.0, "now/n.zip"),
            };
            assert_eq!(
                (*v, src.as_str()),
                (tag * 1000.0 + *t as f64, file),
                "minute {t}"
            );
        }
        assert!(
            rows.windows(2).all(|w| w[0].0 + 1 == w[1].0),
            "time-sorted, no gap"
        );

        // row groups in time order (readers skip by their statistics), and
        // the copied page index points at the copied pages: a selection
        // inside copied row groups reads the right rows through it
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        let b = ParquetRecordBatchReaderBuilder::try_new_with_options(bytes, options).unwrap();
        let groups = b.metadata().row_groups();
        let t = b
            .parquet_schema()
            .columns()
            .iter()
            .position(|c| c.name() == "timestamp_utc")
            .unwrap();
        let range = |rg: &parquet::file::metadata::RowGroupMetaData| match rg.column(t).statistics()
        {
            Some(parquet::file::statistics::Statistics::Int64(s)) => {
                (*s.min_opt().unwrap(), *s.max_opt().unwrap())
            }
            other => panic!("no timestamp statistics: {other:?}"),
        };
        assert!(groups.windows(2).all(|w| range(&w[0]).1 < range(&w[1]).0));
        use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
        let selection = RowSelection::from(vec![
            RowSelector::skip(70_000),
            RowSelector::select(5),
            RowSelector::skip(200_000 - 70_005),
            RowSelector::select(5),
        ]);
        let picked: Vec<i64> = b
            .with_row_selection(selection)
            .build()
            .unwrap()
            .flat_map(|batch| {
                timestamps(&batch.unwrap())
                    .values()
                    .iter()
                    .map(|v| v / 60_000)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            picked,
            [
                70_000, 70_001, 70_002, 70_003, 70_004, 200_000, 200_001, 200_002, 200_003, 200_004
            ]
        );
    }

    #[test]
    fn interleaved_inputs_of_several_row_groups_merge_row_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // even minutes in one file, odd in the other: every run is one row
        let even: Vec<i64> = (0..70_000).map(|k| 2 * k).collect();
        let odd: Vec<i64> = (0..70_000).map(|k| 2 * k + 1).collect();
        let inputs = vec![
            input(
                table(d, "even", &even, 1.0, false),
                "recent/e.zip",
                Period::Recent,
                1,
            ),
            input(
                table(d, "odd", &odd, 2.0, false),
                "historical/o.zip",
                Period::Historical,
                1,
            ),
        ];
        let mut out = Vec::new();
        let m = merge(inputs, &[], &mut out).unwrap();
        assert_eq!((m.rows, m.overlapped, m.copied), (140_000, 0, 0));
        let (rows, _) = read(out);
        assert_eq!(rows.len(), 140_000);
        for (k, (t, v, src)) in rows.iter().enumerate() {
            assert_eq!(*t, k as i64);
            let (tag, file) = if t % 2 == 0 {
                (1.0, "recent/e.zip")
            } else {
                (2.0, "historical/o.zip")
            };
            assert_eq!((*v, src.as_str()), (tag * 1000.0 + *t as f64, file));
        }
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
