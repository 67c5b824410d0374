//! The reports: one `Serialize` struct each, what `climastation --json`
//! prints, what the Python module returns (as typed objects whose
//! `to_dict()` is this shape) and what the HTTP API will answer. Each is
//! built from the library's own results by its `new`; keys in README.

use serde::Serialize;
use tracker_core::{FailureCause, FailureKind, FileRecord, StatusCounts, Timestamp};

use crate::fix::{Fix, Spelling, Step};
use crate::{CheckReport, StatusRow};

/// RFC 3339 UTC, or the raw milliseconds if out of range.
pub fn time(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.as_millis())
        .map(|ts| ts.to_string())
        .unwrap_or_else(|_| t.as_millis().to_string())
}

fn time_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(time)
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

/// A failure as `run` reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunFailure {
    pub path: String,
    pub kind: &'static str,
    pub cause: Option<&'static str>,
    pub message: String,
}

/// `run`: one dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunDataset {
    pub dataset: String,
    pub completed: u64,
    pub failed: Vec<RunFailure>,
    pub retried: u64,
    pub released: u64,
    /// Why the dataset stopped before its end.
    pub stopped: Option<String>,
    pub bytes: u64,
    pub wall_seconds: f64,
    pub processing_seconds: f64,
    pub tracker_seconds: f64,
}

/// `run`: each dataset's counts, failures and times, and the exit code.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Run {
    pub datasets: Vec<RunDataset>,
    pub exit_code: i32,
}

impl Run {
    pub fn new(report: &pipeline::RunReport, exit_code: i32) -> Run {
        let datasets = report
            .datasets
            .iter()
            .map(|d| RunDataset {
                dataset: d.dataset.as_str().to_owned(),
                completed: d.completed,
                failed: d
                    .failed
                    .iter()
                    .map(|f| RunFailure {
                        path: f.key.path().to_owned(),
                        kind: f.kind.as_str(),
                        cause: f.cause.map(|c| c.as_str()),
                        message: f.message.clone(),
                    })
                    .collect(),
                retried: d.retried,
                released: d.released,
                stopped: d.stopped.as_ref().map(stop_text),
                bytes: d.stats.bytes,
                wall_seconds: d.stats.wall.as_secs_f64(),
                processing_seconds: d.stats.processing.as_secs_f64(),
                tracker_seconds: d.stats.tracker.as_secs_f64(),
            })
            .collect();
        Run {
            datasets,
            exit_code,
        }
    }
}

/// Files per status.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub pending: u64,
    pub processing: u64,
    pub completed: u64,
    pub failed: u64,
    pub vanished: u64,
}

impl From<&StatusCounts> for Counts {
    fn from(c: &StatusCounts) -> Counts {
        Counts {
            pending: c.pending,
            processing: c.processing,
            completed: c.completed,
            failed: c.failed,
            vanished: c.vanished,
        }
    }
}

/// A worker holding claims.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerClaims {
    pub worker: String,
    pub claims: u64,
}

/// The claim held longest.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OldestClaim {
    pub path: String,
    pub claimed_at: String,
}

/// The dataset's last failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastFailure {
    pub path: String,
    pub kind: Option<&'static str>,
    pub cause: Option<&'static str>,
    pub message: Option<String>,
    pub at: Option<String>,
    /// What mends it, in the front end's words.
    pub fix: String,
}

/// `status`: one dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusDataset {
    pub dataset: String,
    pub counts: Counts,
    pub total: u64,
    pub rate_per_min: f64,
    pub eta_seconds: Option<f64>,
    pub workers: Vec<WorkerClaims>,
    pub oldest_claim: Option<OldestClaim>,
    pub last_failure: Option<LastFailure>,
    /// What the dataset was last crawled with.
    pub selection: Option<String>,
}

/// `status`: each dataset's counts, rate, ETA, workers, oldest claim, last
/// failure and selection; the totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    pub datasets: Vec<StatusDataset>,
    pub totals: Counts,
    pub total: u64,
}

