//! The one HTTP path of the source. Every request (listings, small reads,
//! downloads) is one [`Http::retrying`] loop around attempts that make
//! [`Http::get`] requests, and every way a request or its file can go wrong
//! is a [`FetchError`] whose type decides what happens next:
//!
//! - network errors, timeouts, 429 and 5xx, a resume the server answered
//!   from the wrong offset: retried here with [`crate::retry::wait`]
//!   (`Retry-After` believed up to the maximum), then a transient failure;
//! - a host that cannot be found or refuses connections: not retried here
//!   (waiting does not bring a network back), transient for the file;
//! - 404/410, corrupt or hostile content, a size other than the listing's
//!   after a complete transfer: permanent at once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::source::HttpOptions;

/// Why a request, or the file it fetched, failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// An HTTP status other than the one asked for.
    #[error("{url}: HTTP {status}{}", status_hint(*status))]
    Status {
        url: String,
        status: u16,
        /// The server's `Retry-After` (429, 503).
        retry_after: Option<Duration>,
    },
    /// The connection failed or was lost, or timed out.
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    /// The host cannot be found or refuses connections.
    #[error("{url}: {message} (no network? a local mirror of the archive can be the source)")]
    Unreachable { url: String, message: String },
    /// A resume was answered from another offset (206 from the wrong byte,
    /// 416): the partial file is dropped and the transfer starts over.
    #[error("{url}: {message}")]
    Restart { url: String, message: String },
    /// The body goes on past the size in the listing.
    #[error("{url}: more than the listed {listed} bytes")]
    Longer { url: String, listed: u64 },
    /// A complete transfer of another size than the listing's.
    #[error("{url}: got {got} bytes, the listing says {listed}")]
    Shorter { url: String, got: u64, listed: u64 },
    /// More than a small read may hold.
    #[error("{url}: {size} bytes, more than the {max} expected")]
    TooBig { url: String, size: u64, max: u64 },
    /// A local file (the `.part`, the mirror's copy) could not be read or written.
    #[error("{}: {source}", path.display())]
    Local {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The path is not one this source serves.
    #[error("invalid path {path:?}: {why}")]
    BadPath { path: String, why: &'static str },
    /// The retries ran out; the last error.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted {
        attempts: u32,
        last: Box<FetchError>,
    },
    /// The run is stopping.
    #[error("interrupted")]
    Interrupted,
}

fn status_hint(status: u16) -> &'static str {
    match status {
        404 | 410 => ": not at the source (vanished? crawl again)",
        _ => "",
    }
}

/// What a failure means for the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Worth another attempt now (inside the retry loop) and later.
    Retry,
    /// Not worth another attempt now, but the file may be fine later.
    Later,
    /// A property of the file at the source: fetching it again gives the same.
    Permanent,
    Interrupted,
}

impl FetchError {
    pub fn severity(&self) -> Severity {
        use FetchError::*;
        match self {
            Status { status, .. } if *status == 429 || *status >= 500 => Severity::Retry,
            Status { .. } => Severity::Permanent,
            Network { .. } | Restart { .. } => Severity::Retry,
            Unreachable { .. } | Local { .. } | Exhausted { .. } => Severity::Later,
            Longer { .. } | Shorter { .. } | TooBig { .. } | BadPath { .. } => Severity::Permanent,
            Interrupted => Severity::Interrupted,
        }
    }

    /// Worth trying again, now or later.
    pub fn is_transient(&self) -> bool {
        matches!(self.severity(), Severity::Retry | Severity::Later)
    }

    /// A 404 or 410: the source does not have the file.
    pub fn is_gone(&self) -> bool {
        matches!(
            self,
            FetchError::Status {
                status: 404 | 410,
                ..
            }
        )
    }

    /// The size the source delivered disagrees with the listing: the file may
    /// have changed at the source since it was listed.
    pub fn may_have_changed(&self) -> bool {
        matches!(self, FetchError::Longer { .. } | FetchError::Shorter { .. })
    }

    /// No space left for the local file: the machine's problem, not the file's.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, FetchError::Local { source, .. } if source.kind() == std::io::ErrorKind::StorageFull)
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// An HTTP status (or a mirror's missing file as a 404), without a
    /// `Retry-After`.
    pub fn status(url: impl Into<String>, status: u16) -> Self {
        FetchError::Status {
            url: url.into(),
            status,
            retry_after: None,
        }
    }

