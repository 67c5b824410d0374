//! Asking for what you need, through the real binary against a loopback
//! server serving the synthetic mirror (`cargo xtask fixtures`), whose
//! station list has known coordinates, names and states: each selection
//! filter registers the right files and nothing else is fetched (the
//! server's request log says so). Also the first-run guidance: config-
//! relative paths, exit codes of setup errors, offline fail-fast, register
//! of a crawl manifest.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use crate::http_server::Server;

use crate::fixtures;

const DATASET: &str = fixtures::DATASET;
/// Stations of the mirror: station `i` has id `3 + 7 i`, latitude
/// `47.5 + 0.1 i`, longitude `6.0 + 0.1 i` (for i < 50), name
/// `NAMES[i % 12]`, state `STATES[i % 6]`.
const STATIONS: usize = 20;

struct Mirror {
    _root: tempfile::TempDir,
    server: Server,
    work: tempfile::TempDir,
}

impl Mirror {
    fn new() -> Mirror {
        let root = tempfile::tempdir().unwrap();
        fixtures::generate(root.path(), STATIONS, 2, 1).unwrap();
        let server = Server::serve_dir(root.path());
        Mirror {
            _root: root,
            server,
            work: tempfile::tempdir().unwrap(),
        }
    }

    fn cli(&self, args: &[&str]) -> Output {
        crate::util::climastation(self.work.path())
            .env("CLIMASTATION_SOURCE__BASE_URL", self.server.url("climate/"))
            .env("CLIMASTATION_PATHS__RAW", "raw")
            .env("CLIMASTATION_PATHS__OUTPUT", "output")
            .args(args)
            .output()
            .unwrap()
    }