impl Status {
    /// The report of `rows`; a failure's fix spelled by `spell`.
    pub fn new(rows: &[StatusRow], spell: &dyn Spelling) -> Status {
        let mut totals = StatusCounts::default();
        let datasets = rows
            .iter()
            .map(|r| {
                let c = &r.summary.counts;
                totals.pending += c.pending;
                totals.processing += c.processing;
                totals.completed += c.completed;
                totals.failed += c.failed;
                totals.vanished += c.vanished;
                let a = &r.activity;
                StatusDataset {
                    dataset: r.summary.dataset.as_str().to_owned(),
                    counts: c.into(),
                    total: c.total(),
                    rate_per_min: (r.rate_per_min * 10.0).round() / 10.0,
                    eta_seconds: r.eta_seconds().map(f64::round),
                    workers: a
                        .workers
                        .iter()
                        .map(|(w, n)| WorkerClaims {
                            worker: w.as_str().to_owned(),
                            claims: *n,
                        })
                        .collect(),
                    oldest_claim: a.oldest_claim.as_ref().map(|(k, at)| OldestClaim {
                        path: k.path().to_owned(),
                        claimed_at: time(*at),
                    }),
                    last_failure: a.last_failure.as_ref().map(|f| LastFailure {
                        path: f.key.path().to_owned(),
                        kind: f.kind.map(|k| k.as_str()),
                        cause: f.cause.map(|c| c.as_str()),
                        message: f.message.clone(),
                        at: time_opt(f.at),
                        fix: fix_hint(f.kind, f.cause).render(spell),
                    }),
                    selection: r.selection.clone(),
                }
            })
            .collect();
        Status {
            datasets,
            totals: (&totals).into(),
            total: totals.total(),
        }
    }
}

/// `failed`: a file that failed for good, with its error and the fix.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedFile {
    pub dataset: String,
    pub path: String,
    pub kind: Option<&'static str>,
    pub message: Option<String>,
    pub attempts: u32,
    pub failures: u32,
    pub failed_at: Option<String>,
    pub cause: Option<&'static str>,
    /// What fixes it, in the front end's words.
    pub hint: String,
}

/// `failed`: each failed file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Failed {
    pub files: Vec<FailedFile>,
}

impl Failed {
    pub fn new(files: &[FileRecord], spell: &dyn Spelling) -> Failed {
        let files = files
            .iter()
            .map(|f| FailedFile {
                dataset: f.key.dataset.as_str().to_owned(),
                path: f.key.path().to_owned(),
                kind: f.error_kind.map(|k| k.as_str()),
                message: f.error_message.clone(),
                attempts: f.attempts,
                failures: f.failures,
                failed_at: time_opt(f.finished_at),
                cause: f.error_cause.map(|c| c.as_str()),
                hint: fix_hint(f.error_kind, f.error_cause).render(spell),
            })
            .collect();
        Failed { files }
    }
}

/// Why a completed file's size is unconfirmed.
pub const UNCONFIRMED: &str = "completed, but no listing gave its size and its format has no check of its own: a transfer cut at a line end would look the same";

/// `failed --unconfirmed`: a completed file whose size nothing confirmed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnconfirmedFile {
    pub dataset: String,
    pub path: String,
    pub bytes: Option<u64>,
    pub checksum: Option<String>,
    pub completed_at: Option<String>,
}

/// `failed --unconfirmed`: the files, and why each is listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unconfirmed {
    pub files: Vec<UnconfirmedFile>,
    pub why: &'static str,
}

impl Unconfirmed {
    pub fn new(files: &[FileRecord]) -> Unconfirmed {
        let files = files
            .iter()
            .map(|f| UnconfirmedFile {
                dataset: f.key.dataset.as_str().to_owned(),
                path: f.key.path().to_owned(),
                bytes: f.bytes_processed,
                checksum: f.checksum.clone(),
                completed_at: time_opt(f.finished_at),
            })
            .collect();
        Unconfirmed {
            files,
            why: UNCONFIRMED,
        }
    }
}

/// `check`: one problem and what mends it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `None` for the tracker and the catalog.
    pub dataset: Option<String>,
    /// `missing`, `damaged`, `unrecorded`, `no_tables`, `temp`, `tracker`.
    pub kind: &'static str,
    pub problem: String,
    /// The fix, in the front end's words.
    pub fix: String,
}

/// `check`: whether all is well, the tables checked, each problem with its fix.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    pub ok: bool,
    pub tables: usize,
    pub deep: bool,
    pub problems: Vec<Problem>,
}

impl Check {
    pub fn new(report: &CheckReport, spell: &dyn Spelling) -> Check {
        Check {
            ok: report.ok,
            tables: report.tables,
            deep: report.deep,
            problems: report
                .problems
                .iter()
                .map(|l| Problem {
                    dataset: l.dataset.clone(),
                    kind: l.kind,
                    problem: l.problem.clone(),
                    fix: l.fix.render(spell),
                })
                .collect(),
        }
    }
}

