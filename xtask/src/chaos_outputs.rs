//! `cargo xtask chaos --mode dataset|damage [--kills 40] [--damages 40]
//! [--stations 60] [--rows 2000] [--seed 1] [--workers 2] [--dir DIR]`
//!
//! The outputs' chaos, on the synthetic mirror's historical folder, against
//! an undisturbed run's export (the reference, in a folder of its own):
//!
//! - `dataset`: every round deletes some series, the merged station list
//!   and a metadata table, so that the next run's dataset phase rebuilds
//!   them, and kills that run (SIGKILL) at a random moment of it: while it
//!   checks the ledger, merges, writes metadata or the catalog.
//! - `damage`: every round damages a random table (series, per-file table,
//!   station list, metadata; deleted, truncated, zeroed, bit-flipped or
//!   swapped with another of its kind); `export` must then refuse or serve
//!   the reference's rows, never others; then a run must repair it. Or it
//!   rots bits of a table keeping its size and time (what only `check
//!   --deep` sees; a plain export may serve it, as README says): `check
//!   --deep` must find it, and the fix it names, run as it says, must
//!   repair it.
//!
//! After every round: `check` (tables checked), an export compared with the
//! reference where it succeeds (wrong rows served: an export that succeeded
//! with other rows), torn files (a served table that fails its check after
//! a run that exited 0). At the end: a run, `check`, the export against the
//! reference, temp files left. It prints: kills, damages, runs, tables
//! checked, wrong rows served (must be 0), torn files (0), temp files left
//! (0), outputs equal to an undisturbed run (all).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::args::Args;
use crate::chaos::Lab;
use crate::fixtures::{self, DATASET, Rng};

#[derive(Debug, Default)]
struct Figures {
    kills: usize,
    damages: usize,
    runs: usize,
    tables_checked: u64,
    exports: usize,
    exports_refused: usize,
    wrong_rows_served: usize,
    torn: usize,
    equal: usize,
    compared: usize,
    temps_left: usize,
    /// Bit rot with the time kept: found by `check --deep`, and repaired
    /// by the fix it named.
    rot: usize,
    rot_found: usize,
    rot_repaired: usize,
}

pub fn run(args: &Args, mode: &str) -> anyhow::Result<()> {
    let kills: usize = args.get("kills", 40)?;
    let damages: usize = args.get("damages", 40)?;
    let stations: usize = args.get("stations", 60)?;
    let rows: usize = args.get("rows", 2000)?;
    let seed: u64 = args.get("seed", 1)?;
    let workers: usize = args.get("workers", 2)?;
    let temp = tempfile::tempdir()?;
    let (dir, mirror) =
        crate::args::work_with_mirror(args, &temp, "chaos", (stations, rows, seed))?;
    let lab_in = |name: &str| -> anyhow::Result<Lab> {
        let data = dir.join(name);
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        Ok(Lab {
            exe: std::env::current_exe()?,
            mirror: mirror.join("climate"),
            data,
            workers,
        })
    };
    let started = Instant::now();
    let reference = lab_in("reference")?;
    must(reference.command(), "the reference run")?;
    let expected = export(&reference)?.context("the reference export failed")?;
    let lab = lab_in("data")?;
    must(lab.command(), "the first run")?;

    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut f = Figures {
        runs: 2,
        ..Figures::default()
    };
    let out = lab.data.join("output").join(DATASET);
    match mode {
        "dataset" => {
            // how long an undisturbed dataset phase takes, to aim the kills
            let mut phase = Duration::from_millis(500);
            while f.kills < kills {
                force_rebuilds(&out, &mut rng)?;
                let t = Instant::now();
                let mut child = lab.command().stdout(Stdio::null()).spawn()?;
                let wait = Duration::from_millis(rng.next(phase.as_millis() as u64 + 1));
                std::thread::sleep(wait);
                f.runs += 1;
                if let Some(status) = child.try_wait()? {
                    // it ended first: aim within its length next time
                    phase = t.elapsed();
                    if !status.success() {
                        bail!("a run ended with {status}");
                    }
                    settled(&lab, &expected, &mut f)?;
                    continue;
                } else {
                    child.kill()?;
                    child.wait()?;
                    f.kills += 1;
                }
                observe(&lab, &expected, &mut f)?;
            }
        }
        "damage" => {
            while f.damages < damages {
                let Some(target) = pick_table(&out, &mut rng) else {
                    bail!("no table to damage under {}", out.display());
                };
                let how = rng.next(6);
                if how == 5 {
                    rot_keeping_time(&target, &mut rng)?;
                    f.damages += 1;
                    f.rot += 1;
                    repair_as_advised(&lab, &mut f)?;
                    f.runs += 1;
                    settled(&lab, &expected, &mut f)?;
                    continue;
                }
                damage(&target, how, &out, &mut rng)?;
                f.damages += 1;
                observe(&lab, &expected, &mut f)?;
                let status = lab.command().stdout(Stdio::null()).status()?;
                f.runs += 1;
                if !status.success() {
                    bail!(
                        "the run after damaging {} ended with {status}",
                        target.display()
                    );
                }
                // after a run that exited 0, every served table is intact
                // and the export is the undisturbed one
                settled(&lab, &expected, &mut f)?;
            }
        }
        other => bail!("unknown --mode {other:?}: files (the default), dataset or damage"),
    }

    must(lab.command(), "the last run")?;
    f.runs += 1;
    settled(&lab, &expected, &mut f)?;
    f.temps_left = fixtures::files_below(&lab.data)
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .count();

    println!(
        "chaos --mode {mode}: {} stations, {} workers, {:.1} s",
        stations,
        workers,
        started.elapsed().as_secs_f64()
    );
    println!("  kills                   {:>6}", f.kills);
    println!("  damages                 {:>6}", f.damages);
    println!("  runs                    {:>6}", f.runs);
    println!("  tables checked          {:>6}", f.tables_checked);
    println!(
        "  exports                 {:>6} ({} refused a damaged table)",
        f.exports, f.exports_refused
    );
    println!("  wrong rows served       {:>6}", f.wrong_rows_served);
    println!("  torn files              {:>6}", f.torn);
    println!("  temp files left         {:>6}", f.temps_left);
    println!("  equal to undisturbed    {:>6} of {}", f.equal, f.compared);
    println!(
        "  bit rot, time kept      {:>6} ({} found by check --deep, {} repaired by its fix)",
        f.rot, f.rot_found, f.rot_repaired
    );
    if f.wrong_rows_served > 0
        || f.torn > 0
        || f.temps_left > 0
        || f.equal != f.compared
        || f.rot_found != f.rot
        || f.rot_repaired != f.rot
    {
        bail!("chaos found damage (see the figures)");
    }
    Ok(())
}

