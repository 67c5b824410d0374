//! A dataset's merged station metadata (`metadata/<kind>.<ext>`): every
//! row of every completed file's metadata (metadata zips, and the
//! `Metadaten_*` members of data zips), in the order of the files, each
//! distinct row once.
//!
//! Incremental: each file's rows are kept, tagged with the file, in one
//! table a kind under `parts/metadata_by_file/<kind>.parquet`. An update
//! reads those tables, drops the rows of files that changed or went, reads
//! the metadata of the new and changed zips only, and writes the merged
//! tables again from the result. A daily update of a few hundred `now` zips
//! reads those zips, not the dataset's thousands (reading one zip's
//! metadata members takes about a millisecond).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchReader, StringArray, UInt32Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use dwd_translate::Tables;
use dwd_translate::meta::metadata_frames;
use dwd_translate::table::{SourceInfo, source_metadata};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::output::Format;
use crate::output::{OutputError, Written, write_atomic};

/// The column that tags each row of a by-file table with its file.
const FILE: &str = "source_file";

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("merging station metadata: {0}")]
    Arrow(#[from] ArrowError),
}

/// One file with metadata: its path relative to the dataset (the tracker's
/// key), its checksum, and where its bytes are.
#[derive(Clone, Debug)]
pub struct MetaFile {
    pub file: String,
    pub checksum: Option<String>,
    pub raw: PathBuf,
}

/// What an update did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataReport {
    /// Zips whose metadata was read (new or changed since the last update).
    pub read: usize,
    /// Rows a kind in the merged tables.
    pub rows: Vec<(String, usize)>,
    /// Files whose metadata could not be read (left out, with the reason).
    pub unreadable: Vec<(String, String)>,
    /// Every table written (the by-file caches and the merged tables), with
    /// its rows, for the output ledger.
    pub written: Vec<(Written, usize)>,
}

/// Brings `metadata/<kind>.<ext>` of `dataset` up to date with `files`
/// (every completed file that may hold metadata, in order). `before` is
/// what the last update was built from ((file, checksum)); a file in it
/// with the same checksum is not read again.
pub fn update_metadata(
    layout: &crate::OutputLayout,
    dataset: &str,
    files: &[MetaFile],
    before: &[(String, Option<String>)],
    tables: &Tables,
    format: Format,
) -> Result<MetadataReport, MetadataError> {
    let by_file_dir = layout.parts(dataset).join("metadata_by_file");
    let unchanged: HashSet<(&str, Option<&str>)> = before
        .iter()
        .map(|(f, c)| (f.as_str(), c.as_deref()))
        .collect();
    let keep: HashSet<&str> = files
        .iter()
        .filter(|f| unchanged.contains(&(f.file.as_str(), f.checksum.as_deref())))
        .map(|f| f.file.as_str())
        .collect();
    let mut report = MetadataReport::default();

    // kind → rows (with the file column) of the unchanged files, then the
    // changed files' rows; without a readable cache every file is read
    let mut kinds: Vec<(String, Vec<RecordBatch>)> = Vec::new();
    let mut cache_ok = by_file_dir.is_dir();
    for kind in cached_kinds(&by_file_dir) {
        let path = by_file_dir.join(format!("{kind}.parquet"));
        match read_kept(&path, &keep) {
            Ok(batch) => kinds.push((kind, vec![batch])),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "metadata cache unreadable; every zip is read again");
                cache_ok = false;
                break;
            }
        }
    }
    if !cache_ok {
        kinds.clear();
    }
    for f in files
        .iter()
        .filter(|f| !(cache_ok && keep.contains(f.file.as_str())))
    {
        report.read += 1;
        let shown = f.raw.display().to_string();
        let read = std::fs::File::open(&f.raw)
            .map_err(|e| e.to_string())
            .and_then(|file| {
                dwd_parser::archive::metadata_in(&shown, std::io::BufReader::new(file))
                    .map_err(|e| e.to_string())
            });
        let meta = match read {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(file = %shown, error = %e, "metadata left out of the merge");
                report.unreadable.push((f.file.clone(), e));
                continue;
            }
        };
        for (kind, frame) in metadata_frames(&meta, dataset, tables, &f.file) {
            let batch = tagged(&frame.to_batch()?, &f.file)?;
            match kinds.iter_mut().find(|(k, _)| k == kind) {
                Some((_, batches)) => batches.push(batch),
                None => kinds.push((kind.to_owned(), vec![batch])),
            }
        }
    }

    let order: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.file.as_str(), i))
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    std::fs::create_dir_all(&by_file_dir).map_err(|source| OutputError::Io {
        path: by_file_dir.clone(),
        source,
    })?;
    for (kind, batches) in kinds {
        let Some(all) = crate::one_batch(batches)? else {
            continue;
        };
        let all = in_file_order(&all, &order)?;
        let cache = by_file_dir.join(format!("{kind}.parquet"));
        if all.num_rows() == 0 {
            let _ = std::fs::remove_file(&cache);
            continue;
        }
        let cached = write_atomic(&cache, |w| {
            crate::encode::write_parquet(&all, Vec::new(), w)
        })?;
        report.written.push((cached, all.num_rows()));
        let from = distinct_files(&all)?;
        let merged = distinct_rows(&untagged(&all)?)?;
        let source = SourceInfo {
            file: from.join(", "),
            dataset: dataset.to_owned(),
            ..SourceInfo::default()
        };
        let target = layout.metadata(dataset, &kind, format.ext());
        let written = write_atomic(&target, |w| {
            crate::encode::write(format, &merged, source_metadata(&source), w)
        })?;
        report.written.push((written, merged.num_rows()));
        report.rows.push((kind, merged.num_rows()));
    }
    Ok(report)
}

