//! The `climastation` program end to end, as a real process: SIGKILL and
//! SIGINT mid-run, fail-fast and keep-going, retry, and the JSON outputs.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The size of the real 10-minute air-temperature `historical` folder.
const HISTORICAL_FILES: usize = 1_623;
const DATASET: &str = "10_minutes/air_temperature";

struct Job {
    dir: tempfile::TempDir,
}

impl Job {
    /// A temp working directory with a config, `n` zips of the dataset under
    /// `raw/` and their manifest.
    fn new(n: usize) -> Job {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("raw").join(DATASET).join("historical");
        std::fs::create_dir_all(&raw).unwrap();
        let template = template_zip();
        let mut manifest = String::new();
        for i in 0..n {
            let name = format!("10minutenwerte_TU_{i:05}_19930428_19991231_hist.zip");
            std::fs::write(raw.join(&name), &template).unwrap();
            manifest.push_str(&format!(
                "{{\"path\":\"historical/{name}\",\"size\":{}}}\n",
                template.len()
            ));
        }
        std::fs::write(dir.path().join("manifest.jsonl"), manifest).unwrap();
        std::fs::write(
            dir.path().join("job.yaml"),
            format!(
                "paths:\n  raw: raw\n  progress_db: progress.db\n  logs: logs\nlogging:\n  file: false\n\
                 processing:\n  processor: verify\n  workers: 4\n  claim_batch: 4\n\
                 datasets:\n  - name: {DATASET}\n    manifest: manifest.jsonl\n"
            ),
        )
        .unwrap();
        Job { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn file(&self, i: usize) -> PathBuf {
        self.path(&format!(
            "raw/{DATASET}/historical/10minutenwerte_TU_{i:05}_19930428_19991231_hist.zip"
        ))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = self.bare_command();
        c.args(["--config", "job.yaml", "--log-level", "warn"])
            .args(args);
        c
    }

    fn bare_command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_climastation-under-test"));
        c.current_dir(self.dir.path())
            .env_remove("CLIMASTATION_CONFIG")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path("progress.db")).unwrap()
    }

    /// Files in `status` (none before the run made the database; bad SQL
    /// fails the test).
    fn count(&self, status: &str) -> i64 {
        crate::util::count_in(
            &self.path("progress.db"),
            "SELECT COALESCE(SUM(n), 0) FROM status_counts WHERE status = ?1",
            &[&status],
        )
        .or_none()
    }

