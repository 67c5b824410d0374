//! A use case running on its own thread, without the GIL: Python waits on
//! it in short steps, reads its progress, stops it, takes its result.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use climastation_jobs::{JobError, Rows};
use pyo3::prelude::*;
use tracker_core::{DatasetId, StatusCounts};

/// What a job hands back.
pub(crate) enum Done {
    /// `crawl`'s report.
    Crawl(climastation_jobs::report::Crawl),
    /// `run`'s report.
    Run(climastation_jobs::report::Run),
    Rows(Rows),
}

/// One dataset's progress: done (completed or failed for good) of total.
#[derive(Clone, Debug, Default)]
struct Bar {
    dataset: String,
    done: u64,
    total: u64,
    failed: u64,
}

/// What the job thread and Python share.
#[derive(Default)]
struct Shared {
    result: Mutex<Option<Result<Done, JobError>>>,
    finished: Condvar,
    bars: Mutex<Vec<Bar>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The run's events, kept for [`Task::progress`].
pub(crate) struct Events(Arc<Shared>);

impl Events {
    fn with_bar(&self, dataset: &DatasetId, f: impl FnOnce(&mut Bar)) {
        let mut bars = lock(&self.0.bars);
        if let Some(b) = bars.iter_mut().find(|b| b.dataset == dataset.as_str()) {
            f(b);
        }
    }
}

impl pipeline::Observer for Events {
    fn dataset_started(&self, dataset: &DatasetId, counts: &StatusCounts) {
        let mut bars = lock(&self.0.bars);
        bars.retain(|b| b.dataset != dataset.as_str());
        bars.push(Bar {
            dataset: dataset.as_str().to_owned(),
            done: counts.completed + counts.failed,
            total: counts.total() - counts.vanished,
            failed: counts.failed,
        });
    }

    fn file_finished(&self, dataset: &DatasetId, event: &pipeline::FileEvent<'_>) {
        self.with_bar(dataset, |b| match event {
            pipeline::FileEvent::Completed { .. } => b.done += 1,
            pipeline::FileEvent::Failed { retry: false, .. } => {
                b.done += 1;
                b.failed += 1;
            }
            _ => {}
        });
    }
}

impl climastation_jobs::RunEvents for Events {}

/// A running use case (`Archive.run`, `.crawl`, `.stations`, `.export`,
/// `.values` start one; the Python half waits on it).
#[pyclass(frozen, module = "climastation._climastation")]
pub(crate) struct Task {
    shared: Arc<Shared>,
    stop: tracker_core::Cancel,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Task {
    /// Starts `work` on its own thread with a stop handle and the events.
    pub(crate) fn spawn(
        work: impl FnOnce(&tracker_core::Cancel, &Events) -> Result<Done, JobError> + Send + 'static,
    ) -> Task {
        let shared = Arc::new(Shared::default());
        let stop = tracker_core::Cancel::new();
        let (s, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let events = Events(s.clone());
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&st, &events)))
                    .unwrap_or_else(|p| {
                        let why = pipeline::panic_message(p.as_ref());
                        Err(JobError::Panicked {
                            message: why.to_string(),
                        })
                    });
            *lock(&s.result) = Some(result);
            s.finished.notify_all();
        });
        Task {
            shared,
            stop,
            thread: Mutex::new(Some(thread)),
        }
    }
}

#[pymethods]
impl Task {
    /// Waits up to `timeout` seconds (without the GIL); whether it is done.
    #[pyo3(signature = (timeout=0.1))]
    fn wait(&self, py: Python<'_>, timeout: f64) -> bool {
        let limit = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
        py.detach(|| {
            let result = lock(&self.shared.result);
            let (result, _) = self
                .shared
                .finished
                .wait_timeout_while(result, limit, |r| r.is_none())
                .unwrap_or_else(|p| p.into_inner());
            result.is_some()
        })
    }

    /// Asks the job to stop cleanly (as the CLI's first Ctrl-C: claimed
    /// files go back to pending, nothing is half-written).
    fn stop(&self) {
        self.stop.cancel();
    }

    /// Each dataset's `(dataset, done, total, failed)` so far.
    fn progress(&self) -> Vec<(String, u64, u64, u64)> {
        lock(&self.shared.bars)
            .iter()
            .map(|b| (b.dataset.clone(), b.done, b.total, b.failed))
            .collect()
    }

    /// The result (waiting for it without the GIL): a report as Python
    /// objects or a `pyarrow.Table`; the job's error as an exception.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        while !self.wait(py, 0.1) {
            py.check_signals()?;
        }
        if let Some(t) = lock(&self.thread).take() {
            let _ = py.detach(|| t.join());
        }
        let taken = lock(&self.shared.result).take();
        match taken {
            None => Err(crate::error(
                py,
                "ClimaStationError",
                "the result was taken already".into(),
            )),
            Some(Err(e)) => Err(crate::raise(py, &e)),
            Some(Ok(Done::Crawl(r))) => crate::to_python(py, &r),
            Some(Ok(Done::Run(r))) => crate::to_python(py, &r),
            Some(Ok(Done::Rows(t))) => crate::to_pyarrow(py, t),
        }
    }
}
