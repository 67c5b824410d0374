//! Several OS processes on one database file, SIGKILLed at random moments
//! and restarted until the work is done: every file completed, none twice,
//! no double claim, counts consistent, `PRAGMA integrity_check` ok.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tracker_core::ProgressStore;
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::util::{counted_by_scan, crash_worker, files};

const FILES: usize = 3_000;
const PROCESSES: usize = 4;

fn spawn(db: &Path, log: &Path, n: usize) -> Child {
    Command::new(crash_worker())
        .args([
            "work",
            db.to_str().unwrap(),
            "d",
            &format!("p{n}"),
            log.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn completed(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT n FROM status_counts WHERE dataset = 'd' AND status = 'completed'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// A small deterministic generator: the kill schedule differs per step but
/// the test needs no extra dependency.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn killed_processes_lose_nothing_and_never_double_complete() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("progress.db");
    {
        let store = SqliteStore::open(&db, StoreOptions::default()).unwrap();
        store.register(&files("d", FILES)).unwrap();
    }
    let log = |n: usize| dir.path().join(format!("worker-{n}.log"));

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill schedule seed {seed}");
    let mut rng = Lcg(seed);
    let mut children: Vec<Child> = (0..PROCESSES).map(|n| spawn(&db, &log(n), n)).collect();
    let mut kills = 0;
    let started = Instant::now();
    // Kill phase: up to 40 random SIGKILLs, each followed by a restart.
    while kills < 40 && completed(&db) < FILES as i64 && started.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(10 + rng.next(60)));
        let n = rng.next(PROCESSES as u64) as usize;
        if children[n].try_wait().unwrap().is_none() {
            children[n].kill().unwrap(); // SIGKILL
            kills += 1;
        }
        children[n].wait().unwrap();
        children[n] = spawn(&db, &log(n), n);
    }
    // Finish: restart until every process exits cleanly (no work left).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut running = false;
        for (n, child) in children.iter_mut().enumerate() {
            match child.try_wait().unwrap() {
                None => running = true,
                Some(status) => assert!(status.success(), "worker {n} failed: {status}"),
            }
        }
        let store = SqliteStore::open(
            &db,
            StoreOptions {
                recover_orphans: false,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let counts = store.summary(None).unwrap()[0].counts;
        if !running && counts.completed == FILES as u64 {
            break;
        }
        assert!(Instant::now() < deadline, "not done in time: {counts:?}");
        if !running {
            // all exited but work is left: a fresh start recovers the dead claims
            children = (0..PROCESSES).map(|n| spawn(&db, &log(n), n)).collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("{kills} kills in {:?}", started.elapsed());
    assert!(kills >= 10, "the test must really kill processes ({kills})");

    let mut claims = HashSet::new();
    let mut done: HashMap<String, u32> = HashMap::new();
    for n in 0..PROCESSES {
        for line in std::fs::read_to_string(log(n)).unwrap_or_default().lines() {
            let mut parts = line.split(' ');
            let (Some(what), Some(path), Some(token)) = (parts.next(), parts.next(), parts.next())
            else {
                continue; // a line cut by a kill
            };
            let Ok(token) = token.parse::<u32>() else {
                continue;
            };
            match what {
                "claim" => assert!(
                    claims.insert((path.to_owned(), token)),
                    "{path} claimed twice with token {token}"
                ),
                "done" => assert!(
                    done.insert(path.to_owned(), token).is_none(),
                    "{path} completed twice"
                ),
                _ => {}
            }
        }
    }
    // A kill between commit and log line loses the line, never the completion.
    assert!(done.len() <= FILES);
    assert!(
        done.len() > FILES / 2,
        "most completions are logged ({})",
        done.len()
    );

    let store = SqliteStore::open(&db, StoreOptions::default()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_owned()]);
    let counts = store.summary(None).unwrap()[0].counts;
    assert_eq!(
        (counts.completed, counts.total()),
        (FILES as u64, FILES as u64)
    );
    assert_eq!(
        counted_by_scan(&db),
        vec![("d".into(), "completed".into(), FILES as i64)]
    );
}
