//! `cargo xtask bench page [--stations 1500] [--years 30] [--runs 3] [--dir DIR] [--json]`
//!
//! The page of `climastation serve` in a real browser (Debian's Chromium,
//! headless, through playwright-core: `npm ci` in crates/climastation/web
//! first) on a generated archive: `--stations` stations listed in
//! `hourly/air_temperature`, the first of them with `--years` of hourly
//! series (~263K rows at 30 years). The browser's own performance measures
//! of each of `--runs` fresh page loads:
//!
//! - the map's first render: navigation start to every marker drawn
//!   (target ≤ 1 s with 1,500 stations);
//! - the plot's drawing: the station's whole series in hand to the plot
//!   drawn (target ≤ 1 s for ~263K points); its request and parse apart.

use std::process::Command;

use anyhow::{Context, bail};

use crate::args::Args;

pub fn run(args: Args) -> anyhow::Result<()> {
    let stations: usize = args.get("stations", 1500)?;
    let years: i64 = args.get("years", 30)?;
    let runs: usize = args.get("runs", 3)?;
    crate::bench_serve::which("node").context("bench page needs Node.js")?;
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the repository")?
        .to_path_buf();
    if !repo
        .join("crates/climastation/web/node_modules/playwright-core")
        .exists()
    {
        bail!("bench page needs playwright-core: npm ci --prefix crates/climastation/web");
    }
    let temp = tempfile::tempdir()?;
    let dir = args
        .opt("dir")
        .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let data = dir.join("data");
    if !data.join("progress.db").exists() {
        crate::bench_serve::generate(&data, stations, 1, years)?;
    } else {
        eprintln!("bench page: reusing the archive under {}", data.display());
    }
    let (mut server, base) = crate::bench_serve::start_server(&dir, &data)?;
    // the first station of the field has the series (ids from 100)
    let out = Command::new("node")
        .arg(repo.join("tests/browser/bench.mjs"))
        .args([&base, "100", &runs.to_string()])
        .output()
        .context("running tests/browser/bench.mjs")?;
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = server.wait();
    if !out.status.success() {
        bail!(
            "the browser run failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let text = String::from_utf8(out.stdout)?;
    let measured: Vec<serde_json::Value> =
        serde_json::from_str(text.trim()).context("the browser's measures")?;
    let figure = |m: &serde_json::Value, k: &str| m[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "bench page: {stations} stations listed, one with {years} years hourly; Chromium headless, {runs} fresh loads"
    );
    for (i, m) in measured.iter().enumerate() {
        println!(
            "  run {}: {} markers, map first render {:>6.0} ms (stations request+draw {:>5.0} ms) | {} points: series request+parse {:>6.0} ms, plot drawn {:>5.0} ms{}",
            i + 1,
            m["markers"],
            figure(m, "map:first"),
            figure(m, "map:stations"),
            m["points"],
            figure(m, "plot:fetch"),
            figure(m, "plot:draw"),
            m["errors"]
                .as_array()
                .filter(|e| !e.is_empty())
                .map(|e| format!("  page errors: {e:?}"))
                .unwrap_or_default()
        );
    }
    let median = |k: &str| {
        let mut v: Vec<f64> = measured.iter().map(|m| figure(m, k)).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!(
        "  median: map first render {:.0} ms (target ≤ 1000 ms), plot drawn {:.0} ms (target ≤ 1000 ms); series request+parse {:.0} ms",
        median("map:first"),
        median("plot:draw"),
        median("plot:fetch")
    );
    if args.flag("json") {
        println!(
            "{}",
            serde_json::json!({
                "stations": stations, "years": years, "runs": measured,
                "median_map_first_ms": median("map:first"), "median_plot_draw_ms": median("plot:draw"),
                "median_series_fetch_ms": median("plot:fetch"),
            })
        );
    }
    Ok(())
}
