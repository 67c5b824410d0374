//! Unit tests of the SQLite store: one behaviour each, on a temp database
//! with a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use tracker_core::*;

use crate::{HotStatement, SqliteStore, StoreOptions};

const T0: i64 = 1_700_000_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    store: SqliteStore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let store = SqliteStore::open(dir.path().join("p.db"), options(&clock)).unwrap();
    Fixture {
        _dir: dir,
        clock,
        store,
    }
}

fn options(clock: &Arc<ManualClock>) -> StoreOptions {
    StoreOptions {
        clock: clock.clone(),
        retry: RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(100),
        },
        ..StoreOptions::default()
    }
}

fn ds(name: &str) -> DatasetId {
    DatasetId::new(name).unwrap()
}

/// One claim of dataset `d` by worker `w`.
fn claim_one(f: &Fixture, w: u32) -> Claim {
    f.store
        .claim(&ds("d"), &worker(w), 1, LEASE)
        .unwrap()
        .remove(0)
}

/// A failure of `kind` with `message`, no cause.
fn failure(kind: FailureKind, message: &str) -> Failure {
    Failure {
        kind,
        cause: None,
        message: message.into(),
        started_at: None,
    }
}

fn new_file(dataset: &str, path: &str, size: u64) -> NewFile {
    NewFile {
        key: FileKey::new(ds(dataset), path).unwrap(),
        size: Some(size),
        source_modified: Some(Timestamp::from_millis(T0 - 1000)),
    }
}

/// Files `f0.zip`, `f1.zip`, … of `dataset`, file `i` of size `i`.
fn numbered(dataset: &str, n: u64) -> Vec<NewFile> {
    (0..n)
        .map(|i| new_file(dataset, &format!("f{i}.zip"), i))
        .collect()
}

fn worker(n: u32) -> WorkerId {
    WorkerId::new(format!("w{n}")).unwrap()
}

const LEASE: Duration = Duration::from_secs(60);

fn counts(store: &SqliteStore, dataset: &str) -> StatusCounts {
    store.summary(Some(&ds(dataset))).unwrap()[0].counts
}

fn status_of(store: &SqliteStore, dataset: &str, path: &str) -> FileRecord {
    store
        .file(&FileKey::new(ds(dataset), path).unwrap())
        .unwrap()
        .unwrap()
}

/// A database migrated only to `schema`, with `sql` run on it: what an
/// older build left behind. The folder goes with the returned guard.
fn old_database(schema: i32, sql: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    crate::open::migrate_to(&mut conn, schema).unwrap();
    conn.execute_batch(sql).unwrap();
    (dir, path)
}

/// A store on `path` at T0 (migrating it if it is older).
fn open_at_t0(path: &std::path::Path) -> SqliteStore {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    SqliteStore::open(path, options(&clock)).unwrap()
}

#[test]
fn a_file_goes_from_pending_to_completed() {
    let f = fixture();
    let r = f
        .store
        .register(&[new_file("d", "a.zip", 10), new_file("d", "b.zip", 20)])
        .unwrap();
    assert_eq!((r.new, r.changed, r.unchanged), (2, 0, 0));
    let claims = f.store.claim(&ds("d"), &worker(1), 10, LEASE).unwrap();
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].key.path(), "a.zip", "registration order");
    assert_eq!(claims[0].token, 1);
    assert_eq!(claims[0].lease_expires_at.as_millis(), T0 + 60_000);
    assert_eq!(counts(&f.store, "d").processing, 2);

    f.clock.advance(Duration::from_millis(1500));
    let metrics = CompletionMetrics {
        started_at: Some(Timestamp::from_millis(T0 + 500)),
        records_processed: 7,
        bytes_processed: 10,
        checksum: Some("sha256:00ff".into()),
        size_unconfirmed: false,
        outputs: Vec::new(),
    };
    f.store.complete(&claims[0], &metrics).unwrap();
    let rec = status_of(&f.store, "d", "a.zip");
    assert_eq!(rec.status, FileStatus::Completed);
    assert_eq!(rec.duration_ms, Some(1000));
    assert_eq!(rec.started_at, Some(Timestamp::from_millis(T0 + 500)));
    assert_eq!(rec.finished_at, Some(Timestamp::from_millis(T0 + 1500)));
    assert_eq!(rec.records_processed, Some(7));
    assert_eq!(rec.checksum.as_deref(), Some("sha256:00ff"));
    assert_eq!(rec.worker, None);
    assert_eq!(
        counts(&f.store, "d"),
        StatusCounts {
            pending: 0,
            processing: 1,
            completed: 1,
            failed: 0,
            vanished: 0
        }
    );
    assert!(!rec.size_unconfirmed);

    // a completion on the server's word alone is recorded as such, and
    // listed apart; a change at the source clears it with the result
    let unconfirmed = CompletionMetrics {
        size_unconfirmed: true,
        ..metrics
    };
    f.store.complete(&claims[1], &unconfirmed).unwrap();
    let listed = |only| {
        f.store
            .list(&ListQuery {
                dataset: Some(ds("d")),
                status: FileStatus::Completed,
                unconfirmed_only: only,
                after: None,
                limit: 10,
            })
            .unwrap()
            .files
    };
    assert_eq!(listed(false).len(), 2);
    let only = listed(true);
    assert_eq!(only.len(), 1);
    assert!(only[0].size_unconfirmed);
    assert_eq!(only[0].key, claims[1].key);
    f.store
        .register(&[NewFile {
            size: Some(99),
            ..new_file("d", claims[1].key.path(), 1)
        }])
        .unwrap();
    assert!(listed(true).is_empty());
}

