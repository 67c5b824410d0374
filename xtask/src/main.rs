//! Project automation, run as `cargo xtask <task>` (the cargo-xtask pattern).
//!
//! Tasks:
//! - `bench tracker [--files N] [--datasets D] [--workers W] [--batch B] [--fail-every K] [--complete batch|each] [--no-checksum] [--log-level L] [--db PATH] [--json]`
//! - `bench pipeline [--files N] [--workers 1,2,4] [--batch B] [--json]`
//! - `bench source [--stations N] [--rows R] [--workers W] [--json]`: crawl and download a synthetic mirror over loopback
//! - `bench parse [--rows 525600] [--runs 3]`: parse + translate + Parquet of one decade of 10-minute data
//! - `bench chain [--stations 100] [--rows 52560] [--workers 2] [--json]`: the whole chain
//!   (`run --crawl --processor dwd`) on a 10-minute mirror against the inflate floor
//! - `fixtures --out DIR [--stations 541] [--rows 1000] [--seed 1]`: a synthetic DWD-like mirror
//! - `bench archive [--dir DIR] [--skip-run]`: crawl, status, stations, verify at the
//!   archive's real size (758,223 paths from rdwd's index)
//! - `bench serve [--stations 100] [--years 30] [--dir DIR] [--seconds 10] [--json]`: `climastation serve` under wrk
//! - `bench python [--wheel PATH] [--rows 1000000] [--runs 5]`: the Leipzig example through
//!   Python against the CLI, and one million rows handed to pyarrow
//! - `bench page [--stations 1500] [--years 30] [--runs 3] [--dir DIR] [--json]`: the page of
//!   `climastation serve` in headless Chromium: the map's first render, a 30-year plot drawn
//! - `readme-parameters`: README's table of every parameter, from the translation tables
//! - `normals-check`: DWD's published normals against ours, recomputed from `monthly/kl`
//! - `web`: the page's libraries refreshed from the npm registry (`npm ci` + `vendor.mjs`)
//! - `dist [--out target/dist] [--no-build]`: the stripped binary, shell completions, man pages
//! - `wheel [--out target/wheels] [--profile dist]`: the Python wheel (maturin)
//! - `chaos [--kills 50] [--stations 541] [--rows 10000] [--workers 2] [--json]`: the SIGKILL
//!   loop on a 1,623-file mirror through `run --processor dwd`; lost / double-completed /
//!   integrity figures
//!
//! Benchmarks must run optimised: a debug build of xtask re-runs itself
//! with `cargo run --release`.

use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

mod args;
mod bench_archive;
mod bench_chain;
mod bench_page;
mod bench_parse;
mod bench_pipeline;
mod bench_python;
mod bench_serve;
mod bench_source;
mod bench_tracker;
mod bench_values;
mod chaos;
mod chaos_outputs;
mod dist;
mod fixtures;
mod measure;
mod normals_check;
mod readme_parameters;
mod web;
mod wheel;

