//! The `download` processor: fetches a claimed file from the source into
//! `paths.raw/<dataset>/<path>`, as one step of processing it.
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

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use pipeline::{Job, Outcome, ProcessError, Processor, verify_path};

use crate::source::HttpOptions;

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

enum Origin {
    Http { base: String, agent: ureq::Agent },
    Dir(PathBuf),
}

pub struct Download {
    origin: Origin,
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
        let origin = if root.starts_with("http://") || root.starts_with("https://") {
            let base = if root.ends_with('/') {
                root.to_owned()
            } else {
                format!("{root}/")
            };
            let agent = ureq::Agent::config_builder()
                .user_agent(options.http.user_agent.as_str())
                .timeout_global(Some(options.http.timeout))
                .http_status_as_error(false)
                .build()
                .into();
            Origin::Http { base, agent }
        } else {
            Origin::Dir(PathBuf::from(root))
        };
        Download {
            origin,
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
    ) -> Result<(), ProcessError> {
        match &self.origin {
            Origin::Dir(root) => {
                let from = root.join(source_path);
                std::fs::copy(&from, part).map_err(|e| match e.kind() {
                    ErrorKind::NotFound => {
                        ProcessError::permanent(format!("{}: not at the source", from.display()))
                    }
                    _ => ProcessError::transient(format!("copying {}: {e}", from.display())),
                })?;
                Ok(())
            }
            Origin::Http { base, agent } => {
                self.fetch_http(job, agent, &format!("{base}{source_path}"), part, expected)
            }
        }
    }

    /// A small companion file (a station's `Meta_Daten_*.zip`) read into
    /// memory, not into `paths.raw` (its own claim puts it there). `None`
    /// when the source does not have it (404, or no such file in a mirror).
    /// Network errors, 429 and 5xx are retried like downloads; what is left
    /// is a transient error. More than `max_bytes` is refused.
    pub fn read_small(
        &self,
        source_path: &str,
        max_bytes: u64,
    ) -> Result<Option<Vec<u8>>, ProcessError> {
        crate::source::check_relative(source_path)
            .map_err(|e| ProcessError::permanent(e.to_string()))?;
        let too_big = |n: u64| {
            ProcessError::permanent(format!(
                "{source_path}: {n} bytes, more than the {max_bytes} expected"
            ))
        };
        let _slot = self.acquire();
        match &self.origin {
            Origin::Dir(root) => {
                let path = root.join(source_path);
                match std::fs::metadata(&path) {
                    Ok(m) if m.len() > max_bytes => Err(too_big(m.len())),
                    Ok(_) => std::fs::read(&path)
                        .map(Some)
                        .map_err(|e| ProcessError::transient(format!("{}: {e}", path.display()))),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(ProcessError::transient(format!("{}: {e}", path.display()))),
                }
            }
            Origin::Http { base, agent } => {
                let url = format!("{base}{source_path}");
                let retries = self.options.http.retries;
                let mut last = String::new();
                let mut asked = None;
                for attempt in 0..=retries {
                    if attempt > 0 {
                        std::thread::sleep(crate::retry::wait(
                            &self.options.http,
                            attempt,
                            asked.take(),
                        ));
                    }
                    let mut response = match agent.get(&url).call() {
                        Ok(r) => r,
                        Err(e) => {
                            last = format!("{url}: {e}");
                            continue;
                        }
                    };
                    match response.status().as_u16() {
                        200 => {}
                        404 | 410 => return Ok(None),
                        s @ (429 | 500..=599) => {
                            last = format!("{url}: HTTP {s}");
                            asked = crate::retry::retry_after(&response);
                            continue;
                        }
                        s => {
                            return Err(ProcessError::permanent(format!(
                                "{url}: unexpected HTTP {s}"
                            )));
                        }
                    }
                    let mut bytes = Vec::new();
                    match response
                        .body_mut()
                        .as_reader()
                        .take(max_bytes + 1)
                        .read_to_end(&mut bytes)
                    {
                        Ok(n) if n as u64 > max_bytes => return Err(too_big(n as u64)),
                        Ok(_) => {
                            self.throttle(bytes.len());
                            return Ok(Some(bytes));
                        }
                        Err(e) => last = format!("{url}: {e}"),
                    }
                }
                Err(ProcessError::transient(format!(
                    "gave up after {} attempts: {last}",
                    retries + 1
                )))
            }
        }
    }

