//! `db check`: a diagnosis that changes nothing. The database is opened
//! read-only, without migrations, lock or recovery (which would write, and
//! fail on a damaged file before saying what is wrong), and asked for its
//! integrity and whether the status counters agree with the rows.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::SqliteError;

/// What `db check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    /// `PRAGMA integrity_check`: `["ok"]`, or its findings.
    pub integrity: Vec<String>,
    /// (dataset, status, counted by the triggers, counted in the rows)
    /// where the two differ; empty when they agree.
    pub counter_mismatches: Vec<(String, String, i64, i64)>,
    /// What could not be read at all (the counters of a damaged file).
    pub errors: Vec<String>,
}

impl IntegrityReport {
    pub fn ok(&self) -> bool {
        self.integrity == ["ok"] && self.counter_mismatches.is_empty() && self.errors.is_empty()
    }

    /// One line a finding, `ok` when there is none.
    pub fn messages(&self) -> Vec<String> {
        if self.ok() {
            return vec!["ok".into()];
        }
        let mut out: Vec<String> = self
            .integrity
            .iter()
            .filter(|m| *m != "ok")
            .map(|m| format!("integrity: {m}"))
            .collect();
        out.extend(
            self.counter_mismatches.iter().map(|(d, s, kept, rows)| {
                format!("counters: {d} {s}: {kept} counted, {rows} rows")
            }),
        );
        out.extend(self.errors.iter().cloned());
        out
    }
}

/// Diagnoses the database at `path` without writing to it.
pub fn check_read_only(path: &Path) -> Result<IntegrityReport, SqliteError> {
    if !path.is_file() {
        return Err(SqliteError::Open {
            path: path.to_path_buf(),
            source: rusqlite::Error::InvalidPath(path.to_path_buf()),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| SqliteError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut report = IntegrityReport::default();
    let mut note = |what: &str, e: rusqlite::Error| report_error(&mut report.errors, what, e);
    match integrity(&conn) {
        Ok(lines) => report.integrity = lines,
        Err(e) => {
            note("integrity check", e);
            report.integrity = vec!["could not run".into()];
        }
    }
    match counters(&conn) {
        Ok(m) => report.counter_mismatches = m,
        Err(e) => note("status counters", e),
    }
    Ok(report)
}

fn report_error(errors: &mut Vec<String>, what: &str, e: rusqlite::Error) {
    errors.push(format!("{what}: {e}"));
}

fn integrity(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

fn counters(conn: &Connection) -> rusqlite::Result<Vec<(String, String, i64, i64)>> {
    let mut stmt = conn.prepare(crate::sql::COUNTERS_AGAINST_ROWS)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}
