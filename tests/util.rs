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

/// `path`'s bytes, or an empty vector when it does not exist.
pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
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
