//! The runner: datasets one after another; inside one, N rayon workers
//! claiming batches from the tracker, a lease renewer, fail-fast and a
//! graceful stop.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracker_core::{
    Cancel, Claim, CompletionMetrics, DatasetId, FailOutcome, Failure, FailureKind, FileId,
    FileKey, ProgressStore, StatusCounts, TrackerError, WorkerId,
};

use crate::processor::{
    DatasetJob, FileFailure, Job, MemoryBudget, ProcessError, Processor, StopState,
};

/// How a run works.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub workers: usize,
    pub claim_batch: usize,
    pub lease: Duration,
    /// Stop a dataset at its first file that fails for good (or a panic).
    pub fail_fast: bool,
    /// How long in-flight files may go on after a stop before processors
    /// are told to give up ([`Job::should_stop`]).
    pub grace: Duration,
    pub budget: MemoryBudget,
    /// How long to wait when the only pending files are in retry backoff.
    pub idle_poll: Duration,
    /// Prefix of worker ids, e.g. `host/pid-123`.
    pub worker_prefix: String,
    /// Completions are committed together, before each claim and at least
    /// this often: one commit for a batch of quick files instead of one each
    /// (a killed run redoes at most that much finished work; slow files are
    /// committed one by one).
    pub complete_every: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            workers: 4,
            claim_batch: 8,
            lease: Duration::from_secs(300),
            fail_fast: true,
            grace: Duration::from_secs(30),
            budget: MemoryBudget::from_mb(512, 2048),
            idle_poll: Duration::from_millis(500),
            worker_prefix: format!("{}/pid-{}", host_name(), std::process::id()),
            complete_every: Duration::from_secs(1),
        }
    }
}

/// This machine's name, for worker ids (who holds a claim, in `status`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Hears what happens, e.g. to draw progress bars. Called from workers.
pub trait Observer: Sync {
    fn dataset_started(&self, _dataset: &DatasetId, _counts: &StatusCounts) {}
    fn file_finished(&self, _dataset: &DatasetId, _event: &FileEvent<'_>) {}
    fn dataset_finished(&self, _report: &DatasetReport) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;
impl Observer for Quiet {}

#[derive(Debug)]
pub enum FileEvent<'a> {
    Completed {
        key: &'a FileKey,
        bytes: u64,
    },
    /// Failed for good (`retry == false`) or sent back for a later attempt.
    Failed {
        key: &'a FileKey,
        message: &'a str,
        retry: bool,
    },
    Released {
        key: &'a FileKey,
    },
}

/// A file that failed for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedFile {
    pub key: FileKey,
    pub kind: FailureKind,
    pub message: String,
    pub cause: Option<tracker_core::FailureCause>,
}

/// Why a dataset stopped before it was done: each with its typed cause.
#[derive(Clone, Debug)]
pub enum StopReason {
    /// Fail-fast: this file failed for good.
    FailFast(FailedFile),
    /// Ctrl-C, SIGTERM or the caller.
    Interrupted,
    /// The progress store failed.
    Store(Arc<TrackerError>),
    /// [`Processor::prepare_dataset`] failed: no file of the dataset was
    /// claimed.
    Prepare(FileFailure),
    /// [`Processor::finish_dataset`] failed.
    Finish(FileFailure),
    /// The machine ran out of something every file needs (disk space):
    /// the file's error, or the store's.
    Resource(FileFailure),
}

impl StopReason {
    /// The stop for a progress store error: a full disk under the store is
    /// the machine's resource (as a full disk under the outputs), any other
    /// failure the store's.
    pub fn of_store(e: TrackerError) -> StopReason {
        match e {
            TrackerError::StorageFull(_) => StopReason::Resource(FileFailure {
                kind: tracker_core::FailureKind::Transient,
                message: e.to_string(),
                cause: Some(tracker_core::FailureCause::Machine),
            }),
            e => StopReason::Store(Arc::new(e)),
        }
    }

    /// Whether the run was interrupted (not stopped by a failure).
    pub fn is_interrupted(&self) -> bool {
        matches!(self, StopReason::Interrupted)
    }
}

/// Time spent, summed over workers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub processing: Duration,
    pub tracker: Duration,
    pub wall: Duration,
}

