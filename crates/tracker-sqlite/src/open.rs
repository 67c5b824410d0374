//! Opening a progress database: instance lock, validation, PRAGMAs,
//! migrations and crash recovery.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, config::DbConfig};
use tracker_core::{Clock, RetryPolicy, SystemClock};

use crate::error::{SqliteError, is_busy, is_not_a_database};

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// Marks a database as ClimaStation's ("CLST"), set by the first migration.
pub(crate) const APPLICATION_ID: i32 = 0x434C_5354;

/// How a store is opened.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// How long a write waits for another process's transaction before failing.
    pub busy_timeout: Duration,
    /// Retry rules applied by `fail`.
    pub retry: RetryPolicy,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Recover the claims of dead processes at once when this open proves
    /// that no other process uses the database.
    pub recover_orphans: bool,
    /// Upper bound of the WAL file after a checkpoint, in bytes.
    pub journal_size_limit: i64,
    /// A reader that writes nothing (a server): the database must exist,
    /// an older schema is refused instead of migrated, no claim is
    /// recovered, and the connection is `query_only`.
    pub read_only: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            recover_orphans: true,
            journal_size_limit: 16 * 1024 * 1024,
            read_only: false,
        }
    }
}

/// What opening found and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// No other process had the database open (proven by the instance lock).
    pub sole_user: bool,
    /// Schema version before and after migrating.
    pub schema_before: i64,
    pub schema_after: i64,
    /// Claims of dead processes put back to `pending` at open.
    pub orphans_recovered: u64,
}

/// The newest schema version this binary knows.
pub fn known_schema_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// Migrates `conn` only up to `version` (tests of upgrades from old schemas).
#[cfg(test)]
pub(crate) fn migrate_to(
    conn: &mut Connection,
    version: i32,
) -> Result<(), Box<dyn std::error::Error>> {
    add_functions(conn)?;
    embedded::migrations::runner()
        .set_target(refinery::Target::Version(version))
        .run(conn)?;
    Ok(())
}

/// The SQL functions migrations call: `climastation_path_key(path)`, the
/// key of a path in the path index (schema 10), as the store computes it.
pub(crate) fn add_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "climastation_path_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(crate::sql::path_key(&ctx.get::<String>(0)?)),
    )
}

/// How long an open waits for a live owner's missing WAL to make sense
/// (the owner closing) before it refuses ([`SqliteError::WalMissing`]).
const WAL_MISSING_PATIENCE: Duration = Duration::from_secs(2);

/// The lock file beside the database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

pub(crate) type Gate = Arc<crate::shared::Shared>;

pub(crate) struct Opened {
    pub conn: Connection,
    pub path: PathBuf,
    pub gate: Gate,
    pub instance_lock: File,
    pub report: OpenReport,
}

/// Opens (creating if needed) the database at `path`.
pub(crate) fn open(path: &Path, opts: &StoreOptions) -> Result<Opened, SqliteError> {
    let path = path.to_path_buf();
    if opts.read_only && !path.is_file() {
        return Err(SqliteError::Missing { path });
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SqliteError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }

    // Every process holds a shared lock on `<db>.lock` while it has the
    // database open. Getting it exclusively proves that no other process
    // does, so every `processing` row belongs to a dead run.
    let lock_file = lock_path(&path);
    let lock_existed = lock_file.exists();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    let started = Instant::now();
    let (instance_lock, sole_user) = loop {
        let instance_lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_file)
            .map_err(|source| SqliteError::LockFile {
                path: lock_file.clone(),
                source,
            })?;
        let sole_user = match instance_lock.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => {
                lock_shared_within(&instance_lock, &path, opts.busy_timeout)?;
                false
            }
            Err(TryLockError::Error(source)) => {
                return Err(SqliteError::LockFile {
                    path: lock_file,
                    source,
                });
            }
        };
        // A live process has the database open, so its WAL exists (SQLite
        // deletes it only when the last connection closes). None means it
        // was deleted under that process: a connection opened now would
        // start a fresh WAL beside the old one and the two processes would
        // overwrite each other's pages. Asked again for a moment, for an
        // owner that is just closing (its WAL goes before its lock).
        if sole_user || wal.exists() || !path.exists() {
            break (instance_lock, sole_user);
        }
        drop(instance_lock);
        if started.elapsed() >= WAL_MISSING_PATIENCE.min(opts.busy_timeout) {
            return Err(SqliteError::WalMissing { path });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // a database refused (not SQLite, not ours, too new) leaves nothing
    // behind: the lock file goes when this open made it and no one else
    // has it
    open_locked(path, opts, instance_lock, sole_user).inspect_err(|_| {
        if sole_user && !lock_existed {
            let _ = std::fs::remove_file(&lock_file);
        }
    })
}

