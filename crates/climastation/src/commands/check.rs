//! `climastation check [--dataset D] [--deep]`: the tracker's integrity,
//! then every recorded output against its record and the disk.

use serde_json::json;
use tracker_core::ProgressStore;

use crate::context::Ctx;
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation check
  climastation check --dataset hourly/air_temperature --deep
  climastation --json check

Exit code 1 when anything is wrong; each problem comes with the command that
fixes it (`climastation run` rebuilds what is missing or damaged).")]
pub struct Args {
    /// Only this dataset's outputs (the tracker is checked whole).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Hash every table and compare its SHA-256 with the record (by
    /// default: size and modification time, hashing only a table whose
    /// time changed).
    #[arg(long)]
    pub deep: bool,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let only = args
        .dataset
        .as_deref()
        .map(|d| ctx.dataset(d))
        .transpose()?;
    let db = &ctx.config.paths.progress_db;
    let mut lines: Vec<serde_json::Value> = Vec::new();
    let mut ok = true;
    if db.exists() {
        let report = tracker_sqlite::check_read_only(db).map_err(crate::context::usage)?;
        if !report.ok() {
            ok = false;
            for m in report.messages() {
                lines.push(json!({"dataset": null, "kind": "tracker", "problem": m,
                    "fix": "see README, \"When check reports a problem\""}));
            }
        }
    }
    let mut tables = 0usize;
    if ok && db.exists() {
        let store = ctx.open_store()?;
        let layout = dwd_dataset::Layout::new(&ctx.config.paths.output);
        let depth = match args.deep {
            true => dwd_dataset::ledger::Depth::Deep,
            false => dwd_dataset::ledger::Depth::Cheap,
        };
        // the catalog, a table of the output root
        let root = tracker_core::DatasetId::new(dwd_dataset::catalog::ROOT)?;
        if only.is_none() {
            for rec in store.outputs(&root)? {
                tables += 1;
                if let Err(damage) = dwd_dataset::ledger::check(layout.root(), &rec, depth) {
                    ok = false;
                    lines.push(json!({"dataset": null, "kind": if damage == dwd_dataset::ledger::Damage::Missing { "missing" } else { "damaged" },
                        "problem": format!("{}: {damage}", layout.root().join(&rec.path).display()),
                        "fix": "climastation run"}));
                }
            }
        }
        for s in store.summary(only.as_ref())? {
            let found = dwd_dataset::check::check_dataset(&layout, &s.dataset, &store, depth)?;
            tables += found.tables;
            for p in &found.problems {
                ok = false;
                let fix = match p {
                    dwd_dataset::check::Problem::Unrecorded { .. } => format!(
                        "not written by `run`: remove it if it is not yours; `climastation run --dataset {}` writes recorded tables",
                        s.dataset
                    ),
                    _ => format!("climastation run --dataset {}", s.dataset),
                };
                lines.push(json!({"dataset": s.dataset.as_str(), "kind": p.kind(),
                    "problem": p.describe(), "fix": fix}));
            }
        }
    }
    if ctx.json {
        print_json(&json!({"ok": ok, "tables": tables, "deep": args.deep, "problems": lines}));
    } else {
        for l in &lines {
            println!(
                "{}: {}\n  fix: {}",
                l["kind"].as_str().unwrap_or("?"),
                l["problem"].as_str().unwrap_or("?"),
                l["fix"].as_str().unwrap_or("?")
            );
        }
        match ok {
            true => println!(
                "ok: the tracker and {tables} recorded table(s) check out{}",
                if args.deep { " (deep)" } else { "" }
            ),
            false => println!("{} problem(s)", lines.len()),
        }
    }
    Ok(if ok { exit::OK } else { exit::FAILED })
}
