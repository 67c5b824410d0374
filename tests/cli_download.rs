//! `climastation run --processor download` against a loopback server with
//! injected faults: dropped connections resume, 503s are retried, truncated
//! or corrupt files and timeouts fail with a clear reason, and nothing
//! half-downloaded is ever completed or given its final name.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::http_server::{Fault, Server};

const DATASET: &str = "hourly/air_temperature";

/// Real DWD zips from the sample mirror, served under a DWD-like tree.
struct Mirror {
    tree: tempfile::TempDir,
    work: tempfile::TempDir,
    server: Server,
    names: Vec<String>,
}

fn sample_zips() -> Vec<PathBuf> {
    let dwd = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dwd");
    ["air_temperature", "dew_point", "wind", "cloudiness", "sun"]
        .iter()
        .map(|d| {
            let dir = dwd.join("hourly").join(d).join("recent");
            // the folder's zip (a station list may stand beside it)
            std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|x| x == "zip"))
                .unwrap()
        })
        .collect()
}

impl Mirror {
    fn new() -> Mirror {
        let tree = tempfile::tempdir().unwrap();
        let recent = tree.path().join("climate").join(DATASET).join("recent");
        std::fs::create_dir_all(&recent).unwrap();
        let mut listing = String::from("<html><body><pre><a href=\"../\">../</a>\n");
        let mut names = Vec::new();
        for z in sample_zips() {
            let name = z.file_name().unwrap().to_str().unwrap().to_owned();
            std::fs::copy(&z, recent.join(&name)).unwrap();
            let size = std::fs::metadata(&z).unwrap().len();
            listing.push_str(&format!(
                "<a href=\"{name}\">{name}</a>   22-Nov-2021 16:18:02   {size}\n"
            ));
            names.push(name);
        }
        listing.push_str("</pre></body></html>\n");
        std::fs::write(recent.join("index.html"), listing).unwrap();
        std::fs::write(
            tree.path().join("climate").join(DATASET).join("index.html"),
            "<pre><a href=\"../\">../</a>\n<a href=\"recent/\">recent/</a>  22-Nov-2021 16:18:02  -\n</pre>",
        )
        .unwrap();
        let server = Server::serve_dir(tree.path());
        Mirror {
            tree,
            work: tempfile::tempdir().unwrap(),
            server,
            names,
        }
    }

    fn url_path(&self, name: &str) -> String {
        format!("/climate/{DATASET}/recent/{name}")
    }

    fn served(&self, name: &str) -> PathBuf {
        self.tree
            .path()
            .join("climate")
            .join(DATASET)
            .join("recent")
            .join(name)
    }

    fn downloaded(&self, name: &str) -> PathBuf {
        self.work
            .path()
            .join("raw")
            .join(DATASET)
            .join("recent")
            .join(name)
    }

    fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = crate::util::climastation(self.work.path());
        c.env("CLIMASTATION_SOURCE__BASE_URL", self.server.url("climate/"))
            .env("CLIMASTATION_PATHS__RAW", "raw")
            .env("CLIMASTATION_PROCESSING__RETRY_BACKOFF_SECONDS", "0")
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn crawl(&self, env: &[(&str, &str)]) {
        let crawl = self.cli(&["--json", "crawl", "--dataset", DATASET], env);
        assert!(
            crawl.status.success(),
            "{}",
            String::from_utf8_lossy(&crawl.stderr)
        );
    }

    /// `run --processor download --keep-going`: the exit status and the JSON report.
    fn download(&self, env: &[(&str, &str)]) -> (Output, Value) {
        let run = self.cli(
            &[
                "--json",
                "run",
                "--dataset",
                DATASET,
                "--processor",
                "download",
                "--keep-going",
            ],
            env,
        );
        let report = serde_json::from_slice(&run.stdout).unwrap_or(Value::Null);
        (run, report)
    }

    fn crawl_and_download(&self, env: &[(&str, &str)]) -> (Output, Value) {
        self.crawl(env);
        self.download(env)
    }