    /// Completed files with when they finished and their attempt count.
    fn completed(&self) -> BTreeMap<String, (i64, i64)> {
        let conn = self.db();
        let mut stmt = conn
            .prepare("SELECT file_path, finished_at, attempts FROM file_processing_log WHERE status = 'completed'")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn wait_for_completed(&self, at_least: i64, child: &mut Child) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.count("completed") < at_least {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before it could be interrupted"
            );
            assert!(Instant::now() < deadline, "no progress");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A zip like a DWD historical file: one `produkt_*` member, ~1.5 MB of
/// CRLF text that compresses well, so verifying it costs real inflating.
fn template_zip() -> Vec<u8> {
    let mut text =
        String::from("STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n");
    let mut t = 199_304_280_000u64;
    while text.len() < 1_500_000 {
        text.push_str(&format!(
            "          3;{t};    3;  -999;  12.3;  10.9;  85.0;   9.8;eor\r\n"
        ));
        t += 10;
    }
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    w.start_file(
        "produkt_zehn_min_tu_19930428_19991231_00003.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(text.as_bytes()).unwrap();
    w.finish().unwrap();
    out.into_inner()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn corrupt(path: &Path) -> Vec<u8> {
    let good = std::fs::read(path).unwrap();
    let mut bad = good.clone();
    bad[200] ^= 0x55; // inside the deflate stream: the CRC check fails
    std::fs::write(path, &bad).unwrap();
    good
}

#[test]
fn sigkill_mid_run_loses_nothing_and_redoes_nothing_completed() {
    let job = Job::new(HISTORICAL_FILES);
    let mut child = job.spawn(&["run"]);
    job.wait_for_completed(150, &mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = job.completed();
    assert!(before.len() < HISTORICAL_FILES, "killed mid-run");

    let out = job.run(&["run"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = job.completed();
    assert_eq!(after.len(), HISTORICAL_FILES, "every file completed");
    for (path, done) in &before {
        assert_eq!(
            after.get(path),
            Some(done),
            "{path} was done again after the kill"
        );
    }
    assert_eq!(
        (
            job.count("pending"),
            job.count("processing"),
            job.count("failed")
        ),
        (0, 0, 0)
    );
    let ok: String = job
        .db()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn sigint_stops_cleanly_with_130_and_a_rerun_finishes() {
    let job = Job::new(600);
    let mut child = job.spawn(&["run"]);
    job.wait_for_completed(60, &mut child);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(job.count("processing"), 0, "no file left processing");
    assert!(job.count("pending") > 0, "stopped before the end");

    let out = job.run(&["run"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(job.count("completed"), 600);
}

#[test]
fn fail_fast_names_the_file_then_retry_after_the_fix_completes() {
    let job = Job::new(40);
    let good = corrupt(&job.file(10));
    let out = job.run(&["run"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("10minutenwerte_TU_00010_19930428_19991231_hist.zip")
            && text.contains("corrupt"),
        "{text}"
    );
    assert!(text.contains("fail-fast"), "{text}");
    assert_eq!(job.count("failed"), 1);
    assert_eq!(job.count("processing"), 0);

    std::fs::write(job.file(10), good).unwrap();
    let out = job.run(&["retry", "--all-failed"]);
    assert_eq!(out.status.code(), Some(0));
    let out = job.run(&["run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(job.count("completed"), 40);
}

#[test]
fn keep_going_finishes_the_rest_and_lists_failures_in_stable_json() {
    let job = Job::new(30);
    corrupt(&job.file(3));
    corrupt(&job.file(17));
    let out = job.run(&["run", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("_00003_") && text.contains("_00017_"),
        "{text}"
    );
    assert_eq!((job.count("completed"), job.count("failed")), (28, 2));

    let status: Value = serde_json::from_slice(&job.run(&["status", "--json"]).stdout).unwrap();
    let ds = &status["datasets"][0];
    assert_eq!(ds["dataset"], DATASET);
    assert_eq!(ds["counts"]["completed"], 28);
    assert_eq!(ds["counts"]["failed"], 2);
    assert_eq!(ds["counts"]["pending"], 0);
    assert_eq!(ds["counts"]["processing"], 0);
    assert_eq!(ds["total"], 30);
    assert!(ds["rate_per_min"].as_f64().unwrap() > 0.0);
    assert_eq!(ds["workers"], Value::Array(vec![]));
    assert!(
        ds["last_failure"]["message"]
            .as_str()
            .unwrap()
            .contains("corrupt")
    );
    assert_eq!(status["totals"]["failed"], 2);

    let failed: Value = serde_json::from_slice(&job.run(&["failed", "--json"]).stdout).unwrap();
    let files = failed["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        assert_eq!(f["dataset"], DATASET);
        assert_eq!(f["kind"], "permanent");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("corrupt zip member")
        );
        assert!(f["path"].as_str().unwrap().starts_with("historical/"));
        assert!(f["failed_at"].as_str().unwrap().ends_with('Z'));
    }

    let run_json: Value = serde_json::from_slice(&job.run(&["run", "--json"]).stdout).unwrap();
    assert_eq!(run_json["exit_code"], 0, "nothing left to do: {run_json}");
}

#[test]
fn usage_and_config_errors_exit_2() {
    let job = Job::new(1);
    std::fs::write(job.path("broken.yaml"), "processing: [\n").unwrap();
    let out = job
        .bare_command()
        .args(["--config", "broken.yaml", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yaml"));

    let out = job.run(&["run", "--workers", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("memory_limit_mb_total"));

    std::fs::write(job.path("progress.db"), "not a database at all").unwrap();
    let out = job.run(&["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a SQLite database"));
}