/// After a run that exited 0: `check` must pass (else a torn file) and
/// the export must equal the undisturbed run's.
fn settled(lab: &Lab, expected: &[u8], f: &mut Figures) -> anyhow::Result<()> {
    let (ok, tables) = check(lab)?;
    f.tables_checked += tables;
    if !ok {
        f.torn += 1;
    }
    f.compared += 1;
    match export(lab)? {
        Some(rows) if rows == expected => f.equal += 1,
        Some(_) => f.wrong_rows_served += 1,
        None => {}
    }
    Ok(())
}

/// After a kill or a damage: what `check` sees, and what `export` serves.
fn observe(lab: &Lab, expected: &[u8], f: &mut Figures) -> anyhow::Result<()> {
    let (_, tables) = check(lab)?;
    f.tables_checked += tables;
    f.exports += 1;
    match export(lab)? {
        None => f.exports_refused += 1,
        Some(rows) if rows == expected => {}
        Some(_) => f.wrong_rows_served += 1,
    }
    Ok(())
}

fn must(mut c: Command, what: &str) -> anyhow::Result<()> {
    let status = c.stdout(Stdio::null()).status()?;
    if !status.success() {
        bail!("{what} ended with {status}");
    }
    Ok(())
}

/// `check --json`: (ok, tables checked).
fn check(lab: &Lab) -> anyhow::Result<(bool, u64)> {
    let o = lab.cli(&["--json", "check"]).output()?;
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    Ok((
        o.status.success() && v["ok"] == true,
        v["tables"].as_u64().unwrap_or(0),
    ))
}

/// The export's bytes (CSV of the whole resolution); `None` when refused.
fn export(lab: &Lab) -> anyhow::Result<Option<Vec<u8>>> {
    let path = lab.data.join("export.csv");
    let _ = std::fs::remove_file(&path);
    let p = path.to_string_lossy().into_owned();
    let status = lab
        .cli(&[
            "export",
            "--resolution",
            "10_minutes",
            "--format",
            "csv",
            "-o",
            &p,
        ])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Ok(None);
    }
    Ok(Some(std::fs::read(&path)?))
}

