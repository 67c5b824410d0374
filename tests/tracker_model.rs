//! Property test: random operation sequences against the SQLite store and a
//! tiny in-memory model side by side, with several workers and a manual
//! clock. After every step the store must agree with the model.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::Index;
use tracker_core::*;
use tracker_sqlite::SqliteStore;

use crate::util::{T0, dataset, fast_retry, manual_options};

const DATASETS: [&str; 2] = ["10_minutes/air_temperature", "daily/kl"];
const FILES: usize = 4;
const WORKERS: usize = 3;
const LEASE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
enum Op {
    Register {
        ds: usize,
        file: usize,
        size: u64,
    },
    Claim {
        ds: usize,
        worker: usize,
        max: usize,
    },
    Renew(Index),
    Complete(Index),
    CompleteMany(Vec<Index>),
    Fail(Index, bool),
    Release(Index),
    Advance(u64),
    RecoverExpired,
    Retry(Option<usize>, Option<usize>),
    Reset(usize, Option<FileStatus>),
    /// A crawl listed only the files of the dataset whose bit is set.
    MarkVanished(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let status = prop::option::of(prop::sample::select(FileStatus::ALL.to_vec()));
    prop_oneof![
        3 => (0..DATASETS.len(), 0..FILES, 0u64..3).prop_map(|(ds, file, size)| Op::Register { ds, file, size }),
        4 => (0..DATASETS.len(), 0..WORKERS, 0usize..4).prop_map(|(ds, worker, max)| Op::Claim { ds, worker, max }),
        1 => any::<Index>().prop_map(Op::Renew),
        3 => any::<Index>().prop_map(Op::Complete),
        1 => prop::collection::vec(any::<Index>(), 1..4).prop_map(Op::CompleteMany),
        2 => (any::<Index>(), any::<bool>()).prop_map(|(i, t)| Op::Fail(i, t)),
        1 => any::<Index>().prop_map(Op::Release),
        2 => (0u64..25).prop_map(Op::Advance),
        1 => Just(Op::RecoverExpired),
        1 => (prop::option::of(0..DATASETS.len()), prop::option::of(0..FILES)).prop_map(|(d, f)| Op::Retry(d, f)),
        1 => (0..DATASETS.len(), status).prop_map(|(d, s)| Op::Reset(d, s)),
        1 => (0..DATASETS.len(), any::<u8>()).prop_map(|(d, m)| Op::MarkVanished(d, m)),
    ]
}

#[derive(Clone, Debug)]
struct ModelFile {
    order: usize,
    status: FileStatus,
    size: u64,
    attempts: u32,
    failures: u32,
    lease_expires: i64,
    not_before: Option<i64>,
    vanished: bool,
}

impl ModelFile {
    fn make_pending(&mut self, clear_failures: bool) {
        self.status = FileStatus::Pending;
        if clear_failures {
            self.failures = 0;
            self.not_before = None;
        }
    }
}

struct Model {
    files: BTreeMap<(usize, usize), ModelFile>,
    next_order: usize,
    now: i64,
    policy: RetryPolicy,
}

fn path(file: usize) -> String {
    format!("historical/f{file}.zip")
}

fn key(ds: usize, file: usize) -> FileKey {
    FileKey::new(dataset(DATASETS[ds]), path(file)).unwrap()
}

fn locate(k: &FileKey) -> (usize, usize) {
    let ds = DATASETS
        .iter()
        .position(|d| *d == k.dataset.as_str())
        .unwrap();
    let file = (0..FILES).find(|f| path(*f) == k.path()).unwrap();
    (ds, file)
}

impl Model {
    /// Whether a write with this claim must be accepted.
    fn current(&self, c: &Claim) -> bool {
        let f = &self.files[&locate(&c.key)];
        f.status == FileStatus::Processing && f.attempts == c.token
    }

    fn counts(&self, ds: usize) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for ((d, _), f) in &self.files {
            if *d == ds && f.vanished {
                counts.vanished += 1;
            } else if *d == ds {
                *counts.get_mut(f.status) += 1;
            }
        }
        counts
    }
}

fn expect_stale<T: std::fmt::Debug>(r: Result<T>) -> std::result::Result<(), TestCaseError> {
    prop_assert!(
        matches!(r, Err(TrackerError::StaleClaim { .. })),
        "expected a stale claim error, got {r:?}"
    );
    Ok(())
}

