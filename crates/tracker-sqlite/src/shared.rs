//! What the stores of one process share per database file: the write gate
//! and the background checkpointer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How often the checkpointer copies the WAL into the database.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

pub(crate) struct Shared {
    /// Every write transaction of this process's stores on this file passes
    /// through this mutex, so that SQLite's busy handler (which is unfair:
    /// measured, one of four threads took 2 files while another took 7,566)
    /// only arbitrates between processes. parking_lot's mutex is eventually
    /// fair: a waiter gets the lock within 0.5 ms, without the context switch
    /// on every unlock that a strictly fair lock costs.
    gate: Arc<parking_lot::Mutex<()>>,
    /// Set by the checkpointer when `<db>-wal` is no longer the file this
    /// process has open (deleted or replaced behind its back). From then
    /// on every write is refused: writing on would let this process and a
    /// newcomer with a fresh WAL overwrite each other's pages.
    wal_lost: Arc<AtomicBool>,
    _checkpointer: Option<Checkpointer>,
}

impl Shared {
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.gate.lock()
    }

    /// False once the WAL was found deleted or replaced.
    pub(crate) fn wal_ok(&self) -> bool {
        !self.wal_lost.load(Ordering::SeqCst)
    }
}

static SHARED: LazyLock<Mutex<HashMap<PathBuf, Weak<Shared>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The shared state of `canonical` in this process, created on first use.
pub(crate) fn shared_for(canonical: &Path, wal_limit_bytes: u64) -> Arc<Shared> {
    // A poisoned registry only means another thread panicked while holding
    // it; the map itself is always consistent.
    let mut map = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, s| s.strong_count() > 0);
    if let Some(s) = map.get(canonical).and_then(Weak::upgrade) {
        return s;
    }
    let gate = Arc::new(parking_lot::Mutex::new(()));
    let wal_lost = Arc::new(AtomicBool::new(false));
    let s = Arc::new(Shared {
        _checkpointer: Checkpointer::start(
            canonical,
            wal_limit_bytes,
            gate.clone(),
            wal_lost.clone(),
        ),
        gate,
        wal_lost,
    });
    map.insert(canonical.to_path_buf(), Arc::downgrade(&s));
    s
}

/// A thread with its own connection that checkpoints the WAL every
/// [`CHECKPOINT_INTERVAL`], so that commits never pay for a checkpoint
/// (measured: auto-checkpoints inside commits stalled claims for 80–100 ms
/// and fsynced in the hot path). PASSIVE never blocks writers; when the WAL
/// still exceeds its limit, a TRUNCATE checkpoint waits for a quiet moment
/// and shrinks it, which bounds the WAL under back-to-back writers: under
/// constant writing a PASSIVE checkpoint never catches up with the WAL's end,
/// so the WAL is never restarted. The TRUNCATE holds this process's write
/// gate, so it waits for no writer of ours; PASSIVE has already copied most
/// frames, so the pause is short.
///
/// Each round it also checks that `<db>-wal` is still the file it opened
/// (same device and inode): while this process has the database open, only
/// someone else can have deleted or replaced it.
struct Checkpointer {
    stop: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    fn start(
        db: &Path,
        wal_limit_bytes: u64,
        gate: Arc<parking_lot::Mutex<()>>,
        wal_lost: Arc<AtomicBool>,
    ) -> Option<Checkpointer> {
        // The first read takes this connection's shared lock on the
        // database, held (in WAL mode) until it closes. SQLite deletes the
        // WAL when the last connection holding that lock closes: without it
        // a store that opened and closed within the first interval was
        // that last connection, deleted the WAL under the checkpointer and
        // raised a false "deleted or replaced" alarm (seen on every sample
        // run under load). With it, the WAL goes only with this connection,
        // after the watching has stopped.
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|c| c.busy_timeout(Duration::from_secs(2)).map(|()| c))
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|_| c)
        });
        let conn = match conn {
            Ok(c) => c,
            Err(e) => {
                // Auto-checkpoints still bound the WAL; log and go on.
                tracing::warn!(db = %db.display(), error = %e, "no background checkpointer");
                return None;
            }
        };
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let (tx, rx) = mpsc::channel::<()>();
        let db = db.to_path_buf();
        // taken now: the opening store has read the database, so its WAL
        // exists; a deletion right after the open is then still noticed
        let mut own = wal_identity(&wal);
        let handle = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                loop {
                    match rx.recv_timeout(CHECKPOINT_INTERVAL) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    if !wal_lost.load(Ordering::SeqCst) {
                        let now = wal_identity(&wal);
                        match (own, now) {
                            (None, _) => own = now,
                            (Some(a), b) if Some(a) != b => {
                                tracing::error!(db = %db.display(), wal = %wal.display(),
                                    "the WAL file was deleted or replaced while this process has the database open: refusing every further write");
                                wal_lost.store(true, Ordering::SeqCst);
                            }
                            _ => {}
                        }
                    }
                    if wal_lost.load(Ordering::SeqCst) {
                        // a checkpoint now would copy into the database what
                        // another process's WAL may contradict
                        continue;
                    }
                    checkpoint(&conn, &db, "PASSIVE");
                    if std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > wal_limit_bytes {
                        let _g = gate.lock();
                        checkpoint(&conn, &db, "TRUNCATE");
                    }
                }
            });
        match handle {
            Ok(h) => Some(Checkpointer {
                stop: Some(tx),
                handle: Some(h),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start the checkpoint thread");
                None
            }
        }
    }
}

/// Which file `wal` is: device and inode (`None` when it does not exist).
#[cfg(unix)]
fn wal_identity(wal: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(wal).ok().map(|m| (m.dev(), m.ino()))
}

/// Without inodes, only a deleted WAL is noticed.
#[cfg(not(unix))]
fn wal_identity(wal: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(wal).ok().map(|_| (0, 0))
}

fn checkpoint(conn: &Connection, db: &Path, mode: &str) {
    let r = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    match r {
        Ok((busy, frames, done)) => {
            tracing::trace!(db = %db.display(), mode, busy, frames, done, "checkpoint");
        }
        Err(e) => tracing::debug!(db = %db.display(), mode, error = %e, "checkpoint skipped"),
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
