//! A worker process for the crash tests (not part of the product).
//!
//! `work DB DATASET WORKER LOG`: claims and completes files until none is
//! left, appending `claim PATH TOKEN` and `done PATH TOKEN` lines to LOG
//! (each written after the tracker call returned). The test SIGKILLs it at
//! random moments.
//!
//! `hold-lock DB`: takes SQLite's exclusive lock on DB, prints `locked` and
//! sleeps until killed, like a foreign program holding the database.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use tracker_core::{CompletionMetrics, DatasetId, ProgressStore, TrackerError, WorkerId};
use tracker_sqlite::{SqliteStore, StoreOptions};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["work", db, dataset, worker, log] => work(db, dataset, worker, log),
        ["hold-lock", db] => hold_lock(db),
        _ => bail!("usage: tracker-crash-worker work DB DATASET WORKER LOG | hold-lock DB"),
    }
}

fn work(db: &str, dataset: &str, worker: &str, log: &str) -> anyhow::Result<()> {
    let options = StoreOptions {
        busy_timeout: Duration::from_secs(30),
        ..StoreOptions::default()
    };
    let store = SqliteStore::open(db, options).with_context(|| format!("opening {db}"))?;
    let dataset = DatasetId::new(dataset)?;
    let worker = WorkerId::new(format!("{worker}/pid-{}", std::process::id()))?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {log}"))?;
    let lease = Duration::from_millis(800);
    let mut idle_rounds = 0;
    loop {
        let claims = store.claim(&dataset, &worker, 8, lease)?;
        if claims.is_empty() {
            let open = store
                .summary(Some(&dataset))?
                .first()
                .map_or(0, |s| s.counts.processing);
            if open == 0 || idle_rounds > 200 {
                return Ok(());
            }
            // Claims of killed processes come back when their lease expires.
            store.recover_expired()?;
            idle_rounds += 1;
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        idle_rounds = 0;
        for c in &claims {
            writeln!(log, "claim {} {}", c.key.path(), c.token)?;
        }
        for c in claims {
            // a little work, so that kills land in every phase
            std::thread::sleep(Duration::from_micros(1000));
            match store.complete(&c, &CompletionMetrics::default()) {
                Ok(()) => writeln!(log, "done {} {}", c.key.path(), c.token)?,
                Err(TrackerError::StaleClaim { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn hold_lock(db: &str) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.execute_batch("BEGIN EXCLUSIVE")?;
    println!("locked");
    std::io::stdout().flush()?;
    std::thread::sleep(Duration::from_secs(600));
    Ok(())
}