#[test]
fn a_claimed_file_is_not_claimed_again() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    assert_eq!(
        f.store.claim(&ds("d"), &worker(1), 5, LEASE).unwrap().len(),
        1
    );
    assert!(
        f.store
            .claim(&ds("d"), &worker(2), 5, LEASE)
            .unwrap()
            .is_empty()
    );
    assert!(
        f.store
            .claim(&ds("other"), &worker(2), 5, LEASE)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn stale_tokens_are_rejected_after_expiry_and_reclaim() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let old = claim_one(&f, 1);
    f.clock.advance(LEASE + Duration::from_secs(1));
    assert_eq!(f.store.recover_expired().unwrap().requeued, 1);
    let new = claim_one(&f, 2);
    assert_eq!(new.token, 2);

    let stale = |r: Result<_>| matches!(r, Err(TrackerError::StaleClaim { token: 1, .. }));
    assert!(stale(f.store.complete(&old, &CompletionMetrics::default())));
    assert!(stale(f.store.renew(&old, LEASE).map(|_| ())));
    assert!(stale(f.store.release(&old)));
    let failure = failure(FailureKind::Permanent, "x");
    assert!(stale(f.store.fail(&old, &failure).map(|_| ())));

    f.store
        .complete(&new, &CompletionMetrics::default())
        .unwrap();
    assert_eq!(
        status_of(&f.store, "d", "a.zip").status,
        FileStatus::Completed
    );
}

#[test]
fn a_live_lease_is_not_recovered_and_renewal_extends_it() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let c = claim_one(&f, 1);
    f.clock.advance(Duration::from_secs(50));
    let until = f.store.renew(&c, LEASE).unwrap();
    assert_eq!(until.as_millis(), T0 + 110_000);
    f.clock.advance(Duration::from_secs(50));
    assert_eq!(f.store.recover_expired().unwrap().requeued, 0);
    f.store.complete(&c, &CompletionMetrics::default()).unwrap();
}

#[test]
fn transient_failures_back_off_then_fail_for_good() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let transient = failure(FailureKind::Transient, "timeout");
    for (attempt, wait) in [(1u32, 10u64), (2, 20)] {
        let c = claim_one(&f, 1);
        assert_eq!(c.token, attempt);
        let outcome = f.store.fail(&c, &transient).unwrap();
        let not_before = f.store.now().plus(Duration::from_secs(wait));
        assert_eq!(outcome, FailOutcome::Retry { not_before });
        assert!(
            f.store
                .claim(&ds("d"), &worker(1), 1, LEASE)
                .unwrap()
                .is_empty(),
            "backoff holds"
        );
        f.clock.set(not_before);
    }
    let c = claim_one(&f, 1);
    assert_eq!(f.store.fail(&c, &transient).unwrap(), FailOutcome::Failed);
    let rec = status_of(&f.store, "d", "a.zip");
    assert_eq!(
        (rec.status, rec.attempts, rec.failures),
        (FileStatus::Failed, 3, 3)
    );
    assert_eq!(rec.error_kind, Some(FailureKind::Transient));
    assert_eq!(rec.error_message.as_deref(), Some("timeout"));
}

#[test]
fn permanent_failure_fails_at_once_and_retry_brings_it_back() {
    let f = fixture();
    f.store
        .register(&[new_file("d", "a.zip", 1), new_file("d", "b.zip", 1)])
        .unwrap();
    let claims = f.store.claim(&ds("d"), &worker(1), 2, LEASE).unwrap();
    let corrupt = Failure {
        kind: FailureKind::Permanent,
        cause: Some(FailureCause::Content),
        message: "corrupt zip".into(),
        started_at: None,
    };
    for c in &claims {
        assert_eq!(f.store.fail(c, &corrupt).unwrap(), FailOutcome::Failed);
    }
    let page = f
        .store
        .list(&ListQuery {
            dataset: Some(ds("d")),
            status: FileStatus::Failed,
            unconfirmed_only: false,
            after: None,
            limit: 10,
        })
        .unwrap();
    assert_eq!(page.files.len(), 2);
    assert_eq!(page.files[0].error_message.as_deref(), Some("corrupt zip"));
    assert_eq!(page.files[0].error_cause, Some(FailureCause::Content));
    let last = f
        .store
        .activity(&ds("d"), Timestamp::from_millis(0))
        .unwrap()
        .last_failure
        .unwrap();
    assert_eq!(last.cause, Some(FailureCause::Content));

    assert_eq!(
        f.store
            .retry(Some(&ds("d")), &RetrySelection::Path("b.zip".into()))
            .unwrap(),
        1
    );
    assert_eq!(
        f.store
            .retry(None, &RetrySelection::Path("nope.zip".into()))
            .unwrap(),
        0
    );
    let b = status_of(&f.store, "d", "b.zip");
    assert_eq!(
        (b.status, b.failures, b.error_message, b.error_cause),
        (FileStatus::Pending, 0, None, None)
    );
    assert_eq!(f.store.retry(None, &RetrySelection::AllFailed).unwrap(), 1);
    assert_eq!(counts(&f.store, "d").pending, 2);
}

