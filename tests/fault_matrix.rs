//! The fault matrix: every way the world has been seen to misbehave, run
//! against the real binary (`run --crawl --processor dwd`) and the loopback
//! server on the synthetic 10-minute mirror (`cargo xtask fixtures`).
//!
//! Each HTTP fault and each piece of hostile content hits one file; each
//! case then asserts the same four things:
//! 1. the file's status and error kind (and the reason names the cause);
//! 2. no final name on incomplete content: a raw file that exists is the
//!    source's file byte for byte, a failed file has no raw file and no
//!    output, and no `.part`/`.tmp` is left;
//! 3. nothing outside the data folder (and the progress database);
//! 4. a clean resume: with the fault gone, `crawl` + `retry` + `run`
//!    complete every file, and the tracker is intact (`db check`).
//!
//! The process faults (kill -9 in each phase, a deleted WAL, a full disk)
//! follow, with the same checks where they apply.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracker_core::{FileRecord, FileStatus, ListQuery, ProgressStore};

use crate::fixtures::{self, DATASET};
use crate::http_server::{Fault, Server};

/// The file each HTTP and content case attacks.
const TARGET: &str = "recent/10minutenwerte_TU_00003_akt.zip";
const LIST: &str = "now/zehn_now_tu_Beschreibung_Stationen.txt";

pub(crate) struct Lab {
    pub(crate) tree: tempfile::TempDir,
    pub(crate) work: tempfile::TempDir,
    pub(crate) server: Server,
}

impl Lab {
    pub(crate) fn new(stations: usize, rows: usize) -> Lab {
        let tree = tempfile::tempdir().unwrap();
        fixtures::generate(tree.path(), stations, rows, 11).unwrap();
        let server = Server::serve_dir(tree.path());
        Lab {
            tree,
            work: tempfile::tempdir().unwrap(),
            server,
        }
    }

    pub(crate) fn served(&self, rel: &str) -> PathBuf {
        self.tree.path().join("climate").join(DATASET).join(rel)
    }

    pub(crate) fn url_path(&self, rel: &str) -> String {
        format!("/climate/{DATASET}/{rel}")
    }

    pub(crate) fn raw(&self, rel: &str) -> PathBuf {
        self.work.path().join("data/raw").join(DATASET).join(rel)
    }

    /// Serves `bytes` as `rel` from now on, with the listing updated (and
    /// no size in it when `no_size`).
    pub(crate) fn replace(&self, rel: &str, bytes: &[u8], no_size: bool) {
        std::fs::write(self.served(rel), bytes).unwrap();
        let (period, name) = rel.split_once('/').unwrap();
        let hidden: &[&str] = if no_size { &[name] } else { &[] };
        fixtures::relist(self.tree.path(), period, hidden).unwrap();
    }