/// The kinds a by-file table exists for.
fn cached_kinds(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut kinds: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".parquet").map(str::to_owned)
        })
        .collect();
    kinds.sort();
    kinds
}

/// The rows of a by-file table whose file is in `keep`.
fn read_kept(path: &Path, keep: &HashSet<&str>) -> Result<RecordBatch, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let all = crate::one_batch(batches)
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| RecordBatch::new_empty(schema));
    let files = file_column(&all).map_err(|e| e.to_string())?;
    let mask: BooleanArray = files
        .iter()
        .map(|f| Some(f.is_some_and(|f| keep.contains(f))))
        .collect();
    arrow_select::filter::filter_record_batch(&all, &mask).map_err(|e| e.to_string())
}

fn file_column(batch: &RecordBatch) -> Result<&StringArray, ArrowError> {
    batch
        .column_by_name(FILE)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| ArrowError::SchemaError(format!("no {FILE} (text) column")))
}

/// `batch` with the file column first.
fn tagged(batch: &RecordBatch, file: &str) -> Result<RecordBatch, ArrowError> {
    let mut fields = vec![Arc::new(Field::new(FILE, DataType::Utf8, false))];
    fields.extend(batch.schema().fields().iter().cloned());
    let mut columns: Vec<ArrayRef> =
        vec![Arc::new(StringArray::from(vec![file; batch.num_rows()]))];
    columns.extend(batch.columns().iter().cloned());
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// `batch` without the file column.
fn untagged(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let keep: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| batch.schema().field(i).name() != FILE)
        .collect();
    batch.project(&keep)
}

/// The rows ordered by their file's place in `order` (a stable sort: a
/// file's rows keep their order); rows of files not in `order` go.
fn in_file_order(
    batch: &RecordBatch,
    order: &HashMap<&str, usize>,
) -> Result<RecordBatch, ArrowError> {
    let files = file_column(batch)?;
    let mut rows: Vec<(usize, u32)> = Vec::with_capacity(batch.num_rows());
    for (row, f) in files.iter().enumerate() {
        if let Some(&at) = f.and_then(|f| order.get(f)) {
            rows.push((at, row as u32));
        }
    }
    rows.sort_by_key(|&(at, _)| at);
    let take = UInt32Array::from(rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>());
    arrow_select::take::take_record_batch(batch, &take)
}

/// The files of a tagged table, in order of first appearance.
fn distinct_files(batch: &RecordBatch) -> Result<Vec<String>, ArrowError> {
    let mut seen = HashSet::new();
    Ok(file_column(batch)?
        .iter()
        .flatten()
        .filter(|f| seen.insert(*f))
        .map(str::to_owned)
        .collect())
}