#[test]
fn reregistering_changes_only_changed_files() {
    let f = fixture();
    f.store
        .register(&[new_file("d", "a.zip", 1), new_file("d", "b.zip", 2)])
        .unwrap();
    let claims = f.store.claim(&ds("d"), &worker(1), 2, LEASE).unwrap();
    for c in &claims {
        f.store.complete(c, &CompletionMetrics::default()).unwrap();
    }
    let r = f
        .store
        .register(&[
            new_file("d", "a.zip", 1),
            new_file("d", "b.zip", 3),
            new_file("d", "c.zip", 4),
        ])
        .unwrap();
    assert_eq!((r.new, r.changed, r.unchanged), (1, 1, 1));
    assert_eq!(
        status_of(&f.store, "d", "a.zip").status,
        FileStatus::Completed
    );
    let b = status_of(&f.store, "d", "b.zip");
    assert_eq!(
        (b.status, b.size, b.records_processed),
        (FileStatus::Pending, Some(3), None)
    );
    assert_eq!(
        counts(&f.store, "d"),
        StatusCounts {
            pending: 2,
            processing: 0,
            completed: 1,
            failed: 0,
            vanished: 0
        }
    );
}

#[test]
fn a_source_change_during_processing_fences_out_the_old_worker() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let c = claim_one(&f, 1);
    f.store.register(&[new_file("d", "a.zip", 2)]).unwrap();
    assert!(matches!(
        f.store.complete(&c, &CompletionMetrics::default()),
        Err(TrackerError::StaleClaim { .. })
    ));
    assert_eq!(
        status_of(&f.store, "d", "a.zip").status,
        FileStatus::Pending
    );
}

#[test]
fn reset_by_status_and_whole_dataset() {
    let f = fixture();
    f.store
        .register(&[
            new_file("d", "a.zip", 1),
            new_file("d", "b.zip", 1),
            new_file("e", "a.zip", 1),
        ])
        .unwrap();
    let c = claim_one(&f, 1);
    f.store.complete(&c, &CompletionMetrics::default()).unwrap();
    f.store.claim(&ds("d"), &worker(1), 1, LEASE).unwrap();
    assert_eq!(
        f.store
            .reset(&ds("d"), Some(FileStatus::Completed))
            .unwrap(),
        1
    );
    assert_eq!(
        counts(&f.store, "d"),
        StatusCounts {
            pending: 1,
            processing: 1,
            completed: 0,
            failed: 0,
            vanished: 0
        }
    );
    assert_eq!(f.store.reset(&ds("d"), None).unwrap(), 2);
    assert_eq!(counts(&f.store, "d").pending, 2);
    assert_eq!(counts(&f.store, "e").pending, 1, "other datasets untouched");
    // the reset claim's attempts stay: tokens never go back
    assert_eq!(status_of(&f.store, "d", "b.zip").attempts, 1);
}

#[test]
fn release_returns_a_claim_without_counting_a_failure() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let c = claim_one(&f, 1);
    f.store.release(&c).unwrap();
    let rec = status_of(&f.store, "d", "a.zip");
    assert_eq!(
        (rec.status, rec.failures, rec.attempts),
        (FileStatus::Pending, 0, 1)
    );
    assert_eq!(
        f.store.claim(&ds("d"), &worker(2), 1, LEASE).unwrap()[0].token,
        2
    );
}

#[test]
fn listing_pages_through_every_file_once() {
    let f = fixture();
    let files: Vec<_> = (0..25)
        .map(|i| new_file("d", &format!("f{i:02}.zip"), i))
        .collect();
    f.store.register(&files).unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = f
            .store
            .list(&ListQuery {
                dataset: None,
                status: FileStatus::Pending,
                unconfirmed_only: false,
                after,
                limit: 10,
            })
            .unwrap();
        seen.extend(page.files.iter().map(|r| r.key.path().to_owned()));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let expected: Vec<_> = (0..25).map(|i| format!("f{i:02}.zip")).collect();
    assert_eq!(seen, expected);
}

#[test]
fn reopening_as_sole_user_recovers_a_dead_runs_claims() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let path = dir.path().join("p.db");
    {
        let s = SqliteStore::open(&path, options(&clock)).unwrap();
        assert!(s.open_report().sole_user);
        s.register(&[new_file("d", "a.zip", 1)]).unwrap();
        s.claim(&ds("d"), &worker(1), 1, LEASE).unwrap();
        // dropped with the claim held: as if the process died
    }
    let s = SqliteStore::open(&path, options(&clock)).unwrap();
    assert_eq!(s.open_report().orphans_recovered, 1);
    assert_eq!(counts(&s, "d").pending, 1);
}

#[test]
fn a_second_handle_does_not_take_a_live_handles_claims() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    f.store.claim(&ds("d"), &worker(1), 1, LEASE).unwrap();
    let other = f.store.reopen().unwrap();
    let report = other.open_report();
    assert!(!report.sole_user);
    assert_eq!(report.orphans_recovered, 0);
    assert_eq!(counts(&other, "d").processing, 1);
}

#[test]
fn hot_statements_are_not_reprepared() {
    let f = fixture();
    let files: Vec<_> = (0..300)
        .map(|i| new_file(if i % 3 == 0 { "a" } else { "b" }, &format!("f{i}.zip"), i))
        .collect();
    f.store.register(&files).unwrap();
    for round in 0..200 {
        let d = if round % 2 == 0 { "a" } else { "b" };
        for c in f.store.claim(&ds(d), &worker(round % 4), 1, LEASE).unwrap() {
            f.store.complete(&c, &CompletionMetrics::default()).unwrap();
        }
    }
    assert!(f.store.reprepare_count(HotStatement::Claim).unwrap() <= 1);
    assert!(f.store.reprepare_count(HotStatement::Complete).unwrap() <= 1);
}

