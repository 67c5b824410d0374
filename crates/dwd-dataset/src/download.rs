//! The `download` processor: fetches a claimed file from the source into
//! `paths.raw/<dataset>/<path>`, as one step of processing it (the `dwd`
//! processor's first step, and `run --processor download` alone). It lives
//! beside the `dwd` processor; dwd-source only reaches the archive.
//!
//! - The file is written to `<target>.part`, checked (size against the
//!   listing, every zip member inflated), synced and renamed: a half-written
//!   file never has the final name, and only a renamed file is completed in
//!   the tracker. A crash at any moment leaves at most a `.part`, which the
//!   next attempt resumes with an HTTP `Range` request.
//! - A file already present with the listed size and date is not fetched again.
//! - Retries with backoff on network errors, timeouts, 429 and 5xx, inside
//!   one attempt; a 404 fails the file for good.
//! - URLs are the configured root + dataset + the registered path, whose
//!   components were validated on registration: nothing is fetched from
//!   another host or written outside the data directory.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use pipeline::{Job, Outcome, ProcessError, Processor, verify_path};
use tracker_core::{Claim, NewFile, RegisterAction, SourceState, register_action};

use dwd_source::{FetchError, HttpOptions, Severity, Source, Transfer};

/// How downloads behave.
#[derive(Clone, Debug)]
pub struct DownloadOptions {
    pub http: HttpOptions,
    /// Downloads at once in this process.
    pub max_connections: usize,
    /// Bytes per second over all connections; `None` for no limit.
    pub rate_limit: Option<u64>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            http: HttpOptions::default(),
            max_connections: 4,
            rate_limit: None,
        }
    }
}

pub struct Download {
    /// Fetches files, and lists a file's folder again when what came does
    /// not match its listing.
    source: Box<dyn Source>,
    options: DownloadOptions,
    slots: Mutex<usize>,
    freed: Condvar,
    bucket: Mutex<(Instant, f64)>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").finish_non_exhaustive()
    }
}

impl Download {
    /// `root`: an `http(s)://` archive root, or a local mirror directory.
    pub fn new(root: &str, options: DownloadOptions) -> Self {
        Download {
            source: dwd_source::open(root, &options.http),
            slots: Mutex::new(options.max_connections.max(1)),
            options,
            freed: Condvar::new(),
            bucket: Mutex::new((Instant::now(), 0.0)),
        }
    }

    fn acquire(&self) -> Slot<'_> {
        let mut free = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }

    /// Sleeps as needed to keep all connections under the rate limit.
    fn throttle(&self, bytes: usize) {
        let Some(rate) = self.options.rate_limit.filter(|r| *r > 0) else {
            return;
        };
        let wait = {
            let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let elapsed = now.duration_since(b.0).as_secs_f64();
            // tokens = bytes allowed; at most one second's worth saved up
            b.1 = (b.1 + elapsed * rate as f64).min(rate as f64) - bytes as f64;
            b.0 = now;
            if b.1 < 0.0 {
                Duration::from_secs_f64(-b.1 / rate as f64)
            } else {
                Duration::ZERO
            }
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    fn fetch(
        &self,
        job: &Job<'_>,
        source_path: &str,
        part: &Path,
        expected: Option<u64>,
    ) -> Result<(), FetchError> {
        let transfer = Transfer {
            stop: &|| job.should_stop(),
            on_bytes: &|n| self.throttle(n),
        };
        self.source.fetch(source_path, part, expected, &transfer)
    }

    /// A small companion file (a station's `Meta_Daten_*.zip`) read into
    /// memory, not into `paths.raw` (its own claim puts it there). `None`
    /// when the source does not have it (404, or no such file in a mirror).
    /// Requests go the one HTTP path with its retries. More than
    /// `max_bytes` is refused.
    pub fn read_small(
        &self,
        source_path: &str,
        max_bytes: u64,
    ) -> Result<Option<Vec<u8>>, FetchError> {
        let _slot = self.acquire();
        let bytes = self.source.read(source_path, max_bytes)?;
        if let Some(b) = &bytes {
            self.throttle(b.len());
        }
        Ok(bytes)
    }

    /// The file's folder listed again: its entry, when that differs from
    /// what the claim was registered with (the file changed at the source).
    fn relisted(&self, claim: &Claim, source_path: &str) -> Option<NewFile> {
        let (dir, name) = source_path.rsplit_once('/')?;
        let entries = match self.source.list(dir) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(file = source_path, error = %e, "listing the folder again failed");
                return None;
            }
        };
        let entry = entries.into_iter().find(|e| e.name == name && !e.is_dir)?;
        let new = NewFile {
            key: claim.key.clone(),
            size: entry.size,
            source_modified: entry.modified,
        };
        let registered = SourceState {
            size: claim.size,
            source_modified: claim.source_modified,
        };
        (register_action(Some(registered), &new) == RegisterAction::Requeue).then_some(new)
    }

    /// `e`, a failure of the file at `source_path`, for the tracker: a size
    /// that disagrees with the listing first lists the folder again, and a
    /// file that changed at the source goes back to the queue with its new
    /// listing instead of failing.
    fn failure(&self, claim: &Claim, source_path: &str, e: FetchError) -> ProcessError {
        let changed = e
            .may_have_changed()
            .then(|| self.relisted(claim, source_path))
            .flatten();
        // a 404 says "not at the source (vanished? crawl again)" already
        let said_gone = e.cause() == tracker_core::FailureCause::Gone && !e.may_have_changed();
        let out = process_error(e);
        if let Some(new) = changed {
            tracing::info!(file = source_path, size = ?new.size, "the file changed at the source: queued again with its new listing");
            out.relisted(new)
        } else if out.kind() == tracker_core::FailureKind::Permanent
            && !out.is_interrupted()
            && !said_gone
        {
            out.said_more(" (the file changed at the source? crawl again)")
        } else {
            out
        }
    }
}

