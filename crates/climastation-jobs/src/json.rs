//! The reports as JSON values: what `climastation --json` prints and the
//! Python module returns (as dicts), one shape for both (keys in README).

use serde_json::{Value, json};
use tracker_core::{FailureCause, FailureKind, FileRecord, StatusCounts, Timestamp};

use crate::fix::{Fix, Spelling, Step};
use crate::{CheckReport, StatusRow};

/// RFC 3339 UTC, or the raw milliseconds if out of range.
pub fn time(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.as_millis())
        .map(|ts| ts.to_string())
        .unwrap_or_else(|_| t.as_millis().to_string())
}

pub fn time_opt(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time(t)))
}

/// What fixes a failed file, by what its failure was about (and, for a
/// failure recorded before causes were, by its kind): never by the words
/// of its message.
pub fn fix_hint(kind: Option<FailureKind>, cause: Option<FailureCause>) -> Fix {
    match (cause, kind) {
        (Some(FailureCause::Gone), _) => {
            Fix::steps(vec![Step::crawl_and_run()]).note("the source's listing changed")
        }
        (Some(FailureCause::Network), _) | (None, Some(FailureKind::Transient)) => {
            Fix::steps(vec![Step::RetryAllFailed, Step::run()])
        }
        (Some(FailureCause::Machine), _) => Fix::steps(vec![Step::RetryAllFailed, Step::run()])
            .first("fix this machine (space, permissions)"),
        (Some(FailureCause::Misplaced), _) => Fix::steps(vec![Step::crawl_and_run()])
            .first("the file belongs to another dataset or station: fix the mirror or manifest"),
        (Some(FailureCause::Content), _) => Fix::steps(vec![Step::crawl_and_run()])
            .first("the source's file is damaged: a retry gets the same")
            .note("once the source has a new version"),
        (None, _) => {
            Fix::steps(vec![Step::RetryAllFailed]).note("once the cause in the message is fixed")
        }
    }
}

/// Why the pipeline stopped a dataset before its end.
pub fn stop_text(reason: &pipeline::StopReason) -> String {
    match reason {
        pipeline::StopReason::Prepare(f) => {
            format!(
                "preparing the dataset failed (no file was claimed): {}",
                f.message
            )
        }
        pipeline::StopReason::Finish(f) => format!("finishing the dataset failed: {}", f.message),
        pipeline::StopReason::FailFast(f) => format!("fail-fast on {}: {}", f.key, f.message),
        pipeline::StopReason::Interrupted => "interrupted".into(),
        pipeline::StopReason::Store(e) => format!("progress store error: {e}"),
        pipeline::StopReason::Resource(f) => format!("out of disk space: {}", f.message),
    }
}

/// `run`: each dataset's counts, failures and times, and the exit code.
pub fn run(report: &pipeline::RunReport, exit_code: i32) -> Value {
    let datasets: Vec<_> = report
        .datasets
        .iter()
        .map(|d| {
            json!({
                "dataset": d.dataset.as_str(),
                "completed": d.completed,
                "failed": d.failed.iter().map(|f| json!({"path": f.key.path(), "kind": f.kind.as_str(), "cause": f.cause.map(|c| c.as_str()), "message": f.message})).collect::<Vec<_>>(),
                "retried": d.retried,
                "released": d.released,
                "stopped": d.stopped.as_ref().map(stop_text),
                "bytes": d.stats.bytes,
                "wall_seconds": d.stats.wall.as_secs_f64(),
                "processing_seconds": d.stats.processing.as_secs_f64(),
                "tracker_seconds": d.stats.tracker.as_secs_f64(),
            })
        })
        .collect();
    json!({ "datasets": datasets, "exit_code": exit_code })
}

fn counts(c: &StatusCounts) -> Value {
    json!({
        "pending": c.pending,
        "processing": c.processing,
        "completed": c.completed,
        "failed": c.failed,
        "vanished": c.vanished,
    })
}