#[derive(Clone, Debug)]
pub struct DatasetReport {
    pub dataset: DatasetId,
    /// Counts when the dataset started.
    pub initial: StatusCounts,
    pub completed: u64,
    pub retried: u64,
    pub released: u64,
    pub failed: Vec<FailedFile>,
    pub stopped: Option<StopReason>,
    pub stats: Stats,
}

#[derive(Clone, Debug, Default)]
pub struct RunReport {
    pub datasets: Vec<DatasetReport>,
}

impl RunReport {
    pub fn interrupted(&self) -> bool {
        self.datasets
            .iter()
            .any(|d| d.stopped.as_ref().is_some_and(StopReason::is_interrupted))
    }

    pub fn failures(&self) -> impl Iterator<Item = &FailedFile> {
        self.datasets.iter().flat_map(|d| d.failed.iter())
    }

    /// 130 interrupted, 1 any file failed or the store failed, 0 done.
    pub fn exit_code(&self) -> i32 {
        if self.interrupted() {
            130
        } else if self.failures().next().is_some()
            || self.datasets.iter().any(|d| {
                matches!(
                    d.stopped,
                    Some(
                        StopReason::Store(_)
                            | StopReason::Prepare(_)
                            | StopReason::Finish(_)
                            | StopReason::Resource(_)
                    )
                )
            })
        {
            1
        } else {
            0
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot open the progress store for dataset {dataset}: {source}")]
    Open {
        dataset: DatasetId,
        source: TrackerError,
    },
    #[error("progress store error in dataset {dataset}: {source}")]
    Store {
        dataset: DatasetId,
        source: TrackerError,
    },
    #[error("cannot start {workers} worker threads: {message}")]
    Pool { workers: usize, message: String },
}

/// Runs `datasets` in order with `processor`. `open` gives each worker its
/// own store handle; `locate` maps a file to its path on disk.
pub fn run<S, O, L>(
    open: &O,
    datasets: &[DatasetId],
    locate: &L,
    processor: &dyn Processor,
    opts: &RunOptions,
    interrupt: &Cancel,
    observer: &dyn Observer,
) -> Result<RunReport, PipelineError>
where
    S: ProgressStore,
    O: Fn() -> Result<S, TrackerError> + Sync,
    L: Fn(&FileKey) -> PathBuf + Sync,
{
    let workers = opts.workers.clamp(1, opts.budget.max_workers());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("worker-{i}"))
        .build()
        .map_err(|e| PipelineError::Pool {
            workers,
            message: e.to_string(),
        })?;
    let mut report = RunReport::default();
    for dataset in datasets {
        if interrupt.is_cancelled() {
            break;
        }
        let dataset_phase = |prepare: bool| match open() {
            Ok(store) => {
                let job = DatasetJob {
                    dataset,
                    store: &store,
                    budget: &opts.budget,
                    workers,
                    interrupt,
                };
                if prepare {
                    processor.prepare_dataset(&job)
                } else {
                    processor.finish_dataset(&job)
                }
            }
            Err(e) => Err(ProcessError::transient(e.to_string())),
        };
        let stopped_by = |e: ProcessError, prepare: bool| {
            if e.is_interrupted() {
                return StopReason::Interrupted;
            }
            let what = if prepare { "preparing" } else { "finishing" };
            tracing::error!(dataset = %dataset, error = %e, "{what} the dataset failed");
            match (&e, prepare) {
                (ProcessError::Resource(f), _) => StopReason::Resource(f.clone()),
                (e, prepare) => {
                    let f = e.failure().cloned().unwrap_or(FileFailure {
                        kind: tracker_core::FailureKind::Transient,
                        message: e.message(),
                        cause: None,
                    });
                    match prepare {
                        true => StopReason::Prepare(f),
                        false => StopReason::Finish(f),
                    }
                }
            }
        };
        let mut ds = match dataset_phase(true) {
            Ok(()) => run_dataset(
                &pool, workers, open, dataset, locate, processor, opts, interrupt, observer,
            )?,
            Err(e) => DatasetReport {
                dataset: dataset.clone(),
                initial: StatusCounts::default(),
                completed: 0,
                retried: 0,
                released: 0,
                failed: Vec::new(),
                stopped: Some(stopped_by(e, true)),
                stats: Stats::default(),
            },
        };
        if ds.stopped.is_none()
            && let Err(e) = dataset_phase(false)
        {
            ds.stopped = Some(stopped_by(e, false));
        }
        observer.dataset_finished(&ds);
        let stop = ds.stopped.is_some();
        report.datasets.push(ds);
        if stop {
            break;
        }
    }
    Ok(report)
}

/// The shared state of one dataset's workers.
struct Shared<'a> {
    dataset: &'a DatasetId,
    stop: StopState,
    reason: Mutex<Option<StopReason>>,
    /// Claims held by workers, for the lease renewer.
    held: Mutex<HashMap<FileId, Claim>>,
    failed: Mutex<Vec<FailedFile>>,
    completed: AtomicU64,
    retried: AtomicU64,
    released: AtomicU64,
    bytes: AtomicU64,
    processing_ns: AtomicU64,
    tracker_ns: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Workers catch processor panics, so a poisoned lock only means a panic
    // between two plain statements; the data is still consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared<'_> {
    fn stop(&self, reason: StopReason) {
        if self.stop.request() {
            tracing::info!(dataset = %self.dataset, ?reason, "stopping the dataset");
            *lock(&self.reason) = Some(reason);
        }
    }

