//! `cargo xtask bench serve [--stations 100] [--years 30] [--dir DIR] [--seconds 10] [--json]`
//!
//! `climastation serve` under a real load generator (`wrk`, Debian's
//! package) on a generated archive: `--stations` stations with `--years`
//! of hourly air temperature and humidity (`bench values`' synthetic
//! field), written as merged series with `stations.parquet` and recorded
//! in the output ledger as a run records them. The server runs as its own
//! process (the release build of this xtask, `xtask climastation serve`);
//! its peak RSS is its VmHWM. Measured, each for `--seconds`:
//!
//! - (a) values at a place, one year hourly, idw, 16 connections;
//! - (b) one station's whole series (~263K rows at 30 years) as Arrow and
//!   as JSON, one connection;
//! - (c) stations near a point, 16 connections;
//! - (d) a mix of the above and the catalog at 64 connections.
//!
//! Targets on these 2-core machines: (a) p99 ≤ 250 ms, (b) Arrow ≤ 150 ms
//! and JSON ≤ 1.5 s, (c) p99 ≤ 20 ms, (d) no errors and peak RSS ≤ 250 MB.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use sha2::Digest;
use tracker_core::ProgressStore;

use crate::args::Args;

const DS: &str = "hourly/air_temperature";

pub fn run(args: Args) -> anyhow::Result<()> {
    let stations: usize = args.get("stations", 100)?;
    let years: i64 = args.get("years", 30)?;
    let seconds: u64 = args.get("seconds", 10)?;
    which("wrk").context("bench serve needs wrk (Debian: apt-get install wrk)")?;
    let temp = tempfile::tempdir()?;
    let dir = args
        .opt("dir")
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let data = dir.join("data");
    if !data.join("progress.db").exists() {
        generate(&data, stations, stations, years)?;
    } else {
        eprintln!("bench serve: reusing the archive under {}", data.display());
    }
    let (mut child, base) = start_server(&dir, &data)?;
    let pid = child.id();

    // a station in the middle of the field, and a place beside it
    let (lat, lon) = (51.25, 11.5);
    let values = format!(
        "{base}/api/v1/values?lat={lat}&lon={lon}&resolution=hourly&parameters=temperature_air_2m&method=idw&start=2000-01-01&end=2000-12-31&format=arrow"
    );
    let series = format!("{base}/api/v1/series?dataset={DS}&station=100");
    let near = format!("{base}/api/v1/stations?dataset={DS}&near={lat},{lon}&radius_km=50");
    let catalog = format!("{base}/api/v1/datasets?resolution=hourly");
    // the answers are what they should be before they are timed
    for url in [&values, &near, &catalog] {
        check(url)?;
    }
    let rows = check(&series)?;

    println!(
        "bench serve: {stations} stations × {years} years hourly ({} rows a series), wrk for {seconds} s each",
        rows
    );
    // the server's peak RSS after each phase (VmHWM only grows)
    let mut peaks = Vec::new();
    let mut peak = |phase: &str| {
        let mb = crate::measure::peak_rss_kb_of(pid) as f64 / 1024.0;
        peaks.push(format!("{phase} {mb:.0} MB"));
        mb
    };
    peak("started");
    let a = wrk(&values, 16, seconds, None)?;
    peak("(a)");
    let b_arrow = wrk(&format!("{series}&format=arrow"), 1, seconds, None)?;
    peak("(b) arrow");
    let b_json = wrk(&format!("{series}&format=json"), 1, seconds.max(5), None)?;
    peak("(b) json");
    let c = wrk(&near, 16, seconds, None)?;
    peak("(c)");
    let mix = mix_script(
        &dir,
        &[&values, &format!("{series}&format=arrow"), &near, &catalog],
    )?;
    let d = wrk(&base, 64, seconds, Some(&mix))?;
    let peak_mb = peak("(d)");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let status = child.wait()?;

    let row = |name: &str, r: &Wrk, target: &str| {
        println!(
            "  {name:<44} {:>8.1} req/s   p50 {:>7.1} ms   p99 {:>7.1} ms   errors {:>4}   {target}",
            r.rps, r.p50_ms, r.p99_ms, r.errors
        );
    };
    row(
        "(a) values at a place, 1 year hourly, idw, c16",
        &a,
        "target p99 ≤ 250 ms",
    );
    row(
        "(b) a 30-year series as Arrow, c1",
        &b_arrow,
        "target ≤ 150 ms",
    );
    row("(b) the same series as JSON, c1", &b_json, "target ≤ 1.5 s");
    row("(c) stations near a point, c16", &c, "target p99 ≤ 20 ms");
    row("(d) a mix of the four, c64", &d, "target 0 errors");
    println!(
        "  server peak RSS {peak_mb:.0} MB (target ≤ 250 MB; after each phase: {}); exit after SIGTERM: {:?}",
        peaks.join(", "),
        status.code()
    );
    if args.flag("json") {
        let j = |r: &Wrk| serde_json::json!({"rps": r.rps, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "errors": r.errors});
        println!(
            "{}",
            serde_json::json!({
                "stations": stations, "years": years, "series_rows": rows,
                "values_idw_c16": j(&a), "series_arrow_c1": j(&b_arrow), "series_json_c1": j(&b_json),
                "stations_near_c16": j(&c), "mix_c64": j(&d), "peak_rss_mb": peak_mb.round(),
            })
        );
    }
    Ok(())
}

