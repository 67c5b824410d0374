//! `cargo xtask chaos [--kills 50] [--stations 541] [--rows 10000] [--seed 1]
//! [--workers 2] [--min-ms 100] [--max-ms 500] [--dir DIR] [--json]`
//!
//! The SIGKILL loop: the synthetic mirror's historical folder (541 stations
//! give 1,623 data files, the size of DWD's 10-minute air-temperature
//! folder) through `climastation run --crawl --processor dwd`, killed with
//! SIGKILL at a random moment again and again (a run that ends before its
//! kill is checked, and the files are reset for another round), then run to
//! the end. After
//! every kill the database is checked read-only (integrity, counters), and
//! the completed files are remembered: a file completed before a kill that
//! is completed again later is a double completion. At the end it prints:
//! - lost: registered data files not completed, or completed without their
//!   one output table;
//! - double-completed: files whose completion was redone after a kill;
//! - integrity: database checks that failed (after each kill and at the end);
//! - leftovers: `.part`/`.tmp` files left anywhere under the data folder.
//!
//! `--mode dataset` and `--mode damage` are the outputs' chaos
//! (`chaos_outputs.rs`): kills in the dataset phase, and damage to tables
//! between runs.
//!
//! The program under test is this same binary (`xtask climastation …`
//! runs the CLI), so the loop kills the real process, not a thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::args::Args;
use crate::fixtures::{self, DATASET, Rng};

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.opt("mode").unwrap_or("files") {
        "files" => {}
        mode => return crate::chaos_outputs::run(&args, mode),
    }
    let kills: usize = args.get("kills", 50)?;
    let stations: usize = args.get("stations", 541)?;
    let rows: usize = args.get("rows", 10_000)?;
    let seed: u64 = args.get("seed", 1)?;
    let workers: usize = args.get("workers", 2)?;
    let min_ms: u64 = args.get("min-ms", 100)?;
    let max_ms: u64 = args.get("max-ms", 500)?;
    if max_ms <= min_ms {
        bail!("--max-ms must be more than --min-ms");
    }
    let temp = tempfile::tempdir()?;
    let (dir, mirror) =
        crate::args::work_with_mirror(&args, &temp, "chaos", (stations, rows, seed))?;
    let data = dir.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    let lab = Lab {
        exe: std::env::current_exe()?,
        mirror: mirror.join("climate"),
        data: data.clone(),
        workers,
    };

    let started = Instant::now();
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let mut done: BTreeMap<String, Completion> = BTreeMap::new();
    let mut figures = Figures::default();
    while figures.kills < kills {
        let mut child = lab.spawn()?;
        let wait = Duration::from_millis(min_ms + rng.next(max_ms - min_ms));
        std::thread::sleep(wait);
        if let Some(status) = child.try_wait()? {
            // the run ended before the kill: the whole job is done. Check
            // it, then start a new round on the same database (`reset`
            // puts every file back to pending; redoing them is not a
            // double completion)
            figures.runs_finished += 1;
            eprintln!(
                "chaos: the run ended by itself ({status}) after {} kills: reset, next round",
                figures.kills
            );
            if status.code() != Some(0) {
                bail!("a run ended with {status} between kills");
            }
            let lost = lab.lost()?;
            figures.lost += lost;
            let reset = lab
                .cli(&["reset", "--dataset", DATASET])
                .stdout(Stdio::null())
                .status()?;
            if !reset.success() {
                bail!("reset failed: {reset}");
            }
            done.clear();
            continue;
        }
        child.kill()?; // SIGKILL
        child.wait()?;
        figures.kills += 1;
        let now = lab.completions()?;
        figures.double_completed += redone(&done, &now);
        figures.completed_after_kill.push(now.len());
        done.extend(now);
        let check = tracker_sqlite::check_read_only(&lab.db())?;
        figures.checks += 1;
        if !check.ok() {
            figures.failed_checks += 1;
            eprintln!(
                "chaos: check after kill {}: {}",
                figures.kills,
                check.messages().join("; ")
            );
        }
        if figures.kills % 10 == 0 {
            eprintln!(
                "chaos: {} kills, {} files completed",
                figures.kills,
                done.len()
            );
        }
    }

    // the last run, to the end
    let last = lab.command().stdout(Stdio::null()).status()?;
    figures.final_exit = last.code();
    let end = lab.completions()?;
    figures.double_completed += redone(&done, &end);
    let check = tracker_sqlite::check_read_only(&lab.db())?;
    figures.checks += 1;
    if !check.ok() {
        figures.failed_checks += 1;
        eprintln!("chaos: final check: {}", check.messages().join("; "));
    }
    let registered = lab.registered()?;
    figures.data_files = registered.iter().filter(|p| is_data(p)).count();
    figures.lost += lab.lost()?;
    figures.registered = registered.len();
    figures.completed = end.len();
    figures.leftovers = fixtures::files_below(&data)
        .iter()
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".part") || n.ends_with(".tmp")
        })
        .count();
    figures.wall_s = started.elapsed().as_secs_f64();

    let f = &figures;
    if args.flag("json") {
        println!(
            "{}",
            serde_json::json!({
                "kills": f.kills, "registered": f.registered, "data_files": f.data_files,
                "completed": f.completed, "lost": f.lost, "double_completed": f.double_completed,
                "checks": f.checks, "failed_checks": f.failed_checks, "leftovers": f.leftovers,
                "rounds_finished_between_kills": f.runs_finished, "final_exit": f.final_exit,
                "wall_s": f.wall_s,
            })
        );
    } else {
        // (a reset between two kills starts the count again)
        let mean = f
            .completed_after_kill
            .windows(2)
            .filter(|w| w[1] >= w[0])
            .map(|w| w[1] as f64 - w[0] as f64);
        let progress: f64 = mean.clone().sum::<f64>() / mean.count().max(1) as f64;
        println!(
            "chaos: {} SIGKILLs of `run --crawl --processor dwd` ({workers} workers), then a run to the end",
            f.kills
        );
        println!(
            "  files registered        {:>6} ({} data zips)",
            f.registered, f.data_files
        );
        println!("  completed at the end    {:>6}", f.completed);
        println!("  lost                    {:>6}", f.lost);
        println!("  double-completed        {:>6}", f.double_completed);
        println!(
            "  integrity checks        {:>6} ({} failed)",
            f.checks, f.failed_checks
        );
        println!("  .part/.tmp left         {:>6}", f.leftovers);
        println!("  files done per run      {progress:>6.1} (between kills)");
        println!("  rounds done and reset   {:>6}", f.runs_finished);
        println!(
            "  final run exit          {:>6}",
            f.final_exit.map_or("-".into(), |c| c.to_string())
        );
        println!("  wall                    {:>6.1} s", f.wall_s);
    }
    if f.lost > 0 || f.double_completed > 0 || f.failed_checks > 0 || f.final_exit != Some(0) {
        bail!("chaos found damage (see the figures)");
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Figures {
    kills: usize,
    runs_finished: usize,
    registered: usize,
    data_files: usize,
    completed: usize,
    completed_after_kill: Vec<usize>,
    lost: usize,
    double_completed: usize,
    checks: usize,
    failed_checks: usize,
    leftovers: usize,
    final_exit: Option<i32>,
    wall_s: f64,
}

/// When a file was completed, and on which claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Completion {
    finished_at: i64,
    attempts: i64,
}

