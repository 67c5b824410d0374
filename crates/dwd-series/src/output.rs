//! Output files written whole or not at all: through a temp name of this
//! process (`<name>.<pid>-<n>.tmp`), synced and renamed, with the write
//! error typed (a full disk told apart). What was written (size, time,
//! SHA-256 of the bytes, hashed as they are written) comes back for the
//! output ledger (`ledger.rs`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::Digest;

/// The output format of tables (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    Parquet,
    Csv,
    Jsonl,
}

impl Format {
    /// The file name extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Why an output file could not be written. No space left on the disk is
/// told apart (it stops a run: every other file would fail the same way),
/// also when the encoder (Parquet, CSV) reports the write error as its own.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The encoder failed; `io` is the kind of the I/O error beneath it, if any.
    #[error("writing {}: {source}", path.display())]
    Encode {
        path: std::path::PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
        io: Option<std::io::ErrorKind>,
    },
}

impl OutputError {
    pub fn is_disk_full(&self) -> bool {
        match self {
            OutputError::Io { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            OutputError::Encode { io, .. } => *io == Some(std::io::ErrorKind::StorageFull),
        }
    }
}

/// A file being written that remembers the kind of its first write error,
/// for [`OutputError::Encode`], and hashes what it writes.
pub struct Watched {
    file: std::fs::File,
    failed: Option<std::io::ErrorKind>,
    hash: sha2::Sha256,
    bytes: u64,
}

impl std::fmt::Debug for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl std::io::Write for Watched {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.write(buf) {
            Ok(n) => {
                self.hash.update(&buf[..n]);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.failed.get_or_insert(e.kind());
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush().inspect_err(|e| {
            self.failed.get_or_insert(e.kind());
        })
    }
}

/// An encoder's error, as [`write_atomic`]'s writers return it when their
/// branches fail with errors of different types.
pub type EncodeError = Box<dyn std::error::Error + Send + Sync>;

/// What [`write_atomic`] hands its writer.
pub type Out = std::io::BufWriter<Watched>;

/// A file as [`write_atomic`] left it under its final name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: [u8; 32],
    /// Modification time after the rename, ns since the Unix epoch.
    pub modified_ns: i64,
}

/// Temp files are `<final name>.<pid>-<n>.tmp`: two processes (or two
/// threads) writing the same table never share one, and a sweep can tell
/// whose a leftover is.
const TEMP_SUFFIX: &str = ".tmp";
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A temp name for `path` unique to this process and call.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    let n = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    tmp.push(format!(".{}-{n}{TEMP_SUFFIX}", std::process::id()));
    PathBuf::from(tmp)
}

/// The process a temp file name belongs to, if it is one of ours.
fn temp_owner(name: &str) -> Option<Option<u32>> {
    let stem = name.strip_suffix(TEMP_SUFFIX)?;
    // `<name>.<pid>-<n>`; a `.tmp` of an older version has no owner
    let owner = stem
        .rsplit_once('.')
        .and_then(|(_, tag)| tag.split_once('-'))
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|(pid, _)| pid.parse::<u32>().ok());
    Some(owner)
}

/// True while process `pid` exists (on Linux, its `/proc` entry; elsewhere
/// every process is taken to be alive, so nothing of another is removed).
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Temp files below `dir` whose process is gone (and `.tmp` files of
/// versions before process-unique names), found recursively.
pub fn stale_temps(dir: &Path) -> Vec<PathBuf> {
    stale_temps_to(dir, true)
}

fn stale_temps_to(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    files_below(dir, recursive)
        .into_iter()
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            match temp_owner(&name) {
                Some(Some(pid)) => !process_alive(pid),
                Some(None) => true,
                None => false,
            }
        })
        .collect()
}

/// The regular files in `dir` (and below it when `recursive`), sorted; a
/// folder that cannot be read is passed over.
pub(crate) fn files_below(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() && recursive => todo.push(e.path()),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Removes [`stale_temps`] below `dir`; returns how many went.
pub fn sweep_stale_temps(dir: &Path) -> usize {
    sweep(stale_temps(dir))
}

/// Removes the stale temp files directly in `dir` (not below it): the
/// folders of files written outside a dataset's outputs (manifests,
/// `catalog.sql`, `selections.json`).
pub fn sweep_stale_temps_in(dir: &Path) -> usize {
    sweep(stale_temps_to(dir, false))
}

/// Removes the temp files of dead processes that were writing `target`
/// (`<target>.<pid>-<n>.tmp` beside it, an export or values file killed
/// mid-write): only names of exactly that form, in a folder that is the
/// user's.
pub fn sweep_stale_temps_of(target: &Path) -> usize {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return 0;
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let ours = |p: &PathBuf| {
        let file = p.file_name().unwrap_or_default().to_string_lossy();
        // `<pid>-<n>.tmp` after the target's name and a dot, nothing else
        let tag = file
            .strip_prefix(name.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX));
        tag.and_then(|t| t.split_once('-')).is_some_and(|(pid, n)| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && pid.parse::<u32>().is_ok_and(|pid| !process_alive(pid))
        })
    };
    sweep(files_below(dir, false).into_iter().filter(ours).collect())
}