/// `status`: each dataset's counts, rate, ETA, workers, oldest claim, last
/// failure and selection; the totals.
pub fn status(rows: &[StatusRow]) -> Value {
    let mut totals = StatusCounts::default();
    let datasets: Vec<Value> = rows
        .iter()
        .map(|r| {
            let c = &r.summary.counts;
            totals.pending += c.pending;
            totals.processing += c.processing;
            totals.completed += c.completed;
            totals.failed += c.failed;
            totals.vanished += c.vanished;
            json!({
                "dataset": r.summary.dataset.as_str(),
                "counts": counts(c),
                "total": c.total(),
                "rate_per_min": (r.rate_per_min * 10.0).round() / 10.0,
                "eta_seconds": r.eta_seconds().map(f64::round),
                "workers": r.activity.workers.iter().map(|(w, n)| json!({"worker": w.as_str(), "claims": n})).collect::<Vec<_>>(),
                "oldest_claim": r.activity.oldest_claim.as_ref().map(|(k, at)| json!({"path": k.path(), "claimed_at": time(*at)})),
                "last_failure": r.activity.last_failure.as_ref().map(|f| json!({
                    "path": f.key.path(),
                    "kind": f.kind.map(|k| k.as_str()),
                    "cause": f.cause.map(|c| c.as_str()),
                    "message": f.message,
                    "at": time_opt(f.at),
                })),
                "selection": r.selection,
            })
        })
        .collect();
    json!({ "datasets": datasets, "totals": counts(&totals), "total": totals.total() })
}

/// Each file as `{"dataset", "path"}` and the fields `more` gives.
fn file_list(files: &[FileRecord], more: impl Fn(&FileRecord) -> Value) -> Vec<Value> {
    files
        .iter()
        .map(|f| {
            let mut v = json!({"dataset": f.key.dataset.as_str(), "path": f.key.path()});
            if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), more(f)) {
                obj.extend(extra);
            }
            v
        })
        .collect()
}

/// `failed`: each failed file with its error and the fix.
pub fn failed(files: &[FileRecord], spell: &dyn Spelling) -> Value {
    let list = file_list(files, |f| {
        json!({
            "kind": f.error_kind.map(|k| k.as_str()),
            "message": f.error_message,
            "attempts": f.attempts,
            "failures": f.failures,
            "failed_at": time_opt(f.finished_at),
            "cause": f.error_cause.map(|c| c.as_str()),
            "hint": fix_hint(f.error_kind, f.error_cause).render(spell),
        })
    });
    json!({ "files": list })
}

/// Why a completed file's size is unconfirmed.
pub const UNCONFIRMED: &str = "completed, but no listing gave its size and its format has no check of its own: a transfer cut at a line end would look the same";

/// `failed --unconfirmed`: completed files whose size nothing confirmed.
pub fn unconfirmed(files: &[FileRecord]) -> Value {
    let list = file_list(files, |f| {
        json!({
            "bytes": f.bytes_processed,
            "checksum": f.checksum,
            "completed_at": time_opt(f.finished_at),
        })
    });
    json!({ "files": list, "why": UNCONFIRMED })
}

/// `check`: whether all is well, the tables checked, each problem with its fix.
pub fn check(report: &CheckReport, spell: &dyn Spelling) -> Value {
    let problems: Vec<_> = report
        .problems
        .iter()
        .map(|l| {
            json!({"dataset": l.dataset, "kind": l.kind, "problem": l.problem, "fix": l.fix.render(spell)})
        })
        .collect();
    json!({"ok": report.ok, "tables": report.tables, "deep": report.deep, "problems": problems})
}

