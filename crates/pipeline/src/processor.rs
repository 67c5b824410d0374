//! What a processor is given and returns.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::{Duration, Instant};
use tracker_core::Cancel;

use tracker_core::{Claim, FailureKind};

/// Turns one claimed file into results. Implementations must not panic on
/// bad input (a panic is caught, fails the file and, under fail-fast, stops
/// the dataset) and should check [`Job::should_stop`] between chunks of work.
pub trait Processor: Send + Sync {
    /// A short name for logs and `--processor`.
    fn name(&self) -> &str;

    fn process(&self, job: &Job<'_>) -> Result<Outcome, ProcessError>;

    /// Called when `job`'s file failed for good (no attempt left): drop
    /// whatever was kept for a later attempt to resume (a download's
    /// `.part`), so that a failed file leaves nothing behind.
    fn abandon(&self, job: &Job<'_>) {
        let _ = job;
    }

    /// Called before a dataset's files are claimed, for checks over the
    /// whole dataset: a processor whose earlier results are found missing
    /// or damaged sends their files back to `pending` here (through
    /// `job.store`), so that this run does them again. An error stops the
    /// run like one of [`Processor::finish_dataset`].
    fn prepare_dataset(&self, job: &DatasetJob<'_>) -> Result<(), ProcessError> {
        let _ = job;
        Ok(())
    }

    /// Called once a dataset's run ends without being stopped (every file
    /// claimable now was processed), for work over the whole dataset, such
    /// as merging per-file outputs. Must be idempotent: a later run calls it
    /// again (the tracker, through `job.store`, can keep what was done). An
    /// error is reported as [`crate::StopReason::Finish`];
    /// [`ProcessError::interrupted`] when `job.should_stop()` as an interrupt.
    fn finish_dataset(&self, job: &DatasetJob<'_>) -> Result<(), ProcessError> {
        let _ = job;
        Ok(())
    }
}

/// One file to process.
#[derive(Debug)]
pub struct Job<'a> {
    pub claim: &'a Claim,
    /// Where the file is on disk.
    pub path: &'a Path,
    pub budget: &'a MemoryBudget,
    pub(crate) stop: &'a StopState,
}

impl Job<'_> {
    /// True once the run is stopping and the grace period for in-flight
    /// files has run out: return [`ProcessError::interrupted`] promptly.
    pub fn should_stop(&self) -> bool {
        self.stop.grace_over()
    }
}

/// A dataset whose files are all processed, for [`Processor::finish_dataset`].
pub struct DatasetJob<'a> {
    pub dataset: &'a tracker_core::DatasetId,
    /// The progress store, open for this thread.
    pub store: &'a dyn tracker_core::ProgressStore,
    pub budget: &'a MemoryBudget,
    /// Threads the work may use (the run's workers).
    pub workers: usize,
    pub(crate) interrupt: &'a Cancel,
}

impl DatasetJob<'_> {
    /// True once a stop was asked for (Ctrl-C): return
    /// [`ProcessError::interrupted`] at the next safe point.
    pub fn should_stop(&self) -> bool {
        self.interrupt.is_cancelled()
    }

    /// The run's stop flag, for threads the work starts.
    pub fn cancel(&self) -> Cancel {
        self.interrupt.clone()
    }
}

impl std::fmt::Debug for DatasetJob<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetJob")
            .field("dataset", self.dataset)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

/// What processing a file produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub records: u64,
    pub bytes: u64,
    pub checksum: Option<String>,
    /// Nothing confirmed the file is whole: no listing gave its size and its
    /// format has no directory or checksum of its own. Recorded with the
    /// completion, for `failed --unconfirmed`.
    pub size_unconfirmed: bool,
    /// The tables written from the file, for the output ledger (recorded
    /// with the completion).
    pub outputs: Vec<tracker_core::OutputRecord>,
}

