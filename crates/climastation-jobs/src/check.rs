//! Check: the tracker's integrity (read-only), then every recorded table
//! against the output ledger and the disk, each problem with its fix.

use dwd_series::check::Problem;

use crate::fix::{Fix, Step};
use tracker_core::{DatasetId, ProgressStore};

use crate::{JobError, Session};

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    /// `None` for the tracker and the catalog.
    pub dataset: Option<String>,
    /// `missing`, `damaged`, `unrecorded`, `no_tables`, `temp`, `tracker`.
    pub kind: &'static str,
    pub problem: String,
    /// What mends it.
    pub fix: Fix,
}

/// What `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub ok: bool,
    /// Tables recorded and checked.
    pub tables: usize,
    pub deep: bool,
    pub problems: Vec<CheckLine>,
}

/// What mends `problem` of `dataset`'s outputs, as `check`, `export` and
/// `run` advise it: a run for what runs wrote (verifying the outputs when
/// only hashing found the damage); removal for a file no run recorded (a
/// run never deletes a file it did not write).
pub fn fix(problem: &Problem, dataset: &str, deep: bool) -> Fix {
    match problem {
        Problem::EarlierVersion { files, .. } => Fix::steps(vec![Step::run_dataset(dataset)])
            .note(format!(
                "it converts the {files} file(s) again and records each table"
            )),
        Problem::Unrecorded { path } => Fix::steps(vec![Step::Remove(path.clone())]).note(
            "if it is not yours: no run recorded it, and a run never deletes a file it did not write",
        ),
        Problem::Damaged { .. } if deep => Fix::steps(vec![Step::Run {
            dataset: Some(dataset.to_owned()),
            crawl: false,
            verify_outputs: true,
        }]),
        _ => Fix::steps(vec![Step::run_dataset(dataset)]),
    }
}

impl Session {
    /// The tracker (read-only: a damaged database is diagnosed, not
    /// touched), then, when it is sound, the tables of `dataset` (or of
    /// every dataset, and the catalog): cheaply, or `deep` (every table
    /// hashed).
    pub fn check(&self, dataset: Option<&str>, deep: bool) -> Result<CheckReport, JobError> {
        let only = dataset.map(|d| self.dataset(d)).transpose()?;
        let db = &self.config.paths.progress_db;
        let mut report = CheckReport {
            ok: true,
            deep,
            ..CheckReport::default()
        };
        if !db.exists() {
            return Ok(report);
        }
        let tracker = tracker_sqlite::check_read_only(db).map_err(JobError::Open)?;
        if !tracker.ok() {
            report.ok = false;
            for m in tracker.messages() {
                report.problems.push(CheckLine {
                    dataset: None,
                    kind: "tracker",
                    problem: m,
                    fix: Fix::default().first("see README, \"When check reports a problem\""),
                });
            }
            return Ok(report);
        }
        let store = self.open_store()?;
        let layout = self.layout();
        let depth = match deep {
            true => dwd_series::ledger::Depth::Deep,
            false => dwd_series::ledger::Depth::Cheap,
        };
        if only.is_none() {
            // the catalog, a table of the output root
            let root = DatasetId::new(dwd_series::duckdb::ROOT)?;
            for rec in store.outputs(&root)? {
                report.tables += 1;
                if let Err(damage) = dwd_series::ledger::check(layout.root(), &rec, depth) {
                    report.problems.push(CheckLine {
                        dataset: None,
                        kind: match damage {
                            dwd_series::ledger::Damage::Missing => "missing",
                            _ => "damaged",
                        },
                        problem: format!("{}: {damage}", layout.root().join(&rec.path).display()),
                        fix: Fix::steps(vec![Step::run()]),
                    });
                }
            }
        }
        for s in store.summary(only.as_ref())? {
            let naming = self.naming(s.dataset.as_str())?;
            let found =
                dwd_series::check::check_dataset(&layout, &s.dataset, &store, depth, &naming)?;
            report.tables += found.tables;
            for p in &found.problems {
                report.problems.push(CheckLine {
                    dataset: Some(s.dataset.as_str().to_owned()),
                    kind: p.kind(),
                    problem: p.describe(),
                    fix: fix(p, s.dataset.as_str(), deep),
                });
            }
        }
        report.ok = report.problems.is_empty();
        Ok(report)
    }
}