    fn fetch_http(
        &self,
        job: &Job<'_>,
        agent: &ureq::Agent,
        url: &str,
        part: &Path,
        expected: Option<u64>,
    ) -> Result<(), ProcessError> {
        let retries = self.options.http.retries;
        let mut last = String::new();
        let mut asked = None;
        for attempt in 0..=retries {
            if attempt > 0 {
                let wait = crate::retry::wait(&self.options.http, attempt, asked.take());
                tracing::warn!(
                    url,
                    attempt,
                    error = last.as_str(),
                    wait_ms = wait.as_millis() as u64,
                    "download failed; retrying"
                );
                std::thread::sleep(wait);
            }
            if job.should_stop() {
                return Err(ProcessError::interrupted());
            }
            let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
            if expected.is_some_and(|e| have == e && e > 0) {
                return Ok(());
            }
            let mut request = agent.get(url);
            if have > 0 {
                request = request.header("Range", format!("bytes={have}-"));
            }
            let mut response = match request.call() {
                Ok(r) => r,
                Err(e) => {
                    last = format!("{url}: {e}");
                    continue;
                }
            };
            let status = response.status().as_u16();
            let append = match status {
                200 => false,
                206 if have > 0 => {
                    // the part must start where ours ends, or appending it
                    // would splice the wrong bytes: start over from byte 0
                    let from = content_range_start(&response);
                    if from != Some(have) {
                        let _ = std::fs::remove_file(part);
                        last = format!(
                            "{url}: HTTP 206 from byte {} for a resume at {have}",
                            from.map_or("?".into(), |f| f.to_string())
                        );
                        continue;
                    }
                    true
                }
                416 => {
                    // our partial file is not a prefix of theirs: start over
                    let _ = std::fs::remove_file(part);
                    last = format!("{url}: HTTP 416 for a resume at {have} bytes");
                    continue;
                }
                404 | 410 => {
                    return Err(ProcessError::permanent(format!(
                        "{url}: HTTP {status}: not at the source (vanished? crawl again)"
                    )));
                }
                429 | 500..=599 => {
                    last = format!("{url}: HTTP {status}");
                    asked = crate::retry::retry_after(&response);
                    continue;
                }
                _ => {
                    return Err(ProcessError::permanent(format!(
                        "{url}: unexpected HTTP {status}"
                    )));
                }
            };
            let mut out = match OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(part)
            {
                Ok(f) => f,
                Err(e) => return Err(ProcessError::transient(format!("{}: {e}", part.display()))),
            };
            let mut reader = response.body_mut().as_reader();
            match self.copy(job, &mut reader, &mut out, expected) {
                Ok(()) => {
                    tracing::debug!(url, resumed_from = have, "downloaded");
                    return Ok(());
                }
                Err(CopyError::Stop) => return Err(ProcessError::interrupted()),
                Err(CopyError::TooBig(n)) => {
                    let _ = std::fs::remove_file(part);
                    return Err(ProcessError::transient(format!(
                        "{url}: more than the listed {n} bytes"
                    )));
                }
                Err(CopyError::Io(e)) => {
                    last = format!(
                        "{url}: connection lost after {} bytes: {e}",
                        std::fs::metadata(part).map(|m| m.len()).unwrap_or(0)
                    )
                }
            }
        }
        Err(ProcessError::transient(format!(
            "gave up after {} attempts: {last}",
            retries + 1
        )))
    }

    fn copy(
        &self,
        job: &Job<'_>,
        reader: &mut impl Read,
        out: &mut File,
        expected: Option<u64>,
    ) -> Result<(), CopyError> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut written = out.metadata().map(|m| m.len()).map_err(CopyError::Io)?;
        loop {
            if job.should_stop() {
                return Err(CopyError::Stop);
            }
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Io(e)),
            };
            written += n as u64;
            if let Some(limit) = expected
                && written > limit
            {
                return Err(CopyError::TooBig(limit));
            }
            out.write_all(&buf[..n]).map_err(CopyError::Io)?;
            self.throttle(n);
        }
    }
}

/// The first byte of a 206's `Content-Range: bytes START-END/TOTAL`.
fn content_range_start<B>(response: &ureq::http::Response<B>) -> Option<u64> {
    let v = response.headers().get("content-range")?.to_str().ok()?;
    let range = v.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

enum CopyError {
    Stop,
    TooBig(u64),
    Io(std::io::Error),
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

fn modified_of(path: &Path) -> Option<i64> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = m.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

impl Processor for Download {
    fn name(&self) -> &str {
        "download"
    }

    fn process(&self, job: &Job<'_>) -> Result<Outcome, ProcessError> {
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
            return verify_path(job, target, is_zip(target));
        }
        let dir = target
            .parent()
            .ok_or_else(|| ProcessError::permanent(format!("{}: no folder", target.display())))?;
        std::fs::create_dir_all(dir)
            .map_err(|e| ProcessError::transient(format!("{}: {e}", dir.display())))?;
        let mut part = target.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);

        let source_path = format!("{}/{}", claim.key.dataset.as_str(), claim.key.path());
        {
            let _slot = self.acquire();
            if let Err(e) = self.fetch(job, &source_path, &part, listed_size) {
                // a file failed for good leaves nothing behind; a transient
                // failure keeps its `.part` for the next attempt to resume
                if e.kind == tracker_core::FailureKind::Permanent && !e.interrupted {
                    let _ = std::fs::remove_file(&part);
                }
                return Err(e);
            }
        }
        let got = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if let Some(size) = listed_size
            && got != size
        {
            // the transfer ended normally with another size: the file is not
            // the one listed, and fetching it again gives the same
            let _ = std::fs::remove_file(&part);
            return Err(ProcessError::permanent(format!(
                "{source_path}: got {got} bytes, the listing says {size} (the file changed at the source: crawl again)"
            )));
        }
        let outcome = match verify_path(job, &part, is_zip(target)) {
            Ok(o) => o,
            Err(e) if e.interrupted => return Err(e),
            Err(e) => {
                // corrupt or hostile content (a bad CRC, a member escaping its
                // folder, a bomb) of a complete transfer: the source's file is
                // so, and downloading it again gives the same. Kept as verify
                // judged it (permanent), never resumed.
                let _ = std::fs::remove_file(&part);
                return Err(ProcessError {
                    message: format!("{source_path}: {}", e.message),
                    ..e
                });
            }
        };
        let file = File::open(&part)
            .map_err(|e| ProcessError::transient(format!("{}: {e}", part.display())))?;
        if let Some(ms) = listed_date {
            let when =
                SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
            let _ = File::options()
                .write(true)
                .open(&part)
                .and_then(|f| f.set_modified(when));
        }
        file.sync_all()
            .map_err(|e| ProcessError::transient(format!("{}: {e}", part.display())))?;
        std::fs::rename(&part, target)
            .map_err(|e| ProcessError::transient(format!("{}: {e}", target.display())))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(outcome)
    }
}
