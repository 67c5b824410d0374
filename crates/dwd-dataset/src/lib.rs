//! The DWD ingest layer: what to do with each kind of DWD file (`files`),
//! the pipeline's processors (`download`: fetch a file into `paths.raw`;
//! `processor`, the `dwd` one: fetch, convert, and when a dataset's files
//! are done, its tables through `dwd-series`), and
//! crawl → register → vanish (`crawl`, with the station lists of
//! `stations`). The tables themselves (series, ledger, export, values,
//! catalog) are `dwd-series`, re-exported here under their module names.

pub mod crawl;
pub mod download;
pub mod files;
mod finish;
pub mod processor;
pub mod stations;

pub use download::{Download, DownloadOptions, Fetched};
pub use dwd_series::{
    Input, MERGE_RULE, Merged, OutputLayout, UpdateReport, check, duckdb, encode, export, layout,
    ledger, merge, metadata, output, testing, update, update_series, values, write_catalog,
};
pub use processor::DwdProcessor;