/// A file's failure: its kind (retry or not), what happened, and what it
/// was about (for the advice that fixes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFailure {
    pub kind: FailureKind,
    pub message: String,
    pub cause: Option<tracker_core::FailureCause>,
}

/// Why a file could not be processed: one cause each, so that no two can
/// be combined in a way that means nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    /// The file failed: for good (permanent) or for now (transient).
    #[error("{}", .0.message)]
    File(FileFailure),
    /// The machine, not the file, is at fault (no space left on the disk):
    /// the file's error is recorded as transient, its attempt is not used
    /// up, and the run stops ([`crate::StopReason::Resource`]), since
    /// every other file would fail the same way.
    #[error("{}", .0.message)]
    Resource(FileFailure),
    /// The file changed at the source (its folder was listed again): the
    /// runner registers this listing, which puts the file back in the
    /// queue, instead of counting a failure.
    #[error("{}", why.message)]
    Relisted {
        file: tracker_core::NewFile,
        why: FileFailure,
    },
    /// The run is stopping: the file is released, not failed.
    #[error("interrupted")]
    Interrupted,
}

impl ProcessError {
    /// A property of the file (corrupt, malformed): retrying will not help.
    pub fn permanent(message: impl Into<String>) -> Self {
        ProcessError::File(FileFailure {
            kind: FailureKind::Permanent,
            message: message.into(),
            cause: None,
        })
    }

    /// May go away on its own (I/O hiccup, network, resources).
    pub fn transient(message: impl Into<String>) -> Self {
        ProcessError::File(FileFailure {
            kind: FailureKind::Transient,
            message: message.into(),
            cause: None,
        })
    }

    /// The error with what it was about.
    pub fn because(mut self, cause: tracker_core::FailureCause) -> Self {
        if let Some(f) = self.failure_mut() {
            f.cause = Some(cause);
        }
        self
    }

    /// The disk is full (or a like resource of the machine is exhausted):
    /// transient for the file, and the run stops ([`crate::StopReason::Resource`]).
    pub fn resource(message: impl Into<String>) -> Self {
        ProcessError::Resource(FileFailure {
            kind: FailureKind::Transient,
            message: message.into(),
            cause: Some(tracker_core::FailureCause::Machine),
        })
    }

    /// A local I/O error of the file at `what`: no space left stops the
    /// run ([`ProcessError::resource`]), anything else is transient.
    pub fn io(what: &str, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            ProcessError::resource(format!("{what}: {e}"))
        } else {
            ProcessError::transient(format!("{what}: {e}"))
                .because(tracker_core::FailureCause::Machine)
        }
    }

    /// The processor gave up because the run is stopping.
    pub fn interrupted() -> Self {
        ProcessError::Interrupted
    }

    /// This failure, but the file changed at the source: `file` is its
    /// new listing.
    pub fn relisted(self, file: tracker_core::NewFile) -> Self {
        match self {
            ProcessError::File(why) | ProcessError::Resource(why) => {
                ProcessError::Relisted { file, why }
            }
            ProcessError::Relisted { why, .. } => ProcessError::Relisted { file, why },
            ProcessError::Interrupted => ProcessError::Interrupted,
        }
    }

    /// What failed, unless the run is stopping.
    pub fn failure(&self) -> Option<&FileFailure> {
        match self {
            ProcessError::File(f) | ProcessError::Resource(f) => Some(f),
            ProcessError::Relisted { why, .. } => Some(why),
            ProcessError::Interrupted => None,
        }
    }

    fn failure_mut(&mut self) -> Option<&mut FileFailure> {
        match self {
            ProcessError::File(f) | ProcessError::Resource(f) => Some(f),
            ProcessError::Relisted { why, .. } => Some(why),
            ProcessError::Interrupted => None,
        }
    }

    /// The kind recorded for the file (an interrupt: transient).
    pub fn kind(&self) -> FailureKind {
        self.failure().map_or(FailureKind::Transient, |f| f.kind)
    }

    /// What happened, as recorded.
    pub fn message(&self) -> String {
        self.to_string()
    }

    pub fn cause(&self) -> Option<tracker_core::FailureCause> {
        self.failure().and_then(|f| f.cause)
    }

    pub fn is_interrupted(&self) -> bool {
        matches!(self, ProcessError::Interrupted)
    }

    /// The same error with `more` said after its message.
    pub fn said_more(mut self, more: &str) -> Self {
        if let Some(f) = self.failure_mut() {
            f.message.push_str(more);
        }
        self
    }

    /// The same error with its message prefixed by `what`.
    pub fn about(mut self, what: &str) -> Self {
        if let Some(f) = self.failure_mut() {
            f.message = format!("{what}: {}", f.message);
        }
        self
    }
}