struct Slot<'a>(&'a Download);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut free = self.0.slots.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Where a download of `target` is written until it is complete.
fn part_of(target: &Path) -> PathBuf {
    let mut part = target.as_os_str().to_owned();
    part.push(".part");
    PathBuf::from(part)
}

/// DWD's text files: station lists and descriptions.
fn is_text(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("csv"))
}

/// The file is empty or its last byte ends a line.
fn ends_whole(path: &Path) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let tail_len = len.min(64);
    let mut tail = vec![0u8; tail_len as usize];
    // an empty file has no line to cut
    f.seek(SeekFrom::End(-(tail_len as i64))).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && dwd_parser::text::ends_whole(&tail)
}

fn modified_of(path: &Path) -> Option<i64> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = m.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

impl Processor for Download {
    fn name(&self) -> &str {
        "download"
    }

    fn abandon(&self, job: &Job<'_>) {
        let part = part_of(job.path);
        if std::fs::remove_file(&part).is_ok() {
            tracing::debug!(file = %job.claim.key, part = %part.display(), "failed for good: partial download removed");
        }
    }

    fn process(&self, job: &Job<'_>) -> Result<Outcome, ProcessError> {
        let fetched = self.fetch_checked(job, true)?;
        self.commit(job, &fetched)?;
        Ok(fetched.outcome)
    }
}

/// A fetch error as the pipeline's: its severity decides transient or
/// permanent (a stop releases the file, a full disk stops the run), its
/// type the cause.
pub fn process_error(e: FetchError) -> ProcessError {
    if e.is_disk_full() {
        return ProcessError::resource(e.to_string());
    }
    let cause = e.cause();
    match e.severity() {
        Severity::Interrupted => ProcessError::interrupted(),
        Severity::Permanent => ProcessError::permanent(e.to_string()),
        Severity::Retry | Severity::Later => ProcessError::transient(e.to_string()),
    }
    .because(cause)
}

/// A job's file, fetched and checked, before it has its final name.
#[derive(Debug)]
pub struct Fetched {
    /// Where its content is: the `.part` file, or the final name when it
    /// was already there.
    pub path: PathBuf,
    staged: bool,
    pub outcome: Outcome,
}

