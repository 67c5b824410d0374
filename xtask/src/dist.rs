//! `cargo xtask dist [--out DIR] [--no-build]`: what a release ships. The
//! `climastation` binary built with the `dist` profile (release, without
//! debug information), shell completions for bash, zsh, fish, elvish and
//! PowerShell (clap_complete) and man pages for the command and each
//! subcommand (clap_mangen), all from the one clap definition.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::CommandFactory;

use crate::args::Args;

pub fn run(a: Args) -> anyhow::Result<()> {
    let out = PathBuf::from(a.opt("out").unwrap_or("target/dist"));
    let completions = out.join("completions");
    let man = out.join("man");
    std::fs::create_dir_all(&completions)?;
    std::fs::create_dir_all(&man)?;
    let mut cmd = climastation::Cli::command();
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
        clap_complete::Shell::Elvish,
        clap_complete::Shell::PowerShell,
    ] {
        let path = clap_complete::generate_to(shell, &mut cmd, "climastation", &completions)
            .with_context(|| format!("writing the {shell} completions"))?;
        println!("wrote {}", path.display());
    }
    clap_mangen::generate_to(cmd, &man).context("writing the man pages")?;
    let pages = std::fs::read_dir(&man)?.count();
    println!("wrote {pages} man pages under {}", man.display());
    if !a.flag("no-build") {
        build(&out.join("bin"))?;
    }
    Ok(())
}

/// Builds the binary with the `dist` profile and copies it to `bin`.
fn build(bin: &Path) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--locked",
            "--profile",
            "dist",
            "-p",
            "climastation",
        ])
        .status()
        .context("building the dist binary")?;
    if !status.success() {
        bail!("cargo build --profile dist exited with {status}");
    }
    std::fs::create_dir_all(bin)?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let from = target.join("dist/climastation");
    let to = bin.join("climastation");
    std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
    let release = target.join("release/climastation");
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).ok();
    println!(
        "binary {}: {:.1} MB (the release profile's, with line tables: {})",
        to.display(),
        size(&to).unwrap_or(0.0),
        size(&release).map_or("not built".into(), |s| format!("{s:.1} MB"))
    );
    Ok(())
}
