//! `--name value` and `--flag` options, by hand: xtask keeps few dependencies.

use std::collections::HashMap;
use std::str::FromStr;

use anyhow::{Context, bail};

#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    pub fn parse(raw: &[String]) -> anyhow::Result<Self> {
        let mut args = Args::default();
        let mut it = raw.iter().peekable();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else {
                bail!("unexpected argument {a:?}");
            };
            match it.peek() {
                Some(v) if !v.starts_with("--") => {
                    args.values
                        .insert(name.to_owned(), it.next().cloned().unwrap_or_default());
                }
                _ => args.flags.push(name.to_owned()),
            }
        }
        Ok(args)
    }

    pub fn get<T: FromStr>(&self, name: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.values.get(name) {
            None => Ok(default),
            Some(v) => v
                .replace('_', "")
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("--{name} {v}")),
        }
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

/// Where a benchmark or chaos run works: `--dir DIR`, else `temp`; with the
/// synthetic mirror under `<dir>/mirror`, written first unless it is there.
/// Returns (dir, mirror).
pub fn work_with_mirror(
    args: &Args,
    temp: &tempfile::TempDir,
    who: &str,
    (stations, rows, seed): (usize, usize, u64),
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let dir = args
        .opt("dir")
        .map_or(temp.path().to_path_buf(), std::path::PathBuf::from);
    let mirror = dir.join("mirror");
    if !mirror.join("climate").exists() {
        eprintln!("{who}: writing the mirror ({stations} stations, {rows} rows a file)…");
        crate::fixtures::generate(&mirror, stations, rows, seed)?;
    }
    Ok((dir, mirror))
}
