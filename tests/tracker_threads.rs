//! Four threads, each with its own connection, claim and complete 10,000
//! files: every file is completed exactly once and the work is shared.

use std::collections::HashSet;
use std::time::Duration;

use tracker_core::{CompletionMetrics, FileStatus, ProgressStore, TrackerError, WorkerId};
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::util::{counted_by_scan, dataset, files};

#[test]
fn four_threads_complete_10k_files_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("progress.db");
    let store = SqliteStore::open(&db, StoreOptions::default()).unwrap();
    let all = files("d", 10_000);
    for chunk in all.chunks(2_500) {
        store.register(chunk).unwrap();
    }

    let done: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let mine = store.reopen().unwrap();
                s.spawn(move || {
                    let worker = WorkerId::new(format!("w{w}")).unwrap();
                    let mut done = Vec::new();
                    loop {
                        let claims = mine
                            .claim(&dataset("d"), &worker, 16, Duration::from_secs(60))
                            .unwrap();
                        if claims.is_empty() {
                            return done;
                        }
                        for c in claims {
                            match mine.complete(&c, &CompletionMetrics::default()) {
                                Ok(()) => done.push(c.key.path().to_owned()),
                                Err(e @ TrackerError::StaleClaim { .. }) => {
                                    panic!("no one else may touch my claim: {e}")
                                }
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let per_worker: Vec<usize> = done.iter().map(Vec::len).collect();
    let mut seen = HashSet::new();
    for path in done.iter().flatten() {
        assert!(seen.insert(path.clone()), "{path} completed twice");
    }
    assert_eq!(seen.len(), 10_000, "per worker: {per_worker:?}");
    // the fair write gate shares the work: no worker starves
    assert!(
        per_worker.iter().all(|&n| n >= 1_000),
        "unfair split: {per_worker:?}"
    );

    let summary = store.summary(Some(&dataset("d"))).unwrap();
    assert_eq!(summary[0].counts.completed, 10_000);
    assert_eq!(summary[0].counts.total(), 10_000);
    assert_eq!(
        counted_by_scan(&db),
        vec![("d".into(), FileStatus::Completed.as_str().into(), 10_000)]
    );
}
