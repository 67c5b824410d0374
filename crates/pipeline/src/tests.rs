//! Runner tests against the real SQLite store with scripted processors.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tracker_core::*;
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::*;

struct Env {
    _dir: tempfile::TempDir,
    db: PathBuf,
    options: StoreOptions,
}

fn env(retry: RetryPolicy) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let options = StoreOptions {
        retry,
        ..StoreOptions::default()
    };
    Env {
        _dir: dir,
        db,
        options,
    }
}

impl Env {
    fn open(&self) -> std::result::Result<SqliteStore, TrackerError> {
        SqliteStore::open(&self.db, self.options.clone()).map_err(TrackerError::from)
    }

    fn register(&self, dataset: &str, n: usize) {
        let files: Vec<NewFile> = (0..n)
            .map(|i| NewFile {
                key: FileKey::new(DatasetId::new(dataset).unwrap(), format!("f{i:04}.zip"))
                    .unwrap(),
                size: None,
                source_modified: None,
            })
            .collect();
        self.open().unwrap().register(&files).unwrap();
    }

    fn counts(&self, dataset: &str) -> StatusCounts {
        let s = self.open().unwrap();
        s.summary(Some(&DatasetId::new(dataset).unwrap())).unwrap()[0].counts
    }

    fn run(
        &self,
        datasets: &[&str],
        p: &dyn Processor,
        opts: &RunOptions,
        stop: &Cancel,
    ) -> RunReport {
        let ds: Vec<DatasetId> = datasets
            .iter()
            .map(|d| DatasetId::new(*d).unwrap())
            .collect();
        let locate = |k: &FileKey| PathBuf::from(k.path());
        crate::run(&|| self.open(), &ds, &locate, p, opts, stop, &Quiet).unwrap()
    }
}

fn opts() -> RunOptions {
    RunOptions {
        claim_batch: 3,
        idle_poll: Duration::from_millis(20),
        grace: Duration::from_millis(200),
        ..RunOptions::default()
    }
}

/// A processor driven by a function, recording what it saw.
struct Script<F> {
    f: F,
    seen: Mutex<Vec<String>>,
}

impl<F> Script<F> {
    fn new(f: F) -> Self {
        Script {
            f,
            seen: Mutex::new(Vec::new()),
        }
    }
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl<F> Processor for Script<F>
where
    F: Fn(&Job<'_>) -> std::result::Result<Outcome, ProcessError> + Send + Sync,
{
    fn name(&self) -> &str {
        "script"
    }
    fn process(&self, job: &Job<'_>) -> std::result::Result<Outcome, ProcessError> {
        self.seen.lock().unwrap().push(job.claim.key.to_string());
        (self.f)(job)
    }
}

fn ok(_: &Job<'_>) -> std::result::Result<Outcome, ProcessError> {
    Ok(Outcome {
        records: 1,
        bytes: 10,
        checksum: None,
        size_unconfirmed: false,
        outputs: Vec::new(),
    })
}

#[test]
fn every_file_is_processed_once_and_datasets_run_in_order() {
    let e = env(RetryPolicy::default());
    e.register("a", 40);
    e.register("b", 40);
    let p = Script::new(ok);
    let report = e.run(&["a", "b"], &p, &opts(), &Cancel::new());
    assert_eq!(report.exit_code(), 0);
    let seen = p.seen();
    assert_eq!(seen.len(), 80);
    let mut uniq = seen.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 80, "a file was processed twice");
    let last_a = seen.iter().rposition(|k| k.starts_with("a:")).unwrap();
    let first_b = seen.iter().position(|k| k.starts_with("b:")).unwrap();
    assert!(last_a < first_b, "dataset b started before a was done");
    assert_eq!(e.counts("a").completed, 40);
    assert_eq!(report.datasets[1].completed, 40);
    assert_eq!(report.datasets[1].stats.bytes, 400);
}

#[test]
fn fail_fast_stops_the_dataset_and_later_ones() {
    let e = env(RetryPolicy::default());
    e.register("a", 60);
    e.register("b", 5);
    let p = Script::new(|job: &Job<'_>| {
        if job.claim.key.path() == "f0010.zip" {
            Err(ProcessError::permanent("corrupt zip: bad CRC"))
        } else {
            std::thread::sleep(Duration::from_millis(2));
            ok(job)
        }
    });
    let report = e.run(&["a", "b"], &p, &opts(), &Cancel::new());
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.datasets.len(), 1, "b must not start");
    match &report.datasets[0].stopped {
        Some(StopReason::FailFast(f)) => {
            assert_eq!(f.key.path(), "f0010.zip");
            assert!(f.message.contains("bad CRC"));
        }
        other => panic!("{other:?}"),
    }
    let c = e.counts("a");
    assert_eq!(c.failed, 1);
    assert_eq!(c.processing, 0, "claimed files are released");
    assert!(c.pending > 0, "the dataset stopped early: {c:?}");
    assert_eq!(e.counts("b").pending, 5);
}