#[test]
fn oversized_values_are_refused_not_wrapped() {
    let f = fixture();
    let mut file = new_file("d", "a.zip", 0);
    file.size = Some(u64::MAX);
    assert!(matches!(
        f.store.register(&[file]),
        Err(TrackerError::InvalidInput(_))
    ));
    assert_eq!(
        f.store.summary(None).unwrap(),
        vec![],
        "nothing half-registered"
    );
}

#[test]
fn integrity_check_and_info() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    assert_eq!(f.store.integrity_check().unwrap(), vec!["ok".to_owned()]);
    let info = f.store.info().unwrap();
    assert_eq!(info.files, 1);
    assert_eq!(info.schema_version, info.known_schema_version);
    assert!(f.store.checkpoint().unwrap());
    f.store.vacuum().unwrap();
}

#[test]
fn complete_many_fences_each_claim_on_its_own() {
    let f = fixture();
    f.store
        .register(&[new_file("d", "a.zip", 1), new_file("d", "b.zip", 1)])
        .unwrap();
    let claims = f.store.claim(&ds("d"), &worker(1), 2, LEASE).unwrap();
    f.store.release(&claims[0]).unwrap(); // a.zip's claim is now stale
    let done: Vec<_> = claims
        .iter()
        .map(|c| (c.clone(), CompletionMetrics::default()))
        .collect();
    let results = f.store.complete_many(&done).unwrap();
    assert!(matches!(results[0], Err(TrackerError::StaleClaim { .. })));
    assert!(results[1].is_ok());
    assert_eq!(
        status_of(&f.store, "d", "a.zip").status,
        FileStatus::Pending
    );
    assert_eq!(
        status_of(&f.store, "d", "b.zip").status,
        FileStatus::Completed
    );
}

#[test]
fn the_background_checkpointer_bounds_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let limit = 256 * 1024;
    let opts = StoreOptions {
        journal_size_limit: limit,
        ..options(&clock)
    };
    let path = dir.path().join("p.db");
    let store = SqliteStore::open(&path, opts).unwrap();
    let wal = dir.path().join("p.db-wal");
    let files = numbered("d", 5_000);
    // Watch the WAL's size while writing: the checkpointer may already
    // truncate it between two writes, so a single look afterwards could miss
    // the growth (regression: this test was flaky that way).
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (wal, stop) = (wal.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                peak = peak.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
                std::thread::sleep(Duration::from_micros(200));
            }
            peak
        })
    };
    // one transaction: the WAL grows by all of it at once
    store.register(&files).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::fs::metadata(&wal).unwrap().len() > limit as u64 {
        assert!(std::time::Instant::now() < deadline, "WAL not truncated");
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let grown = watcher.join().unwrap();
    assert!(
        grown > limit as u64,
        "the test must grow the WAL past the limit ({grown})"
    );
    assert_eq!(counts(&store, "d").pending, 5_000);
}

#[test]
fn a_schema_1_database_is_upgraded_with_its_data() {
    let (_dir, path) = old_database(
        1,
        "INSERT INTO datasets VALUES ('d', 0);
         INSERT INTO file_processing_log (dataset, file_path, status, created_at, updated_at)
         VALUES ('d', 'a.zip', 'pending', 0, 0);",
    );
    let store = open_at_t0(&path);
    let report = store.open_report();
    assert_eq!(
        (report.schema_before, report.schema_after),
        (1, crate::known_schema_version())
    );
    assert!(report.schema_after >= 2);
    assert_eq!(counts(&store, "d").pending, 1);
    assert_eq!(status_of(&store, "d", "a.zip").checksum, None);
}