/// `crawl`: each dataset's listing against the tracker, and the sums.
pub fn crawl(
    source: &str,
    selection: &dwd_catalog::Selection,
    reports: &[dwd_dataset::crawl::CrawlReport],
) -> Value {
    let list: Vec<Value> = reports
        .iter()
        .map(|r| {
            json!({
                "dataset": r.dataset,
                "listed": r.listed,
                "selected": r.selected,
                "deselected": r.deselected.len(),
                "new": r.registered.new,
                "changed": r.registered.changed,
                "unchanged": r.registered.unchanged,
                "reappeared": r.registered.reappeared,
                "vanished": r.vanished.len(),
                "vanished_files": r.vanished,
            })
        })
        .collect();
    let sum = |f: fn(&tracker_core::RegisterReport) -> u64| {
        reports.iter().map(|r| f(&r.registered)).sum::<u64>()
    };
    json!({
        "source": source,
        "selection": selection.describe(),
        "datasets": list,
        "new": sum(|r| r.new),
        "changed": sum(|r| r.changed),
        "unchanged": sum(|r| r.unchanged),
        "vanished": reports.iter().map(|r| r.vanished.len()).sum::<usize>(),
    })
}

/// `datasets`: each dataset of the catalog with its periods, time rule
/// and parameters (DWD code, English name, unit, kind, descriptions).
pub fn datasets(tables: &dwd_translate::Tables, chosen: &[&dwd_catalog::Dataset]) -> Value {
    let list: Vec<_> = chosen
        .iter()
        .map(|d| {
            let parameters: Vec<_> = tables
                .parameters(d.name)
                .map(|(code, p)| {
                    json!({
                        "code": code,
                        "name": p.name,
                        "unit": p.unit,
                        "kind": p.kind,
                        "description_de": p.de,
                        "description_en": p.en,
                        "missing": p.missing,
                    })
                })
                .collect();
            json!({
                "name": d.name,
                "resolution": d.resolution.folder(),
                "title": d.title,
                "periods": d.periods.iter().map(|p| p.folder()).collect::<Vec<_>>(),
                "year_folders": d.year_folders,
                "converted": d.converted(),
                "not_converted_reason": match d.layout {
                    dwd_catalog::Layout::NotConverted(why) => Some(why),
                    dwd_catalog::Layout::Produkt => None,
                },
                "zip_prefixes": d.zips,
                "member_prefixes": d.members,
                "metadata_zip_prefix": d.metadata_zip,
                "station_lists": d.station_lists,
                "timestamps": d.resolution.timestamps(),
                "time_rule": d.resolution.time_rule(),
                "wetterdienst": d.wetterdienst,
                "parameters": parameters,
            })
        })
        .collect();
    json!({ "datasets": list })
}

/// `stations`: the dataset, the selection and each station chosen.
pub fn stations(report: &crate::StationsReport, selection: &dwd_catalog::Selection) -> Value {
    let list: Vec<Value> = report
        .stations
        .iter()
        .map(|r| {
            let s = &r.station;
            json!({
                "station_id": s.id,
                "name": s.name,
                "state": s.state,
                "latitude": s.latitude,
                "longitude": s.longitude,
                "height_m": s.height,
                "first_date": s.from.to_string(),
                "last_date": s.to.to_string(),
                "distance_km": r.distance_km,
            })
        })
        .collect();
    json!({
        "dataset": report.dataset,
        "selection": selection.describe(),
        "stations": list,
    })
}

/// Why an answer is empty, each reason a line.
fn empty(reasons: &[dwd_series::export::Empty]) -> Vec<String> {
    reasons.iter().map(ToString::to_string).collect()
}

/// `export`: where, how many stations, rows and columns, why empty.
pub fn export(output: &std::path::Path, e: &dwd_series::export::Exported) -> Value {
    json!({
        "output": output.display().to_string(),
        "stations": e.stations,
        "rows": e.rows,
        "columns": e.columns,
        "empty": empty(&e.empty),
    })
}