    fn add(counter: &AtomicU64, d: Duration) {
        counter.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// A tracker call, timed.
    fn tracked<T>(&self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        Self::add(&self.tracker_ns, t.elapsed());
        out
    }
}

#[allow(clippy::too_many_arguments)]
fn run_dataset<S, O, L>(
    pool: &rayon::ThreadPool,
    workers: usize,
    open: &O,
    dataset: &DatasetId,
    locate: &L,
    processor: &dyn Processor,
    opts: &RunOptions,
    interrupt: &Cancel,
    observer: &dyn Observer,
) -> Result<DatasetReport, PipelineError>
where
    S: ProgressStore,
    O: Fn() -> Result<S, TrackerError> + Sync,
    L: Fn(&FileKey) -> PathBuf + Sync,
{
    let started = Instant::now();
    let store_err = |source| PipelineError::Store {
        dataset: dataset.clone(),
        source,
    };
    let control = open().map_err(|source| PipelineError::Open {
        dataset: dataset.clone(),
        source,
    })?;
    control.recover_expired().map_err(store_err)?;
    let initial = control
        .summary(Some(dataset))
        .map_err(store_err)?
        .first()
        .map(|s| s.counts)
        .unwrap_or_default();
    tracing::info!(dataset = %dataset, pending = initial.pending, processing = initial.processing,
        completed = initial.completed, failed = initial.failed, workers, processor = processor.name(), "dataset started");
    observer.dataset_started(dataset, &initial);

    let shared = Shared {
        dataset,
        stop: StopState::new(opts.grace),
        reason: Mutex::new(None),
        held: Mutex::new(HashMap::new()),
        failed: Mutex::new(Vec::new()),
        completed: AtomicU64::new(0),
        retried: AtomicU64::new(0),
        released: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        processing_ns: AtomicU64::new(0),
        tracker_ns: AtomicU64::new(0),
    };

    if initial.pending > 0 {
        let (done_tx, done_rx) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            // The renewer keeps the leases of held claims alive, so that a
            // long file is never taken from a live worker.
            let renewer = scope.spawn(|| renew_leases(control, &shared, opts.lease, done_rx));
            pool.scope(|s| {
                for w in 0..workers {
                    let shared = &shared;
                    s.spawn(move |_| {
                        let id = WorkerId::new(format!("{}/w{w}", opts.worker_prefix));
                        let store = open();
                        match (id, store) {
                            (Ok(id), Ok(store)) => {
                                work(
                                    &store, &id, shared, locate, processor, opts, interrupt,
                                    observer,
                                );
                            }
                            (Err(e), _) | (_, Err(e)) => shared.stop(StopReason::of_store(e)),
                        }
                    });
                }
            });
            drop(done_tx);
            if renewer.join().is_err() {
                tracing::error!(dataset = %dataset, "the lease renewer panicked");
            }
        });
    }

    let failed = std::mem::take(&mut *lock(&shared.failed));
    let stopped = lock(&shared.reason).clone();
    let stats = Stats {
        files: shared.completed.load(Ordering::Relaxed) + failed.len() as u64,
        bytes: shared.bytes.load(Ordering::Relaxed),
        processing: Duration::from_nanos(shared.processing_ns.load(Ordering::Relaxed)),
        tracker: Duration::from_nanos(shared.tracker_ns.load(Ordering::Relaxed)),
        wall: started.elapsed(),
    };
    let report = DatasetReport {
        dataset: dataset.clone(),
        initial,
        completed: shared.completed.load(Ordering::Relaxed),
        retried: shared.retried.load(Ordering::Relaxed),
        released: shared.released.load(Ordering::Relaxed),
        failed,
        stopped,
        stats,
    };
    tracing::info!(dataset = %dataset, completed = report.completed, failed = report.failed.len(),
        retried = report.retried, released = report.released, stopped = ?report.stopped,
        wall_ms = stats.wall.as_millis() as u64, "dataset finished");
    Ok(report)
}

