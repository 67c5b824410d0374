//! DWD's open-data archive as a source of files: nginx listings parsed
//! (`listing`), the one HTTP path (`http`), one [`Source`] for HTTP and
//! local mirrors (`source`: list, fetch to a file, read a small file;
//! `transfer`: the fetch itself) and the
//! recursive crawl of a dataset into a manifest (`crawl`).

pub mod crawl;
pub mod http;
pub mod listing;
pub mod retry;
pub mod source;
pub mod transfer;

pub use crawl::{ManifestEntry, crawl, crawl_to_depth};
pub use http::{FetchError, Http, Severity};
pub use source::{
    DWD_BASE_URL, DirSource, HttpOptions, HttpSource, Source, SourceError, locate, open,
};
pub use transfer::Transfer;