fn run(ops: Vec<Op>) -> std::result::Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let policy = fast_retry();
    let store = SqliteStore::open(dir.path().join("p.db"), manual_options(&clock, policy)).unwrap();
    let mut model = Model {
        files: BTreeMap::new(),
        next_order: 0,
        now: T0,
        policy,
    };
    let workers: Vec<WorkerId> = (0..WORKERS)
        .map(|w| WorkerId::new(format!("w{w}")).unwrap())
        .collect();
    let mut claims: Vec<Claim> = Vec::new();
    let mut last_attempts: BTreeMap<(usize, usize), u32> = BTreeMap::new();

    for op in ops {
        match op {
            Op::Register { ds, file, size } => {
                let new = NewFile {
                    key: key(ds, file),
                    size: Some(size),
                    source_modified: Some(Timestamp::from_millis(T0)),
                };
                let report = store.register(std::slice::from_ref(&new)).unwrap();
                let existing = model.files.get(&(ds, file)).map(|f| SourceState {
                    size: Some(f.size),
                    source_modified: Some(Timestamp::from_millis(T0)),
                });
                match register_action(existing, &new) {
                    RegisterAction::Insert => {
                        prop_assert_eq!(report.new, 1);
                        model.files.insert(
                            (ds, file),
                            ModelFile {
                                order: model.next_order,
                                status: FileStatus::Pending,
                                size,
                                attempts: 0,
                                failures: 0,
                                lease_expires: 0,
                                not_before: None,
                                vanished: false,
                            },
                        );
                        model.next_order += 1;
                    }
                    RegisterAction::Requeue => {
                        prop_assert_eq!(report.changed, 1);
                        let f = model.files.get_mut(&(ds, file)).unwrap();
                        f.size = size;
                        f.make_pending(true);
                    }
                    RegisterAction::Unchanged => prop_assert_eq!(report.unchanged, 1),
                }
                if let Some(f) = model.files.get_mut(&(ds, file)) {
                    prop_assert_eq!(report.reappeared, u64::from(f.vanished));
                    f.vanished = false;
                }
            }
            Op::Claim { ds, worker, max } => {
                let got = store
                    .claim(&dataset(DATASETS[ds]), &workers[worker], max, LEASE)
                    .unwrap();
                let mut expected: Vec<(usize, usize)> = model
                    .files
                    .iter()
                    .filter(|((d, _), f)| {
                        *d == ds
                            && !f.vanished
                            && f.status == FileStatus::Pending
                            && f.not_before.is_none_or(|nb| nb <= model.now)
                    })
                    .map(|(k, _)| *k)
                    .collect();
                expected.sort_by_key(|k| model.files[k].order);
                expected.truncate(max);
                let got_keys: Vec<(usize, usize)> = got.iter().map(|c| locate(&c.key)).collect();
                prop_assert_eq!(&got_keys, &expected);
                for c in &got {
                    let f = model.files.get_mut(&locate(&c.key)).unwrap();
                    f.status = next_status(f.status, Transition::Claim).unwrap();
                    f.attempts += 1;
                    f.lease_expires = model.now + LEASE.as_millis() as i64;
                    prop_assert_eq!(c.token, f.attempts);
                    prop_assert_eq!(&c.worker, &workers[worker]);
                }
                claims.extend(got);
            }
            Op::Renew(_)
            | Op::Complete(_)
            | Op::CompleteMany(_)
            | Op::Fail(..)
            | Op::Release(_)
                if claims.is_empty() => {}
            Op::CompleteMany(picks) => {
                let batch: Vec<(Claim, CompletionMetrics)> = picks
                    .iter()
                    .map(|i| {
                        (
                            claims[i.index(claims.len())].clone(),
                            CompletionMetrics::default(),
                        )
                    })
                    .collect();
                let results = store.complete_many(&batch).unwrap();
                prop_assert_eq!(results.len(), batch.len());
                for ((c, _), r) in batch.iter().zip(results) {
                    // the same claim twice in a batch: the second is stale
                    if model.current(c) {
                        r.unwrap();
                        let f = model.files.get_mut(&locate(&c.key)).unwrap();
                        f.status = next_status(f.status, Transition::Complete).unwrap();
                    } else {
                        expect_stale(r)?;
                    }
                }
            }
            Op::Renew(i) => {
                let c = &claims[i.index(claims.len())];
                let r = store.renew(c, LEASE);
                if model.current(c) {
                    prop_assert_eq!(r.unwrap().as_millis(), model.now + LEASE.as_millis() as i64);
                    model.files.get_mut(&locate(&c.key)).unwrap().lease_expires =
                        model.now + LEASE.as_millis() as i64;
                } else {
                    expect_stale(r)?;
                }
            }
            Op::Complete(i) => {
                let c = &claims[i.index(claims.len())];
                let r = store.complete(c, &CompletionMetrics::default());
                if model.current(c) {
                    r.unwrap();
                    let f = model.files.get_mut(&locate(&c.key)).unwrap();
                    f.status = next_status(f.status, Transition::Complete).unwrap();
                } else {
                    expect_stale(r)?;
                }
            }
            Op::Fail(i, transient) => {
                let c = &claims[i.index(claims.len())];
                let kind = if transient {
                    FailureKind::Transient
                } else {
                    FailureKind::Permanent
                };
                let failure = Failure {
                    kind,
                    cause: None,
                    message: "boom".into(),
                    started_at: None,
                };
                let r = store.fail(c, &failure);
                if model.current(c) {
                    let f = model.files.get_mut(&locate(&c.key)).unwrap();
                    let (outcome, failures) = model.policy.after_failure(
                        f.failures,
                        kind,
                        Timestamp::from_millis(model.now),
                    );
                    prop_assert_eq!(r.unwrap(), outcome);
                    f.failures = failures;
                    f.status = next_status(f.status, Transition::Fail(outcome)).unwrap();
                    f.not_before = match outcome {
                        FailOutcome::Retry { not_before } => Some(not_before.as_millis()),
                        FailOutcome::Failed => None,
                    };
                } else {
                    expect_stale(r)?;
                }
            }
            Op::Release(i) => {
                let c = &claims[i.index(claims.len())];
                let r = store.release(c);
                if model.current(c) {
                    r.unwrap();
                    model
                        .files
                        .get_mut(&locate(&c.key))
                        .unwrap()
                        .make_pending(false);
                } else {
                    expect_stale(r)?;
                }
            }
            Op::Advance(secs) => {
                clock.advance(Duration::from_secs(secs));
                model.now += secs as i64 * 1000;
            }
            Op::RecoverExpired => {
                let report = store.recover_expired().unwrap();
                let mut n = 0;
                for f in model.files.values_mut() {
                    if f.status == FileStatus::Processing && f.lease_expires < model.now {
                        f.status = next_status(f.status, Transition::Recover).unwrap();
                        n += 1;
                    }
                }
                prop_assert_eq!(report.requeued, n);
            }
            Op::Retry(ds, file) => {
                let selection = match file {
                    Some(f) => RetrySelection::Path(path(f)),
                    None => RetrySelection::AllFailed,
                };
                let ds_id = ds.map(|d| dataset(DATASETS[d]));
                let n = store.retry(ds_id.as_ref(), &selection).unwrap();
                let mut expected = 0;
                for ((d, fi), f) in model.files.iter_mut() {
                    if f.status == FileStatus::Failed
                        && !f.vanished
                        && ds.is_none_or(|x| x == *d)
                        && file.is_none_or(|x| x == *fi)
                    {
                        f.status = next_status(f.status, Transition::Retry).unwrap();
                        f.make_pending(true);
                        expected += 1;
                    }
                }
                prop_assert_eq!(n, expected);
            }
            Op::MarkVanished(ds, mask) => {
                let present: Vec<String> = (0..FILES)
                    .filter(|f| mask & (1 << f) != 0)
                    .map(path)
                    .collect();
                let present: Vec<&str> = present.iter().map(String::as_str).collect();
                let mut gone = store
                    .mark_vanished(&dataset(DATASETS[ds]), &present)
                    .unwrap();
                gone.sort();
                let mut expected = Vec::new();
                for ((d, fi), f) in model.files.iter_mut() {
                    if *d == ds && !f.vanished && mask & (1 << fi) == 0 {
                        f.vanished = true;
                        expected.push(path(*fi));
                    }
                }
                expected.sort();
                prop_assert_eq!(gone, expected);
            }
            Op::Reset(ds, status) => {
                let n = store.reset(&dataset(DATASETS[ds]), status).unwrap();
                let mut expected = 0;
                for ((d, _), f) in model.files.iter_mut() {
                    if *d == ds && status.is_none_or(|s| s == f.status) {
                        f.make_pending(true);
                        expected += 1;
                    }
                }
                prop_assert_eq!(n, expected);
            }
        }
        check(&store, &model, &mut last_attempts)?;
    }
    Ok(())
}