/// `crawl`: one dataset's listing against the tracker.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrawlDataset {
    pub dataset: String,
    pub listed: usize,
    pub selected: usize,
    pub deselected: usize,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub reappeared: u64,
    pub vanished: usize,
    pub vanished_files: Vec<String>,
}

/// `crawl`: each dataset's listing against the tracker, and the sums.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Crawl {
    pub source: String,
    pub selection: String,
    pub datasets: Vec<CrawlDataset>,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub vanished: usize,
}

impl Crawl {
    pub fn new(
        source: &str,
        selection: &dwd_catalog::Selection,
        reports: &[dwd_dataset::crawl::CrawlReport],
    ) -> Crawl {
        let sum = |f: fn(&tracker_core::RegisterReport) -> u64| {
            reports.iter().map(|r| f(&r.registered)).sum::<u64>()
        };
        Crawl {
            source: source.to_owned(),
            selection: selection.describe(),
            datasets: reports
                .iter()
                .map(|r| CrawlDataset {
                    dataset: r.dataset.clone(),
                    listed: r.listed,
                    selected: r.selected,
                    deselected: r.deselected.len(),
                    new: r.registered.new,
                    changed: r.registered.changed,
                    unchanged: r.registered.unchanged,
                    reappeared: r.registered.reappeared,
                    vanished: r.vanished.len(),
                    vanished_files: r.vanished.clone(),
                })
                .collect(),
            new: sum(|r| r.new),
            changed: sum(|r| r.changed),
            unchanged: sum(|r| r.unchanged),
            vanished: reports.iter().map(|r| r.vanished.len()).sum(),
        }
    }
}

/// `datasets`: a parameter (DWD code, English name, unit, kind, descriptions).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetParameter {
    pub code: String,
    pub name: String,
    /// The name it had before it said what a value is (a former name, still
    /// accepted with a warning); null when it kept its name.
    pub former_name: Option<String>,
    pub unit: String,
    /// `number`, `code` or `text`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: dwd_catalog::ColumnKind,
    pub description_de: String,
    pub description_en: String,
    /// Values besides -999 that DWD uses to say "none", and what each means.
    pub missing: std::collections::BTreeMap<String, String>,
    /// What a value is (`point`: a reading at one moment, `mean`, `sum`,
    /// `max`, `min`, `mean_of_daily_max`, …, `count`, `code`, `text`);
    /// null for quality levels.
    pub statistic: Option<&'static str>,
    /// The time it covers: `instant` (the stamp) or the interval ending
    /// at the stamp (`10 minutes`, `1 hour`, `1 day`, `1 month`, …).
    pub span: Option<&'static str>,
    /// The CF standard name, where CF has one.
    pub standard_name: Option<String>,
    /// The CF cell methods (`time: point`, `time: mean (interval: 1 day)`).
    pub cell_methods: Option<String>,
}

/// `datasets`: a dataset of the catalog with its periods, time rule and
/// parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetInfo {
    pub name: &'static str,
    pub resolution: &'static str,
    pub title: &'static str,
    pub periods: Vec<&'static str>,
    pub year_folders: bool,
    pub converted: bool,
    pub not_converted_reason: Option<&'static str>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub zip_prefixes: &'static [&'static str],
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub member_prefixes: &'static [&'static str],
    pub metadata_zip_prefix: Option<&'static str>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub station_lists: &'static [&'static str],
    pub timestamps: &'static str,
    pub time_rule: &'static str,
    pub wetterdienst: Option<&'static str>,
    pub parameters: Vec<DatasetParameter>,
}

/// `datasets`: the catalog's datasets chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Datasets {
    pub datasets: Vec<DatasetInfo>,
}