    pub(crate) fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = crate::util::climastation(self.work.path());
        c.env("CLIMASTATION_SOURCE__BASE_URL", self.server.url("climate/"))
            .env("CLIMASTATION_PROCESSING__PROCESSOR", "dwd")
            .env("CLIMASTATION_PROCESSING__MAX_ATTEMPTS", "1")
            .env("CLIMASTATION_PROCESSING__RETRY_BACKOFF_SECONDS", "0")
            .env("CLIMASTATION_PROCESSING__WORKERS", "2")
            .env("CLIMASTATION_SOURCE__RETRIES", "2")
            .env("CLIMASTATION_SOURCE__TIMEOUT_SECONDS", "2")
            .env("CLIMASTATION_SOURCE__MAX_RETRY_WAIT_SECONDS", "1")
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    pub(crate) fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().unwrap()
    }

    pub(crate) const RUN: [&'static str; 6] = [
        "--json",
        "run",
        "--crawl",
        "--dataset",
        DATASET,
        "--keep-going",
    ];

    /// `run --crawl --keep-going`: the exit status and the JSON report.
    pub(crate) fn run(&self, env: &[(&str, &str)]) -> (Output, Value) {
        let out = self.cli(&Self::RUN, env);
        let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out, report)
    }

    pub(crate) fn spawn(&self, env: &[(&str, &str)]) -> Child {
        self.command(&Self::RUN, env)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.work.path().join("progress.db")
    }

    /// Every file the tracker knows, by path (read with no run going).
    pub(crate) fn records(&self) -> BTreeMap<String, FileRecord> {
        let store = tracker_sqlite::SqliteStore::open(self.db(), Default::default()).unwrap();
        let mut out = BTreeMap::new();
        for status in FileStatus::ALL {
            let page = store
                .list(&ListQuery {
                    dataset: None,
                    status,
                    unconfirmed_only: false,
                    after: None,
                    limit: 10_000,
                })
                .unwrap();
            for f in page.files {
                out.insert(f.key.path().to_owned(), f);
            }
        }
        out
    }

    /// Rows completed now, read straight from the database (a run may be
    /// going; none before it made the database).
    pub(crate) fn completed(&self) -> i64 {
        self.count("status = 'completed'").or_none()
    }

    /// Rows matching `condition`, read straight from the database (bad SQL
    /// fails the test; a missing database is said as such).
    pub(crate) fn count(&self, condition: &str) -> crate::util::Counted {
        crate::util::count_in(
            &self.db(),
            &format!("SELECT count(*) FROM file_processing_log WHERE {condition}"),
            &[],
        )
    }

    /// The data files written for the source file `rel` (any format).
    pub(crate) fn outputs_of(&self, rel: &str) -> Vec<PathBuf> {
        let stem = Path::new(rel)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        fixtures::files_below(&self.work.path().join("data/output"))
            .into_iter()
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&stem))
            .collect()
    }

    /// Checks 2 and 3 of every case: nothing half-written under a final
    /// name, nothing outside the data folder and the progress database.
    pub(crate) fn assert_clean(&self) {
        for p in fixtures::files_below(self.work.path()) {
            let rel = p.strip_prefix(self.work.path()).unwrap();
            let name = rel.to_string_lossy();
            assert!(
                name.starts_with("data/") || name.starts_with("progress.db"),
                "{name}: written outside the data folder"
            );
            assert!(
                !name.ends_with(".part") && !name.ends_with(".tmp"),
                "{name}: half-written file left behind"
            );
        }
        let records = self.records();
        for (path, rec) in &records {
            let raw = self.raw(path);
            match rec.status {
                FileStatus::Completed => assert_eq!(
                    std::fs::read(&raw).unwrap(),
                    std::fs::read(self.served(path)).unwrap(),
                    "{path}: completed, but not the source's bytes"
                ),
                _ => {
                    assert!(!raw.exists(), "{path}: {:?} with a raw file", rec.status);
                    assert!(
                        self.outputs_of(path).is_empty(),
                        "{path}: {:?} with output",
                        rec.status
                    );
                }
            }
            assert_ne!(rec.status, FileStatus::Processing, "{path}: still claimed");
        }
    }

    /// Check 4: with the fault gone, everything completes.
    pub(crate) fn assert_resumes(&self) {
        let crawl = self.cli(&["crawl", "--dataset", DATASET], &[]);
        assert!(crawl.status.success(), "{}", stderr(&crawl));
        let retry = self.cli(&["retry", "--dataset", DATASET, "--all-failed"], &[]);
        assert!(retry.status.success(), "{}", stderr(&retry));
        let (out, report) = self.run(&[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "resume: {report}\n{}",
            stderr(&out)
        );
        let records = self.records();
        let not_done: Vec<_> = records
            .iter()
            .filter(|(_, r)| r.status != FileStatus::Completed)
            .map(|(p, r)| format!("{p}: {:?} {:?}", r.status, r.error_message))
            .collect();
        assert!(not_done.is_empty(), "after the resume: {not_done:?}");
        self.assert_clean();
        let check = self.cli(&["db", "check"], &[]);
        assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    }
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `produkt` member of a zip: (name, bytes).
pub(crate) fn member(zip_bytes: &[u8]) -> (String, Vec<u8>) {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut m = z.by_index(0).unwrap();
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut m, &mut text).unwrap();
    (m.name().unwrap().into_owned(), text)
}

pub(crate) fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut cursor);
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
    cursor.into_inner()
}

