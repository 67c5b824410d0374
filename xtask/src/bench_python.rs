//! `cargo xtask bench python [--wheel PATH] [--rows 1000000] [--runs 5]`:
//! the wheel (built with `cargo xtask wheel` unless given) installed into a
//! fresh virtual environment under `target/bench-python`, then
//! `xtask/bench_python.py`: the Leipzig example end to end on the sample
//! through Python and through the CLI, and the time to hand a table of
//! `rows` rows to pyarrow (checked to be the same buffer: no copy).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::args::Args;

pub fn run(a: Args) -> anyhow::Result<()> {
    let root = std::env::current_dir()?;
    let wheel = match a.opt("wheel") {
        Some(w) => PathBuf::from(w),
        None => crate::wheel::build(Path::new("target/wheels"), "dist")?.0,
    };
    let dir = root.join("target/bench-python");
    let venv = dir.join("venv");
    if venv.exists() {
        std::fs::remove_dir_all(&venv)?;
    }
    std::fs::create_dir_all(&dir)?;
    check(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    let bin = venv.join("bin");
    check(
        Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(&wheel),
        "pip install the wheel",
    )?;
    let rows: u64 = a.get("rows", 1_000_000)?;
    let runs: u64 = a.get("runs", 5)?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    check(
        Command::new(bin.join("python"))
            .arg(root.join("xtask/bench_python.py"))
            .arg(&root)
            .arg(rows.to_string())
            .arg(runs.to_string())
            .env("PATH", path)
            .current_dir(&dir),
        "the Python benchmark",
    )
}

fn check(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} exited with {status}");
    }
    Ok(())
}