impl Datasets {
    pub fn new(tables: &dwd_translate::Tables, chosen: &[&dwd_catalog::Dataset]) -> Datasets {
        let datasets = chosen
            .iter()
            .map(|d| DatasetInfo {
                name: d.name,
                resolution: d.resolution.folder(),
                title: d.title,
                periods: d.periods.iter().map(|p| p.folder()).collect(),
                year_folders: d.year_folders,
                converted: d.converted(),
                not_converted_reason: match d.layout {
                    dwd_catalog::Layout::NotConverted(why) => Some(why),
                    dwd_catalog::Layout::Produkt => None,
                },
                zip_prefixes: d.zips,
                member_prefixes: d.members,
                metadata_zip_prefix: d.metadata_zip,
                station_lists: d.station_lists,
                timestamps: d.resolution.timestamps(),
                time_rule: d.resolution.time_rule(),
                wetterdienst: d.wetterdienst,
                parameters: tables
                    .parameters(d.name)
                    .map(|(code, p)| {
                        let what = p.what();
                        DatasetParameter {
                            code: code.to_owned(),
                            name: p.name.clone(),
                            former_name: p.was.clone(),
                            unit: p.unit.clone(),
                            kind: p.kind,
                            description_de: p.de.clone(),
                            description_en: p.en.clone(),
                            missing: p.missing.clone(),
                            statistic: what.as_ref().map(|w| w.stat.as_str()),
                            span: what.as_ref().map(|w| w.span.as_str()),
                            standard_name: what.as_ref().and_then(|w| w.standard_name.clone()),
                            cell_methods: what.and_then(|w| w.cell_methods),
                        }
                    })
                    .collect(),
            })
            .collect();
        Datasets { datasets }
    }
}

/// `stations`: a station chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Station {
    pub station_id: u32,
    pub name: String,
    pub state: String,
    pub latitude: f64,
    pub longitude: f64,
    pub height_m: Option<f64>,
    pub first_date: String,
    pub last_date: String,
    /// From the selection's place, when it has one.
    pub distance_km: Option<f64>,
    /// Listed from a converted archive: the rows of the station's merged
    /// series as the output ledger records them (0: the station has none).
    /// Absent from a listing of the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_rows: Option<u64>,
}

/// `stations`: the dataset, the selection and each station chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stations {
    pub dataset: String,
    pub selection: String,
    pub stations: Vec<Station>,
}

impl Stations {
    pub fn new(report: &crate::StationsReport, selection: &dwd_catalog::Selection) -> Stations {
        Stations {
            dataset: report.dataset.clone(),
            selection: selection.describe(),
            stations: report
                .stations
                .iter()
                .map(|r| {
                    let s = &r.station;
                    Station {
                        station_id: s.id,
                        name: s.name.clone(),
                        state: s.state.clone(),
                        latitude: s.latitude,
                        longitude: s.longitude,
                        height_m: Some(s.height),
                        first_date: s.from.to_string(),
                        last_date: s.to.to_string(),
                        distance_km: r.distance_km,
                        series_rows: None,
                    }
                })
                .collect(),
        }
    }
}

impl Stations {
    /// The stations of a converted dataset's list, each with its distance
    /// from the selection's place.
    pub fn listed(
        dataset: &str,
        selection: &dwd_catalog::Selection,
        chosen: &[(Option<f64>, dwd_series::export::ListedStation)],
        series_rows: &std::collections::HashMap<u32, u64>,
    ) -> Stations {
        Stations {
            dataset: dataset.to_owned(),
            selection: selection.describe(),
            stations: chosen
                .iter()
                .map(|(distance_km, s)| Station {
                    station_id: s.info.id,
                    name: s.info.name.clone(),
                    state: s.info.state.clone(),
                    latitude: s.info.latitude,
                    longitude: s.info.longitude,
                    height_m: s.height_m,
                    first_date: s.info.from.to_string(),
                    last_date: s.info.to.to_string(),
                    distance_km: *distance_km,
                    series_rows: Some(series_rows.get(&s.info.id).copied().unwrap_or(0)),
                })
                .collect(),
        }
    }
}

/// Which years a station's converted series cover, dataset by dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    pub station_id: u32,
    /// Each dataset with a series of the station, in the catalog's order.
    pub datasets: Vec<DatasetCoverage>,
    /// Why `datasets` is empty, when it is.
    pub empty: Vec<String>,
}

/// One dataset's series of a station: its rows in all and per UTC year
/// (years without rows are not listed).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetCoverage {
    pub dataset: String,
    pub resolution: String,
    pub rows: u64,
    pub years: Vec<YearRows>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearRows {
    pub year: i16,
    pub rows: u64,
}

/// Why an answer is empty, each reason a line.
pub fn empty(reasons: &[dwd_series::export::Empty]) -> Vec<String> {
    reasons.iter().map(ToString::to_string).collect()
}

