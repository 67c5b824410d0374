//! `cargo xtask wheel [--out target/wheels] [--profile dist]`: the Python
//! wheel (maturin, abi3: one wheel for CPython 3.10 and newer) with the
//! `climastation` module and the `climastation` command. maturin comes from
//! PyPI (`pip install maturin`); the Rust crates from Cargo.lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::args::Args;

/// The crate maturin builds.
const MANIFEST: &str = "crates/climastation-py/Cargo.toml";

pub fn run(a: Args) -> anyhow::Result<()> {
    let out = PathBuf::from(a.opt("out").unwrap_or("target/wheels"));
    let profile = a.opt("profile").unwrap_or("dist");
    let (wheel, seconds) = build(&out, profile)?;
    println!("wheel: {} ({seconds:.0} s to build)", wheel.display());
    Ok(())
}

/// The `maturin` command: on PATH, else the module of `python3`.
fn maturin() -> anyhow::Result<Command> {
    if Command::new("maturin").arg("--version").output().is_ok() {
        return Ok(Command::new("maturin"));
    }
    let ok = Command::new("python3")
        .args(["-m", "maturin", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        bail!("maturin is needed to build the wheel: python3 -m pip install maturin");
    }
    let mut c = Command::new("python3");
    c.args(["-m", "maturin"]);
    Ok(c)
}

/// Builds the wheel into `out` (emptied of older wheels first); returns
/// its path and the seconds the build took.
pub fn build(out: &Path, profile: &str) -> anyhow::Result<(PathBuf, f64)> {
    if out.is_dir() {
        for e in std::fs::read_dir(out)?.flatten() {
            if e.path().extension().is_some_and(|x| x == "whl") {
                std::fs::remove_file(e.path())?;
            }
        }
    }
    let start = Instant::now();
    let status = maturin()?
        .args(["build", "--locked", "--profile", profile, "--manifest-path"])
        .arg(MANIFEST)
        .arg("--out")
        .arg(out)
        .status()
        .context("running maturin")?;
    if !status.success() {
        bail!("maturin build exited with {status}");
    }
    let seconds = start.elapsed().as_secs_f64();
    let wheel = std::fs::read_dir(out)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .with_context(|| format!("no wheel under {}", out.display()))?;
    Ok((wheel, seconds))
}