fn renew_leases<S: ProgressStore>(
    store: S,
    shared: &Shared<'_>,
    lease: Duration,
    done: mpsc::Receiver<()>,
) {
    let every = (lease / 3).max(Duration::from_millis(200));
    loop {
        match done.recv_timeout(every) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let held: Vec<Claim> = lock(&shared.held).values().cloned().collect();
        for claim in held {
            match store.renew(&claim, lease) {
                Ok(_) => {}
                Err(TrackerError::StaleClaim { .. } | TrackerError::NotFound { .. }) => {
                    tracing::warn!(dataset = %claim.key.dataset, file = claim.key.path(), attempt = claim.token,
                        "claim lost (reset, source changed or lease expired); its result will be discarded");
                    lock(&shared.held).remove(&claim.id);
                }
                Err(e) => tracing::warn!(error = %e, "lease renewal failed; retrying"),
            }
        }
        // claims of a process that died (their leases ran out while this
        // run works) go back to pending, for this run's workers to take
        match store.recover_expired() {
            Ok(r) if r.requeued > 0 => {
                tracing::info!(dataset = %shared.dataset, requeued = r.requeued, "took back expired claims");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "taking back expired claims failed; retrying"),
        }
    }
}

/// Completed files not yet committed; committed when due, before each
/// claim, and when the worker ends (on drop, so no exit path forgets it).
struct Finished<'a, S: ProgressStore> {
    store: &'a S,
    shared: &'a Shared<'a>,
    observer: &'a dyn Observer,
    items: Vec<(Claim, CompletionMetrics)>,
    since: Option<Instant>,
}

impl<'a, S: ProgressStore> Finished<'a, S> {
    fn new(store: &'a S, shared: &'a Shared<'a>, observer: &'a dyn Observer) -> Self {
        Finished {
            store,
            shared,
            observer,
            items: Vec::new(),
            since: None,
        }
    }

    fn push(&mut self, claim: Claim, metrics: CompletionMetrics) {
        self.since.get_or_insert_with(Instant::now);
        self.items.push((claim, metrics));
    }

    fn due(&self, opts: &RunOptions) -> bool {
        self.items.len() >= opts.claim_batch
            || self
                .since
                .is_some_and(|t| t.elapsed() >= opts.complete_every)
    }

    /// Commits the completions in one transaction; each claim is fenced on its own.
    fn flush(&mut self) {
        if self.items.is_empty() {
            return;
        }
        let (shared, observer, store) = (self.shared, self.observer, self.store);
        let items = std::mem::take(&mut self.items);
        self.since = None;
        match shared.tracked(|| store.complete_many(&items)) {
            Ok(results) => {
                for ((claim, metrics), result) in items.iter().zip(results) {
                    match result {
                        Ok(()) => {
                            shared.completed.fetch_add(1, Ordering::Relaxed);
                            shared
                                .bytes
                                .fetch_add(metrics.bytes_processed, Ordering::Relaxed);
                            observer.file_finished(
                                shared.dataset,
                                &FileEvent::Completed {
                                    key: &claim.key,
                                    bytes: metrics.bytes_processed,
                                },
                            );
                        }
                        Err(TrackerError::StaleClaim { .. }) => {
                            tracing::warn!(file = %claim.key, attempt = claim.token, "result discarded: the claim is no longer ours");
                        }
                        Err(e) => shared.stop(StopReason::of_store(e)),
                    }
                }
            }
            Err(e) => {
                // the outputs are written but not recorded: give the claims
                // back (they are redone) if the store still takes that
                shared.stop(StopReason::of_store(e));
                for (claim, _) in &items {
                    release(store, shared, claim, observer, None);
                }
            }
        }
        let mut held = lock(&shared.held);
        for (claim, _) in &items {
            held.remove(&claim.id);
        }
    }
}