/// `export`: where, how many stations, rows and columns, why empty.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Export {
    pub output: String,
    pub stations: usize,
    pub rows: u64,
    pub columns: Vec<String>,
    pub empty: Vec<String>,
    /// Parameters asked by a former name: what each is called now.
    pub renamed: Vec<String>,
}

impl Export {
    pub fn new(output: &std::path::Path, e: &dwd_series::export::Exported) -> Export {
        Export {
            output: output.display().to_string(),
            stations: e.stations,
            rows: e.rows,
            columns: e.columns.clone(),
            empty: empty(&e.empty),
            renamed: e.renamed.iter().map(ToString::to_string).collect(),
        }
    }
}

/// `values`: where, how many places, rows, columns and series, why empty.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Values {
    pub output: String,
    pub points: usize,
    pub rows: u64,
    pub columns: Vec<String>,
    pub series_read: usize,
    pub empty: Vec<String>,
    /// Parameters asked by a former name: what each is called now.
    pub renamed: Vec<String>,
}

impl Values {
    pub fn new(output: &std::path::Path, v: &dwd_series::values::ValuesReport) -> Values {
        Values {
            output: output.display().to_string(),
            points: v.points,
            rows: v.rows,
            columns: v.columns.clone(),
            series_read: v.series_read,
            empty: empty(&v.empty),
            renamed: v.renamed.iter().map(ToString::to_string).collect(),
        }
    }
}

/// `register`: what the manifest's files were to the tracker.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Register {
    pub dataset: String,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
}

impl Register {
    pub fn new(dataset: &tracker_core::DatasetId, r: &tracker_core::RegisterReport) -> Register {
        Register {
            dataset: dataset.as_str().to_owned(),
            new: r.new,
            changed: r.changed,
            unchanged: r.unchanged,
        }
    }
}

/// `retry`: files back to pending.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retried {
    pub retried: u64,
}

/// `reset`: files back to pending.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reset {
    pub reset: u64,
}

/// `convert`: a table written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConvertedTable {
    pub output: String,
    pub rows: usize,
}

/// `convert`: one file with its tables (the first as `output`) or its error.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ConvertFile {
    Done {
        file: String,
        output: Option<String>,
        rows: usize,
        outputs: Vec<ConvertedTable>,
    },
    Failed {
        file: String,
        error: String,
    },
}

/// `convert`: each file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Convert {
    pub files: Vec<ConvertFile>,
}

impl Convert {
    pub fn new(converted: &[crate::ConvertedFile]) -> Convert {
        let files = converted
            .iter()
            .map(|c| {
                let file = c.file.display().to_string();
                match &c.result {
                    Ok(written) => ConvertFile::Done {
                        file,
                        output: written.first().map(|(o, _)| o.display().to_string()),
                        rows: written.first().map_or(0, |(_, r)| *r),
                        outputs: written
                            .iter()
                            .map(|(out, rows)| ConvertedTable {
                                output: out.display().to_string(),
                                rows: *rows,
                            })
                            .collect(),
                    },
                    Err(e) => ConvertFile::Failed {
                        file,
                        error: e.clone(),
                    },
                }
            })
            .collect();
        Convert { files }
    }
}

/// `db vacuum`: the file's size before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vacuum {
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// `db migrate`: the schema before and after the open.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Migrate {
    pub schema_before: i64,
    pub schema_after: i64,
}

impl Migrate {
    pub fn new(r: &tracker_sqlite::OpenReport) -> Migrate {
        Migrate {
            schema_before: r.schema_before,
            schema_after: r.schema_after,
        }
    }
}

/// `db info`: the database's file, schema, pages and files.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DbInfo {
    pub path: String,
    pub schema_version: i64,
    pub known_schema_version: i64,
    pub page_size: i64,
    pub page_count: i64,
    pub freelist_count: i64,
    pub db_bytes: u64,
    pub wal_bytes: u64,
    pub files: u64,
}

impl DbInfo {
    pub fn new(i: &tracker_sqlite::DbInfo) -> DbInfo {
        DbInfo {
            path: i.path.display().to_string(),
            schema_version: i.schema_version,
            known_schema_version: i.known_schema_version,
            page_size: i.page_size,
            page_count: i.page_count,
            freelist_count: i.freelist_count,
            db_bytes: i.db_bytes,
            wal_bytes: i.wal_bytes,
            files: i.files,
        }
    }
}

/// `db check`: the read-only diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DbCheck {
    pub ok: bool,
    pub messages: Vec<String>,
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
