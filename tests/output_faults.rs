//! The outputs' fault matrix: what a hostile user (or a crash, or a cron
//! job that overlaps the last one) does to the tables a run wrote, and what
//! the program must then do: never serve a missing, damaged, stale, torn or
//! misplaced table, repair what it can on the next `run`, and say what is
//! wrong (`check`, exit 1) with the command that fixes it.
//!
//! Each test runs the real binary against the loopback server on the
//! synthetic 10-minute mirror (`crate::fault_matrix::Lab`).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::fault_matrix::{Lab, stderr, stdout, zip_of};
use crate::fixtures::{self, DATASET};
use crate::http_server::Fault;

/// A small lab: 3 stations (ids 3, 10, 17), 200 rows a file.
fn lab() -> Lab {
    Lab::new(3, 200)
}

fn out(lab: &Lab) -> PathBuf {
    lab.work.path().join("data/output").join(DATASET)
}

/// `export` of the resolution as CSV to `target`.
fn export_to(lab: &Lab, target: &str) -> Output {
    lab.cli(
        &[
            "export",
            "--resolution",
            "10_minutes",
            "--format",
            "csv",
            "-o",
            target,
        ],
        &[],
    )
}

/// `export` of the resolution as CSV: the rows users are served.
fn export(lab: &Lab) -> Output {
    let _ = std::fs::remove_file(lab.work.path().join("export.csv"));
    export_to(lab, "export.csv")
}

fn exported(lab: &Lab) -> Vec<u8> {
    let o = export(lab);
    assert_eq!(o.status.code(), Some(0), "export: {}", stderr(&o));
    std::fs::read(lab.work.path().join("export.csv")).unwrap()
}

fn check(lab: &Lab) -> Output {
    lab.cli(&["check"], &[])
}

/// `check` passes.
fn check_ok(lab: &Lab) {
    let c = check(lab);
    assert_eq!(c.status.code(), Some(0), "{}", stdout(&c));
}

fn run_ok(lab: &Lab) {
    let (o, report) = lab.run(&[]);
    assert_eq!(o.status.code(), Some(0), "run: {report}\n{}", stderr(&o));
}