fn sweep(temps: Vec<PathBuf>) -> usize {
    let mut n = 0;
    for t in temps {
        match std::fs::remove_file(&t) {
            Ok(()) => {
                tracing::info!(file = %t.display(), "removed a temp file of a process that is gone");
                n += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %t.display(), error = %e, "cannot remove a stale temp file")
            }
        }
    }
    n
}

/// Modification time of `meta` in ns since the Unix epoch (0 when the
/// platform has none).
pub fn modified_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Writes `path` through a temp name of this process, synced and renamed
/// into place: a crash never leaves a half file under the final name, and
/// a failed write leaves no temp file. The error names the file.
pub fn write_atomic<E>(
    path: &Path,
    write: impl FnOnce(&mut Out) -> Result<(), E>,
) -> Result<Written, OutputError>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = temp_path(path);
    let file = std::fs::File::create_new(&tmp).map_err(io(&tmp))?;
    let mut w = std::io::BufWriter::new(Watched {
        file,
        failed: None,
        hash: sha2::Sha256::new(),
        bytes: 0,
    });
    let encode = |source: Box<dyn std::error::Error + Send + Sync>,
                  io: Option<std::io::ErrorKind>| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Encode {
            path: path.to_path_buf(),
            source,
            io,
        }
    };
    if let Err(e) = write(&mut w) {
        let seen = w.get_ref().failed;
        return Err(encode(e.into(), seen));
    }
    let watched = match w.into_inner() {
        Ok(watched) => watched,
        Err(e) => {
            let e = e.into_error();
            let kind = e.kind();
            return Err(encode(Box::new(e), Some(kind)));
        }
    };
    let Watched {
        file, hash, bytes, ..
    } = watched;
    let done = file
        .sync_all()
        .map_err(io(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io(path)))
        .and_then(|()| std::fs::metadata(path).map_err(io(path)));
    match done {
        Ok(meta) => Ok(Written {
            path: path.to_path_buf(),
            bytes,
            sha256: hash.finalize().into(),
            modified_ns: modified_ns(&meta),
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

impl From<OutputError> for pipeline::ProcessError {
    fn from(e: OutputError) -> Self {
        if e.is_disk_full() {
            pipeline::ProcessError::resource(e.to_string())
        } else {
            pipeline::ProcessError::transient(e.to_string())
                .because(tracker_core::FailureCause::Machine)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_unique_and_owned() {
        let a = temp_path(Path::new("d/x.parquet"));
        let b = temp_path(Path::new("d/x.parquet"));
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(temp_owner(&name), Some(Some(std::process::id())));
        assert_eq!(temp_owner("x.parquet.tmp"), Some(None));
        assert_eq!(temp_owner("x.parquet"), None);
    }

    #[test]
    fn written_files_carry_their_hash_and_leave_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.txt");
        let w = write_atomic(&path, |w| {
            use std::io::Write;
            w.write_all(b"hello")
        })
        .unwrap();
        assert_eq!(w.bytes, 5);
        assert_eq!(w.sha256, <[u8; 32]>::from(sha2::Sha256::digest(b"hello")));
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        assert!(stale_temps(dir.path()).is_empty());
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn only_temps_of_dead_processes_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        // a pid far above any Linux pid_max (2^22) is never alive
        let dead = dir.path().join("s/x.parquet.4999999-0.tmp");
        let ours = temp_path(&dir.path().join("s/y.parquet"));
        let old = dir.path().join("s/z.parquet.tmp");
        std::fs::create_dir_all(dir.path().join("s")).unwrap();
        for p in [&dead, &ours, &old] {
            std::fs::write(p, b"x").unwrap();
        }
        assert_eq!(stale_temps(dir.path()), vec![dead.clone(), old.clone()]);
        assert_eq!(sweep_stale_temps(dir.path()), 2);
        assert!(ours.exists() && !dead.exists() && !old.exists());
    }

    /// Beside an export's target (a user's folder), only the temp files of
    /// dead processes writing that very target go.
    #[test]
    fn a_targets_dead_temps_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let dead = dir.path().join("out.csv.4999999-0.tmp");
        let live = temp_path(&target);
        let others = [
            dir.path().join("out.csv.tmp"),
            dir.path().join("out.csv.bak.4999999-0.tmp"),
            dir.path().join("other.csv.4999999-0.tmp"),
            dir.path().join("out.csv.notes.tmp"),
        ];
        for p in others.iter().chain([&dead, &live]) {
            std::fs::write(p, b"x").unwrap();
        }
        assert_eq!(sweep_stale_temps_of(&target), 1);
        assert!(!dead.exists() && live.exists());
        assert!(others.iter().all(|p| p.exists()));
    }
}
