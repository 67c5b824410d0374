//! The `verify` processor: reads each file fully, checks a zip's integrity
//! (every member inflated, its CRC checked), and records the byte count and
//! a SHA-256. A mirror-verification job in its own right.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::processor::{Job, Outcome, ProcessError, Processor};

const BUF: usize = 64 * 1024;

/// See the module docs. `records` is the number of zip members, or of
/// lines for other files.
#[derive(Clone, Copy, Debug, Default)]
pub struct Verify;

impl Processor for Verify {
    fn name(&self) -> &str {
        "verify"
    }

    fn process(&self, job: &Job<'_>) -> Result<Outcome, ProcessError> {
        let is_zip = job
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        verify_path(job, job.path, is_zip)
    }
}

/// Verifies the file at `path` for `job` (a download checks its `.part`
/// file before renaming it): the registered size, a SHA-256, and with `zip`
/// every member of the archive.
pub fn verify_path(job: &Job<'_>, path: &Path, zip: bool) -> Result<Outcome, ProcessError> {
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ProcessError::permanent(format!("{shown}: no such file"))
            .because(tracker_core::FailureCause::Gone),
        _ => ProcessError::transient(format!("{shown}: cannot open: {e}"))
            .because(tracker_core::FailureCause::Machine),
    })?;
    let len = file
        .metadata()
        .map_err(|e| {
            ProcessError::transient(format!("{shown}: {e}"))
                .because(tracker_core::FailureCause::Machine)
        })?
        .len();
    if let Some(registered) = job.claim.size
        && registered != len
    {
        return Err(ProcessError::permanent(format!(
            "{shown}: size {len} differs from the registered {registered} (changed or truncated)"
        ))
        .because(tracker_core::FailureCause::Gone));
    }

    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF];
    let mut lines = 0u64;
    loop {
        if job.should_stop() {
            return Err(ProcessError::interrupted());
        }
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(ProcessError::transient(format!("{shown}: read error: {e}"))
                    .because(tracker_core::FailureCause::Machine));
            }
        };
        hasher.update(&buf[..n]);
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let checksum = format!("sha256:{}", hex(&hasher.finalize()));
    let records = if zip {
        file.seek(SeekFrom::Start(0)).map_err(|e| {
            ProcessError::transient(format!("{shown}: {e}"))
                .because(tracker_core::FailureCause::Machine)
        })?;
        verify_zip(file, path, job, &mut buf)?
    } else {
        lines
    };
    Ok(Outcome {
        records,
        bytes: len,
        checksum: Some(checksum),
        size_unconfirmed: false,
        outputs: Vec::new(),
    })
}

