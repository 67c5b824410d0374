//! Every example command line that `--help` and README show runs on the
//! bundled sample (`config/sample.yaml`), after README's main job: a user
//! who tries one on a fresh clone sees it work.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// README's `sh` blocks: each `climastation …` line, continuations joined.
fn readme_examples() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.trim();
        if pending.is_empty() && !line.starts_with("climastation ") {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                out.push(std::mem::take(&mut pending));
            }
        }
    }
    out
}

/// The arguments of an example line: without `climastation`, a trailing
/// `# comment` or `| pipe`, with the sample's configuration.
pub(crate) fn args_of(line: &str) -> Vec<String> {
    let line = line.split(" #").next().unwrap_or(line);
    let line = line.split(" | ").next().unwrap_or(line);
    let mut words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    assert_eq!(words.remove(0), "climastation", "{line}");
    if !words.iter().any(|w| w == "--config") {
        words.splice(
            0..0,
            ["--config".to_owned(), "config/sample.yaml".to_owned()],
        );
    }
    words
}

pub(crate) fn command(work: &Path, args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_climastation-under-test"));
    c.current_dir(work)
        .env_remove("CLIMASTATION_CONFIG")
        .env("CLIMASTATION_PATHS__DATA_DIR", work.join("data"))
        .env("CLIMASTATION_PATHS__PROGRESS_DB", work.join("progress.db"))
        .env("CLIMASTATION_LOGGING__FILE", "false")
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null());
    c
}

/// A working folder as a clone has it (`config/`, `tests/data/`), with the
/// files the examples name (`places.csv`, zips to convert, a manifest).
pub(crate) fn workplace() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    for name in ["config", "tests"] {
        std::os::unix::fs::symlink(repo().join(name).canonicalize().unwrap(), w.join(name))
            .unwrap();
    }
    let sample = repo().join("tests/data/dwd");
    for (from, to) in [
        (
            "hourly/air_temperature/recent/stundenwerte_TU_00320_akt.zip",
            "stundenwerte_TU_00320_akt.zip",
        ),
        (
            "10_minutes/air_temperature/meta_data/Meta_Daten_zehn_min_tu_00003.zip",
            "Meta_Daten_zehn_min_tu_00003.zip",
        ),
        (
            "hourly/cloud_type/recent/stundenwerte_CS_00044_akt.zip",
            "renamed.zip",
        ),
    ] {
        std::fs::copy(sample.join(from), w.join(to)).unwrap();
    }
    std::fs::write(w.join("files.txt"), "recent/tageswerte_KL_04271_akt.zip\n").unwrap();
    std::fs::write(
        w.join("places.csv"),
        "id,latitude,longitude,height_m\nrostock,54.18,12.08,4\n",
    )
    .unwrap();
    work
}