fn main() -> ExitCode {
    // `xtask climastation …` is the CLI itself, for chaos to kill
    if std::env::args().nth(1).as_deref() == Some("climastation") {
        return climastation::main_from(std::env::args_os().skip(1));
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(t, r)| (t.as_str(), r));
    match task {
        "bench" => {
            if cfg!(debug_assertions) {
                return rerun_release(&args);
            }
            let (what, opts) = rest
                .split_first()
                .context("usage: cargo xtask bench tracker [options]")?;
            match what.as_str() {
                "tracker" => bench_tracker::run(args::Args::parse(opts)?),
                "pipeline" => bench_pipeline::run(args::Args::parse(opts)?),
                "pipeline-one" => bench_pipeline::run_one(args::Args::parse(opts)?),
                "source" => bench_source::run(args::Args::parse(opts)?),
                "parse" => bench_parse::run(args::Args::parse(opts)?),
                "parse-one" => bench_parse::run_one(args::Args::parse(opts)?),
                "chain" => bench_chain::run(args::Args::parse(opts)?),
                "values" => bench_values::run(args::Args::parse(opts)?),
                "python" => bench_python::run(args::Args::parse(opts)?),
                "archive" => bench_archive::run(args::Args::parse(opts)?),
                "serve" => bench_serve::run(args::Args::parse(opts)?),
                "page" => bench_page::run(args::Args::parse(opts)?),
                other => {
                    bail!(
                        "unknown benchmark {other:?}; known: tracker, pipeline, source, parse, chain, values, python, archive, serve, page"
                    )
                }
            }
        }
        "fixtures" => {
            let a = args::Args::parse(rest)?;
            let out = std::path::PathBuf::from(a.opt("out").context("--out DIR")?);
            let w = fixtures::generate(
                &out,
                a.get("stations", 541)?,
                a.get("rows", 1000)?,
                a.get("seed", 1)?,
            )?;
            println!(
                "wrote {} files ({} bytes) under {}",
                w.files,
                w.bytes,
                out.display()
            );
            Ok(())
        }
        "dist" => dist::run(args::Args::parse(rest)?),
        "wheel" => wheel::run(args::Args::parse(rest)?),
        "web" => web::run(args::Args::parse(rest)?),
        "readme-parameters" => readme_parameters::run(),
        "normals-check" => normals_check::run(args::Args::parse(rest)?),
        "chaos" => {
            if cfg!(debug_assertions) {
                return rerun_release(&args);
            }
            chaos::run(args::Args::parse(rest)?)
        }
        "help" | "--help" | "-h" => {
            println!(
                "cargo xtask bench tracker [--files N] [--datasets D] [--workers W] [--batch B] [--fail-every K] [--complete batch|each] [--no-checksum] [--log-level L] [--db PATH] [--json]"
            );
            println!("cargo xtask bench pipeline [--files N] [--workers 1,2,4] [--json]");
            println!(
                "cargo xtask bench source [--stations 541] [--rows 20000] [--workers 4] [--json]"
            );
            println!("cargo xtask bench parse [--rows 525600] [--runs 3]");
            println!(
                "cargo xtask bench chain [--stations 100] [--rows 52560] [--workers 2] [--dir DIR] [--json]"
            );
            println!("cargo xtask bench values [--stations 60] [--years 30] [--seed 5]");
            println!("cargo xtask fixtures --out DIR [--stations 541] [--rows 1000] [--seed 1]");
            println!("cargo xtask bench python [--wheel PATH] [--rows 1000000] [--runs 5]");
            println!("cargo xtask bench archive [--dir DIR] [--skip-run] [--runs 5]");
            println!(
                "cargo xtask bench page [--stations 1500] [--years 30] [--runs 3] [--dir DIR] [--json]"
            );
            println!("cargo xtask web");
            println!("cargo xtask readme-parameters");
            println!(
                "cargo xtask normals-check [--config config/sample.yaml] [--period 1961-1990]"
            );
            println!("cargo xtask dist [--out target/dist] [--no-build]");
            println!("cargo xtask wheel [--out target/wheels] [--profile dist]");
            println!(
                "cargo xtask chaos [--kills 50] [--stations 541] [--rows 10000] [--seed 1] [--workers 2] [--min-ms 100] [--max-ms 500] [--dir DIR] [--json]"
            );
            println!(
                "cargo xtask chaos --mode dataset|damage [--kills 40] [--damages 40] [--stations 60] [--rows 2000] [--seed 1] [--workers 2] [--dir DIR]"
            );
            Ok(())
        }
        other => bail!("unknown task {other:?}; try `cargo xtask help`"),
    }
}

/// Benchmarks of a debug build measure the debug build: run the release one.
fn rerun_release(args: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["run", "--quiet", "--release", "--package", "xtask", "--"])
        .args(args)
        .status()
        .context("running the release build of xtask")?;
    if !status.success() {
        bail!("release xtask exited with {status}");
    }
    Ok(())
}