#[test]
fn activity_shows_workers_oldest_claim_recent_completions_and_last_failure() {
    let f = fixture();
    f.store.register(&numbered("d", 6)).unwrap();
    let first = f.store.claim(&ds("d"), &worker(1), 2, LEASE).unwrap();
    f.clock.advance(Duration::from_secs(5));
    let second = f.store.claim(&ds("d"), &worker(2), 3, LEASE).unwrap();
    f.store
        .complete(&first[0], &CompletionMetrics::default())
        .unwrap();
    let failure = failure(FailureKind::Permanent, "corrupt zip");
    f.store.fail(&second[0], &failure).unwrap();

    let a = f
        .store
        .activity(&ds("d"), Timestamp::from_millis(T0))
        .unwrap();
    assert_eq!(a.completed_since, 1);
    assert_eq!(a.counted_since, Some(Timestamp::from_millis(T0 + 5_000)));
    assert_eq!(a.workers, vec![(worker(1), 1), (worker(2), 2)]);
    let (oldest, at) = a.oldest_claim.unwrap();
    assert_eq!((oldest.path(), at.as_millis()), ("f1.zip", T0));
    let last = a.last_failure.unwrap();
    assert_eq!(
        (last.key.path(), last.message.as_deref()),
        ("f2.zip", Some("corrupt zip"))
    );
    let later = f
        .store
        .activity(&ds("d"), f.clock.now().plus(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(
        (later.completed_since, later.counted_since),
        (1, a.counted_since),
        "counted from the newest mark before the instant asked"
    );
}

/// The rate `status` shows comes from marks of the completed count (schema
/// 10): counted from the newest mark at or before the instant asked, or the
/// oldest after it; a handle marks at most every MARK_EVERY; marks older
/// than MARKS_KEPT go.
#[test]
fn completions_are_counted_from_the_marks() {
    let f = fixture();
    f.store.register(&numbered("d", 5)).unwrap();
    let none = f.store.activity(&ds("d"), f.clock.now()).unwrap();
    assert_eq!((none.completed_since, none.counted_since), (0, None));
    let done = |f: &Fixture| {
        let c = claim_one(f, 1);
        f.store.complete(&c, &CompletionMetrics::default()).unwrap();
    };
    done(&f); // mark (T0, 0)
    f.clock.advance(Duration::from_secs(1));
    done(&f); // within MARK_EVERY: no mark
    f.clock.advance(Duration::from_secs(60));
    done(&f); // mark (T0 + 61 s, 2)
    let at = |ms: i64| Timestamp::from_millis(T0 + ms);
    let a = f.store.activity(&ds("d"), at(30_000)).unwrap();
    assert_eq!((a.completed_since, a.counted_since), (3, Some(at(0))));
    let a = f.store.activity(&ds("d"), at(61_000)).unwrap();
    assert_eq!((a.completed_since, a.counted_since), (1, Some(at(61_000))));
    f.clock.advance(crate::MARKS_KEPT * 2);
    done(&f); // mark (now, 3); the two older ones pruned
    let now = f.clock.now();
    let a = f
        .store
        .activity(&ds("d"), now.minus(Duration::from_secs(300)))
        .unwrap();
    assert_eq!((a.completed_since, a.counted_since), (1, Some(now)));
    // a reset lowers the count: never a negative rate
    f.store.reset(&ds("d"), None).unwrap();
    let a = f.store.activity(&ds("d"), now).unwrap();
    assert_eq!(a.completed_since, 0);
}

#[test]
fn vanished_files_leave_the_work_and_come_back_when_listed_again() {
    let f = fixture();
    f.store.register(&numbered("d", 4)).unwrap();
    let done = claim_one(&f, 1);
    f.store
        .complete(&done, &CompletionMetrics::default())
        .unwrap();

    // f0 (completed) and f1 (pending) vanish; f2 and f3 are still listed
    let present = ["f2.zip", "f3.zip"];
    let mut gone = f.store.mark_vanished(&ds("d"), &present).unwrap();
    gone.sort();
    assert_eq!(gone, ["f0.zip", "f1.zip"]);
    assert!(
        f.store
            .mark_vanished(&ds("d"), &present)
            .unwrap()
            .is_empty(),
        "marked once"
    );
    assert_eq!(
        counts(&f.store, "d"),
        StatusCounts {
            pending: 2,
            processing: 0,
            completed: 0,
            failed: 0,
            vanished: 2
        }
    );
    assert!(status_of(&f.store, "d", "f1.zip").vanished_at.is_some());

    let claimed: Vec<_> = f
        .store
        .claim(&ds("d"), &worker(1), 10, LEASE)
        .unwrap()
        .into_iter()
        .map(|c| c.key.path().to_owned())
        .collect();
    assert_eq!(
        claimed,
        ["f2.zip", "f3.zip"],
        "vanished files are not claimed"
    );

    // f1 is listed again, unchanged: back in the work
    let r = f.store.register(&[new_file("d", "f1.zip", 1)]).unwrap();
    assert_eq!((r.unchanged, r.reappeared), (1, 1));
    assert_eq!(status_of(&f.store, "d", "f1.zip").vanished_at, None);
    assert_eq!(
        f.store.claim(&ds("d"), &worker(1), 10, LEASE).unwrap()[0]
            .key
            .path(),
        "f1.zip"
    );
    let c = counts(&f.store, "d");
    assert_eq!((c.processing, c.vanished, c.total()), (3, 1, 4));
}

/// A WAL deleted under a live process: that process refuses every further
/// write at once, a newcomer refuses to open while it lives, and once it
/// is gone the database opens and is intact.
#[test]
fn a_deleted_wal_stops_the_owner_and_a_newcomer_refuses() {
    let f = fixture();
    let db = f._dir.path().join("p.db");
    let wal = f._dir.path().join("p.db-wal");
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    assert!(wal.exists());
    std::fs::remove_file(&wal).unwrap();
    // the checkpointer looks every 50 ms
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let err = loop {
        match f.store.register(&[new_file("d", "b.zip", 1)]) {
            Err(e) => break e,
            Ok(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(_) => panic!("writes went on after the WAL was deleted"),
        }
    };
    assert!(err.to_string().contains("WAL"), "{err}");
    assert!(
        f.store.claim(&ds("d"), &worker(1), 1, LEASE).is_err(),
        "every write is refused"
    );

    let quick = StoreOptions {
        busy_timeout: Duration::from_millis(300),
        ..options(&f.clock)
    };
    let refused = SqliteStore::open(&db, quick.clone()).unwrap_err();
    assert!(
        matches!(refused, crate::SqliteError::WalMissing { .. }),
        "{refused}"
    );
    assert!(!wal.exists(), "the refused open made no WAL");

    drop(f.store);
    let after = SqliteStore::open(&db, quick).unwrap();
    assert_eq!(after.integrity_check().unwrap(), vec!["ok".to_owned()]);
    // what was committed before (and in the moment before the checkpointer
    // noticed) was checkpointed from the deleted WAL when the owner closed
    let a = FileKey::new(ds("d"), "a.zip").unwrap();
    assert!(after.file(&a).unwrap().is_some());
}

#[test]
fn a_release_with_a_reason_keeps_the_error_but_not_a_failure() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let claim = claim_one(&f, 1);
    let full = failure(
        FailureKind::Transient,
        "out/a.parquet: No space left on device",
    );
    f.store.release_with_reason(&claim, &full).unwrap();
    let rec = status_of(&f.store, "d", "a.zip");
    assert_eq!(rec.status, FileStatus::Pending);
    assert_eq!(rec.failures, 0, "the file's attempts are not used up");
    assert_eq!(rec.error_message.as_deref(), Some(full.message.as_str()));
    assert_eq!(rec.worker, None);
    // fenced like every write about a claim
    assert!(matches!(
        f.store.release_with_reason(&claim, &full),
        Err(TrackerError::StaleClaim { .. })
    ));
    // claimable at once
    assert_eq!(
        f.store.claim(&ds("d"), &worker(2), 1, LEASE).unwrap().len(),
        1
    );
}

#[test]
fn series_inputs_are_replaced_per_series() {
    let f = fixture();
    let input = |series: &str, file: &str, sum: &str| SeriesInput {
        series: series.into(),
        file: file.into(),
        checksum: Some(sum.into()),
    };
    let d = ds("hourly/air_temperature");
    assert!(f.store.series_inputs(&d).unwrap().is_empty());
    let a = [
        input("00044", "historical/h.zip", "s1"),
        input("00044", "recent/r.zip", "s2"),
    ];
    f.store.set_series_inputs(&d, "00044", &a).unwrap();
    f.store
        .set_series_inputs(&d, "00003", &[input("00003", "now/n.zip", "s3")])
        .unwrap();
    f.store
        .set_series_inputs(&ds("daily/kl"), "00044", &[input("00044", "x.zip", "s9")])
        .unwrap();
    let got = f.store.series_inputs(&d).unwrap();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].series, "00003", "ordered by series");
    // a rebuild replaces the series' inputs; none removes them
    let b = [input("00044", "recent/r.zip", "s4")];
    f.store.set_series_inputs(&d, "00044", &b).unwrap();
    f.store.set_series_inputs(&d, "00003", &[]).unwrap();
    assert_eq!(f.store.series_inputs(&d).unwrap(), b.to_vec());
    assert_eq!(f.store.series_inputs(&ds("daily/kl")).unwrap().len(), 1);
}

