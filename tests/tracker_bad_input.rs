//! Bad input: each case is a clear error naming the file, no panic, and the
//! database left as it was.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use tracker_core::ProgressStore;
use tracker_sqlite::{SqliteError, SqliteStore, StoreOptions, known_schema_version};

use crate::util::{bytes, crash_worker, files};

fn short_timeout() -> StoreOptions {
    StoreOptions {
        busy_timeout: Duration::from_millis(300),
        ..StoreOptions::default()
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("progress_tracking.db");
    std::fs::write(&db, "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10\n".repeat(200)).unwrap();
    let before = bytes(&db);
    let err = SqliteStore::open(&db, StoreOptions::default()).unwrap_err();
    assert!(matches!(err, SqliteError::NotADatabase { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("progress_tracking.db") && msg.contains("not a SQLite database"),
        "{msg}"
    );
    assert_eq!(bytes(&db), before);
    assert_left_alone(dir.path(), "progress_tracking.db");
}

/// A refused database leaves the folder as it was: no `<db>.lock`, no WAL.
fn assert_left_alone(dir: &std::path::Path, db: &str) {
    assert_eq!(
        crate::util::file_names(dir),
        [db],
        "left behind beside the refused database"
    );
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = bytes(&db);
    let err = SqliteStore::open(&db, StoreOptions::default()).unwrap_err();
    assert!(matches!(err, SqliteError::NotOurs { .. }), "{err:?}");
    assert!(err.to_string().contains("other.db"));
    assert_eq!(bytes(&db), before);
    assert_left_alone(dir.path(), "other.db");
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("progress.db");
    {
        let store = SqliteStore::open(&db, StoreOptions::default()).unwrap();
        store.register(&files("d", 3)).unwrap();
        assert!(store.checkpoint().unwrap());
    }
    let future = known_schema_version() + 1;
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (?1, 'from_the_future', '2030-01-01T00:00:00Z', '0')",
            [future],
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let before = bytes(&db);
    let err = SqliteStore::open(&db, StoreOptions::default()).unwrap_err();
    match &err {
        SqliteError::NewerSchema { found, known, .. } => {
            assert_eq!((*found, *known), (future, known_schema_version()))
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("progress.db") && err.to_string().contains("newer"));
    assert_eq!(bytes(&db), before);
    // this folder had the database open before: its lock file stays
}

#[test]
fn a_read_only_directory_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root ignores permission bits; /proc refuses new files even to root
    let writable_anyway = std::fs::write(ro.join("probe"), b"x").is_ok();
    let target = if writable_anyway {
        std::path::PathBuf::from("/proc/climastation-test/progress.db")
    } else {
        ro.join("progress.db")
    };
    let err = SqliteStore::open(&target, StoreOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            SqliteError::CreateDir { .. } | SqliteError::LockFile { .. } | SqliteError::Open { .. }
        ),
        "{err:?}"
    );
    assert!(
        msg.contains(target.parent().unwrap().to_str().unwrap()),
        "{msg}"
    );
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_database_locked_by_another_process_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("progress.db");
    {
        let store = SqliteStore::open(&db, StoreOptions::default()).unwrap();
        store.register(&files("d", 3)).unwrap();
        assert!(store.checkpoint().unwrap());
    }
    let before = bytes(&db);
    let mut holder = Command::new(crash_worker())
        .args(["hold-lock", db.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");

    let result = SqliteStore::open(&db, short_timeout());
    holder.kill().unwrap();
    holder.wait().unwrap();
    let err = result.unwrap_err();
    assert!(matches!(err, SqliteError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("progress.db") && err.to_string().contains("locked"));
    assert_eq!(bytes(&db), before);
}

#[test]
fn a_broken_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, "processing:\n  workers: [4\n").unwrap();
    let sources = tracker_config::Sources {
        base_file: None,
        user_file: Some(file.clone()),
        env: false,
    };
    let err = tracker_config::load(&sources).unwrap_err().to_string();
    assert!(err.contains("broken.yaml"), "{err}");
}

/// `db check` reads, never writes: a damaged file is diagnosed (not failed
/// in recovery with "database disk image is malformed") and left as it
/// was; counters that disagree with the rows are named.
#[test]
fn db_check_diagnoses_damage_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("progress.db");
    {
        let store = SqliteStore::open(&db, StoreOptions::default()).unwrap();
        store.register(&files("d", 2000)).unwrap();
        assert!(store.checkpoint().unwrap());
    }
    assert!(tracker_sqlite::check_read_only(&db).unwrap().ok());
    // counters off by 5
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "UPDATE file_counts SET n = n + 5 WHERE status = 0", // pending
            [],
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let r = tracker_sqlite::check_read_only(&db).unwrap();
    assert!(!r.ok());
    assert_eq!(
        r.counter_mismatches,
        [("d".into(), "pending".into(), 2005, 2000)]
    );
    // a page of the table overwritten with garbage
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    let at = bytes.len() / page / 2 * page;
    bytes[at..at + page].fill(0x5a);
    std::fs::write(&db, &bytes).unwrap();
    let before = crate::util::bytes(&db);
    let names_before = crate::util::file_names(dir.path());
    let out = crate::util::climastation(dir.path())
        .args(["--json", "db", "check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let messages = v["messages"].to_string();
    assert!(!messages.is_empty() && messages != "[\"ok\"]", "{messages}");
    assert_eq!(crate::util::bytes(&db), before, "db check changed the file");
    assert_eq!(
        crate::util::file_names(dir.path()),
        names_before,
        "db check left a file behind"
    );
}
