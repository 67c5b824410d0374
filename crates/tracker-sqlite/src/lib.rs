//! The ClimaStation progress tracker on SQLite: the only crate with SQL.
//!
//! - One database file (default `data/progress_tracking.db`) in WAL mode,
//!   table `files` (views `file_processing_log` and `status_counts` for
//!   reading by hand), schema from `migrations/` (refinery).
//! - [`SqliteStore`] implements [`tracker_core::ProgressStore`]; open one per
//!   worker thread. Any number of processes may share the file.
//! - Writes are `BEGIN IMMEDIATE` transactions behind a per-process fair
//!   gate; claims take a whole batch in one statement.
//! - A shared lock on `<db>.lock` marks live processes; the first open that
//!   gets it exclusively recovers the claims of dead runs at once.

mod check;
mod error;
mod open;
mod shared;
mod sql;
mod store;

pub use check::{IntegrityReport, check_read_only};
pub use error::SqliteError;
pub use open::{OpenReport, StoreOptions, known_schema_version, lock_path};
pub use store::{DbInfo, HotStatement, MARK_EVERY, MARKS_KEPT, SqliteStore};

#[cfg(test)]
mod tests;