/// Files completed in `before` whose completion is another one now.
fn redone(before: &BTreeMap<String, Completion>, now: &BTreeMap<String, Completion>) -> usize {
    before
        .iter()
        .filter(|(p, c)| now.get(*p).is_some_and(|n| n != *c))
        .count()
}

pub(crate) struct Lab {
    pub(crate) exe: PathBuf,
    pub(crate) mirror: PathBuf,
    pub(crate) data: PathBuf,
    pub(crate) workers: usize,
}

impl Lab {
    fn db(&self) -> PathBuf {
        self.data.join("progress_tracking.db")
    }

    pub(crate) fn command(&self) -> Command {
        self.cli(&[
            "run",
            "--crawl",
            "--dataset",
            DATASET,
            "--period",
            "historical",
            "--keep-going",
        ])
    }

    /// `climastation --quiet <args>` on the lab's mirror and data folder.
    pub(crate) fn cli(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.exe);
        c.args(["climastation", "--quiet"])
            .args(args)
            .env_remove("CLIMASTATION_CONFIG")
            .env("CLIMASTATION_SOURCE__BASE_URL", &self.mirror)
            .env("CLIMASTATION_PATHS__DATA_DIR", &self.data)
            .env("CLIMASTATION_PATHS__PROGRESS_DB", self.db())
            .env("CLIMASTATION_PATHS__RAW", self.data.join("raw"))
            .env("CLIMASTATION_PATHS__OUTPUT", self.data.join("output"))
            .env("CLIMASTATION_PATHS__LOGS", self.data.join("logs"))
            .env("CLIMASTATION_LOGGING__FILE", "false")
            .env("CLIMASTATION_PROCESSING__PROCESSOR", "dwd")
            .env("CLIMASTATION_PROCESSING__WORKERS", self.workers.to_string())
            // a killed run's claims are taken back by the next run's open
            .env("CLIMASTATION_PROCESSING__RETRY_BACKOFF_SECONDS", "0")
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    fn spawn(&self) -> anyhow::Result<Child> {
        self.command()
            .stdout(Stdio::null())
            .spawn()
            .context("starting climastation")
    }