    /// Writes the `recent/` listing anew from what is served now, with `-`
    /// for the size of the files in `unsized`.
    fn write_listing(&self, no_size: &[&str]) {
        let dir = self.served("");
        let mut listing = String::from("<html><body><pre><a href=\"../\">../</a>\n");
        for name in crate::util::file_names(&dir) {
            if name == "index.html" {
                continue;
            }
            let size = std::fs::metadata(dir.join(&name)).unwrap().len();
            let size = if no_size.contains(&name.as_str()) {
                "-".to_owned()
            } else {
                size.to_string()
            };
            listing.push_str(&format!(
                "<a href=\"{name}\">{name}</a>   22-Nov-2021 16:18:02   {size}\n"
            ));
        }
        listing.push_str("</pre></body></html>\n");
        std::fs::write(dir.join("index.html"), listing).unwrap();
    }

    /// The tracker's record of `recent/<name>`, read with no run going.
    fn record(&self, name: &str) -> tracker_core::FileRecord {
        use tracker_core::ProgressStore;
        let db = self.work.path().join("progress.db");
        let store = tracker_sqlite::SqliteStore::open(&db, Default::default()).unwrap();
        let key = tracker_core::FileKey::new(
            tracker_core::DatasetId::new(DATASET).unwrap(),
            format!("recent/{name}"),
        )
        .unwrap();
        store.file(&key).unwrap().unwrap()
    }

    fn no_part_files(&self) -> bool {
        let dir = self.work.path().join("raw").join(DATASET).join("recent");
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .all(|e| !e.file_name().to_string_lossy().ends_with(".part"))
            })
            .unwrap_or(true)
    }
}

#[test]
fn dropped_connections_resume_and_503s_are_retried() {
    let m = Mirror::new();
    m.server
        .fault(&m.url_path(&m.names[0]), &[Fault::DropAfter(300)]);
    m.server.fault(
        &m.url_path(&m.names[1]),
        &[Fault::Status(503), Fault::Status(503)],
    );
    let (run, report) = m.crawl_and_download(&[]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(report["datasets"][0]["completed"], m.names.len());
    for name in &m.names {
        assert_eq!(
            std::fs::read(m.downloaded(name)).unwrap(),
            std::fs::read(m.served(name)).unwrap(),
            "{name}"
        );
    }
    assert!(m.no_part_files());
    let first = m.server.requests(&m.names[0]);
    assert_eq!(
        first,
        [None, Some("bytes=300-".to_owned())],
        "resumed where the connection dropped"
    );
    assert_eq!(
        m.server.requests(&m.names[1]).len(),
        3,
        "two 503s, then the file"
    );

    // a file present with the listed size and date is not fetched again
    let reset = m.cli(&["reset", "--dataset", DATASET], &[]);
    assert!(reset.status.success());
    let again = m.cli(
        &[
            "--json",
            "run",
            "--dataset",
            DATASET,
            "--processor",
            "download",
        ],
        &[],
    );
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(m.server.requests(&m.names[2]).len(), 1, "no second GET");
}

#[test]
fn truncated_corrupt_and_vanished_files_fail_and_are_never_completed() {
    let m = Mirror::new();
    // truncated at the source: fewer bytes than the listing says
    let bytes = std::fs::read(m.served(&m.names[0])).unwrap();
    let (truncated, corrupt, missing) = (&m.names[0], &m.names[1], &m.names[2]);
    m.crawl(&[]);
    std::fs::write(m.served(truncated), &bytes[..bytes.len() / 2]).unwrap();
    // corrupt: same size, a flipped byte inside the compressed data
    let mut c = std::fs::read(m.served(corrupt)).unwrap();
    c[120] ^= 0x5a;
    std::fs::write(m.served(corrupt), &c).unwrap();
    std::fs::remove_file(m.served(missing)).unwrap();
    // longer at the source than the listing says
    let longer = &m.names[3];
    let mut l = std::fs::read(m.served(longer)).unwrap();
    l.extend_from_slice(&[0u8; 100]);
    std::fs::write(m.served(longer), &l).unwrap();

    let env = [
        ("CLIMASTATION_PROCESSING__MAX_ATTEMPTS", "1"),
        ("CLIMASTATION_SOURCE__RETRIES", "1"),
    ];
    let (run, report) = m.download(&env);
    assert_eq!(run.status.code(), Some(1));
    let failed = report["datasets"][0]["failed"].as_array().unwrap();
    let reason = |name: &str| {
        failed
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| f["message"].as_str().unwrap().to_owned())
    };
    assert!(
        reason(truncated).unwrap().contains("the listing says"),
        "{failed:?}"
    );
    assert!(reason(corrupt).unwrap().contains("corrupt"), "{failed:?}");
    assert!(reason(missing).unwrap().contains("HTTP 404"), "{failed:?}");
    // one hint a failure, not two
    assert_eq!(
        reason(missing).unwrap().matches("crawl again").count(),
        1,
        "{failed:?}"
    );
    assert!(
        reason(longer).unwrap().contains("more than the listed"),
        "{failed:?}"
    );
    assert_eq!(report["datasets"][0]["completed"], m.names.len() - 4);
    for name in [truncated, corrupt, missing, longer] {
        assert!(
            !m.downloaded(name).exists(),
            "{name} must not get its final name"
        );
    }
    assert!(
        m.no_part_files(),
        "failed downloads leave no partial file behind"
    );
}

