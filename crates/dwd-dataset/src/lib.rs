//! The DWD ingest layer: what to do with each kind of DWD file (`files`),
//! the pipeline's processors (`download`: fetch a file into `paths.raw`;
//! `processor`, the `dwd` one: fetch, convert, and when a dataset's files
//! are done, its tables through `dwd-series`), and
//! crawl → register → vanish (`crawl`, with the station lists of
//! `stations`). The tables themselves (series, ledger, export, values,
//! catalog) are `dwd-series`'s: one path each, there.

pub mod crawl;
pub mod download;
pub mod files;
mod finish;
pub mod processor;
pub mod stations;

pub use download::{Download, DownloadOptions, Fetched};
pub use processor::DwdProcessor;
