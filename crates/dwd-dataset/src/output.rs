//! Output files written whole or not at all: through `<name>.tmp`,
//! synced and renamed, with the write error typed (a full disk told apart).

use std::path::Path;

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
    #[error("writing {}: {message}", path.display())]
    Encode {
        path: std::path::PathBuf,
        message: String,
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

impl From<OutputError> for String {
    fn from(e: OutputError) -> Self {
        e.to_string()
    }
}

/// A file being written that remembers the kind of its first write error,
/// for [`OutputError::Encode`].
#[derive(Debug)]
pub struct Watched {
    file: std::fs::File,
    failed: Option<std::io::ErrorKind>,
}

impl std::io::Write for Watched {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf).inspect_err(|e| {
            self.failed.get_or_insert(e.kind());
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush().inspect_err(|e| {
            self.failed.get_or_insert(e.kind());
        })
    }
}

/// What [`write_atomic`] hands its writer.
pub type Out = std::io::BufWriter<Watched>;

/// Writes `path` through `<path>.tmp`, synced and renamed into place: a
/// crash never leaves a half file under the final name, and a failed write
/// leaves no `.tmp`. The error names the file.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut Out) -> Result<(), String>,
) -> Result<(), OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let mut w = std::io::BufWriter::new(Watched { file, failed: None });
    let encode = |message: String, io: Option<std::io::ErrorKind>| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Encode {
            path: path.to_path_buf(),
            message,
            io,
        }
    };
    if let Err(message) = write(&mut w) {
        let seen = w.get_ref().failed;
        return Err(encode(message, seen));
    }
    let file = match w.into_inner() {
        Ok(watched) => watched.file,
        Err(e) => {
            let kind = e.error().kind();
            return Err(encode(e.error().to_string(), Some(kind)));
        }
    };
    let done = file
        .sync_all()
        .map_err(io(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io(path)));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

impl From<OutputError> for pipeline::ProcessError {
    fn from(e: OutputError) -> Self {
        if e.is_disk_full() {
            pipeline::ProcessError::resource(e.to_string())
        } else {
            pipeline::ProcessError::transient(e.to_string())
        }
    }
}