#[test]
fn a_slow_server_hits_the_timeout() {
    let m = Mirror::new();
    m.server.fault(
        &m.url_path(&m.names[0]),
        &[Fault::Slow(std::time::Duration::from_secs(3))],
    );
    let env = [
        ("CLIMASTATION_SOURCE__TIMEOUT_SECONDS", "1"),
        ("CLIMASTATION_SOURCE__RETRIES", "0"),
        ("CLIMASTATION_PROCESSING__MAX_ATTEMPTS", "1"),
    ];
    let (run, report) = m.crawl_and_download(&env);
    assert_eq!(run.status.code(), Some(1));
    let failed = &report["datasets"][0]["failed"][0];
    assert!(failed["path"].as_str().unwrap().ends_with(&m.names[0]));
    let msg = failed["message"].as_str().unwrap().to_lowercase();
    assert!(
        msg.contains("timeout") || msg.contains("timed out"),
        "{msg}"
    );
    assert!(!m.downloaded(&m.names[0]).exists());
}

#[test]
fn the_rate_limit_holds_over_all_connections() {
    let m = Mirror::new();
    let total: u64 = m
        .names
        .iter()
        .map(|n| std::fs::metadata(m.served(n)).unwrap().len())
        .sum();
    let rate_kbps = 4;
    let started = std::time::Instant::now();
    let (run, _) = m.crawl_and_download(&[("CLIMASTATION_SOURCE__RATE_LIMIT_KBPS", "4")]);
    let took = started.elapsed().as_secs_f64();
    assert_eq!(run.status.code(), Some(0));
    let floor = total as f64 / (rate_kbps as f64 * 1000.0);
    assert!(
        took >= floor * 0.9,
        "{total} bytes at {rate_kbps} kB/s took {took:.2} s, under {floor:.2} s"
    );
}

/// Over HTTP, a 10-minute data file's time reference comes from its
/// station's metadata zip, read from the server (a 503 on the way is
/// retried); a station without one falls back to the period rule.
#[test]
fn ten_minute_files_read_their_station_metadata_from_the_server() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dwd");
    let server = Server::serve_dir(&root);
    let meta = "10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip";
    server.fault(&format!("/{meta}"), &[Fault::Status(503)]);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("solar.txt"),
        "recent/10minutenwerte_SOLAR_01766_akt.zip\n",
    )
    .unwrap();
    std::fs::write(
        work.path().join("tu.txt"),
        "now/10minutenwerte_TU_00044_now.zip\n",
    )
    .unwrap();
    let env = |c: &mut std::process::Command| {
        c.env("CLIMASTATION_SOURCE__BASE_URL", server.url(""))
            .env("CLIMASTATION_PATHS__RAW", "raw")
            .env("CLIMASTATION_PATHS__OUTPUT", "output");
    };
    for (dataset, manifest) in [
        ("10_minutes/solar", "solar.txt"),
        ("10_minutes/air_temperature", "tu.txt"),
    ] {
        let mut c = crate::util::climastation(work.path());
        env(&mut c);
        crate::util::succeeds(c.args(["register", "--dataset", dataset, manifest]));
    }
    let mut c = crate::util::climastation(work.path());
    env(&mut c);
    crate::util::succeeds(c.args([
        "run",
        "--processor",
        "dwd",
        "--dataset",
        "10_minutes/solar",
        "--dataset",
        "10_minutes/air_temperature",
    ]));
    let basis = |rel: &str| {
        use parquet::file::reader::FileReader;
        let f = std::fs::File::open(work.path().join("output").join(rel)).unwrap();
        let r = parquet::file::serialized_reader::SerializedFileReader::new(f).unwrap();
        r.metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .iter()
            .find(|k| k.key == "time_reference_basis")
            .and_then(|k| k.value.clone())
            .unwrap()
    };
    assert_eq!(
        basis("10_minutes/solar/parts/recent/01766/10minutenwerte_SOLAR_01766_akt.zip.parquet"),
        "Metadaten_Parameter"
    );
    assert_eq!(
        basis("10_minutes/air_temperature/parts/now/00044/10minutenwerte_TU_00044_now.zip.parquet"),
        "period",
        "the mirror has no metadata zip for station 44"
    );
    assert_eq!(server.requests(meta).len(), 2, "one 503, then the zip");
    assert!(
        !work
            .path()
            .join("raw/10_minutes/solar")
            .join(meta.trim_start_matches("10_minutes/solar/"))
            .exists(),
        "read into memory, not into paths.raw (its own claim would put it there)"
    );
}

