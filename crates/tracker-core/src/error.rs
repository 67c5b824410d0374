//! The one error type of the storage trait.

use crate::types::{FileKey, FileStatus};

/// Errors every backend reports in the same terms.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// The claim's fencing token is no longer current: the file was claimed
    /// again, released, recovered or reset since. The caller must drop its
    /// result; another worker owns (or will own) the file.
    #[error(
        "stale claim on {key} (attempt {token}): the file was reclaimed, released, recovered or reset since"
    )]
    StaleClaim { key: FileKey, token: u32 },

    #[error("file {key} is not registered")]
    NotFound { key: FileKey },

    #[error("{operation} is not allowed from status {from} for {key}")]
    InvalidTransition {
        key: FileKey,
        from: FileStatus,
        operation: &'static str,
    },

    #[error("{0}")]
    InvalidInput(String),

    /// The backend failed (I/O, lock timeout, corrupt database). The source
    /// carries the backend's own error, with the database it concerns.
    #[error("progress store: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The backend's storage is full (a full disk under the database): a
    /// resource every file needs, not a fault of the file or the store.
    #[error("progress store: out of space: {0}")]
    StorageFull(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = TrackerError> = std::result::Result<T, E>;
