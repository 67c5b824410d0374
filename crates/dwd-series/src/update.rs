//! Brings a dataset's series up to date after its files were processed:
//! only the series whose inputs changed since their last merge are rebuilt.
//!
//! The tracker knows which files are completed (with a checksum of each);
//! through the store trait it also keeps which files, with which checksum,
//! each series was last built from ([`ProgressStore::series_inputs`]). A
//! series is rebuilt when that set differs from the completed files of its
//! station now, or when its file is missing; a series whose station has no
//! completed file left is removed. A second run with nothing new rebuilds
//! nothing; a daily update of a few `now` files rebuilds those stations.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dwd_catalog::FileKind;
use tracker_core::{
    DatasetId, FileRecord, FileStatus, ListQuery, OutputRecord, ProgressStore, SeriesInput,
    TrackerError,
};

use crate::layout::OutputLayout;
use crate::merge::{Merged, PartTable, merge};
use crate::output::{Written, write_atomic};

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("progress store: {0}")]
    Store(#[from] TrackerError),
    #[error("interrupted")]
    Interrupted,
}

/// What an update did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateReport {
    pub stations: usize,
    pub rebuilt: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub rows: u64,
    pub overlapped: u64,
    /// Rows copied in whole row groups of their per-file table (not
    /// decoded and encoded again).
    pub copied: u64,
    /// Stations whose series could not be built, with the reason (the
    /// series keeps its last version and its inputs are not recorded, so the
    /// next run tries again).
    pub failed: Vec<(String, String)>,
    pub seconds: f64,
}

/// A station's merge: the series written and what merging did, or why not.
type MergeResult = Result<(Written, Merged), String>;

/// Every file of `dataset` in `status`, page by page.
pub fn files_in(
    store: &dyn ProgressStore,
    dataset: &DatasetId,
    status: FileStatus,
) -> Result<Vec<FileRecord>, TrackerError> {
    let query = ListQuery {
        dataset: Some(dataset.clone()),
        status,
        unconfirmed_only: false,
        after: None,
        limit: 10_000,
    };
    store.list_up_to(&query, usize::MAX)
}

/// The completed files of `dataset` still listed at the source.
pub fn completed(
    store: &dyn ProgressStore,
    dataset: &DatasetId,
) -> Result<Vec<FileRecord>, TrackerError> {
    let mut files = files_in(store, dataset, FileStatus::Completed)?;
    files.retain(|f| f.vanished_at.is_none());
    Ok(files)
}

/// The completed data files of each station (a series each).
pub fn data_files_by_station(files: &[FileRecord]) -> BTreeMap<String, Vec<&FileRecord>> {
    let mut by_station: BTreeMap<String, Vec<&FileRecord>> = BTreeMap::new();
    for f in files {
        let file_name = f.key.path().rsplit('/').next().unwrap_or(f.key.path());
        if !matches!(FileKind::of(file_name), FileKind::DataZip) {
            continue;
        }
        if let Some(station) = dwd_catalog::facts(f.key.path()).station {
            by_station.entry(station).or_default().push(f);
        }
    }
    by_station
}

/// What identifies a series' inputs now: (file, checksum), sorted.
pub fn inputs_of(recs: &[&FileRecord]) -> Vec<(String, Option<String>)> {
    let mut now: Vec<(String, Option<String>)> = recs
        .iter()
        .map(|r| (r.key.path().to_owned(), r.checksum.clone()))
        .collect();
    now.sort();
    now
}