/// The invariants, after every step.
fn check(
    store: &SqliteStore,
    model: &Model,
    last_attempts: &mut BTreeMap<(usize, usize), u32>,
) -> std::result::Result<(), TestCaseError> {
    for (&(ds, file), m) in &model.files {
        let rec = store
            .file(&key(ds, file))
            .unwrap()
            .expect("registered file is in the store");
        prop_assert_eq!(rec.status, m.status, "status of {}", rec.key);
        prop_assert_eq!(rec.attempts, m.attempts, "attempts of {}", rec.key);
        prop_assert_eq!(rec.failures, m.failures, "failures of {}", rec.key);
        prop_assert_eq!(rec.size, Some(m.size));
        prop_assert_eq!(
            rec.vanished_at.is_some(),
            m.vanished,
            "vanished mark of {}",
            rec.key
        );
        // a processing file has exactly one owner and a lease; no other has either
        prop_assert_eq!(rec.worker.is_some(), m.status == FileStatus::Processing);
        prop_assert_eq!(
            rec.lease_expires_at.is_some(),
            m.status == FileStatus::Processing
        );
        if m.status == FileStatus::Pending {
            prop_assert_eq!(rec.not_before.map(Timestamp::as_millis), m.not_before);
        }
        let last = last_attempts.entry((ds, file)).or_default();
        prop_assert!(rec.attempts >= *last, "attempts decreased for {}", rec.key);
        *last = rec.attempts;
    }
    let summary = store.summary(None).unwrap();
    for s in &summary {
        let ds = DATASETS
            .iter()
            .position(|d| *d == s.dataset.as_str())
            .unwrap();
        prop_assert_eq!(s.counts, model.counts(ds), "counts of {}", s.dataset);
    }
    let registered: usize = summary.iter().map(|s| s.counts.total() as usize).sum();
    prop_assert_eq!(registered, model.files.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn store_agrees_with_the_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