    pub(crate) fn local(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FetchError::Local {
            path: path.into(),
            source,
        }
    }
}

impl FetchError {
    /// What the failure is about, for the advice that fixes it: a file the
    /// source no longer has, or whose size disagrees with its listing, is
    /// `Gone` (a fresh listing fixes it).
    pub fn cause(&self) -> tracker_core::FailureCause {
        use tracker_core::FailureCause;
        match self {
            FetchError::Status {
                status: 404 | 410, ..
            }
            | FetchError::Longer { .. }
            | FetchError::Shorter { .. } => FailureCause::Gone,
            FetchError::Local { .. } => FailureCause::Machine,
            FetchError::TooBig { .. } | FetchError::BadPath { .. } => FailureCause::Content,
            FetchError::Exhausted { last, .. } => last.cause(),
            _ => FailureCause::Network,
        }
    }
}

/// A request error: host not found and refused connections are
/// [`FetchError::Unreachable`], the rest network errors worth a retry.
fn request_error(url: &str, e: &ureq::Error) -> FetchError {
    let refused = |io: &std::io::Error| {
        // a failed name lookup has no kind of its own: its text tells
        let text = io.to_string().to_ascii_lowercase();
        matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::NotFound
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable
        ) || text.contains("lookup address")
            || text.contains("name or service not known")
            || text.contains("no address associated")
            || text.contains("temporary failure in name resolution")
    };
    let unreachable = match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => refused(io),
        _ => false,
    };
    if unreachable {
        FetchError::Unreachable {
            url: url.to_owned(),
            message: e.to_string(),
        }
    } else {
        FetchError::Network {
            url: url.to_owned(),
            message: e.to_string(),
        }
    }
}

/// The agent and the retry policy.
pub struct Http {
    agent: ureq::Agent,
    options: HttpOptions,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub fn new(options: &HttpOptions) -> Self {
        let agent = ureq::Agent::config_builder()
            .user_agent(options.user_agent.as_str())
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Http {
            agent,
            options: options.clone(),
        }
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// True once the options' stop handle is set (Ctrl-C).
    pub fn stopped(&self) -> bool {
        self.options
            .stop
            .as_ref()
            .is_some_and(tracker_core::Cancel::is_cancelled)
    }

    /// Runs `work` (a request that may wait on a stalled server for up to
    /// the timeout) on a thread of its own and waits for it, asking `stop`
    /// and the options' stop handle every 50 ms: on a stop the request is
    /// abandoned ([`FetchError::Interrupted`]; its thread ends with the
    /// request's timeout) instead of being waited for.
    fn interruptible<T: Send + 'static>(
        &self,
        stop: &dyn Fn() -> bool,
        work: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
    ) -> Result<T, FetchError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("http-request".into())
            .spawn(move || {
                let _ = tx.send(work());
            })
            .map_err(|e| FetchError::Network {
                url: String::new(),
                message: format!("cannot start a request thread: {e}"),
            })?;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(r) => return r,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if stop() || self.stopped() {
                        return Err(FetchError::Interrupted);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(FetchError::Network {
                        url: String::new(),
                        message: "the request thread ended without an answer".into(),
                    });
                }
            }
        }
    }

    /// One GET of `url`, from byte `from` on when it is not 0 (`Range`).
    /// Any status is a response; only a request that got none is an error.
    /// Waiting for the response ends at once on a stop.
    pub fn get(
        &self,
        url: &str,
        from: u64,
    ) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        let agent = self.agent.clone();
        let url = url.to_owned();
        self.interruptible(&|| false, move || {
            let mut request = agent.get(&url);
            if from > 0 {
                request = request.header("Range", format!("bytes={from}-"));
            }
            request.call().map_err(|e| request_error(&url, &e))
        })
    }

    /// A status other than `ok` as an error, with the server's `Retry-After`.
    pub fn status_error(url: &str, response: &ureq::http::Response<ureq::Body>) -> FetchError {
        FetchError::Status {
            url: url.to_owned(),
            status: response.status().as_u16(),
            retry_after: crate::retry::retry_after(response),
        }
    }

    /// Runs `attempt` until it succeeds, fails with an error not worth an
    /// immediate retry, or `retries` run out ([`FetchError::Exhausted`]).
    /// `stop` is asked before each attempt and during the waits.
    pub fn retrying<T>(
        &self,
        url: &str,
        stop: &dyn Fn() -> bool,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let mut retry = 0;
        loop {
            if stop() {
                return Err(FetchError::Interrupted);
            }
            let e = match attempt() {
                Ok(v) => return Ok(v),
                Err(e) if e.severity() != Severity::Retry => return Err(e),
                Err(e) => e,
            };
            if retry >= self.options.retries {
                return Err(FetchError::Exhausted {
                    attempts: retry + 1,
                    last: Box::new(e),
                });
            }
            retry += 1;
            let wait = crate::retry::wait(&self.options, retry, e.retry_after());
            tracing::warn!(url, attempt = retry, error = %e, wait_ms = wait.as_millis() as u64, "request failed; retrying");
            if sleep_unless(wait, stop) {
                return Err(FetchError::Interrupted);
            }
        }
    }

    /// GET `url` into memory with retries: `None` on 404/410, more than
    /// `max` bytes refused ([`FetchError::TooBig`]).
    pub fn read(
        &self,
        url: &str,
        max: u64,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Vec<u8>>, FetchError> {
        let stop = &|| stop() || self.stopped();
        self.retrying(url, stop, || {
            // the request and its body on one thread: a server that stalls
            // in the middle of a listing is left on a stop too
            let agent = self.agent.clone();
            let url = url.to_owned();
            self.interruptible(stop, move || read_once(&agent, &url, max))
        })
    }
}