/// Another connection's checkpoint (the background checkpointer's, say)
/// makes SQLite answer "busy" at once; an explicit checkpoint still
/// completes.
#[test]
fn checkpoint_completes_beside_another_connections_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let db = dir.path().join("p.db");
    let store = SqliteStore::open(&db, options(&clock)).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let other = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&db).unwrap();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _: i64 = conn
                    .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(0))
                    .unwrap();
                n += 1;
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            n
        })
    };
    for k in 0..40 {
        let files: Vec<_> = (0..50)
            .map(|i| new_file("d", &format!("{k}-{i}.zip"), 1))
            .collect();
        store.register(&files).unwrap();
        assert!(store.checkpoint().unwrap(), "round {k}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(other.join().unwrap() > 0);
}

/// The false alarm of a healthy run: a store that opens and closes within
/// the checkpointer's first 50 ms (the `dwd` processor's dataset phase does,
/// between datasets) while the process's shared state lives on. SQLite
/// deletes the WAL when the last connection holding the database closes;
/// the checkpointer's own connection must hold it from its start, or the
/// store's close deletes the WAL and the checkpointer then reports it
/// "deleted or replaced" and refuses every further write.
#[test]
fn a_store_closed_at_once_raises_no_wal_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let db = dir.path().join("p.db");
    // the database exists and has no WAL: every open below makes a new one
    drop(SqliteStore::open(&db, options(&clock)).unwrap());
    let canonical = std::fs::canonicalize(&db).unwrap();
    for round in 0..10 {
        let store = SqliteStore::open(&db, options(&clock)).unwrap();
        // the process's shared state outlives the store, as when another
        // thread's store is being dropped at the same time
        let shared = crate::shared::shared_for(&canonical, 1 << 20);
        drop(store);
        std::thread::sleep(Duration::from_millis(150));
        assert!(
            shared.wal_ok(),
            "round {round}: the WAL alarm fired on a healthy close"
        );
        drop(shared);
    }
}

/// Every query `status` and `failed` make is served by an index of its
/// status (never the dataset's every row through the path index, as the
/// planner chose before schema 7: 0.61 s a dataset at 757K files).
#[test]
fn status_and_failed_queries_are_served_by_their_indexes() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let conn = rusqlite::Connection::open(f._dir.path().join("p.db")).unwrap();
    let plans = [
        ("mark before", crate::sql::MARK_BEFORE.to_owned(), 2),
        ("completed now", crate::sql::COMPLETED_NOW.to_owned(), 1),
        ("active workers", crate::sql::ACTIVE_WORKERS.to_owned(), 1),
        ("oldest claim", crate::sql::OLDEST_CLAIM.to_owned(), 1),
        ("last failure", crate::sql::LAST_FAILURE.to_owned(), 1),
        ("summary", crate::sql::SUMMARY_ONE.to_owned(), 1),
        (
            "failed",
            crate::sql::list(FileStatus::Failed, false, false),
            2,
        ),
        (
            "failed --dataset",
            crate::sql::list(FileStatus::Failed, true, false),
            3,
        ),
        (
            "unconfirmed",
            crate::sql::list(FileStatus::Completed, false, true),
            2,
        ),
        (
            "unconfirmed --dataset",
            crate::sql::list(FileStatus::Completed, true, true),
            3,
        ),
    ];
    for (what, sql, params) in plans {
        let detail = query_plan(&conn, &sql, params);
        for d in detail.iter().filter(|d| {
            (d.starts_with("SCAN") || d.starts_with("SEARCH")) && !d.contains("(subquery")
        }) {
            assert!(
                d.contains("USING INDEX")
                    || d.contains("USING COVERING INDEX")
                    || d.contains("USING PRIMARY KEY")
                    || d.contains("USING INTEGER PRIMARY KEY"),
                "{what}: {d}"
            );
            assert!(!d.contains("files_path"), "{what}: {d}");
        }
    }
}