/// Each distinct row once, the first of each kept, in order.
fn distinct_rows(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    use arrow_cast::display::{ArrayFormatter, FormatOptions};
    // a null prints as a character no DWD text holds, so it differs from ""
    let options = FormatOptions::default().with_null("\u{0}");
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = HashSet::new();
    let mut keep = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut key = String::new();
        for f in &formatters {
            key.push_str(&f.value(row).to_string());
            key.push('\u{1f}');
        }
        keep.push(seen.insert(key));
    }
    arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dwd_parser::metadata::StationMetadata;

    const DATASET: &str = "monthly/kl";

    /// Two real data zips of DWD's monthly/kl with their `Metadaten_*`
    /// members (tests/data/dwd, see its README), copied into `dir`.
    fn zips(dir: &Path) -> Vec<MetaFile> {
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/dwd/monthly/kl/historical");
        [
            "monatswerte_KL_01691_18570101_20171231_hist.zip",
            "monatswerte_KL_03987_18930101_20161231_hist.zip",
        ]
        .iter()
        .map(|name| {
            let raw = dir.join(name);
            std::fs::copy(data.join(name), &raw).unwrap();
            MetaFile {
                file: format!("historical/{name}"),
                checksum: Some(format!("sum-{name}")),
                raw,
            }
        })
        .collect()
    }

    /// What the merged tables must hold: the files' metadata read whole,
    /// in order, each entry once (how the merge worked before it kept
    /// anything), as rows of text a kind.
    fn expected(files: &[MetaFile], tables: &Tables) -> Vec<(String, Vec<String>)> {
        let mut meta = StationMetadata::default();
        for f in files {
            let shown = f.raw.display().to_string();
            let file = std::fs::File::open(&f.raw).unwrap();
            meta.extend(
                dwd_parser::archive::metadata_in(&shown, std::io::BufReader::new(file)).unwrap(),
            );
        }
        meta.dedup();
        let mut out: Vec<(String, Vec<String>)> = metadata_frames(&meta, DATASET, tables, "merged")
            .into_iter()
            .map(|(kind, frame)| (kind.to_owned(), text_rows(&frame.to_batch().unwrap())))
            .collect();
        out.sort();
        out
    }

    fn text_rows(batch: &RecordBatch) -> Vec<String> {
        let csv = {
            let mut w = Vec::new();
            crate::encode::write_csv(batch, &mut w).unwrap();
            String::from_utf8(w).unwrap()
        };
        csv.lines().map(str::to_owned).collect()
    }

    fn written(layout: &crate::OutputLayout) -> Vec<(String, Vec<String>)> {
        let dir = layout.dataset(DATASET).join("metadata");
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let kind = path.file_stem().unwrap().to_string_lossy().into_owned();
            let file = std::fs::File::open(&path).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .build()
                .unwrap();
            let schema = reader.schema();
            let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
            let all = arrow_select::concat::concat_batches(&schema, &batches).unwrap();
            out.push((kind, text_rows(&all)));
        }
        out.sort();
        out
    }

    fn inputs(files: &[MetaFile]) -> Vec<(String, Option<String>)> {
        files
            .iter()
            .map(|f| (f.file.clone(), f.checksum.clone()))
            .collect()
    }

    #[test]
    fn only_new_and_changed_zips_are_read_and_the_tables_stay_exact() {
        let dir = tempfile::tempdir().unwrap();
        let layout = crate::OutputLayout::new(dir.path().join("output"));
        let tables = Tables::embedded().unwrap();
        let mut files = zips(dir.path());
        let update = |files: &[MetaFile], before: &[(String, Option<String>)]| {
            update_metadata(&layout, DATASET, files, before, &tables, Format::Parquet).unwrap()
        };

        // the first time every zip is read
        let r = update(&files, &[]);
        assert_eq!(r.read, 2);
        assert!(
            r.rows.iter().all(|(_, n)| *n > 0) && r.rows.len() >= 3,
            "{:?}",
            r.rows
        );
        let both = expected(&files, &tables);
        assert_eq!(written(&layout), both);

        // nothing changed: none is read, the tables are the same
        let r = update(&files, &inputs(&files));
        assert_eq!(r.read, 0);
        assert_eq!(written(&layout), both);

        // one zip changed (a new checksum): that one is read
        let before = inputs(&files);
        files[1].checksum = Some("changed".into());
        let r = update(&files, &before);
        assert_eq!(r.read, 1);
        assert_eq!(written(&layout), both);

        // one zip gone: none is read, its rows go
        let before = inputs(&files);
        let one = vec![files[0].clone()];
        let r = update(&one, &before);
        assert_eq!(r.read, 0);
        assert_eq!(written(&layout), expected(&one, &tables));

        // it comes back, first in order: read, and the order follows the files
        let before = inputs(&one);
        let swapped = vec![files[1].clone(), files[0].clone()];
        let r = update(&swapped, &before);
        assert_eq!(r.read, 1);
        assert_eq!(written(&layout), expected(&swapped, &tables));

        // without the kept rows (deleted by hand) every zip is read again
        std::fs::remove_dir_all(layout.parts(DATASET).join("metadata_by_file")).unwrap();
        let r = update(&swapped, &inputs(&swapped));
        assert_eq!(r.read, 2);
        assert_eq!(written(&layout), expected(&swapped, &tables));
    }

    #[test]
    fn an_unreadable_zip_is_left_out_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let layout = crate::OutputLayout::new(dir.path().join("output"));
        let tables = Tables::embedded().unwrap();
        let mut files = zips(dir.path());
        std::fs::write(&files[1].raw, b"not a zip").unwrap();
        let r = update_metadata(&layout, DATASET, &files, &[], &tables, Format::Parquet).unwrap();
        assert_eq!(r.unreadable.len(), 1);
        assert_eq!(r.unreadable[0].0, files[1].file);
        files.truncate(1);
        assert_eq!(written(&layout), expected(&files, &tables));
    }
}