/// `values`: where, how many places, rows, columns and series, why empty.
pub fn values(output: &std::path::Path, v: &dwd_series::values::ValuesReport) -> Value {
    json!({
        "output": output.display().to_string(),
        "points": v.points,
        "rows": v.rows,
        "columns": v.columns,
        "series_read": v.series_read,
        "empty": empty(&v.empty),
    })
}

/// `register`: what the manifest's files were to the tracker.
pub fn register(dataset: &tracker_core::DatasetId, r: &tracker_core::RegisterReport) -> Value {
    json!({
        "dataset": dataset.as_str(),
        "new": r.new,
        "changed": r.changed,
        "unchanged": r.unchanged,
    })
}

/// `retry`: files back to pending.
pub fn retried(n: u64) -> Value {
    json!({ "retried": n })
}

/// `reset`: files back to pending.
pub fn reset(n: u64) -> Value {
    json!({ "reset": n })
}

/// `convert`: each file with its tables (the first as `output`) or its error.
pub fn convert(converted: &[crate::ConvertedFile]) -> Value {
    let files: Vec<Value> = converted
        .iter()
        .map(|c| {
            let file = c.file.display().to_string();
            match &c.result {
                Ok(written) => {
                    let outputs: Vec<Value> = written
                        .iter()
                        .map(|(out, rows)| json!({"output": out.display().to_string(), "rows": rows}))
                        .collect();
                    json!({
                        "file": file,
                        "output": written.first().map(|(o, _)| o.display().to_string()),
                        "rows": written.first().map_or(0, |(_, r)| *r),
                        "outputs": outputs,
                    })
                }
                Err(e) => json!({"file": file, "error": e}),
            }
        })
        .collect();
    json!({ "files": files })
}

/// `db vacuum`: the file's size before and after.
pub fn vacuum(before: u64, after: u64) -> Value {
    json!({ "bytes_before": before, "bytes_after": after })
}

/// `db migrate`: the schema before and after the open.
pub fn migrate(r: &tracker_sqlite::OpenReport) -> Value {
    json!({ "schema_before": r.schema_before, "schema_after": r.schema_after })
}

/// `db info`: the database's file, schema, pages and files.
pub fn db_info(i: &tracker_sqlite::DbInfo) -> Value {
    json!({
        "path": i.path.display().to_string(),
        "schema_version": i.schema_version,
        "known_schema_version": i.known_schema_version,
        "page_size": i.page_size,
        "page_count": i.page_count,
        "freelist_count": i.freelist_count,
        "db_bytes": i.db_bytes,
        "wal_bytes": i.wal_bytes,
        "files": i.files,
    })
}

/// `db check`: the read-only diagnosis.
pub fn db_check(ok: bool, messages: &[String]) -> Value {
    json!({ "ok": ok, "messages": messages })
}

#[cfg(test)]
mod tests {
    use super::fix_hint;
    use tracker_core::{FailureCause, FailureKind};

    /// The advice follows the cause, whatever the message says; without a
    /// cause (failures recorded before schema 8), the kind.
    #[test]
    fn the_advice_follows_the_cause_then_the_kind() {
        let permanent = Some(FailureKind::Permanent);
        let hint = |c| fix_hint(permanent, Some(c)).to_string();
        assert!(hint(FailureCause::Gone).contains("run(crawl)"));
        assert!(hint(FailureCause::Network).contains("retry"));
        assert!(hint(FailureCause::Machine).contains("machine"));
        assert!(hint(FailureCause::Misplaced).contains("another dataset"));
        assert!(hint(FailureCause::Content).contains("damaged"));
        assert!(
            fix_hint(Some(FailureKind::Transient), None)
                .to_string()
                .starts_with("retry(all_failed)")
        );
        assert!(
            fix_hint(permanent, None)
                .to_string()
                .contains("once the cause")
        );
        let all: std::collections::BTreeSet<String> =
            FailureCause::ALL.into_iter().map(hint).collect();
        assert_eq!(all.len(), FailureCause::ALL.len(), "one advice a cause");
    }
}