/// The lines of `EXPLAIN QUERY PLAN` for `sql`, its `params` parameters
/// bound to 1, 2, ….
fn query_plan(conn: &rusqlite::Connection, sql: &str, params: i64) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let args: Vec<i64> = (1..=params).collect();
    stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `list_up_to` pages through the store: at most `limit` files, in
/// registration order, whatever the page size.
#[test]
fn list_up_to_pages_to_the_limit_in_order() {
    let f = fixture();
    let files: Vec<NewFile> = (0..30)
        .map(|i| new_file("d", &format!("f{i:02}.zip"), 1))
        .collect();
    f.store.register(&files).unwrap();
    let q = ListQuery {
        dataset: Some(ds("d")),
        status: FileStatus::Pending,
        unconfirmed_only: false,
        after: None,
        limit: 7,
    };
    let some = f.store.list_up_to(&q, 25).unwrap();
    assert_eq!(some.len(), 25);
    let all = f.store.list_up_to(&q, usize::MAX).unwrap();
    let paths: Vec<&str> = all.iter().map(|r| r.key.path()).collect();
    let expected: Vec<String> = (0..30).map(|i| format!("f{i:02}.zip")).collect();
    assert_eq!(paths, expected);
    assert_eq!(&all[..25], &some[..]);
}

/// The crawl's vanish check finds a dataset's range of ids through the path
/// index (led by the dataset) and reads that range; a lookup by path goes
/// through the path key: never a scan of the table, no temporary b-tree.
#[test]
fn the_vanish_check_and_lookups_by_path_use_the_path_index() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let conn = rusqlite::Connection::open(f._dir.path().join("p.db")).unwrap();
    for (sql, params) in [
        (crate::sql::NOT_VANISHED.to_owned(), 1),
        (crate::sql::SOURCE_STATE.to_owned(), 3),
        (crate::sql::file_by_key(), 3),
        (crate::sql::REDO.to_owned(), 3),
        (crate::sql::retry(true, true), 3),
    ] {
        let detail = query_plan(&conn, &sql, params);
        assert!(
            detail.iter().any(|d| d.contains("INDEX files_path")),
            "{sql}: {detail:?}"
        );
        assert!(
            !detail
                .iter()
                .any(|d| d.contains("TEMP B-TREE") || d.starts_with("SCAN f")),
            "{sql}: {detail:?}"
        );
    }
}

/// Two paths with one path key (a real FNV-1a collision) are two files:
/// registered, looked up, retried and marked vanished each on its own.
#[test]
fn paths_sharing_a_path_key_are_told_apart() {
    let (a, b) = (
        "historical/10minutenwerte_TU_439599_hist.zip",
        "historical/10minutenwerte_TU_622382_hist.zip",
    );
    assert_eq!(
        crate::sql::path_key(a),
        crate::sql::path_key(b),
        "the test needs a collision"
    );
    let f = fixture();
    let r = f
        .store
        .register(&[new_file("d", a, 1), new_file("d", b, 2)])
        .unwrap();
    assert_eq!(r.new, 2);
    assert_eq!(status_of(&f.store, "d", a).size, Some(1));
    assert_eq!(status_of(&f.store, "d", b).size, Some(2));
    let r = f.store.register(&[new_file("d", b, 3)]).unwrap();
    assert_eq!((r.new, r.changed), (0, 1));
    assert_eq!(status_of(&f.store, "d", a).size, Some(1));
    assert_eq!(
        f.store.mark_vanished(&ds("d"), &[a]).unwrap(),
        vec![b.to_owned()]
    );
    assert_eq!(status_of(&f.store, "d", a).vanished_at, None);
}

/// The database keeps (dataset, path) unique itself, as the unique index
/// did before schema 10: a second row for a path is refused.
#[test]
fn the_database_refuses_a_second_row_for_a_path() {
    let f = fixture();
    f.store.register(&[new_file("d", "a.zip", 1)]).unwrap();
    let conn = rusqlite::Connection::open(f._dir.path().join("p.db")).unwrap();
    let key = crate::sql::path_key("a.zip");
    let e = conn
        .execute(
            "INSERT INTO files (dataset_id, path_key, file_path, created_at) \
             VALUES ((SELECT id FROM datasets WHERE name = 'd'), ?1, 'a.zip', 0)",
            [key],
        )
        .unwrap_err();
    assert!(e.to_string().contains("UNIQUE"), "{e}");
    conn.execute(
        "INSERT INTO files (dataset_id, path_key, file_path, created_at) \
         VALUES ((SELECT id FROM datasets WHERE name = 'd'), ?1, 'b.zip', 0)",
        [crate::sql::path_key("b.zip")],
    )
    .unwrap();
}

