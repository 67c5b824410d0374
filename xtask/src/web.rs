//! `cargo xtask web`: refreshes the page's vendored libraries. `npm ci`
//! installs what `crates/climastation/web/package-lock.json` pins, then
//! `vendor.mjs` copies the libraries, their licences and the base map into
//! `crates/climastation/web/static/vendor/`, which is committed: building
//! or running ClimaStation needs no Node.js, only refreshing them (and the
//! browser tests) do.

use std::process::Command;

use anyhow::{Context, bail};

use crate::args::Args;

pub fn run(_args: Args) -> anyhow::Result<()> {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the repository")?
        .join("crates/climastation/web");
    for (program, args) in [
        ("npm", &["ci", "--no-audit", "--no-fund"][..]),
        ("node", &["vendor.mjs"][..]),
    ] {
        let status = Command::new(program)
            .args(args)
            .current_dir(&web)
            .status()
            .with_context(|| {
                format!(
                    "running {program} (Node.js and npm are needed to refresh the page's libraries)"
                )
            })?;
        if !status.success() {
            bail!("{program} {} failed in {}", args.join(" "), web.display());
        }
    }
    println!(
        "refreshed {}; commit it with package-lock.json",
        web.join("static/vendor").display()
    );
    Ok(())
}
