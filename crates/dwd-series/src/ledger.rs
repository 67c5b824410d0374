//! The output ledger: every table written under a dataset's output folder
//! is recorded in the tracker ([`OutputRecord`]: size, modification time,
//! SHA-256, rows, what it was built from) once it has its final name, and
//! checked against that record before anything uses it. A table that
//! fails its check is rebuilt from its inputs or reported; it is never
//! served.
//!
//! Also here: the dataset lock, so that one process at a time works on a
//! dataset's outputs (the dataset phase: merging, station lists, metadata).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::Digest;
use tracker_core::OutputRecord;

use crate::output::{Written, modified_ns};

/// A table written under `dataset_dir`, as a ledger record.
/// `names`: the fingerprint of the column names it was written under
/// (`dwd_translate::Tables::naming`), for per-file tables and series.
pub fn record(
    dataset_dir: &Path,
    w: &Written,
    rows: u64,
    built_from: &str,
    names: Option<&str>,
) -> OutputRecord {
    OutputRecord {
        path: relative(dataset_dir, &w.path),
        bytes: w.bytes,
        rows,
        modified_ns: w.modified_ns,
        sha256: w.sha256,
        built_from: built_from.to_owned(),
        names: names.map(str::to_owned),
    }
}

/// `path` relative to `dir`, with `/` (the path itself when it is not below).
pub fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The names a dataset's tables carry now: a per-file table or series
/// written under other names (a parameter renamed since) is converted
/// again by a run, and not served before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Naming {
    /// `dwd_translate::Tables::naming` of the dataset.
    pub current: String,
    /// Whether a table recorded without a fingerprint (written before
    /// names were recorded) carries the current names: yes unless a name
    /// of the dataset changed since (a row with a former name).
    pub unrecorded_current: bool,
}

impl Naming {
    pub fn of(tables: &dwd_translate::Tables, dataset: &str) -> Naming {
        Naming {
            current: tables.naming(dataset),
            unrecorded_current: tables.parameters(dataset).all(|(_, p)| p.was.is_none()),
        }
    }

    /// Whether `rec` carries the current names (a table without parameter
    /// columns — the station list, metadata and its cache, the catalog —
    /// always does).
    pub fn is_current(&self, rec: &OutputRecord) -> bool {
        let p = rec.path.as_str();
        let parameters = p.starts_with("series/")
            || p.starts_with("normals.")
            || (p.starts_with("parts/") && !crate::check::is_cache(p));
        if !parameters {
            return true;
        }
        match &rec.names {
            Some(n) => *n == self.current,
            None => self.unrecorded_current,
        }
    }
}

/// What is wrong with a recorded table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    #[error("missing")]
    Missing,
    #[error("{found} bytes where {recorded} were written")]
    Size { recorded: u64, found: u64 },
    #[error("its content is not what was written (SHA-256 differs)")]
    Content,
    #[error("not a regular file")]
    NotAFile,
    #[error("unreadable: {0}")]
    Unreadable(String),
}

/// How closely a table is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Size and modification time; the content is hashed only when the
    /// time differs (a file touched but unchanged passes).
    Cheap,
    /// The content's SHA-256 always.
    Deep,
}

/// Checks the table at `dataset_dir/rec.path` against its record.
pub fn check(dataset_dir: &Path, rec: &OutputRecord, depth: Depth) -> Result<(), Damage> {
    let path = dataset_dir.join(&rec.path);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Damage::Missing),
        Err(e) => return Err(Damage::Unreadable(e.to_string())),
    };
    if !meta.is_file() {
        return Err(Damage::NotAFile);
    }
    if meta.len() != rec.bytes {
        return Err(Damage::Size {
            recorded: rec.bytes,
            found: meta.len(),
        });
    }
    if depth == Depth::Cheap && modified_ns(&meta) == rec.modified_ns {
        return Ok(());
    }
    match sha256_file(&path) {
        Ok(h) if h == rec.sha256 => Ok(()),
        Ok(_) => Err(Damage::Content),
        Err(e) => Err(Damage::Unreadable(e.to_string())),
    }
}

/// SHA-256 of a file's bytes.
pub fn sha256_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize().into());
        }
        h.update(&buf[..n]);
    }
}

/// The lock file of a dataset's outputs.
pub fn lock_path(dataset_dir: &Path) -> PathBuf {
    dataset_dir.join(".lock")
}

/// Why the dataset lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted while waiting for the lock of {}", path.display())]
    Interrupted { path: PathBuf },
    /// A reader that may wait only so long: another process (a run) is
    /// writing the dataset's outputs.
    #[error(
        "another process (a run) is writing the outputs of {}: waited {waited_s} s for it",
        path.parent().unwrap_or(path).display()
    )]
    Busy { path: PathBuf, waited_s: f64 },
}

/// Held while this process works on a dataset's outputs; released on drop.
#[derive(Debug)]
pub struct DatasetLock {
    _file: std::fs::File,
}

/// Takes the exclusive lock of `dataset_dir`'s outputs (to write them),
/// waiting (with a message once) while another process holds it, until
/// `should_stop`.
pub fn lock_dataset(
    dataset_dir: &Path,
    should_stop: &dyn Fn() -> bool,
) -> Result<DatasetLock, LockError> {
    take_lock(dataset_dir, should_stop, false)
}

/// Takes the lock of `dataset_dir`'s outputs shared (to check or read them
/// against the ledger): no writer is between renaming a table and
/// recording it meanwhile; readers do not wait for each other.
pub fn lock_dataset_shared(
    dataset_dir: &Path,
    should_stop: &dyn Fn() -> bool,
) -> Result<DatasetLock, LockError> {
    take_lock(dataset_dir, should_stop, true)
}