/// A 429 or 503 with `Retry-After` waits what the server asks, up to
/// `source.max_retry_wait_seconds`, instead of the backoff (0.5 s).
#[test]
fn retry_after_is_honoured_up_to_the_maximum_wait() {
    let m = Mirror::new();
    m.server.fault(
        &m.url_path(&m.names[0]),
        &[Fault::RetryAfter(429, "1".into())],
    );
    m.server.fault(
        &m.url_path(&m.names[1]),
        &[Fault::RetryAfter(503, "3600".into())],
    );
    let env = [
        ("CLIMASTATION_LOGGING__FILE", "true"),
        ("CLIMASTATION_LOGGING__FORMAT", "json"),
        ("CLIMASTATION_PATHS__LOGS", "logs"),
        ("CLIMASTATION_SOURCE__MAX_RETRY_WAIT_SECONDS", "2"),
    ];
    let (run, _) = m.crawl_and_download(&env);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut waits = Vec::new();
    for e in std::fs::read_dir(m.work.path().join("logs")).unwrap() {
        for line in std::fs::read_to_string(e.unwrap().path()).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["message"] == "request failed; retrying" {
                waits.push((
                    v["fields"]["url"].as_str().unwrap().to_owned(),
                    v["fields"]["wait_ms"].as_u64().unwrap(),
                ));
            }
        }
    }
    waits.sort();
    let wait_of = |name: &str| waits.iter().find(|(u, _)| u.ends_with(name)).map(|w| w.1);
    assert_eq!(wait_of(&m.names[0]), Some(1000), "{waits:?}");
    assert_eq!(wait_of(&m.names[1]), Some(2000), "bounded: {waits:?}");
}

/// Content that is corrupt or hostile, or of another size than listed,
/// after a complete transfer: a property of the source's file, failed for
/// good at the first attempt (not downloaded `max_attempts` times), with
/// nothing left behind; a 404 too.
#[test]
fn corrupt_content_and_a_changed_size_fail_for_good_at_once_leaving_nothing() {
    let m = Mirror::new();
    // 0: HTML where a zip belongs, the listed size kept
    let len = std::fs::metadata(m.served(&m.names[0])).unwrap().len() as usize;
    let mut html = b"<html><body>Service Unavailable</body></html>".to_vec();
    html.resize(len, b' ');
    std::fs::write(m.served(&m.names[0]), html).unwrap();
    // 1: another size than listed
    std::fs::write(m.served(&m.names[1]), b"PK\x03\x04 short").unwrap();
    // 2: gone
    std::fs::remove_file(m.served(&m.names[2])).unwrap();
    let (run, report) = m.crawl_and_download(&[("CLIMASTATION_PROCESSING__FAIL_FAST", "false")]);
    assert_eq!(run.status.code(), Some(1), "{report}");
    let failed = report["datasets"][0]["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 3, "{report}");
    for f in failed {
        assert_eq!(f["kind"], "permanent", "{f}");
    }
    let listed = m.cli(&["--json", "failed"], &[]);
    let v: Value = serde_json::from_slice(&listed.stdout).unwrap();
    for f in v["files"].as_array().unwrap() {
        assert_eq!(f["attempts"], 1, "failed at once: {f}");
    }
    let message = |i: usize| {
        failed
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(&m.names[i]))
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message(1).contains("the listing says"), "{}", message(1));
    assert!(message(2).contains("HTTP 404"), "{}", message(2));
    // each was fetched once
    for i in 0..3 {
        assert_eq!(m.server.requests(&m.names[i]).len(), 1, "{}", m.names[i]);
    }
    assert!(m.no_part_files(), "no .part left behind");
    for i in 0..3 {
        assert!(!m.downloaded(&m.names[i]).exists());
    }
}