/// Every temp file below the work folder (none may be left).
fn temps(lab: &Lab) -> Vec<PathBuf> {
    fixtures::files_below(lab.work.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Damage {
    Delete,
    Truncate,
    Zero,
    BitFlip,
    /// Another table of the same kind copied over it.
    Swap,
}

fn damage(path: &Path, how: Damage, other: &Path) {
    match how {
        Damage::Delete => std::fs::remove_file(path).unwrap(),
        Damage::Truncate => {
            let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(len / 2).unwrap();
        }
        Damage::Zero => {
            let len = std::fs::metadata(path).unwrap().len() as usize;
            std::fs::write(path, vec![0u8; len]).unwrap();
        }
        Damage::BitFlip => {
            let mut b = std::fs::read(path).unwrap();
            let (mid, len) = (b.len() / 2, b.len());
            for x in &mut b[mid.saturating_sub(32)..(mid + 32).min(len)] {
                *x ^= 0x5a;
            }
            std::fs::write(path, b).unwrap();
        }
        Damage::Swap => {
            std::fs::copy(other, path).unwrap();
        }
    }
}

const DAMAGES: [Damage; 5] = [
    Damage::Delete,
    Damage::Truncate,
    Damage::Zero,
    Damage::BitFlip,
    Damage::Swap,
];

/// Findings 1–3: every kind of table (a series, the merged station list,
/// a metadata table, a per-file table), damaged every way: `check` names
/// it (exit 1), `export` refuses to serve it (exit 1, naming it), the next
/// `run` repairs it (exit 0), and then `check` is clean and the export is
/// the undisturbed one, byte for byte.
#[test]
fn damaged_tables_are_found_refused_and_repaired() {
    let lab = lab();
    run_ok(&lab);
    let baseline = exported(&lab);
    assert_eq!(
        check(&lab).status.code(),
        Some(0),
        "{}",
        stdout(&check(&lab))
    );
    let o = out(&lab);
    let metadata = std::fs::read_dir(o.join("metadata"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let kinds: Vec<(&str, PathBuf, PathBuf, bool)> = vec![
        (
            "series",
            o.join("series/00003.parquet"),
            o.join("series/00010.parquet"),
            true,
        ),
        (
            "stations",
            o.join("stations.parquet"),
            metadata.clone(),
            true,
        ),
        ("metadata", metadata, o.join("stations.parquet"), true),
        (
            "part",
            o.join("parts/recent/00003/10minutenwerte_TU_00003_akt.zip.parquet"),
            o.join("parts/recent/00010/10minutenwerte_TU_00010_akt.zip.parquet"),
            false,
        ),
        (
            "catalog",
            lab.work.path().join("data/output/catalog.sql"),
            o.join("stations.parquet"),
            false,
        ),
    ];
    for (kind, path, other, served) in &kinds {
        for how in DAMAGES {
            let case = format!("{kind} {how:?}");
            damage(path, how, other);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let c = check(&lab);
            assert_eq!(c.status.code(), Some(1), "{case}: check\n{}", stdout(&c));
            assert!(stdout(&c).contains(&name), "{case}: {}", stdout(&c));
            assert!(stdout(&c).contains("climastation run"), "{case}");
            if *served {
                let e = export(&lab);
                assert_eq!(e.status.code(), Some(1), "{case}: export served it");
                assert!(stderr(&e).contains(&name), "{case}: {}", stderr(&e));
                assert!(!lab.work.path().join("export.csv").exists(), "{case}");
            }
            run_ok(&lab);
            let c = check(&lab);
            assert_eq!(
                c.status.code(),
                Some(0),
                "{case}: after run\n{}",
                stdout(&c)
            );
            assert_eq!(exported(&lab), baseline, "{case}: served rows differ");
            assert!(temps(&lab).is_empty(), "{case}: {:?}", temps(&lab));
        }
    }
}

/// Finding 3 as reported: a damaged per-file table and its station's
/// series deleted; the series must come back from a good table.
#[test]
fn a_series_is_never_merged_from_a_damaged_part() {
    let lab = lab();
    run_ok(&lab);
    let baseline = exported(&lab);
    let o = out(&lab);
    for how in [Damage::BitFlip, Damage::Swap] {
        damage(
            &o.join("parts/recent/00003/10minutenwerte_TU_00003_akt.zip.parquet"),
            how,
            &o.join("parts/now/00010/10minutenwerte_TU_00010_now.zip.parquet"),
        );
        std::fs::remove_file(o.join("series/00003.parquet")).unwrap();
        run_ok(&lab);
        assert_eq!(exported(&lab), baseline, "{how:?}");
        assert_eq!(check(&lab).status.code(), Some(0));
    }
}

/// A table nobody wrote and a temp file of a dead process are reported;
/// the run removes the temp file.
#[test]
fn check_reports_foreign_tables_and_leftover_temps() {
    let lab = lab();
    run_ok(&lab);
    let o = out(&lab);
    std::fs::write(o.join("series/99999.parquet"), b"not ours").unwrap();
    let dead = o.join("series/00003.parquet.4999999-0.tmp");
    std::fs::write(&dead, b"half").unwrap();
    let c = check(&lab);
    assert_eq!(c.status.code(), Some(1));
    let text = stdout(&c);
    assert!(
        text.contains("99999.parquet") && text.contains("not in the output ledger"),
        "{text}"
    );
    assert!(
        text.contains("4999999-0.tmp") && text.contains("process that is gone"),
        "{text}"
    );
    let e = export(&lab);
    assert_eq!(e.status.code(), Some(1), "a foreign series was served");
    assert!(stderr(&e).contains("99999.parquet"), "{}", stderr(&e));
    // the series glob is the run's to keep readable: a foreign file in it
    // fails the run (the catalog names it); it is the user's to remove
    let (r, _) = lab.run(&[]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(stderr(&r).contains("99999.parquet"), "{}", stderr(&r));
    assert!(!dead.exists(), "the dead process's temp file was swept");
    std::fs::remove_file(o.join("series/99999.parquet")).unwrap();
    run_ok(&lab);
    check_ok(&lab);
}

/// Finding 4: two `run --crawl` on one data folder at once (a cron job
/// that starts before the last one ended) both succeed and leave what one
/// run leaves; with one of them killed, the next run repairs everything.
#[test]
fn two_runs_on_one_folder_equal_one() {
    let single = Lab::new(5, 300);
    run_ok(&single);
    let baseline = exported(&single);

    for round in 0..3 {
        let lab = Lab::new(5, 300);
        let a = lab.spawn(&[]);
        let b = lab.spawn(&[]);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for (who, o) in [("first", &a), ("second", &b)] {
            assert_eq!(
                o.status.code(),
                Some(0),
                "round {round}, {who}: {}",
                stderr(o)
            );
            assert!(!stderr(o).contains("ERROR"), "{who}: {}", stderr(o));
        }
        let c = check(&lab);
        assert_eq!(c.status.code(), Some(0), "round {round}: {}", stdout(&c));
        assert_eq!(exported(&lab), baseline, "round {round}");
        assert!(temps(&lab).is_empty(), "round {round}: {:?}", temps(&lab));
    }

    // one of the two killed at a different moment each round
    for (round, ms) in [150u64, 400, 800].into_iter().enumerate() {
        let lab = Lab::new(5, 300);
        let mut victim = lab.spawn(&[]);
        let other = lab.spawn(&[]);
        std::thread::sleep(Duration::from_millis(ms));
        let _ = victim.kill();
        let _ = victim.wait();
        let o = other.wait_with_output().unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "round {round}: {}",
            stderr(&o)
        );
        run_ok(&lab);
        let c = check(&lab);
        assert_eq!(c.status.code(), Some(0), "round {round}: {}", stdout(&c));
        assert_eq!(exported(&lab), baseline, "kill round {round}");
        assert!(
            temps(&lab).is_empty(),
            "kill round {round}: {:?}",
            temps(&lab)
        );
    }
}

/// Serves `bytes` as `rel` of the mirror, with its folder's listing updated.
fn add(lab: &Lab, rel: &str, bytes: &[u8]) {
    let path = lab.served(rel);
    std::fs::write(&path, bytes).unwrap();
    let period = rel.split('/').next().unwrap();
    fixtures::relist(lab.tree.path(), period, &[]).unwrap();
}

/// Finding 6: files of another dataset in this dataset's folder, a
/// member of another dataset in a zip named for this one, rows of another
/// station than the name's: each fails for good naming what it found and
/// where it belongs, and nothing of it reaches a series. A header-only
/// file is a 0-row table, with a warning.
#[test]
fn misplaced_input_is_refused() {
    let clean = lab();
    run_ok(&clean);
    let baseline = exported(&clean);

    let lab = lab();
    let mut rng = fixtures::Rng(7);
    let tu = fixtures::produkt(3, 202_001_010_000, 50, true, &mut rng);
    let other_station = fixtures::produkt(44, 202_101_010_000, 50, true, &mut rng);
    let header_only = fixtures::produkt(17, 202_201_010_000, 0, true, &mut rng);
    // 10-minute precipitation columns (DWD's header) in a member named for
    // air temperature, in a zip named for air temperature
    let rain = b"STATIONS_ID;MESS_DATUM;  QN;RWS_DAU_10;RWS_10;RWS_IND_10;eor\r\n\
                 3;202301010000;    3;   0;   0.00;   0;eor\r\n\
                 3;202301010010;    3;  10;   0.20;   1;eor\r\n";
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "historical/10minutenwerte_TU_00003_20230101_20230101_hist.zip",
            zip_of(&[("produkt_zehn_min_tu_20230101_20230101_00003.txt", rain)]),
            "its set of columns (RWS_DAU_10, RWS_10, RWS_IND_10) belongs to 10_minutes/precipitation",
        ),
        (
            "recent/10minutenwerte_nieder_00003_akt.zip",
            zip_of(&[("produkt_zehn_min_rr_20200101_20200101_00003.txt", &tu)]),
            "belongs to 10_minutes/precipitation",
        ),
        (
            "recent/stundenwerte_TU_00003_akt.zip",
            zip_of(&[("produkt_tu_stunde_20200101_20200101_00003.txt", &tu)]),
            "belongs to hourly/air_temperature",
        ),
        (
            "historical/10minutenwerte_TU_00003_20200101_20200101_hist.zip",
            zip_of(&[("produkt_zehn_min_rr_20200101_20200101_00003.txt", &tu)]),
            "member produkt_zehn_min_rr_20200101_20200101_00003.txt belongs to 10_minutes/precipitation",
        ),
        (
            "historical/10minutenwerte_TU_00003_20210101_20210101_hist.zip",
            zip_of(&[(
                "produkt_zehn_min_tu_20210101_20210101_00003.txt",
                &other_station,
            )]),
            "named for station 3, but 50 of its 50 rows are of station(s) 44",
        ),
    ];
    for (rel, bytes, _) in &cases {
        add(&lab, rel, bytes);
    }
    add(
        &lab,
        "historical/10minutenwerte_TU_00017_20220101_20220101_hist.zip",
        &zip_of(&[(
            "produkt_zehn_min_tu_20220101_20220101_00017.txt",
            &header_only,
        )]),
    );
    let o = lab.cli(
        &["run", "--crawl", "--dataset", DATASET, "--keep-going"],
        &[("CLIMASTATION_LOGGING__FILE", "true")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let logged: String = fixtures::files_below(&lab.work.path().join("data/logs"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(
        logged.contains("a data file with a header and no rows"),
        "{logged}"
    );
    let records = lab.records();
    for (rel, _, why) in &cases {
        let rec = &records[*rel];
        assert_eq!(rec.status, tracker_core::FileStatus::Failed, "{rel}");
        assert_eq!(
            rec.error_kind,
            Some(tracker_core::FailureKind::Permanent),
            "{rel}"
        );
        assert_eq!(
            rec.error_cause,
            Some(tracker_core::FailureCause::Misplaced),
            "{rel}"
        );
        let msg = rec.error_message.clone().unwrap_or_default();
        assert!(msg.contains(why), "{rel}: {msg}");
        assert!(
            msg.contains(rel.rsplit('/').next().unwrap()),
            "{rel}: {msg}"
        );
        assert!(lab.outputs_of(rel).is_empty(), "{rel}: a table was written");
    }
    let empty = &records["historical/10minutenwerte_TU_00017_20220101_20220101_hist.zip"];
    assert_eq!(empty.status, tracker_core::FileStatus::Completed);
    assert_eq!(empty.records_processed, Some(0));
    assert_eq!(exported(&lab), baseline, "misplaced rows reached a series");
}

/// Runs `args` with a long request timeout, sends SIGINT once the
/// server has seen a request for `path` (and a moment more, so that it
/// stalls in it): the output, and how long the exit took after the signal.
fn interrupt_stalled(lab: &Lab, args: &[&str], path: &str) -> (Output, Duration) {
    let child = lab
        .command(args, &[("CLIMASTATION_SOURCE__TIMEOUT_SECONDS", "60")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while lab.server.requests(path).is_empty() {
        assert!(Instant::now() < deadline, "{args:?}: no request for {path}");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(400));
    let signalled = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    (o, signalled.elapsed())
}

/// Finding 7: a listing that stalls (a DWD server that hangs): SIGINT ends
/// `crawl` and `run --crawl` within 2 s with exit 130, nothing registered.
#[test]
fn sigint_ends_a_stalled_listing_at_once() {
    for args in [
        &["crawl", "--dataset", DATASET][..],
        &Lab::RUN[1..],
        &["stations", "--dataset", DATASET][..],
    ] {
        let lab = lab();
        lab.server
            .fault(&lab.url_path(""), &[Fault::Slow(Duration::from_secs(30))]);
        let (o, took) = interrupt_stalled(&lab, args, &format!("{DATASET}/"));
        assert_eq!(o.status.code(), Some(130), "{args:?}: {}", stderr(&o));
        assert!(
            took < Duration::from_secs(2),
            "{args:?}: {took:?} after SIGINT"
        );
        assert_eq!(
            lab.count("1 = 1").or_none(),
            0,
            "{args:?}: registered from a stalled crawl"
        );
        assert!(temps(&lab).is_empty(), "{args:?}");
    }
}

/// Finding 8: export targets that are not regular files, and folders that
/// are missing or files, are refused naming the path (exit 2); nothing is
/// replaced.
#[test]
fn export_refuses_targets_that_are_not_regular_files() {
    let lab = lab();
    run_ok(&lab);
    let w = lab.work.path();
    std::fs::write(w.join("real.csv"), b"keep").unwrap();
    std::os::unix::fs::symlink(w.join("real.csv"), w.join("link.csv")).unwrap();
    std::fs::create_dir(w.join("folder")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(w.join("fifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    std::fs::write(w.join("afile"), b"").unwrap();
    for (target, why) in [
        ("/dev/full", "a device, FIFO or socket"),
        ("link.csv", "a symbolic link"),
        ("folder", "a folder"),
        ("fifo", "a device, FIFO or socket"),
        ("missing/x.csv", "the folder missing"),
        ("afile/x.csv", "afile"),
    ] {
        let o = export_to(&lab, target);
        assert_eq!(o.status.code(), Some(2), "{target}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(target) && err.contains(why), "{target}: {err}");
    }
    assert!(
        std::fs::symlink_metadata(w.join("link.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(w.join("real.csv")).unwrap(), b"keep");
    assert!(!w.join("missing").exists(), "a missing folder was created");
    assert!(temps(&lab).is_empty());
}

/// Finding 9: empty and inverted ranges, negative numbers after a space,
/// empty list items, a dataset outside the resolution: exit 2 naming the
/// options.
#[test]
fn bad_options_are_refused_by_name() {
    let lab = lab();
    let cases: [(&[&str], &[&str]); 9] = [
        (
            &[
                "export",
                "--resolution",
                "10_minutes",
                "--from",
                "2021",
                "--to",
                "2020",
                "-o",
                "x.csv",
            ],
            &["--from", "--to"],
        ),
        (
            &[
                "stations",
                "--dataset",
                DATASET,
                "--from",
                "2021-02-01",
                "--to",
                "2021-01-01",
            ],
            &["--from", "--to"],
        ),
        (
            &["crawl", "--from", "2021", "--to", "2020"],
            &["--from", "--to"],
        ),
        (
            &[
                "stations",
                "--dataset",
                DATASET,
                "--near",
                "51.3,12.4",
                "--radius",
                "-5",
            ],
            &["--radius"],
        ),
        (
            &[
                "export",
                "--resolution",
                "10_minutes",
                "--parameters",
                "a,,",
                "-o",
                "x.csv",
            ],
            &["--parameters", "empty item"],
        ),
        (
            &["crawl", "--station", "44,,45"],
            &["--station", "empty item"],
        ),
        (
            &["crawl", "--period", "recent,"],
            &["--period", "empty item"],
        ),
        (
            &[
                "export",
                "--resolution",
                "10_minutes",
                "--dataset",
                "hourly/air_temperature",
                "-o",
                "x.csv",
            ],
            &[
                "--dataset hourly/air_temperature",
                "--resolution 10_minutes",
            ],
        ),
        (
            &[
                "stations",
                "--dataset",
                DATASET,
                "--near",
                "-95,12.4",
                "--radius",
                "5",
            ],
            &["--near"],
        ),
    ];
    for (args, names) in cases {
        let o = lab.cli(args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        for n in names {
            assert!(stderr(&o).contains(n), "{args:?}: {}", stderr(&o));
        }
    }
    assert!(!lab.work.path().join("x.csv").exists());
    // refused before the database was opened: no database, or no row
    assert_eq!(
        lab.count("1 = 1").or_none(),
        0,
        "an inverted selection was stored"
    );
}

/// Finding 7 for downloads: a data file whose server stalls mid-body (and
/// one that stalls before answering): SIGINT ends `run` within 2 s with
/// exit 130; the file is pending again (not failed), no temp file is left
/// (a `.part` stays for the next run to resume), and the next run
/// completes everything.
#[test]
fn sigint_ends_a_stalled_download_at_once() {
    const TARGET: &str = "recent/10minutenwerte_TU_00003_akt.zip";
    for fault in [
        Fault::StallAfter(700, Duration::from_secs(30)),
        Fault::Slow(Duration::from_secs(30)),
    ] {
        let lab = lab();
        lab.server.fault(&lab.url_path(TARGET), &[fault]);
        let (o, took) = interrupt_stalled(&lab, &Lab::RUN[1..], TARGET);
        assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
        assert!(took < Duration::from_secs(2), "{took:?} after SIGINT");
        let rec = &lab.records()[TARGET];
        assert_eq!(rec.status, tracker_core::FileStatus::Pending, "{rec:?}");
        assert!(temps(&lab).is_empty(), "{:?}", temps(&lab));
        run_ok(&lab);
        assert_eq!(
            lab.records()[TARGET].status,
            tracker_core::FileStatus::Completed
        );
        assert_eq!(check(&lab).status.code(), Some(0));
    }
}

/// A series whose station's files changed at the source since it was built
/// (crawled, not yet run) is reported stale; the run rebuilds it.
#[test]
fn check_reports_stale_series_until_the_run() {
    let lab = lab();
    run_ok(&lab);
    let rel = "recent/10minutenwerte_TU_00003_akt.zip";
    let mut rng = fixtures::Rng(99);
    let text = fixtures::produkt(3, 201_001_010_000, 150, true, &mut rng);
    let zip = zip_of(&[("produkt_zehn_min_tu_20100101_20100102_00003.txt", &text)]);
    lab.replace(rel, &zip, false);
    let c = lab.cli(&["crawl", "--dataset", DATASET], &[]);
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    let c = check(&lab);
    assert_eq!(c.status.code(), Some(1), "{}", stdout(&c));
    assert!(
        stdout(&c).contains("stale") && stdout(&c).contains("series/00003.parquet"),
        "{}",
        stdout(&c)
    );
    run_ok(&lab);
    check_ok(&lab);
}

/// Flips bytes in the middle of `path` and puts its modification time
/// back: the cheap check (size and time) cannot see it.
fn bit_rot_keeping_time(path: &Path) {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    damage(path, Damage::BitFlip, path);
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_times(std::fs::FileTimes::new().set_modified(modified))
        .unwrap();
    assert_eq!(
        std::fs::metadata(path).unwrap().modified().unwrap(),
        modified
    );
}

/// The fix lines of a `check` report, as commands (without `climastation`).
fn advised(check: &Output) -> Vec<Vec<String>> {
    stdout(check)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fix: climastation "))
        .map(|c| {
            c.split(" (")
                .next()
                .unwrap_or(c)
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Bit rot that kept the table's size and time: plain `check` cannot see
/// it (documented), `check --deep` does and names a fix; running exactly
/// that fix mends it (a plain run would not: its check is cheap).
#[test]
fn bit_rot_with_its_time_kept_is_found_deeply_and_mended_by_the_advised_fix() {
    let lab = lab();
    run_ok(&lab);
    let baseline = exported(&lab);
    for table in [
        "series/00003.parquet",
        "parts/recent/00010/10minutenwerte_TU_00010_akt.zip.parquet",
        "stations.parquet",
    ] {
        bit_rot_keeping_time(&out(&lab).join(table));
        check_ok(&lab);
        let deep = lab.cli(&["check", "--deep"], &[]);
        assert_eq!(deep.status.code(), Some(1), "{table}: {}", stdout(&deep));
        assert!(
            stdout(&deep).contains(table.rsplit('/').next().unwrap()),
            "{}",
            stdout(&deep)
        );
        let fixes = advised(&deep);
        assert_eq!(fixes.len(), 1, "{}", stdout(&deep));
        assert!(
            fixes[0].contains(&"--verify-outputs".to_owned()),
            "{fixes:?}"
        );
        let args: Vec<&str> = fixes[0].iter().map(String::as_str).collect();
        let fixed = lab.cli(&args, &[]);
        assert_eq!(fixed.status.code(), Some(0), "{table}: {}", stderr(&fixed));
        let deep = lab.cli(&["check", "--deep"], &[]);
        assert_eq!(
            deep.status.code(),
            Some(0),
            "{table} after the fix: {}",
            stdout(&deep)
        );
        assert_eq!(exported(&lab), baseline, "{table}: served rows differ");
    }
}

/// A stray file under `series/` fails the run (its glob is the catalog's),
/// and both the run and `check` advise removing it, not the run that just
/// failed.
#[test]
fn a_stray_file_under_series_is_advised_away() {
    let lab = lab();
    run_ok(&lab);
    let stray = out(&lab).join("series/notes.txt");
    std::fs::write(&stray, b"my notes").unwrap();
    let (r, _) = lab.run(&[]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("remove") && stderr(&r).contains("notes.txt"),
        "{}",
        stderr(&r)
    );
    assert!(
        !stderr(&r).contains("fix: climastation run"),
        "{}",
        stderr(&r)
    );
    let c = check(&lab);
    assert_eq!(c.status.code(), Some(1));
    assert!(
        stdout(&c).contains("fix: remove") && stdout(&c).contains("notes.txt"),
        "{}",
        stdout(&c)
    );
    std::fs::remove_file(&stray).unwrap();
    run_ok(&lab);
    check_ok(&lab);
}

/// A data folder written before the output ledger (as an older release
/// left it: tables on disk, none recorded): `check` and `export` say the
/// tables come from an earlier version and that a run converts the files
/// again (how many), not to delete them; that run makes it whole, with the
/// same rows.
#[test]
fn a_data_folder_from_before_the_output_ledger_is_explained_and_rebuilt() {
    let lab = lab();
    run_ok(&lab);
    let baseline = exported(&lab);
    // what the migration to the ledger leaves: no outputs, no series inputs
    let c = rusqlite::Connection::open(lab.db()).unwrap();
    let n = c.execute("DELETE FROM outputs", []).unwrap();
    assert!(n > 10, "{n} outputs recorded");
    c.execute("DELETE FROM series_inputs", []).unwrap();
    drop(c);
    let report = lab.cli(&["--json", "check"], &[]);
    assert_eq!(report.status.code(), Some(1), "{}", stdout(&report));
    let v: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let problems = v["problems"].as_array().unwrap();
    let kinds: Vec<&str> = problems
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"earlier_version"), "{v}");
    assert!(!kinds.contains(&"unrecorded"), "{v}");
    let text = v.to_string();
    assert!(
        text.contains("earlier version") && text.contains("--dataset"),
        "{text}"
    );
    assert!(!text.contains("remove"), "{text}");
    let e = export(&lab);
    assert_eq!(e.status.code(), Some(1));
    assert!(stderr(&e).contains("earlier version"), "{}", stderr(&e));
    run_ok(&lab);
    check_ok(&lab);
    assert_eq!(exported(&lab), baseline);
}

/// A data folder written under former parameter names (as an earlier
/// version wrote `TT_10` as `temperature_air_mean_2m`; simulated by a
/// translation layer that names it so): `check` says so with the run that
/// mends it, nothing serves it, and that run converts the files again under
/// the current names. A table recorded before names were fingerprinted
/// counts as written under the former names where the dataset has any.
#[test]
fn tables_under_former_names_are_refused_and_converted_again_by_the_advised_run() {
    let lab = lab();
    let layer = lab.work.path().join("former-names");
    std::fs::create_dir_all(&layer).unwrap();
    std::fs::write(
        layer.join("parameters.yaml"),
        "10_minutes/air_temperature:\n  TT_10: {name: temperature_air_mean_2m, unit: °C, de: Lufttemperatur, en: air temperature, stat: point, span: instant}\n",
    )
    .unwrap();
    let former = [("CLIMASTATION_PATHS__TRANSLATIONS", layer.to_str().unwrap())];
    let (o, report) = lab.run(&former);
    assert_eq!(o.status.code(), Some(0), "run: {report}\n{}", stderr(&o));
    let o = lab.cli(
        &[
            "export",
            "--resolution",
            "10_minutes",
            "--format",
            "csv",
            "-o",
            "old.csv",
        ],
        &former,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let old = std::fs::read_to_string(lab.work.path().join("old.csv")).unwrap();
    assert!(
        old.lines()
            .next()
            .unwrap()
            .contains(",temperature_air_mean_2m,"),
        "{old:.200}"
    );

    // the current names: check names the problem and the fix
    let c = check(&lab);
    assert_eq!(c.status.code(), Some(1), "{}", stdout(&c));
    let text = stdout(&c);
    assert!(text.contains("earlier_names"), "{text}");
    assert!(text.contains("parameter names renamed since"), "{text}");
    assert!(
        text.contains(&format!("fix: climastation run --dataset {DATASET}")),
        "{text}"
    );
    // nothing serves them
    let o = export(&lab);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("renamed since"), "{}", stderr(&o));

    // the advised run mends it: the same values under the current name
    run_ok(&lab);
    check_ok(&lab);
    let new = String::from_utf8(exported(&lab)).unwrap();
    let header = new.lines().next().unwrap().to_owned();
    assert!(header.contains(",temperature_air_2m,"), "{header}");
    assert!(!header.contains("temperature_air_mean_2m"), "{header}");
    assert_eq!(
        old.replace("temperature_air_mean_2m", "temperature_air_2m"),
        new,
        "only the name changed"
    );

    // the former name still asks for it, with one warning naming the new
    let o = lab.cli(
        &[
            "export",
            "--resolution",
            "10_minutes",
            "--parameters",
            "temperature_air_mean_2m",
            "--format",
            "csv",
            "-o",
            "asked.csv",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let warned = stderr(&o);
    assert_eq!(
        warned
            .matches("temperature_air_mean_2m is now temperature_air_2m")
            .count(),
        1,
        "{warned}"
    );
    let asked = std::fs::read_to_string(lab.work.path().join("asked.csv")).unwrap();
    assert!(
        asked.starts_with("station_id,timestamp_utc,air_temperature_quality,temperature_air_2m\n"),
        "{asked:.200}"
    );

    // recorded before names were fingerprinted: taken as the former names
    let db = rusqlite::Connection::open(lab.work.path().join("progress.db")).unwrap();
    let n = db
        .execute(
            "UPDATE outputs SET names = NULL WHERE path LIKE 'series/%'",
            [],
        )
        .unwrap();
    assert!(n > 0);
    drop(db);
    let c = check(&lab);
    assert_eq!(c.status.code(), Some(1), "{}", stdout(&c));
    assert!(
        stdout(&c).contains(&format!("{n} table(s) carry parameter names renamed since")),
        "{}",
        stdout(&c)
    );
    run_ok(&lab);
    check_ok(&lab);
}
