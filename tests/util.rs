//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tracker_core::{DatasetId, FileKey, ManualClock, NewFile, RetryPolicy, Timestamp};
use tracker_sqlite::StoreOptions;

pub const T0: i64 = 1_700_000_000_000;

pub fn dataset(name: &str) -> DatasetId {
    DatasetId::new(name).unwrap()
}

pub fn files(dataset_name: &str, n: usize) -> Vec<NewFile> {
    (0..n)
        .map(|i| NewFile {
            key: FileKey::new(dataset(dataset_name), format!("f{i:06}.zip")).unwrap(),
            size: Some(1000 + i as u64),
            source_modified: Some(Timestamp::from_millis(T0)),
        })
        .collect()
}

pub fn manual_options(clock: &Arc<ManualClock>, retry: RetryPolicy) -> StoreOptions {
    StoreOptions {
        clock: clock.clone(),
        retry,
        ..StoreOptions::default()
    }
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_secs(5),
        backoff_max: Duration::from_secs(20),
    }
}

/// The built helper binary of this test crate.
pub fn crash_worker() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tracker-crash-worker"))
}

/// The names of the entries of `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `path`'s bytes, or `None` when it does not exist (any other error
/// fails the test).
pub fn bytes(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// What a read of the progress database found: a number, or no database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// No database yet: no file, or one whose schema is not (yet) this
    /// program's (a run that has just started creates and migrates it).
    NoDatabase,
    Rows(i64),
}

impl Counted {
    /// The rows, where a missing database means none were written (a run
    /// that has not opened it yet, a command refused before it).
    pub fn or_none(self) -> i64 {
        match self {
            Counted::NoDatabase => 0,
            Counted::Rows(n) => n,
        }
    }
}

/// One number read straight from the progress database at `db` with
/// `sql` (read-only: a run may be going). A missing database is said as
/// such; bad SQL (a renamed view) or an unreadable file fails the test.
pub fn count_in(db: &Path, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Counted {
    if !db.exists() {
        return Counted::NoDatabase;
    }
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("{}: {e}", db.display()));
    // a database being created or migrated has not got its views yet
    let one = |sql: &str| -> i64 {
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("the schema version of {}: {e}", db.display()))
    };
    let migrated =
        match one("SELECT count(*) FROM sqlite_schema WHERE name = 'refinery_schema_history'") {
            0 => 0,
            _ => one("SELECT COALESCE(MAX(version), 0) FROM refinery_schema_history"),
        };
    if migrated < tracker_sqlite::known_schema_version() {
        return Counted::NoDatabase;
    }
    let n = conn
        .query_row(sql, params, |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql} on {}: {e}", db.display()));
    Counted::Rows(n)
}

/// Counts per status straight from the table (not the counter table).
pub fn counted_by_scan(db: &Path) -> Vec<(String, String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT dataset, status, count(*) FROM file_processing_log GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The climastation program run in `dir`, with its database, data and
/// (disabled) log files there, quiet but for errors. Tests add the rest.
pub fn climastation(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_climastation-under-test"));
    c.current_dir(dir)
        .env_remove("CLIMASTATION_CONFIG")
        .env("CLIMASTATION_PATHS__PROGRESS_DB", "progress.db")
        .env("CLIMASTATION_PATHS__DATA_DIR", "data")
        .env("CLIMASTATION_LOGGING__FILE", "false")
        // the tests of `run` name their processor or test verify's default
        // of earlier versions; `cli_selection` tests the dwd default
        .env("CLIMASTATION_PROCESSING__PROCESSOR", "verify")
        .args(["--log-level", "error"])
        .stdin(std::process::Stdio::null());
    c
}

/// Runs `cmd` and asserts it exits 0, showing its stderr otherwise.
pub fn succeeds(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The counting helper fails loudly: a renamed view (bad SQL) panics
/// instead of counting 0, so an assertion of 0 rows cannot pass by it.
#[test]
#[should_panic(expected = "no_such_view")]
fn counting_fails_loudly_on_bad_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    // a database of this schema: made by the store itself
    drop(tracker_sqlite::SqliteStore::open(&db, Default::default()).unwrap());
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert_eq!(
        count_in(&db, "SELECT count(*) FROM t", &[]),
        Counted::Rows(0)
    );
    assert_eq!(
        count_in(&dir.path().join("none.db"), "SELECT 1", &[]),
        Counted::NoDatabase
    );
    count_in(&db, "SELECT count(*) FROM no_such_view", &[]);
}