impl<S: ProgressStore> Drop for Finished<'_, S> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[allow(clippy::too_many_arguments)]
fn work<'a, S, L>(
    store: &'a S,
    worker: &WorkerId,
    shared: &'a Shared<'a>,
    locate: &L,
    processor: &dyn Processor,
    opts: &RunOptions,
    interrupt: &Cancel,
    observer: &'a dyn Observer,
) where
    S: ProgressStore,
    L: Fn(&FileKey) -> PathBuf + Sync,
{
    let dataset = shared.dataset;
    let mut finished = Finished::new(store, shared, observer);
    loop {
        if interrupt.is_cancelled() {
            shared.stop(StopReason::Interrupted);
        }
        finished.flush();
        if shared.stop.is_stopping() {
            return;
        }
        let claims =
            match shared.tracked(|| store.claim(dataset, worker, opts.claim_batch, opts.lease)) {
                Ok(c) => c,
                Err(e) => return shared.stop(StopReason::of_store(e)),
            };
        if claims.is_empty() {
            // Done, unless files wait in retry backoff (or other processes
            // hold claims, which are theirs to finish).
            match store.summary(Some(dataset)) {
                Ok(s) if s.first().is_none_or(|s| s.counts.pending == 0) => return,
                Ok(_) => {
                    std::thread::sleep(opts.idle_poll);
                    if let Err(e) = store.recover_expired() {
                        return shared.stop(StopReason::of_store(e));
                    }
                    continue;
                }
                Err(e) => return shared.stop(StopReason::of_store(e)),
            }
        }
        {
            let mut held = lock(&shared.held);
            for c in &claims {
                held.insert(c.id, c.clone());
            }
        }
        let mut claims = claims.into_iter();
        while let Some(claim) = claims.next() {
            if interrupt.is_cancelled() {
                shared.stop(StopReason::Interrupted);
            }
            if shared.stop.is_stopping() {
                // Claimed but not started: give them back at once.
                for c in std::iter::once(claim).chain(claims.by_ref()) {
                    release(store, shared, &c, observer, None);
                }
                return;
            }
            match one_file(store, &claim, shared, locate, processor, opts, observer) {
                Some(metrics) => finished.push(claim, metrics),
                None => {
                    lock(&shared.held).remove(&claim.id);
                }
            }
            if finished.due(opts) {
                finished.flush();
            }
        }
    }
}

/// Gives `claim` back (with the reason recorded when there is one).
fn release<S: ProgressStore>(
    store: &S,
    shared: &Shared<'_>,
    claim: &Claim,
    observer: &dyn Observer,
    reason: Option<&Failure>,
) {
    let released = shared.tracked(|| match reason {
        Some(r) => store.release_with_reason(claim, r),
        None => store.release(claim),
    });
    match released {
        Ok(()) => {
            shared.released.fetch_add(1, Ordering::Relaxed);
            observer.file_finished(shared.dataset, &FileEvent::Released { key: &claim.key });
        }
        Err(TrackerError::StaleClaim { .. }) => {}
        Err(e) => {
            tracing::warn!(file = %claim.key, error = %e, "release failed; the lease will expire")
        }
    }
    lock(&shared.held).remove(&claim.id);
}