/// Inflates every member (the zip reader checks each CRC at the end) and
/// returns the member count.
fn verify_zip(file: File, path: &Path, job: &Job<'_>, buf: &mut [u8]) -> Result<u64, ProcessError> {
    let path = path.display();
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        ProcessError::permanent(format!("{path}: corrupt zip: {e}"))
            .because(tracker_core::FailureCause::Content)
    })?;
    if archive.is_empty() {
        return Err(ProcessError::permanent(format!("{path}: empty zip"))
            .because(tracker_core::FailureCause::Content));
    }
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(|e| {
            ProcessError::permanent(format!("{path}: corrupt zip member #{i}: {e}"))
                .because(tracker_core::FailureCause::Content)
        })?;
        let name = String::from_utf8_lossy(member.name_raw()).into_owned();
        if member.enclosed_name().is_none() {
            return Err(ProcessError::permanent(format!(
                "{path}: zip member {name:?} would escape the output folder"
            ))
            .because(tracker_core::FailureCause::Content));
        }
        job.budget
            .admit(&format!("{path}: zip member {name}"), member.size())?;
        loop {
            if job.should_stop() {
                return Err(ProcessError::interrupted());
            }
            match member.read(buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(ProcessError::permanent(format!(
                        "{path}: corrupt zip member {name}: {e}"
                    ))
                    .because(tracker_core::FailureCause::Content));
                }
            }
        }
    }
    Ok(archive.len() as u64)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::{MemoryBudget, StopState};
    use std::io::Write;
    use std::path::Path;
    use std::time::Duration;
    use tracker_core::{Claim, DatasetId, FailureKind, FileId, FileKey, Timestamp, WorkerId};

    fn claim(size: Option<u64>) -> Claim {
        Claim {
            id: FileId(1),
            key: FileKey::new(DatasetId::new("d").unwrap(), "x.zip").unwrap(),
            token: 1,
            worker: WorkerId::new("w").unwrap(),
            lease_expires_at: Timestamp::default(),
            size,
            source_modified: None,
        }
    }

    fn run(path: &Path, size: Option<u64>, budget: MemoryBudget) -> Result<Outcome, ProcessError> {
        let c = claim(size);
        let stop = StopState::new(Duration::from_secs(1));
        Verify.process(&Job {
            claim: &c,
            path,
            budget: &budget,
            stop: &stop,
        })
    }

    fn zip_with(path: &Path, members: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        for (name, data) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    fn budget() -> MemoryBudget {
        MemoryBudget::from_mb(512, 2048)
    }

    #[test]
    fn a_good_zip_is_counted_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("good.zip");
        zip_with(
            &p,
            &[
                ("produkt_zehn_min_tu.txt", b"a;b\n1;2\n"),
                ("Metadaten.txt", b"x"),
            ],
        );
        let len = std::fs::metadata(&p).unwrap().len();
        let out = run(&p, Some(len), budget()).unwrap();
        assert_eq!((out.records, out.bytes), (2, len));
        let sum = out.checksum.unwrap();
        assert!(sum.starts_with("sha256:") && sum.len() == 7 + 64, "{sum}");
    }

    #[test]
    fn corrupt_truncated_and_missing_files_fail_for_good_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.zip");
        zip_with(&p, &[("produkt.txt", &b"0123456789".repeat(1000))]);
        let mut bytes = std::fs::read(&p).unwrap();
        // flip a byte inside the compressed data: the CRC check catches it
        bytes[60] ^= 0xff;
        std::fs::write(&p, &bytes).unwrap();
        let e = run(&p, None, budget()).unwrap_err();
        assert_eq!(e.kind(), FailureKind::Permanent);
        assert!(
            e.message().contains("bad.zip") && e.message().contains("corrupt"),
            "{e}"
        );

        let t = dir.path().join("truncated.zip");
        std::fs::write(&t, &bytes[..bytes.len() / 2]).unwrap();
        let e = run(&t, None, budget()).unwrap_err();
        assert!(
            e.message().contains("truncated.zip") && e.message().contains("corrupt zip"),
            "{e}"
        );

        let e = run(&dir.path().join("nope.zip"), None, budget()).unwrap_err();
        assert!(e.message().contains("no such file"), "{e}");

        let e = run(&t, Some(1), budget()).unwrap_err();
        assert!(e.message().contains("differs from the registered 1"), "{e}");
    }

    #[test]
    fn members_over_the_budget_or_escaping_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.zip");
        zip_with(&p, &[("produkt.txt", &vec![b'7'; 3 << 20])]);
        let e = run(&p, None, MemoryBudget::from_mb(2, 8)).unwrap_err();
        assert!(e.message().contains("over the worker memory budget"), "{e}");

        let p = dir.path().join("evil.zip");
        zip_with(&p, &[("../../etc/passwd", b"x")]);
        let e = run(&p, None, budget()).unwrap_err();
        assert!(e.message().contains("escape"), "{e}");
    }

    #[test]
    fn plain_files_count_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("produkt.txt");
        std::fs::write(&p, "a\r\nb\r\nc\r\n").unwrap();
        assert_eq!(run(&p, None, budget()).unwrap().records, 3);
    }
}
