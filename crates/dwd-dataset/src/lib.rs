//! The dataset processor: what turns the pipeline's per-file tables into
//! analysis-ready datasets.
//!
//! - `merge`: one station's files (historical, recent, now) into one
//!   time-sorted series, each (station, time) once, the more final source
//!   winning where files overlap, every row naming its source;
//! - `update`: after a run, rebuild only the series whose inputs changed
//!   (what each series was built from is kept in the tracker);
//! - `layout`: where series, station lists, metadata and per-file tables are;
//! - `catalog`: `catalog.sql`, DuckDB views over all of it;
//! - `export`: one record per station and time across a resolution's datasets;
//! - `output`: files written whole or not at all.

pub mod catalog;
pub mod export;
pub mod layout;
pub mod merge;
pub mod output;
pub mod update;

pub use catalog::write_catalog;
pub use layout::Layout;
pub use merge::{Input, MERGE_RULE, Merged, merge};
pub use update::{UpdateReport, update_series};
