//! A file fetched from the source into a local `.part`: over HTTP with
//! resume (`Range`), the answer's offset checked, the body read on a thread
//! of its own and measured against the listed size; from a mirror, copied.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use crate::http::{FetchError, Http};

/// How a transfer goes: when it stops, and what it tells of each piece
/// written (the download's rate limit).
pub struct Transfer<'a> {
    /// Set when the run stops: the transfer ends with [`FetchError::Interrupted`].
    pub stop: &'a (dyn Fn() -> bool + Sync),
    /// Called with the size of each piece written.
    pub on_bytes: &'a (dyn Fn(usize) + Sync),
}

impl std::fmt::Debug for Transfer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer").finish_non_exhaustive()
    }
}

impl Transfer<'_> {
    /// No stop, nothing told.
    pub const PLAIN: Transfer<'static> = Transfer {
        stop: &|| false,
        on_bytes: &|_| {},
    };
}

/// `url` into `part`, resuming what `part` already holds; retried as the
/// one HTTP path retries. More than `expected` bytes fails at once.
pub(crate) fn over_http(
    http: &Http,
    url: &str,
    part: &Path,
    expected: Option<u64>,
    t: &Transfer<'_>,
) -> Result<(), FetchError> {
    http.retrying(url, t.stop, || {
        let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        if expected.is_some_and(|e| have == e && e > 0) {
            return Ok(());
        }
        let response = http.get(url, have)?;
        let restart = |message: String| {
            let _ = std::fs::remove_file(part);
            FetchError::Restart {
                url: url.to_owned(),
                message,
            }
        };
        let append = match response.status().as_u16() {
            200 => false,
            206 if have > 0 => {
                // the part must start where ours ends, or appending it
                // would splice the wrong bytes: start over from byte 0
                let from = content_range_start(&response);
                if from != Some(have) {
                    return Err(restart(format!(
                        "HTTP 206 from byte {} for a resume at {have}",
                        from.map_or("?".into(), |f| f.to_string())
                    )));
                }
                true
            }
            // our partial file is not a prefix of theirs: start over
            416 => return Err(restart(format!("HTTP 416 for a resume at {have} bytes"))),
            _ => return Err(Http::status_error(url, &response)),
        };
        let mut out = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(part)
            .map_err(|e| FetchError::local(part, e))?;
        // read on a thread of its own: a body that stalls is left on a
        // stop instead of being waited for until the timeout
        let mut reader = crate::http::Pump::new(
            response.into_body().into_reader(),
            http.options().stop.clone(),
        );
        copy(&mut reader, &mut out, expected, url, part, t)?;
        tracing::debug!(url, resumed_from = have, "downloaded");
        Ok(())
    })
}

/// The mirror's file at `from` copied to `part` (no such file: a 404).
pub(crate) fn from_dir(from: &Path, part: &Path) -> Result<(), FetchError> {
    match std::fs::copy(from, part) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err(FetchError::status(from.display().to_string(), 404))
        }
        // the copy's write is what fails (a full disk); a read error of the
        // mirror names the part too, as the copy's
        Err(e) => Err(FetchError::local(part, e)),
    }
}

/// A small file of the mirror read whole (`None`: not there).
pub(crate) fn read_from_dir(path: &Path, max_bytes: u64) -> Result<Option<Vec<u8>>, FetchError> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > max_bytes => Err(FetchError::TooBig {
            url: path.display().to_string(),
            size: m.len(),
            max: max_bytes,
        }),
        Ok(_) => std::fs::read(path)
            .map(Some)
            .map_err(|e| FetchError::local(path, e)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FetchError::local(path, e)),
    }
}

fn copy(
    reader: &mut impl Read,
    out: &mut File,
    expected: Option<u64>,
    url: &str,
    part: &Path,
    t: &Transfer<'_>,
) -> Result<(), FetchError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut written = out
        .metadata()
        .map_err(|e| FetchError::local(part, e))?
        .len();
    loop {
        if (t.stop)() {
            return Err(FetchError::Interrupted);
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if crate::http::Pump::stopped(&e) => return Err(FetchError::Interrupted),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(FetchError::Network {
                    url: url.to_owned(),
                    message: format!("connection lost after {written} bytes: {e}"),
                });
            }
        };
        written += n as u64;
        if let Some(listed) = expected
            && written > listed
        {
            let _ = std::fs::remove_file(part);
            return Err(FetchError::Longer {
                url: url.to_owned(),
                listed,
            });
        }
        out.write_all(&buf[..n])
            .map_err(|e| FetchError::local(part, e))?;
        (t.on_bytes)(n);
    }
}

/// The first byte of a 206's `Content-Range: bytes START-END/TOTAL`.
fn content_range_start<B>(response: &ureq::http::Response<B>) -> Option<u64> {
    let v = response.headers().get("content-range")?.to_str().ok()?;
    let range = v.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}