impl Download {
    /// Fetches `job`'s file into its `.part` (or finds it present with the
    /// listed size and date) and checks it: the size against the listing,
    /// a text file's last line, and with `members` every member of a zip
    /// inflated and its CRC checked. A caller that reads every member
    /// itself (the `dwd` processor parses them, and the zip reader checks
    /// each CRC as it reads) passes `false`: one inflate per file. The file
    /// gets its final name with [`Download::commit`].
    pub fn fetch_checked(&self, job: &Job<'_>, members: bool) -> Result<Fetched, ProcessError> {
        let target = job.path;
        let claim = job.claim;
        let listed_size = claim.size;
        let listed_date = claim.source_modified.map(|t| t.as_millis());
        let present = std::fs::metadata(target).ok();
        if let Some(meta) = &present
            && listed_size.is_some_and(|s| s == meta.len())
            && listed_date.is_some_and(|d| Some(d) == modified_of(target))
        {
            tracing::debug!(file = %claim.key, "already present with the listed size and date");
            let outcome = verify_path(job, target, members && is_zip(target))?;
            return Ok(Fetched {
                path: target.to_path_buf(),
                staged: false,
                outcome,
            });
        }
        let dir = target
            .parent()
            .ok_or_else(|| ProcessError::permanent(format!("{}: no folder", target.display())))?;
        std::fs::create_dir_all(dir)
            .map_err(|e| ProcessError::io(&dir.display().to_string(), &e))?;
        let part = part_of(target);

        let source_path = format!("{}/{}", claim.key.dataset.as_str(), claim.key.path());
        {
            let _slot = self.acquire();
            if let Err(e) = self.fetch(job, &source_path, &part, listed_size) {
                // a file failed for good leaves nothing behind; a transient
                // failure keeps its `.part` for the next attempt to resume
                // (and a full disk gets back the space the part took)
                if e.severity() == Severity::Permanent || e.is_disk_full() {
                    let _ = std::fs::remove_file(&part);
                }
                return Err(self.failure(claim, &source_path, e));
            }
        }
        let got = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if let Some(listed) = listed_size
            && got != listed
        {
            // the transfer ended normally with another size: the file is not
            // the one listed, and fetching it again gives the same
            let _ = std::fs::remove_file(&part);
            let e = FetchError::Shorter {
                url: source_path.clone(),
                got,
                listed,
            };
            return Err(self.failure(claim, &source_path, e));
        }
        if is_text(target) && !ends_whole(&part) {
            // a station list or other text file that ends inside a line
            // was cut in transfer (or is so at the source)
            let _ = std::fs::remove_file(&part);
            return Err(ProcessError::permanent(format!(
                "{source_path}: the last line is cut (it ends inside a field, with no line end): an incomplete transfer"
            ))
            .because(tracker_core::FailureCause::Content));
        }
        let outcome = match verify_path(job, &part, members && is_zip(target)) {
            Ok(o) => o,
            Err(e) if e.is_interrupted() => return Err(e),
            Err(e) => {
                // corrupt or hostile content (a bad CRC, a member escaping its
                // folder, a bomb) of a complete transfer: the source's file is
                // so, and downloading it again gives the same. Kept as verify
                // judged it (permanent), never resumed.
                let _ = std::fs::remove_file(&part);
                return Err(e
                    .about(&source_path)
                    .because(tracker_core::FailureCause::Content));
            }
        };
        // a text file (a station list) no listing gives a size of: nothing
        // but the server's word says it is whole (a zip proves it by its
        // directory and CRCs)
        let size_unconfirmed = listed_size.is_none() && !is_zip(target);
        if size_unconfirmed {
            tracing::warn!(file = %claim.key, "no listing gives this file's size: completed, recorded as size unconfirmed");
        }
        Ok(Fetched {
            path: part,
            staged: true,
            outcome: Outcome {
                size_unconfirmed,
                ..outcome
            },
        })
    }

    /// Gives a checked file its final name (synced, with the listing's
    /// date); nothing to do for a file that was already there.
    pub fn commit(&self, job: &Job<'_>, fetched: &Fetched) -> Result<(), ProcessError> {
        if !fetched.staged {
            return Ok(());
        }
        let (part, target) = (&fetched.path, job.path);
        let listed_date = job.claim.source_modified.map(|t| t.as_millis());
        let file = File::open(part)
            .map_err(|e| ProcessError::transient(format!("{}: {e}", part.display())))?;
        if let Some(ms) = listed_date {
            let when =
                SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
            let _ = File::options()
                .write(true)
                .open(part)
                .and_then(|f| f.set_modified(when));
        }
        if let Err(e) = file.sync_all() {
            let _ = std::fs::remove_file(part);
            return Err(ProcessError::io(&part.display().to_string(), &e));
        }
        std::fs::rename(part, target)
            .map_err(|e| ProcessError::io(&target.display().to_string(), &e))?;
        if let Ok(d) = File::open(target.parent().unwrap_or(target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Drops a fetched file whose content failed for good (at any name),
    /// so that a failed file leaves nothing behind.
    pub fn discard(&self, fetched: &Fetched) {
        let _ = std::fs::remove_file(&fetched.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracker_core::{FailureCause, FailureKind};

    fn status(s: u16) -> FetchError {
        FetchError::status("u", s)
    }

    #[test]
    fn the_type_decides_the_failure_kind() {
        let kind = |e: FetchError| process_error(e).kind();
        for s in [429, 500, 503] {
            assert_eq!(kind(status(s)), FailureKind::Transient, "{s}");
        }
        for s in [404, 410, 403, 301] {
            assert_eq!(kind(status(s)), FailureKind::Permanent, "{s}");
        }
        assert_eq!(process_error(status(404)).cause(), Some(FailureCause::Gone));
        let longer = FetchError::Longer {
            url: "u".into(),
            listed: 3,
        };
        assert_eq!(kind(longer), FailureKind::Permanent);
        let lost = FetchError::Network {
            url: "u".into(),
            message: "reset".into(),
        };
        assert_eq!(kind(lost), FailureKind::Transient);
        let exhausted = FetchError::Exhausted {
            attempts: 5,
            last: Box::new(status(503)),
        };
        let e = process_error(exhausted);
        assert_eq!(
            (e.kind(), e.cause()),
            (FailureKind::Transient, Some(FailureCause::Network))
        );
        assert!(process_error(FetchError::Interrupted).is_interrupted());
        let full = FetchError::Local {
            path: "p".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert!(matches!(process_error(full), ProcessError::Resource(_)));
    }
}