/// A 206 whose Content-Range does not start where the partial file ends
/// would splice the wrong bytes: the download starts over from byte 0.
#[test]
fn a_206_from_the_wrong_offset_starts_over() {
    let m = Mirror::new();
    m.server.fault(
        &m.url_path(&m.names[0]),
        &[Fault::DropAfter(300), Fault::PartialFrom(0)],
    );
    let (run, report) = m.crawl_and_download(&[]);
    assert_eq!(run.status.code(), Some(0), "{report}");
    assert_eq!(
        std::fs::read(m.downloaded(&m.names[0])).unwrap(),
        std::fs::read(m.served(&m.names[0])).unwrap()
    );
    assert_eq!(
        m.server.requests(&m.names[0]),
        [None, Some("bytes=300-".to_owned()), None],
        "dropped at 300, a 206 from 0 refused, then the whole file"
    );
}

/// A file replaced at the source after the crawl arrives with another size
/// than registered: its folder is listed again, and the new listing puts it
/// back in the queue (not a failure); the next claim downloads the new file.
#[test]
fn a_file_that_changed_at_the_source_is_listed_again_and_fetched_anew() {
    let m = Mirror::new();
    m.crawl(&[]);
    let newer = std::fs::read(m.served(&m.names[1])).unwrap();
    std::fs::write(m.served(&m.names[0]), &newer).unwrap();
    m.write_listing(&[]);
    let (run, report) = m.download(&[]);
    assert_eq!(run.status.code(), Some(0), "{report}");
    assert_eq!(report["datasets"][0]["completed"], 5, "{report}");
    assert_eq!(std::fs::read(m.downloaded(&m.names[0])).unwrap(), newer);
    assert_eq!(
        m.server.requests(&m.names[0]).len(),
        2,
        "fetched again once"
    );
    let rec = m.record(&m.names[0]);
    assert_eq!(rec.size, Some(newer.len() as u64), "{rec:?}");
    assert_eq!(rec.failures, 0, "{rec:?}");
    assert_eq!(
        report["datasets"][0]["released"], 1,
        "queued again: {report}"
    );
    assert!(
        report["datasets"][0]["failed"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// A station list no listing gives a size of is completed on the server's
/// word alone and recorded as such; `failed --unconfirmed` lists it. A zip
/// without a listed size is not: its directory and CRCs prove it whole.
#[test]
fn a_text_file_without_a_listed_size_is_recorded_as_size_unconfirmed() {
    let m = Mirror::new();
    let list = "TU_Stundenwerte_Beschreibung_Stationen.txt";
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/dwd/annual/kl/recent/KL_Jahreswerte_Beschreibung_Stationen.txt"),
        m.served(list),
    )
    .unwrap();
    m.write_listing(&[list, &m.names[2]]);
    let (run, report) = m.crawl_and_download(&[]);
    assert_eq!(run.status.code(), Some(0), "{report}");
    assert_eq!(report["datasets"][0]["completed"], 6, "{report}");
    let out = m.cli(&["--json", "failed", "--unconfirmed"], &[]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{v}");
    assert_eq!(files[0]["path"], format!("recent/{list}"), "{v}");
    assert!(m.record(list).size_unconfirmed);
    assert!(!m.record(&m.names[2]).size_unconfirmed);
    let text = m.cli(&["failed", "--unconfirmed"], &[]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("1 file(s) with an unconfirmed size"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}