/// `series` → its inputs as (file, checksum), sorted.
pub fn inputs_by_series(
    inputs: Vec<SeriesInput>,
) -> BTreeMap<String, Vec<(String, Option<String>)>> {
    let mut out: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    for i in inputs {
        out.entry(i.series).or_default().push((i.file, i.checksum));
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// One series to merge: its station, its inputs, what the tracker records
/// it was built from.
type Todo = (String, Vec<PartTable>, Vec<SeriesInput>);

/// The dataset's recorded tables by path.
type Recorded = HashMap<String, OutputRecord>;

/// Rebuilds the series of `dataset` whose inputs changed, on `threads`
/// threads; `should_stop` is asked between stations.
pub fn update_series(
    layout: &OutputLayout,
    dataset: &DatasetId,
    store: &dyn ProgressStore,
    threads: usize,
    depth: crate::ledger::Depth,
    naming: &crate::ledger::Naming,
    should_stop: &(dyn Fn() -> bool + Sync),
) -> Result<UpdateReport, UpdateError> {
    let started = Instant::now();
    let name = dataset.as_str();
    let files = completed(store, dataset)?;
    let by_station = data_files_by_station(&files);
    let before = inputs_by_series(store.series_inputs(dataset)?);
    let outputs: Recorded = store
        .outputs(dataset)?
        .into_iter()
        .map(|o| (o.path.clone(), o))
        .collect();
    let mut report = UpdateReport {
        stations: by_station.len(),
        ..UpdateReport::default()
    };
    let merging = Merging {
        layout,
        name,
        outputs: &outputs,
        depth,
    };
    let todo = stale(&merging, &by_station, &before, naming, &mut report);
    let (results, redo) = merge_all(&merging, &todo, threads, should_stop);
    let dir = layout.dataset(name);
    for (k, result) in results {
        let (station, _, ledger) = &todo[k];
        match result {
            Ok((w, m)) => {
                let rec = crate::ledger::record(&dir, &w, m.rows, station, Some(&naming.current));
                store.record_outputs(dataset, &[rec])?;
                store.set_series_inputs(dataset, station, ledger)?;
                report.rebuilt += 1;
                report.rows += m.rows;
                report.overlapped += m.overlapped;
                report.copied += m.copied;
                tracing::debug!(
                    dataset = name,
                    station = station.as_str(),
                    rows = m.rows,
                    overlapped = m.overlapped,
                    copied = m.copied,
                    "series merged"
                );
            }
            Err(e) => {
                tracing::warn!(dataset = name, station = station.as_str(), error = %e, "series not merged; tried again next run");
                report.failed.push((station.clone(), e));
            }
        }
    }
    if !redo.is_empty() {
        store.redo(dataset, &redo)?;
    }
    if should_stop() {
        return Err(UpdateError::Interrupted);
    }
    // stations without a completed data file any more
    for station in before.keys().filter(|s| !by_station.contains_key(*s)) {
        if station.chars().all(|c| c.is_ascii_digit()) {
            let series = layout.series(name, station);
            let _ = std::fs::remove_file(&series);
            store.forget_outputs(dataset, &[crate::ledger::relative(&dir, &series)])?;
            store.set_series_inputs(dataset, station, &[])?;
            report.removed += 1;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        dataset = name,
        stations = report.stations,
        rebuilt = report.rebuilt,
        unchanged = report.unchanged,
        removed = report.removed,
        failed = report.failed.len(),
        rows = report.rows,
        copied = report.copied,
        ms = (report.seconds * 1000.0) as u64,
        "series up to date"
    );
    Ok(report)
}

/// The series to merge again: those whose inputs differ from what the
/// tracker recorded, or whose table is missing or damaged (the rest are
/// counted unchanged); a series written under former parameter names is
/// merged again.
fn stale(
    merging: &Merging<'_>,
    by_station: &BTreeMap<String, Vec<&FileRecord>>,
    before: &BTreeMap<String, Vec<(String, Option<String>)>>,
    naming: &crate::ledger::Naming,
    report: &mut UpdateReport,
) -> Vec<Todo> {
    let Merging {
        layout,
        name,
        outputs,
        depth,
    } = *merging;
    let dir = layout.dataset(name);
    let mut todo = Vec::new();
    for (station, recs) in by_station {
        let now = inputs_of(recs);
        let target = layout.series(name, station);
        let intact = match outputs.get(&crate::ledger::relative(&dir, &target)) {
            None => false,
            Some(rec) if !naming.is_current(rec) => false,
            Some(rec) => match crate::check::usable(&dir, rec, depth) {
                Ok(()) => true,
                Err(damage) => {
                    tracing::warn!(series = %target.display(), damage = %damage, "a series is missing or damaged: merged again");
                    false
                }
            },
        };
        if before.get(station) == Some(&now) && intact {
            report.unchanged += 1;
            continue;
        }
        let inputs = recs
            .iter()
            .map(|r| PartTable {
                table: layout.part(name, r.key.path(), station, "parquet"),
                file: r.key.path().to_owned(),
                period: dwd_catalog::facts(r.key.path()).period,
                modified: r.source_modified.map(|t| t.as_millis()),
            })
            .collect();
        let ledger = now
            .into_iter()
            .map(|(file, checksum)| SeriesInput {
                series: station.clone(),
                file,
                checksum,
            })
            .collect();
        todo.push((station.clone(), inputs, ledger));
    }
    todo
}

/// Merges `todo` on `threads` threads (the tracker is written on the
/// caller's: a store handle serves one thread); the results in `todo`'s
/// order, and the files whose tables failed their check (to convert again).
fn merge_all(
    merging: &Merging<'_>,
    todo: &[Todo],
    threads: usize,
    should_stop: &(dyn Fn() -> bool + Sync),
) -> (Vec<(usize, MergeResult)>, Vec<String>) {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, MergeResult)>> = Mutex::new(Vec::new());
    let redo: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, 16) {
            s.spawn(|| {
                while !should_stop() {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((station, inputs, _)) = todo.get(k) else {
                        return;
                    };
                    let result = merge_one(merging, station, inputs);
                    if let Err((Some(file), _)) = &result {
                        redo.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(file.clone());
                    }
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((k, result.map_err(|(_, why)| why)));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(k, _)| *k);
    (
        results,
        redo.into_inner().unwrap_or_else(|p| p.into_inner()),
    )
}

/// What every station's merge shares: where, which dataset, the recorded
/// tables and how closely they are checked before they are read.
struct Merging<'a> {
    layout: &'a OutputLayout,
    name: &'a str,
    outputs: &'a Recorded,
    depth: crate::ledger::Depth,
}

/// One station's series merged and written; an error names the input file
/// to convert again when its table failed its check.
fn merge_one(
    merging: &Merging<'_>,
    station: &str,
    inputs: &[PartTable],
) -> Result<(Written, Merged), (Option<String>, String)> {
    let Merging {
        layout,
        name,
        outputs,
        depth,
    } = *merging;
    let dir = layout.dataset(name);
    // every input checked against its record before it is read
    let bad = inputs.iter().find_map(|i| {
        let rel = crate::ledger::relative(&dir, &i.table);
        let damage = match outputs.get(&rel) {
            None => Err(crate::ledger::Damage::Missing),
            Some(rec) => crate::check::usable(&dir, rec, depth),
        };
        damage.err().map(|d| (i, d))
    });
    if let Some((input, damage)) = bad {
        let why = format!(
            "the table of {} ({}) is {damage}: the file is converted again by the next run of {name}",
            input.file,
            input.table.display()
        );
        return Err((Some(input.file.clone()), why));
    }
    let extra = [
        ("dataset".to_owned(), name.to_owned()),
        ("station".to_owned(), station.to_owned()),
    ];
    let mut merged = None;
    let written = write_atomic(&layout.series(name, station), |w| {
        merged = Some(merge(inputs.to_vec(), &extra, w)?);
        Ok::<(), crate::merge::MergeError>(())
    });
    match (written, merged) {
        (Ok(w), Some(m)) => Ok((w, m)),
        (Err(e), _) => Err((None, e.to_string())),
        (Ok(_), None) => Err((None, "nothing merged".to_owned())),
    }
}