#[test]
fn keep_going_finishes_everything_and_reports_failures() {
    let e = env(RetryPolicy::default());
    e.register("a", 30);
    let p = Script::new(|job: &Job<'_>| match job.claim.key.path() {
        "f0003.zip" | "f0020.zip" => Err(ProcessError::permanent("malformed row 7")),
        _ => ok(job),
    });
    let report = e.run(
        &["a"],
        &p,
        &RunOptions {
            fail_fast: false,
            ..opts()
        },
        &Cancel::new(),
    );
    assert_eq!(report.exit_code(), 1);
    let mut failed: Vec<_> = report.failures().map(|f| f.key.path().to_owned()).collect();
    failed.sort();
    assert_eq!(failed, ["f0003.zip", "f0020.zip"]);
    assert_eq!(
        e.counts("a"),
        StatusCounts {
            pending: 0,
            processing: 0,
            completed: 28,
            failed: 2,
            vanished: 0
        }
    );
}

#[test]
fn a_panicking_processor_fails_its_file_and_stops_the_dataset() {
    let e = env(RetryPolicy::default());
    e.register("a", 10);
    let p = Script::new(|job: &Job<'_>| {
        if job.claim.key.path() == "f0004.zip" {
            panic!("index out of bounds in row parser");
        }
        ok(job)
    });
    let report = e.run(&["a"], &p, &opts(), &Cancel::new());
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .message
            .contains("worker panicked: index out of bounds"),
        "{failed:?}"
    );
    assert!(matches!(
        report.datasets[0].stopped,
        Some(StopReason::FailFast(_))
    ));
    assert_eq!(e.counts("a").processing, 0);
}

#[test]
fn transient_failures_are_retried_after_backoff() {
    let e = env(RetryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(50),
    });
    e.register("a", 5);
    let attempts = Mutex::new(HashMap::<String, u32>::new());
    let p = Script::new(|job: &Job<'_>| {
        let mut a = attempts.lock().unwrap();
        let n = a.entry(job.claim.key.path().to_owned()).or_default();
        *n += 1;
        if job.claim.key.path() == "f0002.zip" && *n < 3 {
            return Err(ProcessError::transient("connection reset"));
        }
        ok(job)
    });
    let report = e.run(&["a"], &p, &opts(), &Cancel::new());
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.datasets[0].retried, 2);
    assert_eq!(e.counts("a").completed, 5);
}