/// What a case must end in.
#[derive(Debug)]
enum Expect {
    /// The file completes (with every row, for content cases).
    Completes,
    /// The file fails with this kind and cause, the reason containing this text.
    Fails(&'static str, &'static str, &'static str),
}

struct Case {
    name: &'static str,
    /// The file attacked.
    file: &'static str,
    /// Sets the fault up on a crawled-or-not lab.
    setup: fn(&Lab),
    env: &'static [(&'static str, &'static str)],
    expect: Expect,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "connection dropped mid-body",
            file: TARGET,
            setup: |l| {
                l.server
                    .fault(&l.url_path(TARGET), &[Fault::DropAfter(700)])
            },
            env: &[],
            expect: Expect::Completes,
        },
        Case {
            name: "503 with Retry-After",
            file: TARGET,
            setup: |l| {
                l.server
                    .fault(&l.url_path(TARGET), &[Fault::RetryAfter(503, "1".into())])
            },
            env: &[],
            expect: Expect::Completes,
        },
        Case {
            name: "429 with Retry-After",
            file: TARGET,
            setup: |l| {
                l.server
                    .fault(&l.url_path(TARGET), &[Fault::RetryAfter(429, "1".into())])
            },
            env: &[],
            expect: Expect::Completes,
        },
        Case {
            name: "503 for longer than the retries",
            file: TARGET,
            setup: |l| {
                l.server
                    .fault(&l.url_path(TARGET), &vec![Fault::Status(503); 3])
            },
            env: &[],
            expect: Expect::Fails("transient", "network", "HTTP 503"),
        },
        Case {
            name: "short body, size in the listing",
            file: TARGET,
            setup: |l| {
                l.server
                    .fault(&l.url_path(TARGET), &[Fault::ShortBody(900)])
            },
            env: &[],
            expect: Expect::Fails("permanent", "gone", "the listing says"),
        },
        Case {
            name: "short body of a zip, no size in the listing",
            file: TARGET,
            setup: |l| {
                l.replace(TARGET, &std::fs::read(l.served(TARGET)).unwrap(), true);
                l.server
                    .fault(&l.url_path(TARGET), &[Fault::ShortBody(900)]);
            },
            env: &[],
            expect: Expect::Fails("permanent", "content", "zip"),
        },
        Case {
            name: "short body of a station list, no size in the listing",
            file: LIST,
            setup: |l| {
                l.replace(LIST, &std::fs::read(l.served(LIST)).unwrap(), true);
                l.server.fault(&l.url_path(LIST), &[Fault::ShortBody(700)]);
            },
            env: &[],
            expect: Expect::Fails("permanent", "content", "cut"),
        },
        Case {
            name: "206 from the wrong offset",
            file: TARGET,
            setup: |l| {
                l.server.fault(
                    &l.url_path(TARGET),
                    &[Fault::DropAfter(700), Fault::PartialFrom(100)],
                )
            },
            env: &[],
            expect: Expect::Completes,
        },
        Case {
            name: "stalled connection",
            file: TARGET,
            setup: |l| {
                l.server.fault(
                    &l.url_path(TARGET),
                    &vec![Fault::StallAfter(500, Duration::from_secs(4)); 3],
                )
            },
            env: &[],
            expect: Expect::Fails("transient", "network", "gave up after 3 attempts"),
        },
        Case {
            name: "slow server, inside the timeout",
            file: TARGET,
            setup: |l| {
                l.server.fault(
                    &l.url_path(TARGET),
                    &[Fault::Slow(Duration::from_millis(800))],
                )
            },
            env: &[],
            expect: Expect::Completes,
        },
        Case {
            name: "gone (404)",
            file: TARGET,
            setup: |l| l.server.fault(&l.url_path(TARGET), &[Fault::Status(404)]),
            env: &[],
            expect: Expect::Fails("permanent", "gone", "HTTP 404"),
        },
        Case {
            name: "zip-slip member",
            file: TARGET,
            setup: |l| {
                let (name, text) = member(&std::fs::read(l.served(TARGET)).unwrap());
                let evil = zip_of(&[(&name, &text), ("../../escaped.txt", b"owned")]);
                l.replace(TARGET, &evil, false);
            },
            env: &[],
            expect: Expect::Fails("permanent", "content", "escape"),
        },
        Case {
            name: "zip bomb (over the worker's memory budget)",
            file: TARGET,
            setup: |l| {
                let (name, _) = member(&std::fs::read(l.served(TARGET)).unwrap());
                let bomb = zip_of(&[(&name, &vec![b'0'; 40 << 20])]);
                l.replace(TARGET, &bomb, false);
            },
            env: &[
                ("CLIMASTATION_PROCESSING__MEMORY_LIMIT_MB_PER_WORKER", "32"),
                ("CLIMASTATION_PROCESSING__MEMORY_LIMIT_MB_TOTAL", "64"),
            ],
            expect: Expect::Fails("permanent", "content", "budget"),
        },
        Case {
            name: "HTML served as a zip",
            file: TARGET,
            setup: |l| {
                l.replace(
                    TARGET,
                    b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                    false,
                )
            },
            env: &[],
            expect: Expect::Fails("permanent", "content", "zip"),
        },
        Case {
            name: "produkt file with CR-only line ends",
            file: TARGET,
            setup: |l| {
                let (name, text) = member(&std::fs::read(l.served(TARGET)).unwrap());
                let cr: Vec<u8> = text.iter().copied().filter(|&b| b != b'\n').collect();
                l.replace(TARGET, &zip_of(&[(&name, &cr)]), false);
            },
            env: &[],
            expect: Expect::Completes,
        },
        Case {
            name: "produkt file with a UTF-8 BOM",
            file: TARGET,
            setup: |l| {
                let (name, text) = member(&std::fs::read(l.served(TARGET)).unwrap());
                let bom = [&b"\xEF\xBB\xBF"[..], &text].concat();
                l.replace(TARGET, &zip_of(&[(&name, &bom)]), false);
            },
            env: &[],
            expect: Expect::Completes,
        },
    ]
}

