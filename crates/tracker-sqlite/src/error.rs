use std::path::PathBuf;

use tracker_core::TrackerError;

/// Errors of the SQLite backend. Every variant names the database file.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("cannot create the directory {path} for the progress database: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot open the lock file {path} beside the progress database: {source}")]
    LockFile {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot open the progress database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error("{path} is not a SQLite database (or is encrypted or damaged); refusing to touch it")]
    NotADatabase { path: PathBuf },

    #[error(
        "{path} is a SQLite database of another program (application_id {application_id:#x}, tables present); refusing to touch it"
    )]
    NotOurs { path: PathBuf, application_id: i32 },

    #[error(
        "the progress database {path} has schema version {found}, newer than this program knows ({known}); use a newer climastation"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "the progress database {path} has schema version {found}, older than this program's ({known}), and another process is using it; stop that process so the database can be migrated"
    )]
    OlderSchemaInUse {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "the progress database {path} has schema version {found}, older than this program's ({known}), and this reader may not migrate it; run `climastation db migrate` first"
    )]
    OlderSchemaReadOnly {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error("no progress database at {path}: nothing to read (a run makes it)")]
    Missing { path: PathBuf },

    #[error("migrating the progress database {path} failed: {source}")]
    Migration {
        path: PathBuf,
        source: refinery::Error,
    },

    #[error(
        "the progress database {path} is locked by another process (waited {waited_ms} ms); is another climastation migrating or holding it?"
    )]
    Locked { path: PathBuf, waited_ms: u64 },

    #[error(
        "{path} could not be switched to WAL mode (journal mode stays {mode:?}); is it on a network file system?"
    )]
    NoWal { path: PathBuf, mode: String },

    #[error(
        "the WAL file of the progress database {path} (`-wal` beside it) was deleted or replaced while this process had it open; stopped writing to protect the database: let every climastation process end, then run `climastation db check`"
    )]
    WalLost { path: PathBuf },

    #[error(
        "the progress database {path} is open in another live process, but its WAL file (`-wal` beside it) is missing: it was deleted; opening now would corrupt the database. Let that process end (it stops by itself), then run `climastation db check`"
    )]
    WalMissing { path: PathBuf },

    #[error("{operation} on {path}: {source}")]
    Sql {
        path: PathBuf,
        operation: &'static str,
        source: rusqlite::Error,
    },

    #[error("{operation} on {path}: corrupt value in column {column}: {detail}")]
    CorruptValue {
        path: PathBuf,
        operation: &'static str,
        column: &'static str,
        detail: String,
    },
}

impl From<SqliteError> for TrackerError {
    fn from(e: SqliteError) -> Self {
        match e.is_disk_full() {
            true => TrackerError::StorageFull(Box::new(e)),
            false => TrackerError::Backend(Box::new(e)),
        }
    }
}

impl SqliteError {
    /// SQLite said "database or disk is full".
    pub fn is_disk_full(&self) -> bool {
        match self {
            SqliteError::Open { source, .. } | SqliteError::Sql { source, .. } => {
                crate::open::is_disk_full(source)
            }
            SqliteError::Migration { source, .. } => {
                // refinery keeps SQLite's error as a source
                let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source);
                while let Some(c) = cause {
                    if c.downcast_ref::<rusqlite::Error>()
                        .is_some_and(crate::open::is_disk_full)
                    {
                        return true;
                    }
                    cause = c.source();
                }
                false
            }
            _ => false,
        }
    }
}

/// True when SQLite gave up waiting for a lock.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

pub(crate) fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase)
    )
}