    /// The registered files not set aside: path → station id (`None` for
    /// files of no station).
    fn registered(&self) -> BTreeSet<String> {
        let conn = rusqlite::Connection::open(self.work.path().join("progress.db")).unwrap();
        let mut stmt = conn
            .prepare("SELECT file_path FROM file_processing_log WHERE vanished_at IS NULL ORDER BY file_path")
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn id(i: usize) -> u32 {
    3 + 7 * i as u32
}

/// The station ids of the registered data and metadata zips.
fn stations_of(paths: &BTreeSet<String>) -> BTreeSet<u32> {
    paths
        .iter()
        .filter_map(|p| dwd_catalog::facts(p).station?.parse().ok())
        .collect()
}

#[test]
fn near_and_radius_register_and_fetch_only_the_stations_around_a_point() {
    let m = Mirror::new();
    // the stations within 30 km of (47.5, 6.0), computed from the mirror's rule
    let want: BTreeSet<u32> = (0..STATIONS)
        .filter(|&i| {
            let (lat, lon) = (47.5 + 0.1 * i as f64, 6.0 + 0.1 * i as f64);
            dwd_catalog::selection::distance_km((47.5, 6.0), (lat, lon)) <= 30.0
        })
        .map(id)
        .collect();
    assert!(want.len() >= 2 && want.len() < STATIONS, "{want:?}");
    let out = ok(&m.cli(&[
        "--json",
        "crawl",
        "--dataset",
        DATASET,
        "--near",
        "47.5,6.0",
        "--radius",
        "30",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["selection"].as_str().unwrap().contains("within 30 km"),
        "{v}"
    );
    let registered = m.registered();
    assert_eq!(stations_of(&registered), want);
    // each selected station: 3 historical, recent, now, metadata; plus 3 lists
    assert_eq!(registered.len(), want.len() * 6 + 3, "{registered:?}");
    // a run fetches those and nothing else
    ok(&m.cli(&["run", "--processor", "download"]));
    for i in 0..STATIONS {
        let fetched = m.server.requests(&format!("_{:05}_akt.zip", id(i))).len();
        assert_eq!(
            fetched,
            usize::from(want.contains(&id(i))),
            "station {}",
            id(i)
        );
    }
    let stations = ok(&m.cli(&["status"]));
    assert!(
        stations.contains("selection of 10_minutes/air_temperature: within 30 km"),
        "{stations}"
    );
}

#[test]
fn each_filter_selects_by_its_own_rule() {
    let m = Mirror::new();
    let crawl = |args: &[&str]| {
        // a fresh database for each selection
        let _ = std::fs::remove_file(m.work.path().join("progress.db"));
        let mut a = vec!["crawl", "--dataset", DATASET];
        a.extend_from_slice(args);
        ok(&m.cli(&a));
        m.registered()
    };
    // ids as DWD writes them, and as numbers
    let r = crawl(&["--station", "00010,24"]);
    assert_eq!(stations_of(&r), [10, 24].into());
    // a box around stations 5..=7
    let r = crawl(&["--bbox", "6.45,47.95,6.75,48.25"]);
    assert_eq!(stations_of(&r), (5..=7).map(id).collect());
    // by name (NAMES[1] = Großenkneten, stations 1 and 13) and state
    let r = crawl(&["--name", "GROSSEN"]);
    assert!(stations_of(&r).is_empty(), "no such name");
    let r = crawl(&["--name", "großen"]);
    assert_eq!(stations_of(&r), [id(1), id(13)].into());
    let r = crawl(&["--state", "sachsen"]);
    assert_eq!(stations_of(&r), [id(4), id(10), id(16)].into());
    // by period
    let r = crawl(&["--period", "now"]);
    assert!(
        r.iter()
            .filter(|p| p.ends_with(".zip"))
            .all(|p| p.starts_with("now/") || p.starts_with("meta_data/")),
        "{r:?}"
    );
    assert_eq!(
        r.iter()
            .filter(|p| p.starts_with("now/") && p.ends_with(".zip"))
            .count(),
        STATIONS
    );
    // by dates: only the 2000s chunk of each station's historical files
    let r = crawl(&[
        "--from",
        "2003-05-01",
        "--to",
        "2004-12-31",
        "--period",
        "historical",
    ]);
    let zips: Vec<&String> = r.iter().filter(|p| p.ends_with("_hist.zip")).collect();
    assert_eq!(zips.len(), STATIONS, "{zips:?}");
    assert!(
        zips.iter().all(|p| p.contains("_20000101_20091231_")),
        "{zips:?}"
    );
}

#[test]
fn narrowing_sets_pending_files_aside_and_widening_takes_them_back() {
    let m = Mirror::new();
    ok(&m.cli(&["crawl", "--dataset", DATASET, "--station", "3,10"]));
    // station 3 done, 10 pending
    ok(&m.cli(&[
        "run",
        "--processor",
        "download",
        "--station",
        "3",
        "--crawl",
    ]));
    let r = m.registered();
    assert_eq!(
        stations_of(&r),
        [3].into(),
        "10's pending files are set aside"
    );
    let conn = rusqlite::Connection::open(m.work.path().join("progress.db")).unwrap();
    let done: i64 = conn
        .query_row(
            "SELECT count(*) FROM file_processing_log WHERE status = 'completed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(done, 6 + 3, "station 3's files and the lists");
    assert!(
        m.server.requests("_00010_akt.zip").is_empty(),
        "10 was never fetched"
    );
    // narrowing to 10 leaves 3's done files alone
    ok(&m.cli(&["crawl", "--dataset", DATASET, "--station", "10"]));
    let done_after: i64 = conn
        .query_row(
            "SELECT count(*) FROM file_processing_log WHERE status = 'completed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(done_after, done);
    assert!(stations_of(&m.registered()).contains(&10));
    // the configuration's selection is the default; the command line wins
    std::fs::write(
        m.work.path().join("sel.yaml"),
        "selection:\n  stations: [17]\n",
    )
    .unwrap();
    let out = m.cli(&[
        "--config",
        "sel.yaml",
        "--json",
        "crawl",
        "--dataset",
        DATASET,
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["selection"], "stations 00017");
    let out = m.cli(&[
        "--config",
        "sel.yaml",
        "--json",
        "crawl",
        "--dataset",
        DATASET,
        "--station",
        "24",
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["selection"], "stations 00024");
}

#[test]
fn stations_lists_by_distance_with_json_and_csv() {
    let m = Mirror::new();
    let out = ok(&m.cli(&[
        "--json",
        "stations",
        "--dataset",
        DATASET,
        "--near",
        "47.5,6.0",
        "--radius",
        "30",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = v["stations"].as_array().unwrap();
    let ids: Vec<u64> = list
        .iter()
        .map(|s| s["station_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.first(), Some(&3), "the nearest first");
    let d: Vec<f64> = list
        .iter()
        .map(|s| s["distance_km"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert_eq!(d[0], 0.0);
    let csv = ok(&m.cli(&[
        "stations",
        "--dataset",
        DATASET,
        "--state",
        "Sachsen",
        "--csv",
    ]));
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("station_id,name,state"));
    assert_eq!(lines.count(), 3, "{csv}");
    // cached: a second ask does not fetch the lists again
    let before = m.server.requests("Beschreibung_Stationen.txt").len();
    ok(&m.cli(&["stations", "--dataset", DATASET]));
    assert_eq!(
        m.server.requests("Beschreibung_Stationen.txt").len(),
        before
    );
}

#[test]
fn setup_errors_exit_2_and_offline_fails_at_once_with_a_hint() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str], source: &str| {
        crate::util::climastation(work.path())
            .env("CLIMASTATION_SOURCE__BASE_URL", source)
            .args(args)
            .output()
            .unwrap()
    };
    // a refused connection: no retries, a hint to use a mirror
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}/climate/")
    };
    let o = run(&["crawl", "--dataset", DATASET], &refused);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no network? a local mirror of the archive can be the source"),
        "{err}"
    );
    assert!(!err.contains("retrying"), "{err}");
    // with warnings shown: not one retry
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_climastation-under-test"))
        .current_dir(work.path())
        .env_remove("CLIMASTATION_CONFIG")
        .env("CLIMASTATION_LOGGING__FILE", "false")
        .env("CLIMASTATION_PATHS__PROGRESS_DB", "progress.db")
        .env("CLIMASTATION_SOURCE__BASE_URL", &refused)
        .args(["--log-level", "warn", "crawl", "--dataset", DATASET])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("retrying") && err.contains("Connection refused"),
        "{err}"
    );
    // a missing mirror folder
    let o = run(&["crawl"], "/no/such/mirror");
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // a bad selection names its option
    let o = run(&["crawl", "--bbox", "13,51,12,52"], "/tmp");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--bbox"));
    let o = run(&["crawl", "--near", "51.3,12.4"], "/tmp");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs --radius"));
    // an unknown dataset
    let o = run(&["crawl", "--dataset", "daily/kll"], "/tmp");
    assert_eq!(o.status.code(), Some(2));
    // a selection on run without --crawl would select nothing: refused
    let o = run(&["run", "--station", "44"], "/tmp");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("need --crawl"));
    // --workers names itself
    let o = run(&["run", "--workers", "-1"], "/tmp");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--workers -1"));
    // a wrapper's CLIMASTATION_BIN is not configuration
    let o = crate::util::climastation(work.path())
        .env("CLIMASTATION_BIN", "/usr/bin/climastation")
        .args(["status"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // nothing registered: say what to do
    let o = run(&["run"], "/tmp");
    assert!(String::from_utf8_lossy(&o.stdout).contains(
        "nothing registered for 10_minutes/air_temperature: crawl first, or run --crawl"
    ));
}

/// The sample job from another folder: its mirror is relative to the
/// config file, its data to the working directory.
#[test]
fn config_relative_paths_run_the_sample_from_another_folder() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/sample.yaml");
    let work = tempfile::tempdir().unwrap();
    let o = crate::util::climastation(work.path())
        .env_remove("CLIMASTATION_PROCESSING__PROCESSOR")
        .arg("--config")
        .arg(&config)
        .args(["run", "--crawl", "--dataset", "annual/kl"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the dwd processor is the default: the table is there
    let out = work
        .path()
        .join("data/output/annual/kl/parts/recent/00044/jahreswerte_KL_00044_akt.zip.parquet");
    assert!(out.is_file(), "{}", out.display());
}

#[test]
fn register_reads_the_manifest_crawl_wrote() {
    let m = Mirror::new();
    ok(&m.cli(&["crawl", "--dataset", DATASET, "--station", "3"]));
    let manifest = m
        .work
        .path()
        .join("data/manifests/10_minutes__air_temperature.jsonl");
    let out = ok(&m.cli(&[
        "--json",
        "register",
        "--dataset",
        DATASET,
        manifest.to_str().unwrap(),
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // the manifest lists everything the source has; the station's files were known
    assert_eq!(v["unchanged"], 6 + 3);
    assert_eq!(v["new"], (STATIONS as u64 - 1) * 6);
    // a manifest of another dataset is refused with its cause
    let o = m.cli(&[
        "register",
        "--dataset",
        "10_minutes/solar",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is of dataset 10_minutes/air_temperature")
    );
}

/// Warnings on the console: coloured only when asked (or on a terminal
/// without NO_COLOR), and the program's own error printed once.
#[test]
fn colours_and_errors_on_the_console() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str], no_color: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_climastation-under-test"));
        c.current_dir(work.path())
            .env_remove("CLIMASTATION_CONFIG")
            .env("CLIMASTATION_LOGGING__FILE", "false")
            .env("CLIMASTATION_PATHS__PROGRESS_DB", "progress.db")
            .env("CLIMASTATION_SOURCE__BASE_URL", "/no/such/mirror")
            .args(args);
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        c.output().unwrap()
    };
    // an unknown column keeps its DWD name, with a warning
    let zip = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/dwd/daily/kl/recent/tageswerte_KL_04271_akt.zip");
    let zip = zip.to_str().unwrap();
    let with = |color: &str, no_color: bool| {
        // daily columns read as monthly: 15 of 16 are not in its table
        let o = run(
            &[
                "--color",
                color,
                "convert",
                "--dataset",
                "monthly/kl",
                "-o",
                "out",
                zip,
            ],
            no_color,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let plain = with("never", false);
    assert!(plain.contains("WARN") && !plain.contains('\x1b'), "{plain}");
    // the same warning for 15 columns: printed once, then counted
    assert_eq!(plain.matches("unknown column kept").count(), 2, "{plain}");
    assert!(
        plain.contains("warning repeated 14 more time(s)"),
        "{plain}"
    );
    assert!(with("always", false).contains('\x1b'));
    assert!(
        !with("auto", true).contains('\x1b'),
        "NO_COLOR, and not a terminal"
    );
    // one error, once
    let o = run(&["crawl"], false);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

/// Ctrl-C during the crawl phase (of `crawl` and of `run --crawl`): a clean
/// stop between two listings, exit 130, nothing half-registered; the next
/// crawl finishes.
#[test]
fn sigint_during_the_crawl_stops_cleanly_with_130() {
    use crate::http_server::Fault;
    use std::time::Duration;
    for args in [
        &["crawl"][..],
        &["run", "--crawl", "--processor", "download"][..],
    ] {
        let m = Mirror::new();
        // the first listings answer slowly, so the signal lands mid-crawl
        for dir in ["historical", "recent", "now", "meta_data"] {
            m.server.fault(
                &format!("/climate/{DATASET}/{dir}/"),
                &[Fault::Slow(Duration::from_millis(400))],
            );
        }
        let child = crate::util::climastation(m.work.path())
            .env("CLIMASTATION_SOURCE__BASE_URL", m.server.url("climate/"))
            .args(args)
            .args(["--dataset", DATASET])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // wait until the crawl has started listing
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while m.server.requests(&format!("{DATASET}/")).is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the crawl never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {err}");
        assert!(err.contains("interrupted"), "{err}");
        assert!(
            m.registered().is_empty(),
            "nothing registered from a half listing"
        );
        // and a crawl afterwards finishes
        ok(&m.cli(&["crawl", "--dataset", DATASET]));
        assert_eq!(m.registered().len(), STATIONS * 6 + 3);
    }
}
