//! `cargo xtask bench chain [--stations 100] [--rows 52560] [--workers 2] [--dir DIR] [--json]`
//!
//! The whole chain on a realistic 10-minute mirror: the synthetic mirror
//! (`fixtures`: ISO-8859-1, padded, `-999` runs, CRLF; three decade files a
//! station, one `recent` and one `now` file) through `climastation run
//! --crawl --processor dwd` with `--workers` workers, then the same run
//! again with nothing new. Measured from outside the program: wall time,
//! CPU time (user + system of the child), files/s, MB/s of `produkt`
//! text, peak RSS (the child's VmHWM, read every 10 ms); from its JSON log, the merge's time (the dataset
//! processor's "series up to date"). In the same run, the sum of the
//! single-core zlib-rs inflate times of the same zips (every member read to
//! the end): the floor the chain is compared with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::args::Args;
use crate::fixtures::{self, DATASET};

pub fn run(args: Args) -> anyhow::Result<()> {
    let stations: usize = args.get("stations", 100)?;
    let rows: usize = args.get("rows", 52_560)?;
    let workers: usize = args.get("workers", 2)?;
    let temp = tempfile::tempdir()?;
    let (dir, mirror) =
        crate::args::work_with_mirror(&args, &temp, "bench chain", (stations, rows, 3))?;
    let data = dir.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)?;
    }
    let zips: Vec<PathBuf> = fixtures::files_below(&mirror.join("climate").join(DATASET))
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "zip") && !p.to_string_lossy().contains("meta_data")
        })
        .collect();

    // the floor: every data zip inflated once, on one core, from memory
    // (the read is not timed: a cold page cache would count the disk; it
    // also leaves the zips cached for the run, as for every run here)
    let (mut inflate_s, mut text_bytes) = (0.0, 0u64);
    for z in &zips {
        let bytes = std::fs::read(z)?;
        let t = Instant::now();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
        for i in 0..archive.len() {
            let mut m = archive.by_index(i)?;
            text_bytes += std::io::copy(&mut m, &mut std::io::sink())?;
        }
        inflate_s += t.elapsed().as_secs_f64();
    }

    let exe = std::env::current_exe()?;
    let logs = dir.join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    let run = |label: &str| -> anyhow::Result<Measured> {
        let before = usage();
        let t = Instant::now();
        let mut child = Command::new(&exe)
            .args([
                "climastation",
                "--quiet",
                "run",
                "--crawl",
                "--dataset",
                DATASET,
            ])
            .env_remove("CLIMASTATION_CONFIG")
            .env("CLIMASTATION_SOURCE__BASE_URL", mirror.join("climate"))
            .env("CLIMASTATION_PATHS__DATA_DIR", &data)
            .env("CLIMASTATION_PATHS__PROGRESS_DB", data.join("progress.db"))
            .env("CLIMASTATION_PATHS__RAW", data.join("raw"))
            .env("CLIMASTATION_PATHS__OUTPUT", data.join("output"))
            .env("CLIMASTATION_PATHS__LOGS", &logs)
            .env("CLIMASTATION_LOGGING__FILE", "true")
            .env("CLIMASTATION_LOGGING__FORMAT", "json")
            .env("CLIMASTATION_PROCESSING__PROCESSOR", "dwd")
            .env("CLIMASTATION_PROCESSING__WORKERS", workers.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("{label} run"))?;
        // its own peak (VmHWM), read every 10 ms until it exits
        let (status, peak_kb) =
            crate::measure::wait_with_peak(&mut child, std::time::Duration::from_millis(10))?;
        let wall = t.elapsed().as_secs_f64();
        if !status.success() {
            bail!("the {label} run failed: {status}");
        }
        let after = usage();
        Ok(Measured {
            wall,
            cpu: after - before,
            peak_rss_mb: peak_kb as f64 / 1024.0,
        })
    };
    let first = run("first")?;
    let (merge_ms, merged_rows, copied_rows) = merge_ms(&logs)?;
    let second = run("second")?;
    let files = zips.len();
    let conversion = first.wall - merge_ms / 1000.0;
    let f = |v: f64, d: i32| (v * 10f64.powi(d)).round() / 10f64.powi(d);
    let result = serde_json::json!({
        "data_zips": files,
        "text_mb": f(text_bytes as f64 / 1e6, 1),
        "workers": workers,
        "inflate_sum_s": f(inflate_s, 2),
        "wall_s": f(first.wall, 2),
        "cpu_s": f(first.cpu, 2),
        "files_per_s": f(files as f64 / first.wall, 1),
        "text_mb_per_s": f(text_bytes as f64 / 1e6 / first.wall, 1),
        "peak_rss_mb": f(first.peak_rss_mb, 0),
        "merge_s": f(merge_ms / 1000.0, 2),
        "merged_rows": merged_rows,
        "copied_rows": copied_rows,
        "merge_share_of_conversion": f(merge_ms / 1000.0 / conversion.max(1e-9), 3),
        "wall_to_inflate": f(first.wall / inflate_s.max(1e-9), 2),
        "second_run_s": f(second.wall, 2),
    });
    if args.flag("json") {
        println!("{result}");
    } else {
        println!(
            "bench chain: {files} data zips ({:.0} MB of text), `run --crawl --processor dwd` with {workers} workers",
            text_bytes as f64 / 1e6
        );
        println!(
            "  inflate only, one core   {:>8.2} s (zlib-rs, every member)",
            inflate_s
        );
        println!(
            "  wall                     {:>8.2} s  ({:.2}x the inflate sum; target 1.5x)",
            first.wall,
            first.wall / inflate_s.max(1e-9)
        );
        println!("  cpu (user + system)      {:>8.2} s", first.cpu);
        println!(
            "  files/s, MB/s of text    {:>8.1}, {:.1}",
            files as f64 / first.wall,
            text_bytes as f64 / 1e6 / first.wall
        );
        println!(
            "  merge                    {:>8.2} s  ({:.1}% of the conversion; target < 25%)",
            merge_ms / 1000.0,
            merge_ms / 1000.0 / conversion.max(1e-9) * 100.0
        );
        println!(
            "  rows merged, copied      {merged_rows:>8}, {copied_rows} ({:.1}% copied as encoded)",
            copied_rows as f64 / merged_rows.max(1) as f64 * 100.0
        );
        println!(
            "  peak RSS                 {:>8.0} MB ({:.0} MB a worker; target < 512)",
            first.peak_rss_mb,
            first.peak_rss_mb / workers as f64
        );
        println!(
            "  second run, nothing new  {:>8.2} s  (target < 1 s for 1,623 files)",
            second.wall
        );
    }
    Ok(())
}

struct Measured {
    wall: f64,
    cpu: f64,
    peak_rss_mb: f64,
}

/// User + system seconds of the finished children so far.
fn usage() -> f64 {
    match nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => {
            let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            secs(u.user_time()) + secs(u.system_time())
        }
        Err(_) => 0.0,
    }
}

/// The merge's milliseconds, rows and rows copied whole, from the run's
/// JSON log.
fn merge_ms(logs: &Path) -> anyhow::Result<(f64, u64, u64)> {
    let (mut total, mut rows, mut copied) = (0.0, 0, 0);
    for f in fixtures::files_below(logs) {
        for line in std::fs::read_to_string(&f)?.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v["message"] == "series up to date" || v["fields"]["message"] == "series up to date"
            {
                total += v["fields"]["ms"].as_f64().unwrap_or(0.0);
                rows += v["fields"]["rows"].as_u64().unwrap_or(0);
                copied += v["fields"]["copied"].as_u64().unwrap_or(0);
            }
        }
    }
    Ok((total, rows, copied))
}