#[test]
fn a_file_that_changed_at_the_source_is_queued_again_with_its_new_listing() {
    // one attempt, so that any counted failure would leave the file failed
    let e = env(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    e.register("a", 2);
    let p = Script::new(|job: &Job<'_>| {
        if job.claim.key.path() == "f0001.zip" && job.claim.size.is_none() {
            return Err(
                ProcessError::permanent("got 10 bytes, the listing says 12").relisted(NewFile {
                    key: job.claim.key.clone(),
                    size: Some(1234),
                    source_modified: None,
                }),
            );
        }
        ok(job)
    });
    let report = e.run(&["a"], &p, &opts(), &Cancel::new());
    assert_eq!(report.exit_code(), 0, "{report:?}");
    assert!(report.datasets[0].failed.is_empty());
    assert_eq!(e.counts("a").completed, 2);
    let rec = e
        .open()
        .unwrap()
        .file(&FileKey::new(DatasetId::new("a").unwrap(), "f0001.zip").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(rec.size, Some(1234), "registered with the new listing");
    assert_eq!(rec.attempts, 2, "then claimed again and completed");
    assert_eq!(rec.failures, 0);
    let seen = p.seen();
    assert_eq!(seen.iter().filter(|s| s.ends_with("f0001.zip")).count(), 2);
}

#[test]
fn a_full_disk_stops_the_run_and_keeps_the_files_error_without_a_failure() {
    let e = env(RetryPolicy::default());
    e.register("a", 6);
    e.register("b", 2);
    let p = Script::new(|job: &Job<'_>| {
        if job.claim.key.path() == "f0002.zip" {
            return Err(ProcessError::io(
                "out/f0002.parquet",
                &std::io::Error::from(std::io::ErrorKind::StorageFull),
            ));
        }
        ok(job)
    });
    let o = RunOptions {
        workers: 1,
        claim_batch: 1,
        ..opts()
    };
    let report = e.run(&["a", "b"], &p, &o, &Cancel::new());
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.datasets.len(), 1, "later datasets are not started");
    assert!(matches!(
        &report.datasets[0].stopped,
        Some(StopReason::Resource(m)) if m.message.contains("f0002.parquet")
    ));
    let c = e.counts("a");
    assert_eq!((c.processing, c.failed), (0, 0), "{c:?}");
    let rec = e
        .open()
        .unwrap()
        .file(&FileKey::new(DatasetId::new("a").unwrap(), "f0002.zip").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, FileStatus::Pending);
    assert_eq!(rec.failures, 0);
    assert!(rec.error_message.unwrap().contains("f0002.parquet"));
}

#[test]
fn an_interrupt_releases_claims_and_exits_130() {
    let e = env(RetryPolicy::default());
    e.register("a", 200);
    let stop = Cancel::new();
    let p = Script::new(|job: &Job<'_>| {
        if job.claim.key.path() == "f0020.zip" {
            stop.cancel();
        }
        std::thread::sleep(Duration::from_millis(1));
        ok(job)
    });
    let report = e.run(&["a"], &p, &opts(), &stop);
    assert_eq!(report.exit_code(), 130);
    let c = e.counts("a");
    assert_eq!(c.processing, 0, "{c:?}");
    assert!(c.completed >= 1 && c.pending > 0, "{c:?}");
    // a rerun finishes
    let p = Script::new(ok);
    assert_eq!(e.run(&["a"], &p, &opts(), &Cancel::new()).exit_code(), 0);
    assert_eq!(e.counts("a").completed, 200);
}

#[test]
fn in_flight_files_that_outlast_the_grace_period_are_released() {
    let e = env(RetryPolicy::default());
    e.register("a", 4);
    let stop = Cancel::new();
    let p = Script::new(|job: &Job<'_>| {
        stop.cancel();
        while !job.should_stop() {
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(ProcessError::interrupted())
    });
    let report = e.run(&["a"], &p, &opts(), &stop);
    assert_eq!(report.exit_code(), 130);
    assert!(report.datasets[0].released >= 1);
    assert!(
        report.failures().next().is_none(),
        "interrupted files are not failures"
    );
    assert_eq!(
        e.counts("a"),
        StatusCounts {
            pending: 4,
            processing: 0,
            completed: 0,
            failed: 0,
            vanished: 0
        }
    );
}

#[test]
fn the_renewer_keeps_a_long_file_from_being_taken() {
    let e = env(RetryPolicy::default());
    e.register("a", 1);
    // renewals come every 200 ms; a 600 ms lease leaves a loaded machine
    // 400 ms of slack, and the file takes far longer than one lease
    let lease = Duration::from_millis(600);
    let p = Script::new(|job: &Job<'_>| {
        std::thread::sleep(Duration::from_millis(2000));
        ok(job)
    });
    let thief = std::thread::spawn({
        let e_db = e.db.clone();
        let options = e.options.clone();
        move || {
            let s = SqliteStore::open(&e_db, options).unwrap();
            let mut stolen = 0;
            for _ in 0..36 {
                std::thread::sleep(Duration::from_millis(50));
                stolen += s.recover_expired().unwrap().requeued;
            }
            stolen
        }
    });
    let report = e.run(&["a"], &p, &RunOptions { lease, ..opts() }, &Cancel::new());
    assert_eq!(thief.join().unwrap(), 0, "a live claim was recovered");
    assert_eq!(report.datasets[0].completed, 1);
    let rec = e
        .open()
        .unwrap()
        .file(&FileKey::new(DatasetId::new("a").unwrap(), "f0000.zip").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(rec.attempts, 1);
}