fn one_file<S, L>(
    store: &S,
    claim: &Claim,
    shared: &Shared<'_>,
    locate: &L,
    processor: &dyn Processor,
    opts: &RunOptions,
    observer: &dyn Observer,
) -> Option<CompletionMetrics>
where
    S: ProgressStore,
    L: Fn(&FileKey) -> PathBuf + Sync,
{
    let dataset = shared.dataset;
    let path = locate(&claim.key);
    let started_at = store.now();
    let t = Instant::now();
    let job = Job {
        claim,
        path: &path,
        budget: &opts.budget,
        stop: &shared.stop,
    };
    let result = catch_unwind(AssertUnwindSafe(|| processor.process(&job)));
    Shared::add(&shared.processing_ns, t.elapsed());
    let error = match result {
        Ok(Ok(outcome)) => {
            let metrics = CompletionMetrics {
                started_at: Some(started_at),
                records_processed: outcome.records,
                bytes_processed: outcome.bytes,
                checksum: outcome.checksum,
                size_unconfirmed: outcome.size_unconfirmed,
                outputs: outcome.outputs,
            };
            return Some(metrics);
        }
        Ok(Err(ProcessError::Interrupted)) => {
            release(store, shared, claim, observer, None);
            return None;
        }
        Ok(Err(ProcessError::Relisted { file: new, why })) => {
            let message = why.message;
            // the file changed at the source: its new listing puts it back
            // in the queue (the claim ends with it), not counted as a failure
            match shared.tracked(|| store.register(std::slice::from_ref(&new))) {
                Ok(_) => {
                    shared.released.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(file = %claim.key, size = ?new.size, error = %message,
                        "the file changed at the source: registered again with its new listing");
                    observer.file_finished(dataset, &FileEvent::Released { key: &claim.key });
                }
                Err(e) => shared.stop(StopReason::of_store(e)),
            }
            return None;
        }
        Ok(Err(e)) => e,
        Err(panic) => ProcessError::permanent(format!(
            "worker panicked: {}",
            panic_message(panic.as_ref())
        )),
    };
    fail(
        store, shared, claim, &job, processor, opts, observer, &error, started_at,
    );
    None
}

/// What a panic said (its `&str` or `String` payload).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Records `error`, the failure of `claim`'s file: released when the
/// machine failed (the run stops), retried later or failed for good (then
/// abandoned, and with fail-fast the run stops), as the store decides.
#[allow(clippy::too_many_arguments)]
fn fail<S: ProgressStore>(
    store: &S,
    shared: &Shared<'_>,
    claim: &Claim,
    job: &Job<'_>,
    processor: &dyn Processor,
    opts: &RunOptions,
    observer: &dyn Observer,
    error: &ProcessError,
    started_at: tracker_core::Timestamp,
) {
    let dataset = shared.dataset;
    let failure = Failure {
        kind: error.kind(),
        message: error.message(),
        cause: error.cause(),
        started_at: Some(started_at),
    };
    if let ProcessError::Resource(_) = error {
        // the machine failed, not the file: its error is recorded, its
        // attempts are not used up, and the run stops
        tracing::error!(file = %claim.key, error = %error, "out of a resource every file needs: stopping the run");
        if let ProcessError::Resource(f) = error {
            shared.stop(StopReason::Resource(f.clone()));
        }
        release(store, shared, claim, observer, Some(&failure));
        return;
    }
    match shared.tracked(|| store.fail(claim, &failure)) {
        Ok(FailOutcome::Retry { .. }) => {
            shared.retried.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(file = %claim.key, attempt = claim.token, error = %error, "failed; will retry");
            observer.file_finished(
                dataset,
                &FileEvent::Failed {
                    key: &claim.key,
                    message: &failure.message,
                    retry: true,
                },
            );
        }
        Ok(FailOutcome::Failed) => {
            tracing::error!(file = %claim.key, attempt = claim.token, kind = error.kind().as_str(), error = %error, "failed");
            processor.abandon(job);
            let failed = FailedFile {
                key: claim.key.clone(),
                kind: failure.kind,
                message: failure.message.clone(),
                cause: failure.cause,
            };
            lock(&shared.failed).push(failed.clone());
            observer.file_finished(
                dataset,
                &FileEvent::Failed {
                    key: &claim.key,
                    message: &failure.message,
                    retry: false,
                },
            );
            if opts.fail_fast {
                shared.stop(StopReason::FailFast(failed));
            }
        }
        Err(TrackerError::StaleClaim { .. }) => {
            tracing::warn!(file = %claim.key, "failure discarded: the claim is no longer ours");
        }
        Err(e) => {
            tracing::error!(file = %claim.key, error = %error, store_error = %e, "the file's failure could not be recorded");
            shared.stop(StopReason::of_store(e));
            // give the claim back if the store still takes that
            release(store, shared, claim, observer, None);
        }
    }
}