/// The memory a worker may use: 512 MB each and 2 GB in all by default.
/// Processors stream with bounded buffers and ask [`MemoryBudget::admit`]
/// before anything whose size is declared by the input (a zip member's
/// uncompressed size), so one file cannot take more than its worker's share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBudget {
    pub per_worker_bytes: u64,
    pub total_bytes: u64,
}

impl MemoryBudget {
    pub fn from_mb(per_worker: u64, total: u64) -> Self {
        MemoryBudget {
            per_worker_bytes: per_worker.saturating_mul(1 << 20),
            total_bytes: total.saturating_mul(1 << 20),
        }
    }

    /// Refuses (permanently) input that declares more than a worker may hold.
    pub fn admit(&self, what: &str, declared_bytes: u64) -> Result<(), ProcessError> {
        if declared_bytes > self.per_worker_bytes {
            return Err(ProcessError::permanent(format!(
                "{what} declares {declared_bytes} bytes uncompressed, over the worker memory budget of {} bytes",
                self.per_worker_bytes
            ))
            .because(tracker_core::FailureCause::Content));
        }
        Ok(())
    }

    /// How many workers fit in the total budget (at least one).
    pub fn max_workers(&self) -> usize {
        usize::try_from(self.total_bytes / self.per_worker_bytes.max(1))
            .unwrap_or(usize::MAX)
            .max(1)
    }
}

/// A dataset's stop state: when the stop was requested, and the grace.
#[derive(Debug)]
pub(crate) struct StopState {
    since: Mutex<Option<Instant>>,
    stopping: AtomicBool,
    grace: Duration,
}

impl StopState {
    pub(crate) fn new(grace: Duration) -> Self {
        StopState {
            since: Mutex::new(None),
            stopping: AtomicBool::new(false),
            grace,
        }
    }

    /// Returns true for the call that stopped it.
    pub(crate) fn request(&self) -> bool {
        let first = !self.stopping.swap(true, Ordering::SeqCst);
        if first && let Ok(mut since) = self.since.lock() {
            *since = Some(Instant::now());
        }
        first
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub(crate) fn grace_over(&self) -> bool {
        if !self.is_stopping() {
            return false;
        }
        match self.since.lock() {
            Ok(since) => since.is_some_and(|t| t.elapsed() >= self.grace),
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_oversized_declarations() {
        let b = MemoryBudget::from_mb(512, 2048);
        assert!(b.admit("m", 512 << 20).is_ok());
        let e = b
            .admit("zip member produkt.txt", (512 << 20) + 1)
            .unwrap_err();
        assert_eq!(e.kind(), FailureKind::Permanent);
        assert!(
            e.message().contains("produkt.txt") && e.message().contains("budget"),
            "{e}"
        );
        assert_eq!(b.max_workers(), 4);
    }

    #[test]
    fn grace_starts_with_the_stop() {
        let s = StopState::new(Duration::from_millis(30));
        assert!(!s.grace_over());
        assert!(s.request());
        assert!(!s.request(), "only the first request counts");
        assert!(!s.grace_over());
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.grace_over());
    }
}