#[test]
fn every_help_and_readme_example_runs_on_the_sample() {
    let work = workplace();
    let w = work.path();
    let main_job = args_of("climastation run --crawl --processor dwd");
    crate::util::succeeds(&mut command(w, &main_job));
    let mut examples = climastation::help_examples();
    examples.extend(readme_examples());
    assert!(examples.len() > 30, "{examples:?}");
    let mut failed = Vec::new();
    for line in &examples {
        let args = args_of(line);
        if args.iter().any(|a| a == "serve") {
            // serves until stopped: it answers, then stops cleanly
            let served = crate::serve_http::Served::start_line(w, line, &[]);
            let a = served.get("/api/v1/datasets");
            if a.status != 200 || served.stop() != Some(130) {
                failed.push(format!("{line}: {}", a.status));
            }
            continue;
        }
        if args.iter().any(|a| a == "--watch") {
            // refreshes until stopped: it shows the table, then is stopped
            let mut child = command(w, &args).stdout(Stdio::piped()).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(1500));
            let alive = child.try_wait().unwrap().is_none();
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            if !alive || !String::from_utf8_lossy(&out.stdout).contains("daily/kl") {
                failed.push(format!("{line}: {:?}", out.status));
            }
            continue;
        }
        let out = command(w, &args).output().unwrap();
        if !out.status.success() {
            failed.push(format!(
                "{line}: exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if args.iter().any(|a| a == "reset") {
            // files put back to pending: `run` converts them again, as
            // `check` would advise before it
            let out = command(w, &main_job).output().unwrap();
            assert!(out.status.success(), "the run after {line}");
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} examples failed on the sample:\n{}",
        failed.len(),
        examples.len(),
        failed.join("\n")
    );
}

/// A workplace after README's main job on the sample.
pub(crate) fn sample_run() -> tempfile::TempDir {
    let work = workplace();
    crate::util::succeeds(&mut command(
        work.path(),
        &args_of("climastation run --crawl"),
    ));
    work
}

fn run_json(work: &Path, line: &str) -> (serde_json::Value, String) {
    let mut args = args_of(line);
    args.insert(0, "--json".into());
    let out = command(work, &args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{line}: {err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// Runs `line` with `--json` and asserts that its `empty` reasons say `what`.
fn empty_says(work: &Path, line: &str, what: &str) -> (serde_json::Value, String) {
    let (r, err) = run_json(work, line);
    assert!(r["empty"].to_string().contains(what), "{line}: {r}");
    (r, err)
}

/// An empty answer says why (README's sample, issue: a place beyond every
/// limit, a span without rows, a selection without stations, a dataset
/// without station list), and its CSV still has its header.
#[test]
fn an_empty_answer_says_why_and_keeps_its_columns() {
    let work = sample_run();
    let w = work.path();

    // at station 320's own place: its values (the sample's hourly list)
    let (r, _) = run_json(
        w,
        "climastation values --at 49.9666,11.5198 --resolution hourly --parameters temperature_air_2m --format csv -o at320.csv",
    );
    assert!(r["rows"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["empty"], serde_json::json!([]));

    // far from every station: 0 rows, each parameter's nearest named
    let (r, err) = run_json(
        w,
        "climastation values --at 54.0,8.0 --resolution hourly --parameters temperature_air_2m,precipitation_height --format csv -o far.csv",
    );
    assert_eq!(r["rows"], 0);
    let empty = r["empty"].to_string();
    assert!(
        empty.contains("within 40 km") && empty.contains("320"),
        "{empty}"
    );
    assert!(
        empty.contains("within 20 km") && empty.contains("precipitation_height"),
        "{empty}"
    );
    assert!(err.contains("km away"), "{err}");
    let csv = std::fs::read_to_string(w.join("far.csv")).unwrap();
    assert!(csv.starts_with("point_id,latitude,longitude"), "{csv:?}");
    assert_eq!(csv.lines().count(), 1);

    // a dataset with series but no station list (the sample's hourly/sun)
    empty_says(
        w,
        "climastation values --at 52.0,10.0 --resolution hourly --parameters sunshine_duration --format jsonl -o sun.jsonl",
        "hourly/solar has series but no station list",
    );

    // export: a span without rows, a selection without stations
    let (r, err) = run_json(
        w,
        "climastation export --resolution 10_minutes --from 1980-01-01 --to 1980-12-31 --format csv -o e.csv",
    );
    assert_eq!(r["rows"], 0);
    assert!(
        r["empty"]
            .to_string()
            .contains("no rows from 1980-01-01 to 1980-12-31"),
        "{r}"
    );
    assert!(err.contains("no rows from 1980-01-01"), "{err}");
    let csv = std::fs::read_to_string(w.join("e.csv")).unwrap();
    assert!(csv.starts_with("station_id,timestamp_utc,"), "{csv:?}");
    empty_says(
        w,
        "climastation export --resolution 10_minutes --station 999 -o e.parquet",
        "matches the selection",
    );
    // a selection by place in a dataset without a station list says so
    empty_says(
        w,
        "climastation export --resolution hourly --dataset hourly/sun --near 52.0,10.0 --radius 50 -o sun.parquet",
        "hourly/sun has series but no station list",
    );
}

/// A reader that closes stdout early (`| head -2`) ends the command
/// quietly: exit 0, no panic, nothing on stderr.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let work = sample_run();
    for line in [
        "climastation datasets",
        "climastation stations --dataset hourly/air_temperature",
        "climastation status",
        "climastation --json datasets",
    ] {
        let mut child = command(work.path(), &args_of(line))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // the reader takes nothing and goes away
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{line}: {err}");
        assert!(err.is_empty(), "{line}: {err}");
    }
}

/// A points file is read by line: a byte order mark is skipped, and a
/// repeated id, a short line or a word where a number belongs is named
/// with its line; out-of-range limits are refused by name (exit 2).
#[test]
fn points_files_and_limits_are_checked_by_line() {
    let work = sample_run();
    let w = work.path();
    let values = |extra: &str| {
        let line = format!(
            "climastation values --resolution 10_minutes --parameters temperature_air_2m --format csv -o p.csv {extra}"
        );
        command(w, &args_of(&line)).output().unwrap()
    };
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "dup.csv",
            "id,latitude,longitude\na,52.93,8.24\nb,52.9,8.2\na,52.8,8.1\n",
            &["dup.csv", "line 4", "\"a\"", "line 2"],
        ),
        (
            "short.csv",
            "id,latitude,longitude\na,52.93\n",
            &["short.csv", "line 2", "2 field(s)", "id,latitude,longitude"],
        ),
        (
            "word.csv",
            "id,latitude,longitude,height_m\na,52.93,8.24,high\n",
            &["word.csv", "line 2", "height_m \"high\" is not a number"],
        ),
        (
            "far.csv",
            "id,latitude,longitude\na,95,8.24\n",
            &["far.csv", "line 2", "latitude 95"],
        ),
        (
            "header.csv",
            "name,lat,lon\na,52.9,8.2\n",
            &["header.csv", "line 1", "id,latitude,longitude"],
        ),
    ];
    for (name, text, said) in cases {
        std::fs::write(w.join(name), text).unwrap();
        let out = values(&format!("--points {name}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        for s in said {
            assert!(err.contains(s), "{name}: {s:?} not in {err}");
        }
        assert!(!err.contains("Csv error"), "{name}: {err}");
    }
    // a byte order mark (as spreadsheets write) before the header
    std::fs::write(
        w.join("bom.csv"),
        "\u{feff}id,latitude,longitude\nhere,52.93,8.24\n",
    )
    .unwrap();
    let out = values("--points bom.csv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(w.join("p.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("here,"), "{csv}");
    for (extra, said) in [
        ("--at 52.93,8.24 --min-quality -5", "--min-quality -5"),
        ("--at 52.93,8.24 --min-quality 11", "--min-quality 11"),
        ("--at 52.93,8.24 --k 99999999999", "--k 99999999999"),
        ("--at 52.93,8.24 --k 0", "--k 0"),
    ] {
        let out = values(extra);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains(said), "{extra}: {err}");
    }
}

/// Smaller rough edges: a killed export's temp file beside its target goes
/// with the next export to it; a read-only command that fails in a fresh
/// folder leaves no `data/logs` there; `convert` names a bad file once; a
/// run with nothing new leaves the catalog as it was.
#[test]
fn small_rough_edges_are_smooth() {
    let work = sample_run();
    let w = work.path();
    let dead = w.join("e.csv.4999999-0.tmp");
    std::fs::write(&dead, b"half an export").unwrap();
    crate::util::succeeds(&mut command(
        w,
        &args_of("climastation export --resolution daily --format csv -o e.csv"),
    ));
    assert!(!dead.exists(), "the killed export's temp file stays");

    let fresh = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_climastation-under-test"))
        .current_dir(fresh.path())
        .env_remove("CLIMASTATION_CONFIG")
        .args(["export", "--resolution", "hourly", "-o", "x.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let left: Vec<_> = std::fs::read_dir(fresh.path()).unwrap().collect();
    assert!(left.is_empty(), "a failed export left {left:?}");

    std::fs::write(w.join("bad.txt"), "not DWD\n").unwrap();
    let out = command(w, &args_of("climastation convert bad.txt -o conv"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("bad.txt").count(), 1, "{err}");

    // `datasets`: no blank first line, "(no period folders)" once a line
    let out = command(w, &args_of("climastation datasets"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.starts_with('\n'), "{text}");
    assert!(
        text.lines()
            .all(|l| l.matches("(no period folders)").count() <= 1),
        "{text}"
    );

    let catalog = w.join("data/output/catalog.sql");
    // each parameter column says what it is in the catalog's comments
    let sql = std::fs::read_to_string(&catalog).unwrap();
    let tmk = sql
        .lines()
        .find(|l| l.starts_with(r#"COMMENT ON COLUMN "daily/kl"."temperature_air_mean_2m" IS"#))
        .unwrap_or_else(|| panic!("no comment on daily/kl's mean temperature:\n{sql}"));
    assert!(
        tmk.contains("mean over 1 day")
            && tmk.contains("cell_methods time: mean (interval: 1 day)")
            && tmk.contains("standard_name air_temperature")
            && tmk.contains("DWD TMK"),
        "{tmk}"
    );
    let before = std::fs::metadata(&catalog).unwrap().modified().unwrap();
    crate::util::succeeds(&mut command(w, &args_of("climastation run")));
    let after = std::fs::metadata(&catalog).unwrap().modified().unwrap();
    assert_eq!(before, after, "a run with nothing new rewrote catalog.sql");
}
