//! Parquet written page by page, for what the merge does without
//! decoding: a row group of an input copied as it is encoded (its column
//! chunks with their statistics and page index), and beside it a column
//! chunk of one value built directly ([`constant_chunk`]).

use std::io::Write;

use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};
use parquet::file::page_index::offset_index::{OffsetIndexMetaData, PageLocation};
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// Row group `g` of the file `source` (whose metadata, with its page
/// index, is `meta`) appended to `out` as it is encoded, followed by one
/// column chunk a value of `constants`, each holding that value in every
/// row: `out`'s schema is the source's columns, then those.
pub(crate) fn append_row_group<W: Write + Send>(
    out: &mut SerializedFileWriter<W>,
    source: &std::fs::File,
    meta: &ParquetMetaData,
    g: usize,
    constants: &[&str],
) -> Result<(), ParquetError> {
    let group = meta
        .row_groups()
        .get(g)
        .ok_or_else(|| ParquetError::General(format!("no row group {g}")))?;
    let rows = usize::try_from(group.num_rows())
        .map_err(|_| ParquetError::General(format!("row group {g}: a negative row count")))?;
    let data = group.columns().len();
    let chunks = constants
        .iter()
        .enumerate()
        .map(|(k, value)| constant_chunk(out.schema_descr().column(data + k), value, rows))
        .collect::<Result<Vec<_>, _>>()?;
    let index = meta.page_index_for_row_group(g);
    let mut rg = out.next_row_group()?;
    for (c, chunk) in group.columns().iter().enumerate() {
        let close = ColumnCloseResult {
            bytes_written: u64::try_from(chunk.compressed_size()).unwrap_or(0),
            rows_written: rows as u64,
            metadata: chunk.clone(),
            bloom_filter: None,
            column_index: index.column_index(c).cloned(),
            offset_index: index.offset_index(c).cloned(),
        };
        rg.append_column(source, close)?;
    }
    for (bytes, close) in chunks {
        rg.append_column(&bytes, close)?;
    }
    rg.close()?;
    Ok(())
}