#[test]
fn workers_never_exceed_the_total_memory_budget() {
    let e = env(RetryPolicy::default());
    e.register("a", 20);
    let threads = Mutex::new(std::collections::HashSet::new());
    let p = Script::new(|job: &Job<'_>| {
        threads.lock().unwrap().insert(std::thread::current().id());
        std::thread::sleep(Duration::from_millis(3));
        ok(job)
    });
    let o = RunOptions {
        workers: 8,
        budget: MemoryBudget::from_mb(512, 1024),
        ..opts()
    };
    e.run(&["a"], &p, &o, &Cancel::new());
    assert!(
        threads.lock().unwrap().len() <= 2,
        "1024 MB total / 512 MB per worker = 2 workers"
    );
}

/// Claims of a process that died expire while a run works: the run takes
/// them back and finishes them, instead of leaving them `processing` until
/// the next run.
#[test]
fn a_live_run_takes_back_claims_that_expire_while_it_works() {
    let e = env(RetryPolicy::default());
    e.register("a", 41);
    // another process holds the database open (so the run cannot take
    // every claim back at open) and claimed one file with a 1 s lease that
    // it never renews: as good as dead
    let other = e.open().unwrap();
    let dead = other
        .claim(
            &DatasetId::new("a").unwrap(),
            &WorkerId::new("dead-host:1").unwrap(),
            1,
            Duration::from_secs(1),
        )
        .unwrap();
    assert_eq!(dead.len(), 1);
    // the run lasts about 1.6 s; its renewer looks every 200 ms
    let p = Script::new(|job: &Job<'_>| {
        std::thread::sleep(Duration::from_millis(40));
        ok(job)
    });
    let report = e.run(
        &["a"],
        &p,
        &RunOptions {
            workers: 1,
            lease: Duration::from_millis(600),
            ..opts()
        },
        &Cancel::new(),
    );
    assert_eq!(report.exit_code(), 0);
    let c = e.counts("a");
    assert_eq!((c.completed, c.processing), (41, 0), "{c:?}");
    assert!(p.seen().contains(&dead[0].key.to_string()));
    drop(other);
}

/// A processor whose dataset preparation or finishing fails as told.
struct Phases {
    prepare: Option<ProcessError>,
    finish: Option<ProcessError>,
}

impl Processor for Phases {
    fn name(&self) -> &str {
        "phases"
    }
    fn process(&self, job: &Job<'_>) -> std::result::Result<Outcome, ProcessError> {
        ok(job)
    }
    fn prepare_dataset(&self, _: &crate::DatasetJob<'_>) -> std::result::Result<(), ProcessError> {
        self.prepare.clone().map_or(Ok(()), Err)
    }
    fn finish_dataset(&self, _: &crate::DatasetJob<'_>) -> std::result::Result<(), ProcessError> {
        self.finish.clone().map_or(Ok(()), Err)
    }
}

/// A failed preparation stops the dataset as such (no file claimed), a
/// failed finish as a finish, and a full disk in either as the machine's.
#[test]
fn each_dataset_phase_reports_its_own_failure() {
    let cases = [
        (
            Phases {
                prepare: Some(ProcessError::transient("the ledger check failed")),
                finish: None,
            },
            "prepare",
            0,
        ),
        (
            Phases {
                prepare: None,
                finish: Some(ProcessError::transient("the merge failed")),
            },
            "finish",
            3,
        ),
        (
            Phases {
                prepare: Some(ProcessError::resource("no space left")),
                finish: None,
            },
            "resource",
            0,
        ),
    ];
    for (p, expect, completed) in cases {
        let e = env(RetryPolicy::default());
        e.register("a", 3);
        let report = e.run(&["a"], &p, &opts(), &Cancel::new());
        let stopped = report.datasets[0].stopped.clone();
        let got = match &stopped {
            Some(StopReason::Prepare(_)) => "prepare",
            Some(StopReason::Finish(_)) => "finish",
            Some(StopReason::Resource(_)) => "resource",
            other => panic!("{expect}: {other:?}"),
        };
        assert_eq!(got, expect, "{stopped:?}");
        assert_eq!(report.exit_code(), 1);
        assert_eq!(e.counts("a").completed, completed, "{expect}");
    }
}