/// `climastation serve` (this release build of xtask) on the archive
/// under `data`, on a free loopback port: the process and its base URL.
pub(crate) fn start_server(
    dir: &Path,
    data: &Path,
) -> anyhow::Result<(std::process::Child, String)> {
    let config = dir.join("bench-serve.yaml");
    std::fs::write(
        &config,
        format!(
            "paths:\n  data_dir: {d}\n  progress_db: {d}/progress.db\n  output: {d}/output\n  raw: {d}/raw\n  logs: {d}/logs\nlogging:\n  file: false\n",
            d = data.display()
        ),
    )?;
    let exe = std::env::current_exe()?;
    let mut child = Command::new(&exe)
        .args(["climastation", "--config"])
        .arg(&config)
        .args(["-q", "serve", "--listen", "127.0.0.1:0"])
        .env_remove("CLIMASTATION_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the server")?;
    let stderr = child.stderr.take().context("the server's stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let Some(line) = lines.next() else {
            bail!("the server ended before it listened");
        };
        let line = line?;
        if let Some(at) = line.find("http://") {
            let url: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            break url.trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((child, base))
}

pub(crate) fn which(name: &str) -> anyhow::Result<()> {
    let ok = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if ok {
        Ok(())
    } else {
        bail!("{name} not found")
    }
}

/// One GET: 200, and the rows of a JSON or Arrow answer (0 for others).
fn check(url: &str) -> anyhow::Result<usize> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(url).call()?;
    let status = r.status().as_u16();
    let body = r.body_mut().with_config().limit(u64::MAX).read_to_vec()?;
    if status != 200 {
        bail!("{url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    if url.contains("format=arrow") {
        let reader = arrow_ipc::reader::StreamReader::try_new(&body[..], None)?;
        let mut n = 0;
        for b in reader {
            n += b?.num_rows();
        }
        if n == 0 {
            bail!("{url}: no rows");
        }
        return Ok(n);
    }
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(v["rows"].as_array().map_or(0, Vec::len))
}

/// A wrk script that takes the URLs' paths in turn.
fn mix_script(dir: &Path, urls: &[&str]) -> anyhow::Result<PathBuf> {
    let paths: Vec<String> = urls
        .iter()
        .map(|u| {
            let path = u.splitn(4, '/').nth(3).unwrap_or("");
            format!("\"/{path}\"")
        })
        .collect();
    let script = format!(
        "local paths = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
        paths.join(", ")
    );
    let path = dir.join("mix.lua");
    std::fs::write(&path, script)?;
    Ok(path)
}

#[derive(Debug, Default)]
struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Non-2xx answers, socket errors and timeouts.
    errors: u64,
}

fn wrk(url: &str, connections: u32, seconds: u64, script: Option<&Path>) -> anyhow::Result<Wrk> {
    let mut c = Command::new("wrk");
    c.args([
        "-t",
        &connections.clamp(1, 2).to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--timeout",
        "10s",
        "--latency",
    ]);
    if let Some(s) = script {
        c.arg("-s").arg(s);
    }
    let out = c.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut r = Wrk::default();
    for line in text.lines() {
        let l = line.trim();
        let words: Vec<&str> = l.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => r.rps = v.parse().unwrap_or(0.0),
            ["50%", v] => r.p50_ms = ms(v),
            ["99%", v] => r.p99_ms = ms(v),
            ["Non-2xx", "or", "3xx", "responses:", v] => r.errors += v.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                r.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    Ok(r)
}

/// wrk's `12.34ms`, `1.02s`, `850.00us` in ms.
fn ms(v: &str) -> f64 {
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    if let Some(x) = v.strip_suffix("ms") {
        num(x)
    } else if let Some(x) = v.strip_suffix("us") {
        num(x) / 1000.0
    } else if let Some(x) = v.strip_suffix('s') {
        num(x) * 1000.0
    } else {
        num(v)
    }
}

/// The archive: series (of the first `with_series` stations) and station
/// list as `bench values` writes them, each table recorded in the output
/// ledger (path, size, time, SHA-256).
pub(crate) fn generate(
    data: &Path,
    stations: usize,
    with_series: usize,
    years: i64,
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    let output = data.join("output");
    let layout = dwd_series::OutputLayout::new(&output);
    crate::bench_values::write_archive_with(&layout, stations, with_series, years, 5)?;
    let store = tracker_sqlite::SqliteStore::open(
        data.join("progress.db"),
        tracker_sqlite::StoreOptions::default(),
    )?;
    let dir = layout.dataset(DS);
    let dataset = tracker_core::DatasetId::new(DS)?;
    // written as `climastation run` writes them: under the current names
    let names = dwd_translate::Tables::embedded()?.naming(DS);
    let mut records = Vec::new();
    for path in crate::fixtures::files_below(&dir) {
        if path.file_name().is_some_and(|n| n == ".lock") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let meta = std::fs::metadata(&path)?;
        let rows = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&path)?)
            .map(|r| {
                use parquet::file::reader::FileReader;
                r.metadata().file_metadata().num_rows() as u64
            })
            .unwrap_or(0);
        let rel = dwd_series::ledger::relative(&dir, &path);
        let rel_is_series = rel.starts_with("series/");
        let built_from = match rel.strip_prefix("series/") {
            Some(s) => s.trim_end_matches(".parquet").to_owned(),
            None => "stations".to_owned(),
        };
        records.push(tracker_core::OutputRecord {
            path: rel,
            bytes: meta.len(),
            rows,
            modified_ns: dwd_series::output::modified_ns(&meta),
            sha256: sha2::Sha256::digest(&bytes).into(),
            names: rel_is_series.then(|| names.clone()),
            built_from,
        });
    }
    store.record_outputs(&dataset, &records)?;
    eprintln!(
        "bench serve: wrote and recorded {} tables in {:.1} s",
        records.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