/// A column chunk of `rows` rows that all hold `value`, built directly: a
/// dictionary page with the one value and a data page of one run of index
/// 0 (a Parquet writer fed the rows hashes every one of them: that was most
/// of a copied row group's cost). Uncompressed (it is a few bytes), with
/// min/max statistics and an offset index like the chunks beside it.
pub(crate) fn constant_chunk(
    column: ColumnDescPtr,
    value: &str,
    rows: usize,
) -> Result<(bytes::Bytes, ColumnCloseResult), ParquetError> {
    let too_many = || ParquetError::General(format!("{rows} rows in one row group"));
    let n = u32::try_from(rows).map_err(|_| too_many())?;
    let len = u32::try_from(value.len()).map_err(|_| too_many())?;
    // PLAIN byte array: length (u32, little-endian), then the bytes
    let mut dictionary = Vec::with_capacity(4 + value.len());
    dictionary.extend_from_slice(&len.to_le_bytes());
    dictionary.extend_from_slice(value.as_bytes());
    // RLE_DICTIONARY: the bit width (1), then one RLE run of `n` zeros: its
    // header is `n << 1` as a ULEB128 varint, then the value in one byte
    let mut indices = vec![1u8];
    let mut header = u64::from(n) << 1;
    loop {
        let byte = (header & 0x7f) as u8;
        header >>= 7;
        if header == 0 {
            indices.push(byte);
            break;
        }
        indices.push(byte | 0x80);
    }
    indices.push(0);
    let (dictionary_len, indices_len) = (dictionary.len(), indices.len());
    let mut sink = TrackedWrite::new(Vec::new());
    let data = {
        let mut pages = SerializedPageWriter::new(&mut sink);
        pages.write_page(CompressedPage::new(
            Page::DictionaryPage {
                buf: bytes::Bytes::from(dictionary),
                num_values: 1,
                encoding: Encoding::PLAIN,
                is_sorted: true,
            },
            dictionary_len,
        ))?;
        let data = pages.write_page(CompressedPage::new(
            Page::DataPage {
                buf: bytes::Bytes::from(indices),
                num_values: n,
                encoding: Encoding::RLE_DICTIONARY,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            },
            indices_len,
        ))?;
        pages.close()?;
        data
    };
    let bytes = bytes::Bytes::from(sink.into_inner()?);
    let size = i64::try_from(bytes.len()).map_err(|_| too_many())?;
    let data_offset = i64::try_from(data.offset).map_err(|_| too_many())?;
    let v = || Some(parquet::data_type::ByteArray::from(value));
    let metadata = ColumnChunkMetaData::builder(column)
        .set_compression(Compression::UNCOMPRESSED)
        .set_encodings(vec![
            Encoding::PLAIN,
            Encoding::RLE,
            Encoding::RLE_DICTIONARY,
        ])
        .set_num_values(i64::from(n))
        .set_total_compressed_size(size)
        .set_total_uncompressed_size(size)
        .set_dictionary_page_offset(Some(0))
        .set_data_page_offset(data_offset)
        .set_statistics(Statistics::byte_array(v(), v(), None, Some(0), false))
        .build()?;
    let offset_index = OffsetIndexMetaData {
        page_locations: vec![PageLocation {
            offset: data_offset,
            compressed_page_size: i32::try_from(data.bytes_written).map_err(|_| too_many())?,
            first_row_index: 0,
        }],
        unencoded_byte_array_data_bytes: None,
    };
    let close = ColumnCloseResult {
        bytes_written: bytes.len() as u64,
        rows_written: u64::from(n),
        metadata,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(offset_index),
    };
    Ok((bytes, close))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Array, Float64Array, RecordBatch, StringArray, UInt32Array};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::{
        ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    use parquet::file::metadata::PageIndexPolicy;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// A small file of two row groups (ids and values), and its metadata
    /// read with the page index, as the merge opens an input.
    fn source(dir: &std::path::Path) -> (std::fs::File, ArrowReaderMetadata) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("station_id", DataType::UInt32, false),
            Field::new("value", DataType::Float64, true),
        ]));
        let path = dir.join("in.parquet");
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema.clone(),
            Some(props),
        )
        .unwrap();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt32Array::from(vec![44, 44, 44, 44, 44])),
                Arc::new(Float64Array::from(vec![
                    Some(1.5),
                    None,
                    Some(-2.0),
                    Some(0.0),
                    Some(9.25),
                ])),
            ],
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        let meta = ArrowReaderMetadata::load(&file, options).unwrap();
        (file, meta)
    }

    /// Every row group copied, with two constant columns: read back, the
    /// rows are the source's and each constant is in every row; the
    /// constants' statistics say their value.
    #[test]
    fn row_groups_are_copied_with_constant_columns_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let (file, meta) = source(dir.path());
        assert_eq!(meta.metadata().num_row_groups(), 2);
        let schema = Arc::new(Schema::new(vec![
            Field::new("station_id", DataType::UInt32, false),
            Field::new("value", DataType::Float64, true),
            Field::new("source_period", DataType::Utf8, false),
            Field::new("source_file", DataType::Utf8, false),
        ]));
        let out_path = dir.path().join("out.parquet");
        let writer =
            ArrowWriter::try_new(std::fs::File::create(&out_path).unwrap(), schema, None).unwrap();
        let (mut out, _) = writer.into_serialized_writer().unwrap();
        for g in 0..2 {
            append_row_group(
                &mut out,
                &file,
                meta.metadata(),
                g,
                &["recent", "x_akt.zip"],
            )
            .unwrap();
        }
        out.close().unwrap();

        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out_path).unwrap())
                .unwrap();
        let groups = reader.metadata().row_groups().to_vec();
        assert_eq!(groups.len(), 2);
        let stats = groups[0].column(2).statistics().unwrap();
        assert_eq!(stats.min_bytes_opt(), Some(&b"recent"[..]));
        assert_eq!(stats.max_bytes_opt(), Some(&b"recent"[..]));
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 5);
        let mut values = Vec::new();
        for b in &batches {
            let v = b.column(1).as_any().downcast_ref::<Float64Array>().unwrap();
            values.extend((0..v.len()).map(|i| (!v.is_null(i)).then(|| v.value(i))));
            for (c, want) in [(2, "recent"), (3, "x_akt.zip")] {
                let s = b.column(c).as_any().downcast_ref::<StringArray>().unwrap();
                assert!((0..s.len()).all(|i| s.value(i) == want), "column {c}");
            }
        }
        assert_eq!(values, [Some(1.5), None, Some(-2.0), Some(0.0), Some(9.25)]);
    }

    /// A row group the source has not is refused, naming it.
    #[test]
    fn a_missing_row_group_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (file, meta) = source(dir.path());
        let schema = Arc::new(Schema::new(vec![
            Field::new("station_id", DataType::UInt32, false),
            Field::new("value", DataType::Float64, true),
        ]));
        let writer = ArrowWriter::try_new(Vec::new(), schema, None).unwrap();
        let (mut out, _) = writer.into_serialized_writer().unwrap();
        let e = append_row_group(&mut out, &file, meta.metadata(), 7, &[]).unwrap_err();
        assert!(e.to_string().contains("no row group 7"), "{e}");
    }
}