/// A reader whose reads happen on a thread of its own (64 KiB at a time,
/// two chunks ahead), so that a read waiting on a stalled connection can
/// be left when `stop` is set: it then fails with an error that
/// [`Pump::stopped`] recognises. The thread ends with the connection (its
/// timeout) or when the pump is dropped and it has a chunk to hand over.
pub struct Pump {
    chunks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    stop: Option<tracker_core::Cancel>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

impl std::fmt::Debug for Pump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pump").field("done", &self.done).finish()
    }
}

/// The error a stopped [`Pump`] read fails with (inside an `io::Error`).
#[derive(Debug, thiserror::Error)]
#[error("stopped while the connection stalled")]
struct PumpStopped;

impl Pump {
    pub fn new(
        mut inner: impl std::io::Read + Send + 'static,
        stop: Option<tracker_core::Cancel>,
    ) -> Pump {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let spawned = std::thread::Builder::new()
            .name("http-body".into())
            .spawn(move || {
                loop {
                    let mut buf = vec![0u8; 64 * 1024];
                    let r = match inner.read(&mut buf) {
                        Ok(n) => {
                            buf.truncate(n);
                            Ok(buf)
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => Err(e),
                    };
                    let last = !matches!(&r, Ok(b) if !b.is_empty());
                    if tx.send(r).is_err() || last {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start a body reader thread");
        }
        Pump {
            chunks: rx,
            stop,
            current: Vec::new(),
            at: 0,
            done: false,
        }
    }

    /// Whether `e` is the error of a read left on a stop.
    pub fn stopped(e: &std::io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<PumpStopped>())
    }
}

impl std::io::Read for Pump {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.chunks.recv_timeout(Duration::from_millis(50)) {
                Ok(Ok(chunk)) => {
                    if chunk.is_empty() {
                        self.done = true;
                        return Ok(0);
                    }
                    self.current = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if self
                        .stop
                        .as_ref()
                        .is_some_and(tracker_core::Cancel::is_cancelled)
                    {
                        return Err(std::io::Error::other(PumpStopped));
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    self.done = true;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the body reader ended without an answer",
                    ));
                }
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One GET of `url` into memory (see [`Http::read`]).
fn read_once(agent: &ureq::Agent, url: &str, max: u64) -> Result<Option<Vec<u8>>, FetchError> {
    let mut response = agent.get(url).call().map_err(|e| request_error(url, &e))?;
    match response.status().as_u16() {
        200 => {}
        404 | 410 => return Ok(None),
        _ => return Err(Http::status_error(url, &response)),
    }
    let mut bytes = Vec::new();
    use std::io::Read;
    let n = response
        .body_mut()
        .as_reader()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FetchError::Network {
            url: url.to_owned(),
            message: format!("connection lost: {e}"),
        })?;
    if n as u64 > max {
        return Err(FetchError::TooBig {
            url: url.to_owned(),
            size: n as u64,
            max,
        });
    }
    Ok(Some(bytes))
}

/// Sleeps `wait`, waking early when `stop` says so; true if it did.
fn sleep_unless(wait: Duration, stop: &dyn Fn() -> bool) -> bool {
    let until = Instant::now() + wait;
    loop {
        if stop() {
            return true;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body that stalls: the pump's read ends on a stop, with an error
    /// its type tells apart from a lost connection; a body that flows is
    /// read whole.
    #[test]
    fn a_stalled_body_is_left_on_a_stop() {
        use std::io::Read;
        struct Stalled(std::sync::mpsc::Receiver<()>);
        impl Read for Stalled {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                let _ = self.0.recv();
                Ok(0)
            }
        }
        let (_keep, rx) = std::sync::mpsc::channel();
        let stop = tracker_core::Cancel::new();
        let mut pump = Pump::new(Stalled(rx), Some(stop.clone()));
        stop.cancel();
        let e = pump.read(&mut [0u8; 8]).unwrap_err();
        assert!(Pump::stopped(&e), "{e}");
        let lost = std::io::Error::other("stopped while the connection stalled");
        assert!(!Pump::stopped(&lost), "the text alone says nothing");
        let mut all = Vec::new();
        Pump::new(std::io::Cursor::new(vec![7u8; 200_000]), None)
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all.len(), 200_000);
    }

    fn status(s: u16) -> FetchError {
        FetchError::status("u", s)
    }

    #[test]
    fn the_type_decides_the_severity_and_the_cause() {
        use tracker_core::FailureCause;
        for s in [429, 500, 503] {
            assert_eq!(status(s).severity(), Severity::Retry, "{s}");
            assert_eq!(status(s).cause(), FailureCause::Network, "{s}");
        }
        for s in [404, 410, 403, 301] {
            assert_eq!(status(s).severity(), Severity::Permanent, "{s}");
        }
        assert_eq!(status(404).cause(), FailureCause::Gone);
        assert!(status(404).to_string().contains("vanished?"));
        let longer = FetchError::Longer {
            url: "u".into(),
            listed: 3,
        };
        assert!(longer.may_have_changed());
        assert_eq!(longer.severity(), Severity::Permanent);
        assert_eq!(longer.cause(), FailureCause::Gone);
        let lost = FetchError::Network {
            url: "u".into(),
            message: "reset".into(),
        };
        assert!(lost.is_transient());
        let exhausted = FetchError::Exhausted {
            attempts: 5,
            last: Box::new(status(503)),
        };
        assert_eq!(exhausted.severity(), Severity::Later);
        assert!(
            exhausted
                .to_string()
                .starts_with("gave up after 5 attempts: u: HTTP 503")
        );
        assert_eq!(FetchError::Interrupted.severity(), Severity::Interrupted);
    }

    #[test]
    fn retrying_stops_at_permanent_errors_and_after_the_retries() {
        let http = Http::new(&HttpOptions {
            retries: 2,
            backoff: Duration::from_millis(1),
            ..HttpOptions::default()
        });
        let mut calls = 0;
        let r: Result<(), _> = http.retrying("u", &|| false, || {
            calls += 1;
            Err(status(503))
        });
        assert!(matches!(r, Err(FetchError::Exhausted { attempts: 3, .. })));
        assert_eq!(calls, 3);
        calls = 0;
        let r: Result<(), _> = http.retrying("u", &|| false, || {
            calls += 1;
            Err(status(404))
        });
        assert!(r.unwrap_err().is_gone());
        assert_eq!(calls, 1, "a 404 is not retried");
        let r: Result<(), _> = http.retrying("u", &|| true, || Ok(()));
        assert!(matches!(r, Err(FetchError::Interrupted)));
    }
}