/// [`open`] once the instance lock is held: validated, set up, migrated
/// (by the sole user only), a dead run's claims recovered, the lock
/// downgraded to shared.
fn open_locked(
    path: PathBuf,
    opts: &StoreOptions,
    instance_lock: File,
    sole_user: bool,
) -> Result<Opened, SqliteError> {
    let mut conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| SqliteError::Open {
        path: path.clone(),
        source,
    })?;
    install_busy_handler(&mut conn, opts.busy_timeout, &path)?;
    let sql_err = |operation| sql_error(&path, opts.busy_timeout, operation);

    let schema_before = validate(&conn, &path, opts)?;
    configure(&conn, &path, opts)?;
    let mut report = OpenReport {
        sole_user,
        schema_before,
        schema_after: schema_before,
        orphans_recovered: 0,
    };
    let known = known_schema_version();
    if opts.read_only && schema_before < known {
        return Err(SqliteError::OlderSchemaReadOnly {
            path,
            found: schema_before,
            known,
        });
    }
    if schema_before < known {
        if !sole_user {
            return Err(SqliteError::OlderSchemaInUse {
                path,
                found: schema_before,
                known,
            });
        }
        add_functions(&conn).map_err(sql_err("registering the migrations' functions"))?;
        embedded::migrations::runner()
            .run(&mut conn)
            .map_err(|source| SqliteError::Migration {
                path: path.clone(),
                source,
            })?;
        report.schema_after =
            schema_version(&conn).map_err(sql_err("reading the schema version"))?;
        // A migration that rebuilt a table (schema 10) leaves the old one's
        // pages free: at 757K files the file grew from 292 MB to 419 MB, of
        // which 153 MB in use. Give them back while no one else has it open.
        let pages = |name: &str| -> rusqlite::Result<i64> {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        };
        let free = pages("freelist_count").map_err(sql_err("reading the free pages"))?;
        let total = pages("page_count").map_err(sql_err("reading the free pages"))?;
        if free > 1024 && free * 4 > total {
            // its copy in a temporary file, not in memory (140 MB at 757K files)
            conn.execute_batch("PRAGMA temp_store = FILE; VACUUM; PRAGMA temp_store = MEMORY;")
                .map_err(sql_err("vacuuming after the migration"))?;
            tracing::info!(db = %path.display(), free_pages = free, pages = total, "vacuumed after the migration");
        }
        tracing::info!(db = %path.display(), from = schema_before, to = report.schema_after, "migrated the progress database");
    }

    let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let gate = crate::shared::shared_for(&canonical, opts.journal_size_limit.max(0) as u64);

    if opts.read_only {
        conn.pragma_update(None, "query_only", "ON")
            .map_err(sql_err("making the connection read-only"))?;
    }
    if sole_user && opts.recover_orphans && !opts.read_only {
        let _g = gate.lock();
        match conn.execute(crate::sql::RECOVER_ALL, []) {
            Ok(n) => {
                report.orphans_recovered = n as u64;
                if n > 0 {
                    tracing::info!(db = %path.display(), claims = n, "recovered the claims of a dead run: back to pending");
                }
            }
            // a full disk must not keep anyone from reading the database
            // (`status` after a run that filled it): the claims stay until
            // an open with room recovers them or their leases expire
            Err(e) if is_disk_full(&e) => {
                tracing::warn!(db = %path.display(), "the disk is full: the claims of dead processes are recovered at the next start with room (or when their leases expire)");
            }
            Err(e) => return Err(sql_err("recovering the claims of dead processes")(e)),
        }
    }

    if sole_user {
        // Downgrade to shared. The short gap between unlock and lock_shared
        // can let a newcomer take the exclusive lock; it then recovers
        // nothing of ours, since this store has claimed nothing yet.
        instance_lock
            .unlock()
            .map_err(|source| SqliteError::LockFile {
                path: lock_path(&path),
                source,
            })?;
        lock_shared_within(&instance_lock, &path, opts.busy_timeout)?;
    }

    tracing::debug!(db = %path.display(), sole_user, schema = report.schema_after, "opened the progress database");
    Ok(Opened {
        conn,
        path,
        gate,
        instance_lock,
        report,
    })
}

/// SQLite's "database or disk is full".
pub(crate) fn is_disk_full(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull)
}

