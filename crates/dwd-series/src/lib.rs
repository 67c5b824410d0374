//! A dataset's tables once its files are converted: merged series per
//! station and the dataset-wide tables, kept trustworthy by the output
//! ledger, and what is read from them (export, values at a place, the DuckDB
//! catalog). The ingest side (`dwd-dataset`: crawl, file conversion, the
//! `dwd` processor) writes through this crate.
//!
//! - `merge`: one station's files (historical, recent, now) into one
//!   time-sorted series, each (station, time) once, the more final source
//!   winning where files overlap, every row naming its source;
//! - `update`: after a run, rebuild only the series whose inputs changed
//!   (what each series was built from is kept in the tracker);
//! - `metadata`: the station metadata of all files, each row once, read
//!   again only from zips that changed;
//! - `layout`: where series, station lists, metadata and per-file tables are
//!   ([`OutputLayout`], named apart from the catalog's file `Layout`);
//! - `duckdb`: `catalog.sql`, DuckDB views over all of it (named apart from
//!   the `dwd-catalog` crate, DWD's archive catalog);
//! - `export`: one record per station and time across a resolution;
//! - `values`: values at a place from the stations around it;
//! - `output`: files written whole or not at all, under temp names of
//!   their process, in one [`output::Format`];
//! - `encode`: the one writer of record batches (Parquet, CSV, JSON lines),
//!   for every table the program writes;
//! - `ledger`: the output ledger (every table recorded in the tracker and
//!   checked before use) and the dataset lock;
//! - `check`: a dataset's outputs against the ledger and the disk;
//! - `testing`: series written by hand, for tests and benchmarks.

pub mod anomaly;
pub mod check;
pub mod duckdb;
pub mod encode;
pub mod export;
pub mod layout;
pub mod ledger;
pub mod merge;
pub mod metadata;
pub mod normals;
pub mod output;
mod pages;
pub mod testing;
pub mod update;
pub mod values;

pub use duckdb::write_catalog;
pub use layout::OutputLayout;
pub use merge::{MERGE_RULE, Merged, PartTable, merge};
pub use update::{UpdateReport, update_series};

/// Record batches read from one table as one batch (no copy when there is
/// one); `None` when there are none.
pub(crate) fn one_batch(
    batches: Vec<arrow_array::RecordBatch>,
) -> Result<Option<arrow_array::RecordBatch>, arrow_schema::ArrowError> {
    match batches.as_slice() {
        [] => Ok(None),
        [_] => Ok(batches.into_iter().next()),
        [first, ..] => arrow_select::concat::concat_batches(&first.schema(), &batches).map(Some),
    }
}
