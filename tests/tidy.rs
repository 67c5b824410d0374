//! Tidy checks over the source (rust-analyzer's `tidy.rs` idea): rules a
//! reviewer would otherwise have to remember.
//!
//! - A library crate's messages name the fields of a request by what they
//!   are ([`dwd_catalog::Field`]), never by one front end's spelling of
//!   them: no string literal in library code starts with a command-line
//!   option (`"--from"`); the CLI spells fields as options, Python as
//!   keywords, the HTTP API as query parameters.
//! - A `JobError` variant carries typed data, not a bare `String` of text.

use std::path::{Path, PathBuf};

/// The crates that are libraries (not a front end).
fn library_sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name == "climastation" || name == "climastation-py" {
            continue;
        }
        let mut stack = vec![dir.join("src")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
    }
    assert!(out.len() > 40, "the library crates' sources: {}", out.len());
    out.sort();
    out
}

/// A file's code before its test module (test files are left out).
fn code_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") || name == "fuzz.rs" {
        return None;
    }
    let text = std::fs::read_to_string(path).unwrap();
    Some(
        text.split("#[cfg(test)]\nmod ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Where `line` has a string literal starting with `--` and a letter, or
/// advice written as a command line (`climastation run --…`, `climastation
/// retry`): a fix is typed steps that each front end spells
/// (`climastation_jobs::fix`).
fn spells_an_option(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("//") {
        return false;
    }
    line.contains("climastation run --")
        || line.contains("climastation retry")
        || line.match_indices("\"--").any(|(i, _)| {
            line[i + 3..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
        })
}

#[test]
fn library_messages_name_fields_not_command_line_options() {
    let mut found = Vec::new();
    for path in library_sources() {
        let Some(code) = code_of(&path) else {
            continue;
        };
        for (n, line) in code.lines().enumerate() {
            if spells_an_option(line) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "library code spells a command-line option (name a dwd_catalog::Field instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_rule_sees_an_option() {
    assert!(spells_an_option(r#"    err("--from", "is after")"#));
    assert!(spells_an_option(r#"format!("--workers {w}: 1 to 64")"#));
    assert!(!spells_an_option(r#"    l.starts_with("---")"#));
    assert!(!spells_an_option(r#"    "-- a SQL comment""#));
    assert!(!spells_an_option(r#"    // "--from" in a comment"#));
    assert!(spells_an_option(
        r#"    "fix: climastation run --dataset {d}""#
    ));
}

#[test]
fn job_errors_carry_types_not_bare_strings() {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/climastation-jobs/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    let start = text
        .find("pub enum JobError {")
        .expect("JobError is in climastation-jobs/src/lib.rs");
    let body = &text[start..];
    let body = &body[..body.find("\n}\n").expect("the enum's end")];
    let bare: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with("(String),") || l.ends_with("(std::string::String),"))
        .collect();
    assert!(body.lines().count() > 20, "{body}");
    assert!(
        bare.is_empty(),
        "JobError variants with a bare String: {bare:?}"
    );
}