/// A SHA-256 is stored as its 32 bytes (schema 9) and read back as the
/// `sha256:<hex>` it was given; another form stays text. The migration's
/// statement turns a stored text checksum into the same bytes.
#[test]
fn a_sha256_is_stored_as_its_32_bytes() {
    let f = fixture();
    f.store
        .register(&[new_file("d", "a.zip", 1), new_file("d", "b.zip", 1)])
        .unwrap();
    let sum = format!("sha256:{}", "0123456789abcdef".repeat(4));
    for (c, checksum) in f
        .store
        .claim(&ds("d"), &worker(1), 2, LEASE)
        .unwrap()
        .iter()
        .zip([sum.clone(), "md5:abc".to_owned()])
    {
        let metrics = CompletionMetrics {
            checksum: Some(checksum),
            ..CompletionMetrics::default()
        };
        f.store.complete(c, &metrics).unwrap();
    }
    assert_eq!(
        status_of(&f.store, "d", "a.zip").checksum,
        Some(sum.clone())
    );
    assert_eq!(
        status_of(&f.store, "d", "b.zip").checksum.as_deref(),
        Some("md5:abc")
    );
    let conn = rusqlite::Connection::open(f._dir.path().join("p.db")).unwrap();
    let stored = |path: &str| -> (String, i64) {
        conn.query_row(
            "SELECT typeof(checksum), length(checksum) FROM files WHERE file_path = ?1",
            [path],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(stored("a.zip"), ("blob".to_owned(), 32));
    assert_eq!(stored("b.zip").0, "text");
}

/// A database of schema 8 (text checksums, the path index, status names)
/// keeps every file, status, checksum and count through schemas 9 and 10.
#[test]
fn a_schema_8_database_is_upgraded_with_its_data() {
    let sum = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let (_dir, path) = old_database(
        8,
        &format!(
            "INSERT INTO datasets VALUES ('b', 0), ('a', 0);
             INSERT INTO file_processing_log (dataset, file_path, status, created_at, updated_at)
             VALUES ('b', 'p.zip', 'pending', 1, 1);
             INSERT INTO file_processing_log (dataset, file_path, size, source_modified,
               status, started_at, finished_at, duration_ms, checksum, created_at, updated_at)
             VALUES ('b', 'c.zip', 7, {modified}, 'completed', 10, 25, 15, '{sum}', 2, 25);
             INSERT INTO file_processing_log (dataset, file_path, status, worker_id,
               lease_expires_at, attempts, created_at, updated_at)
             VALUES ('a', 'w.zip', 'processing', 'w1', 99, 1, 3, 3);
             INSERT INTO file_processing_log (dataset, file_path, status, error_kind,
               error_message, error_cause, attempts, failures, created_at, updated_at)
             VALUES ('a', 'f.zip', 'failed', 'permanent', 'bad zip', 'content', 2, 2, 4, 4);
             INSERT INTO file_processing_log (dataset, file_path, status, vanished_at,
               created_at, updated_at)
             VALUES ('a', 'v.zip', 'pending', 50, 5, 5);",
            modified = T0 - 1000
        ),
    );
    let store = open_at_t0(&path);
    assert_eq!(
        (
            store.open_report().schema_before,
            store.open_report().schema_after
        ),
        (8, crate::known_schema_version())
    );
    let c = status_of(&store, "b", "c.zip");
    assert_eq!(
        (
            c.status,
            c.size,
            c.checksum.as_deref(),
            c.started_at,
            c.duration_ms,
            c.created_at
        ),
        (
            FileStatus::Completed,
            Some(7),
            Some(sum.as_str()),
            Some(Timestamp::from_millis(10)),
            Some(15),
            Timestamp::from_millis(2)
        )
    );
    let fl = status_of(&store, "a", "f.zip");
    assert_eq!(
        (
            fl.status,
            fl.error_message.as_deref(),
            fl.error_cause,
            fl.failures
        ),
        (
            FileStatus::Failed,
            Some("bad zip"),
            Some(FailureCause::Content),
            2
        )
    );
    // the dead run's claim went back to pending at open
    assert_eq!(status_of(&store, "a", "w.zip").status, FileStatus::Pending);
    assert!(status_of(&store, "a", "v.zip").vanished_at.is_some());
    let a = counts(&store, "a");
    assert_eq!((a.pending, a.failed, a.vanished), (1, 1, 1));
    let b = counts(&store, "b");
    assert_eq!((b.pending, b.completed), (1, 1));
    assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_owned()]);
    let check = crate::check_read_only(&path).unwrap();
    assert!(check.ok(), "{:?}", check.messages());
    // registration and claims go on
    let r = store
        .register(&[new_file("b", "c.zip", 7), new_file("b", "n.zip", 1)])
        .unwrap();
    assert_eq!((r.new, r.unchanged), (1, 1));
    let claims = store.claim(&ds("b"), &worker(1), 10, LEASE).unwrap();
    let paths: Vec<&str> = claims.iter().map(|c| c.key.path()).collect();
    assert_eq!(paths, ["p.zip", "n.zip"]);
    // the view keeps the old shape for reading by hand
    let conn = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM file_processing_log WHERE dataset = 'b' AND status = 'completed' \
             AND duration_ms = 15",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// The open that migrates gives back the pages a rebuilt table left free
/// (schema 10 copies every file into a new table): it vacuums when over a
/// quarter of the file is free.
#[test]
fn a_migration_that_frees_much_of_the_file_vacuums_it() {
    let (_dir, path) = old_database(
        9,
        "INSERT INTO datasets VALUES ('d', 0);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
         INSERT INTO file_processing_log (dataset, file_path, status, created_at, updated_at)
         SELECT 'd', printf('historical/stundenwerte_TU_%05d_hist.zip', i), 'pending', 0, 0
         FROM n;",
    );
    let before = std::fs::metadata(&path).unwrap().len();
    let store = open_at_t0(&path);
    assert_eq!(counts(&store, "d").pending, 40_000);
    let info = store.info().unwrap();
    assert!(
        info.freelist_count * 20 < info.page_count,
        "{} of {} pages free",
        info.freelist_count,
        info.page_count
    );
    // (the file itself shrinks at the next checkpoint: WAL mode)
    let bytes = (info.page_count * info.page_size) as u64;
    assert!(bytes < before * 3 / 4, "{bytes} bytes, {before} before");
}