/// The rows of the data file written for `rel`, from its Parquet.
fn output_rows(lab: &Lab, rel: &str) -> i64 {
    let outs = lab.outputs_of(rel);
    assert_eq!(outs.len(), 1, "{rel}: {outs:?}");
    let f = std::fs::File::open(&outs[0]).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(f).unwrap();
    parquet::file::reader::FileReader::metadata(&reader)
        .file_metadata()
        .num_rows()
}

/// The data lines of the original `produkt` text of `rel`.
fn data_lines(zip_bytes: &[u8]) -> i64 {
    let (_, text) = member(zip_bytes);
    let lines = text
        .split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    lines as i64 - 1
}

#[test]
fn every_http_fault_and_hostile_content_ends_right_and_resumes() {
    let mut failures = Vec::new();
    for case in cases() {
        let lab = Lab::new(2, 300);
        let original = std::fs::read(lab.served(case.file)).unwrap();
        (case.setup)(&lab);
        let (out, report) = lab.run(case.env);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_case(&lab, &case, &out, &report, &original)
        }));
        if let Err(e) = result {
            let what = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {what}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn check_case(lab: &Lab, case: &Case, out: &Output, report: &Value, original: &[u8]) {
    let records = lab.records();
    let rec = records
        .get(case.file)
        .unwrap_or_else(|| panic!("{} not registered: {report}", case.file));
    match case.expect {
        Expect::Completes => {
            assert_eq!(out.status.code(), Some(0), "{report}\n{}", stderr(out));
            assert_eq!(rec.status, FileStatus::Completed, "{rec:?}");
            if case.file.ends_with(".zip") {
                // every row of the file, whatever its line ends or BOM
                let served = std::fs::read(lab.served(case.file)).unwrap();
                assert_eq!(output_rows(lab, case.file), data_lines(&served));
                assert_eq!(data_lines(&served), data_lines(original));
            }
        }
        Expect::Fails(kind, cause, says) => {
            assert_eq!(out.status.code(), Some(1), "{report}\n{}", stderr(out));
            assert_eq!(rec.status, FileStatus::Failed, "{rec:?}");
            assert_eq!(rec.error_kind.map(|k| k.as_str()), Some(kind), "{rec:?}");
            assert_eq!(rec.error_cause.map(|c| c.as_str()), Some(cause), "{rec:?}");
            let message = rec.error_message.clone().unwrap_or_default();
            assert!(message.contains(says), "{message:?} should say {says:?}");
            let others_done = records
                .iter()
                .filter(|(p, _)| p.as_str() != case.file)
                .all(|(_, r)| r.status == FileStatus::Completed);
            assert!(others_done, "one bad file, the rest completed: {records:?}");
        }
    }
    lab.assert_clean();
    assert!(
        fixtures::files_below(lab.tree.path())
            .iter()
            .all(|p| !p.ends_with("escaped.txt"))
            && !lab.work.path().join("escaped.txt").exists(),
        "a zip member escaped"
    );
    // the fault gone: the source's file as it was
    lab.replace(case.file, original, false);
    lab.assert_resumes();
}

/// SIGKILL in each phase of `run --crawl --processor dwd` (listing,
/// downloading, converting, merging the series), then a rerun: everything
/// completes, once, nothing half-written has a final name, and every
/// station has its series.
#[test]
fn kill_9_in_each_phase_resumes_cleanly() {
    for phase in ["crawl", "download", "convert", "merge"] {
        // the merge phase needs enough stations to last a moment
        let lab = if phase == "merge" {
            Lab::new(40, 3000)
        } else {
            Lab::new(3, 2000)
        };
        match phase {
            // every listing answers slowly: the kill lands while listing
            "crawl" => {
                for p in ["", "historical/", "recent/", "now/", "meta_data/"] {
                    lab.server
                        .fault(&lab.url_path(p), &[Fault::Slow(Duration::from_millis(400))]);
                }
            }
            // a file that stalls mid-body: the kill lands in its download
            "download" => lab.server.fault(
                &lab.url_path(TARGET),
                &[Fault::StallAfter(800, Duration::from_secs(5))],
            ),
            _ => {}
        }
        let mut child = lab.spawn(&[]);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "{phase}: the phase never came");
            assert!(
                child.try_wait().unwrap().is_none(),
                "{phase}: ended before the kill"
            );
            let ready = match phase {
                "crawl" => !lab.server.requests("/").is_empty(),
                "download" => {
                    lab.server.requests(TARGET).len() == 1
                        && lab
                            .work
                            .path()
                            .join("data/raw")
                            .join(DATASET)
                            .join(format!("{TARGET}.part"))
                            .exists()
                }
                "convert" => lab.completed() >= 1,
                // every file done, the run still going: it is merging
                _ => lab.completed() > 0 && lab.completed() == lab.count("1 = 1").or_none(),
            };
            if ready {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let done_before: Vec<String> = lab
            .records()
            .into_iter()
            .filter(|(_, r)| r.status == FileStatus::Completed)
            .map(|(p, _)| p)
            .collect();
        if phase == "crawl" {
            assert!(done_before.is_empty(), "killed while listing");
        }
        let (out, report) = lab.run(&[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{phase}: {report}\n{}",
            stderr(&out)
        );
        let records = lab.records();
        assert!(
            records.values().all(|r| r.status == FileStatus::Completed),
            "{phase}: {records:?}"
        );
        for p in &done_before {
            assert_eq!(
                records[p].attempts, 1,
                "{phase}: {p} was done again after the kill"
            );
        }
        lab.assert_clean();
        let check = lab.cli(&["db", "check"], &[]);
        assert_eq!(check.status.code(), Some(0), "{phase}: {}", stdout(&check));
    }
}

/// The WAL deleted under a running `run`: it stops at once with a clear
/// error instead of writing on; the database is intact and a rerun
/// completes the rest.
#[test]
fn a_deleted_wal_stops_the_run_and_the_database_survives() {
    let lab = Lab::new(4, 300);
    // every data zip answers slowly, so the run is still going
    for e in fixtures::files_below(&lab.served("")) {
        let rel = e
            .strip_prefix(lab.served(""))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.ends_with(".zip") {
            lab.server.fault(
                &lab.url_path(&rel),
                &[Fault::Slow(Duration::from_millis(300))],
            );
        }
    }
    let mut child = lab.spawn(&[]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while lab.completed() < 1 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    let wal = lab.work.path().join("progress.db-wal");
    std::fs::remove_file(&wal).unwrap();
    let deleted = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            deleted.elapsed() < Duration::from_secs(20),
            "the run went on after its WAL was deleted"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("WAL file"), "{err}");
    let check = lab.cli(&["db", "check"], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let (out, report) = lab.run(&[]);
    assert_eq!(out.status.code(), Some(0), "{report}\n{}", stderr(&out));
    lab.assert_clean();
}

/// `sh -c script args…` in a user and mount namespace of its own
/// (`unshare -Urm`), where a tmpfs it mounts exists for it alone; in the
/// lab's work folder, with `env_of`'s environment.
fn unshared(lab: &Lab, script: &str, args: &[&std::ffi::OsStr], env_of: &Command) -> Output {
    let mut c = Command::new("unshare");
    c.args(["-Urm", "sh", "-c", script, "sh"])
        .args(args)
        .current_dir(lab.work.path());
    for (k, v) in env_of.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.output()
        .expect("unshare (util-linux) runs the test's own mount namespace")
}

/// A full disk under the data folder (a 200 kB tmpfs in a private mount
/// namespace): the run stops with the file's own error recorded, leaves
/// nothing claimed or half-written, and a rerun with space completes.
#[test]
fn a_full_disk_stops_the_run_with_the_files_error() {
    let lab = Lab::new(3, 3000);
    let data = lab.work.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let inner = lab.command(&Lab::RUN, &[]);
    let mut args = vec![data.as_os_str(), inner.get_program()];
    args.extend(inner.get_args());
    let out = unshared(
        &lab,
        r#"mount -t tmpfs -o size=200k none "$1" && shift && exec "$@""#,
        &args,
        &inner,
    );
    let err = stderr(&out);
    assert!(
        !err.contains("unshare failed") && !err.contains("mount:"),
        "this machine cannot make a private tmpfs: {err}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(out.status.code(), Some(1), "{report}\n{err}");
    let stopped = report.to_string();
    assert!(stopped.contains("out of disk space"), "{stopped}");
    let records = lab.records();
    assert!(
        records.values().all(|r| r.status != FileStatus::Processing),
        "claims released: {records:?}"
    );
    let hit: Vec<_> = records
        .values()
        .filter(|r| {
            r.error_message
                .as_deref()
                .is_some_and(|m| m.contains("No space left"))
        })
        .collect();
    // one file a worker at most (both workers may hit it at once)
    assert!(
        (1..=2).contains(&hit.len()),
        "the files that hit the full disk say so: {records:?}"
    );
    // the tmpfs is gone with its namespace, and what was written there with
    // it: reset the files and run again, on real disk
    let reset = lab.cli(&["reset", "--dataset", DATASET], &[]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let (out, report) = lab.run(&[]);
    assert_eq!(out.status.code(), Some(0), "{report}\n{}", stderr(&out));
    assert!(
        lab.records()
            .values()
            .all(|r| r.status == FileStatus::Completed)
    );
}

/// The tracker, the downloads and the tables on one disk that fills up
/// (a small tmpfs in a namespace of the test's own): `run` stops on the
/// full disk with exit 1 and its JSON report (README's promise), and
/// `status` still reads the full database; with room again, everything
/// completes.
#[test]
fn a_full_disk_under_the_tracker_ends_the_run_with_its_report_and_status_still_reads() {
    // the database fits in 600 KB with room to claim; the files do not
    let lab = Lab::new(3, 20_000);
    let disk = lab.work.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let env = [
        ("CLIMASTATION_PATHS__PROGRESS_DB", "disk/progress.db"),
        ("CLIMASTATION_PATHS__DATA_DIR", "disk/data"),
        ("CLIMASTATION_PATHS__RAW", "disk/data/raw"),
        ("CLIMASTATION_PATHS__OUTPUT", "disk/data/output"),
    ];
    let run = lab.command(&Lab::RUN, &env);
    let status = lab.command(&["--json", "status"], &env);
    let quote = |c: &Command| {
        std::iter::once(c.get_program())
            .chain(c.get_args())
            .map(|a| format!("'{}'", a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // both commands in the namespace, where the tmpfs is: the run's
    // report, its stderr and exit code, then status's, into files beside
    let script = format!(
        "mount -t tmpfs -o size=1000k none disk || exit 97\n\
         {} > run.json 2> run.err; echo $? > run.code\n\
         {} > status.json 2> status.err; echo $? > status.code\n",
        quote(&run),
        quote(&status)
    );
    let out = unshared(&lab, &script, &[], &run);
    assert!(
        out.status.success(),
        "this machine cannot make a private tmpfs: {}",
        stderr(&out)
    );
    let read = |name: &str| std::fs::read_to_string(lab.work.path().join(name)).unwrap();
    let run_err = read("run.err");
    assert_eq!(
        read("run.code").trim(),
        "1",
        "run: {}\n{run_err}",
        read("run.json")
    );
    let report: Value = serde_json::from_str(&read("run.json")).unwrap_or(Value::Null);
    assert!(
        report.to_string().contains("out of disk space"),
        "{report}\n{run_err}"
    );
    assert_eq!(report["exit_code"], 1, "{report}");
    assert_eq!(
        read("status.code").trim(),
        "0",
        "status: {}",
        read("status.err")
    );
    let status: Value = serde_json::from_str(&read("status.json")).unwrap();
    let completed = status["datasets"][0]["counts"]["completed"].as_u64();
    assert!(completed.is_some(), "{status}");
    // the tmpfs went with the namespace: on real disk, the rest completes
    let (out, report) = lab.run(&env);
    assert_eq!(out.status.code(), Some(0), "{report}\n{}", stderr(&out));
}