/// Flips bytes inside `path` and puts its modification time back: the
/// size and time still match the ledger; only hashing sees it.
fn rot_keeping_time(path: &Path, rng: &mut Rng) -> anyhow::Result<()> {
    let modified = std::fs::metadata(path)?.modified()?;
    let mut b = std::fs::read(path).with_context(|| path.display().to_string())?;
    let at = rng.next(b.len().max(1) as u64) as usize;
    let len = b.len();
    for x in &mut b[at..(at + 16).min(len)] {
        *x ^= 0x5A;
    }
    std::fs::write(path, b)?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .set_times(std::fs::FileTimes::new().set_modified(modified))?;
    Ok(())
}

/// `check --deep` must find the rot; each fix it names is run as written
/// (without `climastation`), and `check --deep` must then pass.
fn repair_as_advised(lab: &Lab, f: &mut Figures) -> anyhow::Result<()> {
    let deep = |lab: &Lab| -> anyhow::Result<serde_json::Value> {
        let o = lab.cli(&["--json", "check", "--deep"]).output()?;
        Ok(serde_json::from_slice(&o.stdout).unwrap_or_default())
    };
    let found = deep(lab)?;
    let fixes: Vec<String> = found["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| p["fix"].as_str())
                .map(|fix| fix.split(" (").next().unwrap_or(fix).to_owned())
                .collect()
        })
        .unwrap_or_default();
    if found["ok"] == false && !fixes.is_empty() {
        f.rot_found += 1;
    }
    let mut fixes = fixes;
    fixes.dedup();
    for fix in &fixes {
        let words: Vec<&str> = fix.split_whitespace().skip(1).collect();
        let status = lab.cli(&words).stdout(Stdio::null()).status()?;
        if !status.success() {
            bail!("the advised fix `{fix}` ended with {status}");
        }
    }
    if !fixes.is_empty() && deep(lab)?["ok"] == true {
        f.rot_repaired += 1;
    }
    Ok(())
}

/// Deletes a few series, the station list and a metadata table, so that a
/// run's dataset phase has them to rebuild.
fn force_rebuilds(out: &Path, rng: &mut Rng) -> anyhow::Result<()> {
    let series = files_in(&out.join("series"));
    for _ in 0..(1 + series.len() / 4) {
        if let Some(p) = series.get(rng.next(series.len() as u64) as usize) {
            let _ = std::fs::remove_file(p);
        }
    }
    let _ = std::fs::remove_file(out.join("stations.parquet"));
    if let Some(m) = files_in(&out.join("metadata")).first() {
        let _ = std::fs::remove_file(m);
    }
    Ok(())
}

/// The `.parquet` files of a folder, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "parquet"));
    v.sort();
    v
}

/// A random table: a series, a per-file table, the station list or a
/// metadata table.
fn pick_table(out: &Path, rng: &mut Rng) -> Option<PathBuf> {
    let pool: Vec<PathBuf> = match rng.next(4) {
        0 => files_in(&out.join("series")),
        1 => fixtures::files_below(&out.join("parts").join("historical")),
        2 => vec![out.join("stations.parquet")],
        _ => files_in(&out.join("metadata")),
    };
    let pool: Vec<PathBuf> = pool.into_iter().filter(|p| p.exists()).collect();
    if pool.is_empty() {
        return files_in(&out.join("series")).into_iter().next();
    }
    pool.get(rng.next(pool.len() as u64) as usize).cloned()
}

/// Damages `path`: 0 delete, 1 truncate, 2 zero, 3 bit-flip, 4 swap with
/// another table of the folder.
fn damage(path: &Path, how: u64, out: &Path, rng: &mut Rng) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    match how {
        0 => std::fs::remove_file(path)?,
        1 => std::fs::write(path, &bytes[..bytes.len() / 2])?,
        2 => std::fs::write(path, vec![0u8; bytes.len()])?,
        3 => {
            let mut b = bytes;
            let at = rng.next(b.len().max(1) as u64) as usize;
            let len = b.len();
            for x in &mut b[at..(at + 64).min(len)] {
                *x ^= 0xA5;
            }
            std::fs::write(path, b)?;
        }
        _ => {
            let dir = path.parent().unwrap_or(out);
            let others: Vec<PathBuf> = fixtures::files_below(dir)
                .into_iter()
                .filter(|p| p != path && p.extension().is_some_and(|e| e == "parquet"))
                .collect();
            let other = match others.get(rng.next(others.len().max(1) as u64) as usize) {
                Some(o) => o.clone(),
                None => out.join("stations.parquet"),
            };
            if other != path {
                std::fs::copy(&other, path)?;
            }
        }
    }
    Ok(())
}