/// [`lock_dataset_shared`] waiting at most `wait` for a writer
/// ([`LockError::Busy`] after).
pub fn lock_dataset_shared_within(
    dataset_dir: &Path,
    wait: Duration,
) -> Result<DatasetLock, LockError> {
    let started = Instant::now();
    take_lock(dataset_dir, &|| started.elapsed() >= wait, true).map_err(|e| match e {
        LockError::Interrupted { path } => LockError::Busy {
            path,
            waited_s: started.elapsed().as_secs_f64().round(),
        },
        e => e,
    })
}

fn take_lock(
    dataset_dir: &Path,
    should_stop: &dyn Fn() -> bool,
    shared: bool,
) -> Result<DatasetLock, LockError> {
    let path = lock_path(dataset_dir);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dataset_dir).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let started = Instant::now();
    let mut told = false;
    loop {
        let attempt = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match attempt {
            Ok(()) => {
                if told {
                    tracing::warn!(folder = %dataset_dir.display(), waited_s = started.elapsed().as_secs(), "the other process is done with the dataset; going on");
                }
                return Ok(DatasetLock { _file: file });
            }
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        if should_stop() {
            return Err(LockError::Interrupted { path });
        }
        if !told {
            tracing::warn!(folder = %dataset_dir.display(), "another process is working on this dataset's outputs; waiting for it");
            told = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::write_atomic;
    use std::io::Write;

    fn written(dir: &Path, name: &str, body: &[u8]) -> OutputRecord {
        let w = write_atomic(&dir.join(name), |w| w.write_all(body)).unwrap();
        record(dir, &w, 1, "f.zip", Some("n1"))
    }

    #[test]
    fn a_table_under_other_names_is_not_current() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut rec = written(d, "series/1.parquet", b"x");
        let naming = |unrecorded_current| Naming {
            current: "n1".into(),
            unrecorded_current,
        };
        assert!(naming(false).is_current(&rec));
        rec.names = Some("n0".into());
        assert!(!naming(true).is_current(&rec));
        // recorded before names were: current unless a name changed since
        rec.names = None;
        assert!(naming(true).is_current(&rec));
        assert!(!naming(false).is_current(&rec));
        // a per-file table likewise; the station list has no parameters
        rec.path = "parts/historical/00001/a.parquet".into();
        assert!(!naming(false).is_current(&rec));
        rec.path = "stations.parquet".into();
        assert!(naming(false).is_current(&rec));
        rec.path = "parts/metadata_by_file/names.parquet".into();
        assert!(naming(false).is_current(&rec));
    }

    /// The embedded tables: a dataset with a renamed parameter does not
    /// take an unfingerprinted table as current; one without does.
    #[test]
    fn naming_of_the_tables() {
        let t = dwd_translate::Tables::embedded().unwrap();
        let hourly = Naming::of(&t, "hourly/air_temperature");
        assert!(!hourly.unrecorded_current);
        assert_eq!(hourly.current.len(), 16);
        let daily = Naming::of(&t, "daily/kl");
        assert!(daily.unrecorded_current);
        assert_ne!(hourly.current, daily.current);
    }

    #[test]
    fn each_kind_of_damage_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let rec = written(d, "series/1.parquet", b"0123456789");
        assert_eq!(rec.path, "series/1.parquet");
        assert_eq!(check(d, &rec, Depth::Cheap), Ok(()));
        assert_eq!(check(d, &rec, Depth::Deep), Ok(()));

        // the same size, other bytes (a bit flip, a swap of equal size)
        std::fs::write(d.join(&rec.path), b"0123456780").unwrap();
        assert_eq!(check(d, &rec, Depth::Cheap), Err(Damage::Content));
        // truncated
        std::fs::write(d.join(&rec.path), b"01234").unwrap();
        assert_eq!(
            check(d, &rec, Depth::Cheap),
            Err(Damage::Size {
                recorded: 10,
                found: 5
            })
        );
        // touched but unchanged passes
        std::fs::write(d.join(&rec.path), b"0123456789").unwrap();
        assert_eq!(check(d, &rec, Depth::Cheap), Ok(()));
        // gone, or a folder in its place
        std::fs::remove_file(d.join(&rec.path)).unwrap();
        assert_eq!(check(d, &rec, Depth::Cheap), Err(Damage::Missing));
        std::fs::create_dir(d.join(&rec.path)).unwrap();
        assert_eq!(check(d, &rec, Depth::Cheap), Err(Damage::NotAFile));
    }

    #[test]
    fn the_dataset_lock_is_exclusive_and_waits() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_dataset(dir.path(), &|| false).unwrap();
        // a second holder (another open file description) waits until stopped
        let stop_after = Instant::now() + Duration::from_millis(300);
        let err = lock_dataset(dir.path(), &|| Instant::now() > stop_after).unwrap_err();
        assert!(matches!(err, LockError::Interrupted { .. }));
        drop(held);
        lock_dataset(dir.path(), &|| false).unwrap();
        // readers share the lock, and a writer waits for them
        let r1 = lock_dataset_shared(dir.path(), &|| false).unwrap();
        let _r2 = lock_dataset_shared(dir.path(), &|| false).unwrap();
        let stop_after = Instant::now() + Duration::from_millis(200);
        assert!(lock_dataset(dir.path(), &|| Instant::now() > stop_after).is_err());
        drop((r1, _r2));
        lock_dataset(dir.path(), &|| false).unwrap();
    }
}