/// A SQL error of `operation` on the database at `path`: a file that is
/// not SQLite, a lock held past the busy timeout, or the error itself.
fn sql_error<'a>(
    path: &'a Path,
    busy_timeout: Duration,
    operation: &'static str,
) -> impl Fn(rusqlite::Error) -> SqliteError + 'a {
    move |source: rusqlite::Error| {
        let path = path.to_path_buf();
        if is_not_a_database(&source) {
            SqliteError::NotADatabase { path }
        } else if is_busy(&source) {
            SqliteError::Locked {
                path,
                waited_ms: u64::try_from(busy_timeout.as_millis()).unwrap_or(u64::MAX),
            }
        } else {
            SqliteError::Sql {
                path,
                operation,
                source,
            }
        }
    }
}

/// Validates before anything writes: reading the header fails on a file
/// that is not SQLite, and a foreign or newer database is refused. Returns
/// the schema version found.
fn validate(conn: &Connection, path: &Path, opts: &StoreOptions) -> Result<i64, SqliteError> {
    let sql_err = |operation| sql_error(path, opts.busy_timeout, operation);
    let application_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(sql_err("reading the application id"))?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err("reading the schema"))?;
    if tables > 0 && application_id != APPLICATION_ID {
        return Err(SqliteError::NotOurs {
            path: path.to_path_buf(),
            application_id,
        });
    }
    let found = schema_version(conn).map_err(sql_err("reading the schema version"))?;
    let known = known_schema_version();
    if found > known {
        return Err(SqliteError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    Ok(found)
}

/// The connection's settings, each for its reason.
fn configure(conn: &Connection, path: &Path, opts: &StoreOptions) -> Result<(), SqliteError> {
    let sql_err = |operation| sql_error(path, opts.busy_timeout, operation);
    // WAL: readers (status) never block the writer and the writer never
    // blocks readers; a commit is one append to the WAL.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(sql_err("enabling WAL"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SqliteError::NoWal {
            path: path.to_path_buf(),
            mode,
        });
    }
    // NORMAL in WAL mode: a commit is durable against a killed process (the
    // WAL is in the OS page cache) and never corrupts the database; only a
    // power cut or OS crash may lose the last commits, which sends finished
    // work back to processing/pending to be done again. FULL would fsync on
    // every claim and completion for no gain against kills.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql_err("setting synchronous"))?;
    // Enforce the dataset references of files, file_counts and completion_marks.
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(sql_err("enabling foreign keys"))?;
    // Truncate the WAL back to this size after a checkpoint, so that a burst
    // of writes does not leave a huge WAL behind.
    conn.pragma_update(None, "journal_size_limit", opts.journal_size_limit)
        .map_err(sql_err("setting journal_size_limit"))?;
    // The background checkpointer (shared.rs) keeps the WAL small; an
    // auto-checkpoint inside a commit is only the safety net for a WAL that
    // grows past 64 MiB anyway.
    conn.pragma_update(None, "wal_autocheckpoint", 16384)
        .map_err(sql_err("setting wal_autocheckpoint"))?;
    // Temporary b-trees (sorts of listings) in memory, never in /tmp files.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(sql_err("setting temp_store"))?;
    // Query planner stability: a cached statement keeps its plan instead of
    // being re-prepared whenever a bound value changes (measured: 4,999
    // re-prepares in 5,000 claims without it, ~45 µs each).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(sql_err("enabling QPSG"))?;
    Ok(())
}

pub(crate) fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    let has_history: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'refinery_schema_history')",
        [],
        |r| r.get(0),
    )?;
    if !has_history {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM refinery_schema_history",
        [],
        |r| r.get(0),
    )
}

/// Takes the shared instance lock, waiting for a process that holds it
/// exclusively (it is opening: migrating, recovering) at most `timeout`.
fn lock_shared_within(file: &File, db: &Path, timeout: Duration) -> Result<(), SqliteError> {
    let start = Instant::now();
    loop {
        match file.try_lock_shared() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(SqliteError::Locked {
                    path: db.to_path_buf(),
                    waited_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(SqliteError::LockFile {
                    path: lock_path(db),
                    source,
                });
            }
        }
    }
}

/// SQLite's own busy handler sleeps up to 100 ms between tries, so a waiting
/// process keeps losing to one that just committed. Polling every
/// millisecond keeps waits between processes short and roughly fair.
fn install_busy_handler(
    conn: &mut Connection,
    timeout: Duration,
    path: &Path,
) -> Result<(), SqliteError> {
    let mut started: Option<Instant> = None;
    conn.busy_handler(Some(move |count: i32| {
        if count == 0 {
            started = Some(Instant::now());
        }
        let waited = started.map(|s| s.elapsed()).unwrap_or_default();
        if waited >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_micros(if count < 50 { 250 } else { 1000 }));
        true
    }))
    .map_err(|source| SqliteError::Sql {
        path: path.to_path_buf(),
        operation: "installing the busy handler",
        source,
    })
}