    fn read_only(&self) -> anyhow::Result<Option<rusqlite::Connection>> {
        if !self.db().exists() {
            return Ok(None);
        }
        Ok(Some(rusqlite::Connection::open_with_flags(
            self.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?))
    }

    /// Completed files: path → completion.
    fn completions(&self) -> anyhow::Result<BTreeMap<String, Completion>> {
        let Some(c) = self.read_only()? else {
            return Ok(BTreeMap::new());
        };
        let mut stmt = c.prepare(
            "SELECT file_path, finished_at, attempts FROM file_processing_log WHERE status = 'completed'",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Completion {
                    finished_at: r.get(1)?,
                    attempts: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn registered(&self) -> anyhow::Result<Vec<String>> {
        let Some(c) = self.read_only()? else {
            return Ok(Vec::new());
        };
        let mut stmt = c.prepare("SELECT file_path FROM file_processing_log")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Data files not completed, or completed without their one output
    /// table, or whose station has no merged series.
    fn lost(&self) -> anyhow::Result<usize> {
        let completed = self.completions()?;
        let outputs = self.outputs();
        Ok(self
            .registered()?
            .iter()
            .filter(|p| is_data(p))
            .filter(|p| {
                let series = dwd_catalog::station_of(p).map(|s| {
                    self.data
                        .join("output")
                        .join(DATASET)
                        .join("series")
                        .join(format!("{s}.parquet"))
                });
                !completed.contains_key(*p)
                    || outputs.get(*p).copied() != Some(1)
                    || !series.is_some_and(|s| s.exists())
            })
            .count())
    }

    /// Output tables per source file (`historical/<zip>` → count).
    fn outputs(&self) -> BTreeMap<String, usize> {
        let root = self.data.join("output").join(DATASET);
        let mut out = BTreeMap::new();
        for p in fixtures::files_below(&root.join("parts").join("historical")) {
            if p.extension().is_some_and(|e| e == "parquet")
                && let Some(stem) = p.file_stem()
            {
                // `<zip name>.parquet`
                let zip = format!("historical/{}", stem.to_string_lossy());
                *out.entry(zip).or_default() += 1;
            }
        }
        out
    }
}

/// A data zip of the historical folder (the 1,623).
fn is_data(path: &str) -> bool {
    path.starts_with("historical/") && path.ends_with(".zip")
}
