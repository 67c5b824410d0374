//! A dataset's outputs against the output ledger and the disk: what `run`
//! repairs before it uses them (`files_to_redo`, `usable`) and what
//! `climastation check` reports (`check_dataset`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use dwd_catalog::FileKind;
use tracker_core::{DatasetId, FileRecord, OutputRecord, ProgressStore, TrackerError};

use crate::ledger::{Damage, Depth, Naming, check};

/// The check before a table is used: cheap (size and time) in every run,
/// deep (the content hashed) in a run that verifies its outputs.
pub fn usable(dataset_dir: &Path, rec: &OutputRecord, depth: Depth) -> Result<(), Damage> {
    check(dataset_dir, rec, depth)
}

/// Whether a completed file makes tables under the `dwd` processor.
fn makes_tables(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    FileKind::of(name) != FileKind::Other
}

/// The completed files whose tables are missing, damaged or were never
/// recorded (at `depth`), each named once with a warning for damage.
pub fn files_to_redo(
    dataset_dir: &Path,
    completed: &[FileRecord],
    outputs: &[OutputRecord],
    depth: Depth,
    naming: &Naming,
) -> Vec<String> {
    let mut by_source: HashMap<&str, Vec<&OutputRecord>> = HashMap::new();
    for o in outputs {
        by_source.entry(o.built_from.as_str()).or_default().push(o);
    }
    let mut redo = Vec::new();
    let mut unrecorded = 0usize;
    let mut renamed = 0usize;
    for f in completed {
        let path = f.key.path();
        if !makes_tables(path) {
            continue;
        }
        match by_source.get(path) {
            None => {
                unrecorded += 1;
                redo.push(path.to_owned());
            }
            Some(recs) if recs.iter().any(|r| !naming.is_current(r)) => {
                renamed += 1;
                redo.push(path.to_owned());
            }
            Some(recs) => {
                if let Some((rec, damage)) = recs
                    .iter()
                    .find_map(|r| usable(dataset_dir, r, depth).err().map(|d| (r, d)))
                {
                    tracing::warn!(table = %dataset_dir.join(&rec.path).display(), damage = %damage, file = path, "a table is missing or damaged: its file is converted again");
                    redo.push(path.to_owned());
                }
            }
        }
    }
    if renamed > 0 {
        tracing::info!(folder = %dataset_dir.display(), files = renamed, "tables written under parameter names renamed since are converted again");
    }
    if unrecorded > 0 {
        tracing::info!(folder = %dataset_dir.display(), files = unrecorded, "completed files without recorded tables are converted again");
    }
    redo
}

/// What `check` found wrong with one output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A recorded table that does not match its record.
    Damaged { path: PathBuf, damage: Damage },
    /// A completed file that makes tables but has none recorded.
    NoTables { file: String },
    /// A table under the dataset's folder that the ledger does not know.
    Unrecorded { path: PathBuf },
    /// A temp file of a process that is gone.
    LeftoverTemp { path: PathBuf },
    /// A series built from other files than its station's completed ones.
    Stale { path: PathBuf },
    /// Tables of a data folder written before the output ledger (an earlier
    /// version): nothing records them, so none is served until a run has
    /// converted the dataset's files again and recorded what it wrote.
    EarlierVersion { tables: usize, files: usize },
    /// Tables written under parameter names renamed since (a reading is no
    /// longer named a mean): not served until a run converted their files
    /// again.
    EarlierNames { tables: usize },
}

impl Problem {
    /// What is wrong, in a line.
    pub fn describe(&self) -> String {
        match self {
            Problem::Damaged { path, damage } => format!("{}: {damage}", path.display()),
            Problem::NoTables { file } => format!("{file}: completed, but no table is recorded"),
            Problem::Unrecorded { path } => {
                format!(
                    "{}: not in the output ledger (not written by a run)",
                    path.display()
                )
            }
            Problem::LeftoverTemp { path } => {
                format!("{}: a temp file of a process that is gone", path.display())
            }
            Problem::Stale { path } => format!(
                "{}: stale: built from other files than its station's completed ones",
                path.display()
            ),
            Problem::EarlierNames { tables } => format!(
                "{tables} table(s) carry parameter names renamed since (see README, \"What a value is\"): none is served until a run has converted their files again under the current names"
            ),
            Problem::EarlierVersion { tables, files } => format!(
                "{tables} table(s) were written by an earlier version of ClimaStation, before the output ledger recorded each table: they are kept, and none is served until a run has converted the dataset's {files} completed file(s) again and recorded what it wrote"
            ),
        }
    }

    /// Short name of the kind, for JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Damaged {
                damage: Damage::Missing,
                ..
            } => "missing",
            Problem::Damaged { .. } => "damaged",
            Problem::NoTables { .. } => "no_tables",
            Problem::Unrecorded { .. } => "unrecorded",
            Problem::LeftoverTemp { .. } => "temp",
            Problem::Stale { .. } => "stale",
            Problem::EarlierVersion { .. } => "earlier_version",
            Problem::EarlierNames { .. } => "earlier_names",
        }
    }
}

/// One dataset's outputs checked.
#[derive(Clone, Debug, Default)]
pub struct DatasetCheck {
    pub dataset: String,
    /// Tables recorded and checked.
    pub tables: usize,
    pub problems: Vec<Problem>,
}

/// Checks every recorded table of `dataset` (cheaply or deeply), that
/// every completed file that makes tables has them, and looks for tables
/// nobody recorded and temp files of dead processes under its folder.
pub fn check_dataset(
    layout: &crate::OutputLayout,
    dataset: &DatasetId,
    store: &dyn ProgressStore,
    depth: Depth,
    naming: &Naming,
) -> Result<DatasetCheck, TrackerError> {
    let dir = layout.dataset(dataset.as_str());
    // no writer between renaming a table and recording it meanwhile
    let _lock = read_lock(&dir, None)?;
    let outputs = store.outputs(dataset)?;
    let completed = crate::update::completed(store, dataset)?;
    let mut report = DatasetCheck {
        dataset: dataset.as_str().to_owned(),
        tables: outputs.len(),
        problems: Vec::new(),
    };
    for o in &outputs {
        if let Err(damage) = check(&dir, o, depth) {
            report.problems.push(Problem::Damaged {
                path: dir.join(&o.path),
                damage,
            });
        }
    }
    let sources: HashSet<&str> = outputs.iter().map(|o| o.built_from.as_str()).collect();
    // only a dataset converted by `dwd` has tables: a dataset without any
    // recorded table was run with `verify` or `download`
    if !outputs.is_empty() {
        for f in &completed {
            if makes_tables(f.key.path()) && !sources.contains(f.key.path()) {
                report.problems.push(Problem::NoTables {
                    file: f.key.path().to_owned(),
                });
            }
        }
    }
    // series built from other files than the station's completed ones now
    let built = crate::update::inputs_by_series(store.series_inputs(dataset)?);
    let by_station = crate::update::data_files_by_station(&completed);
    for o in outputs.iter().filter(|o| o.path.starts_with("series/")) {
        let now = by_station
            .get(&o.built_from)
            .map(|recs| crate::update::inputs_of(recs))
            .unwrap_or_default();
        if built.get(&o.built_from) != Some(&now) {
            report.problems.push(Problem::Stale {
                path: dir.join(&o.path),
            });
        }
    }
    let recorded: HashSet<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
    let temps: HashSet<PathBuf> = crate::output::stale_temps(&dir).into_iter().collect();
    for path in tables_below(&dir) {
        let rel = crate::ledger::relative(&dir, &path);
        if temps.contains(&path) {
            report.problems.push(Problem::LeftoverTemp { path });
        } else if !recorded.contains(rel.as_str()) && !is_cache(&rel) && !is_live_temp(&rel) {
            report.problems.push(Problem::Unrecorded { path });
        }
    }
    earlier_names(&outputs, naming, &mut report.problems);
    earlier_version(&outputs, &completed, &mut report.problems);
    Ok(report)
}

/// The recorded tables written under names renamed since: one problem
/// (what a run does about them), not one line each.
fn earlier_names<'a>(
    outputs: impl IntoIterator<Item = &'a OutputRecord>,
    naming: &Naming,
    problems: &mut Vec<Problem>,
) {
    let tables = outputs
        .into_iter()
        .filter(|o| !naming.is_current(o))
        .count();
    if tables > 0 {
        problems.push(Problem::EarlierNames { tables });
    }
}

/// A dataset with completed files that make tables, tables of a run's
/// names on disk and none recorded: its folder was written by a version
/// before the output ledger. Those tables are one problem (what a run
/// does about them), not one "unrecorded" line each.
fn earlier_version(
    outputs: &[OutputRecord],
    completed: &[FileRecord],
    problems: &mut Vec<Problem>,
) {
    let files = completed
        .iter()
        .filter(|f| makes_tables(f.key.path()))
        .count();
    if !outputs.is_empty() || files == 0 {
        return;
    }
    let before = problems.len();
    problems.retain(|p| !matches!(p, Problem::Unrecorded { path } if is_run_output(path)));
    let tables = before - problems.len();
    if tables > 0 {
        problems.push(Problem::EarlierVersion { tables, files });
    }
}

/// Whether `path` (below a dataset's folder) has a name a run writes:
/// a table (`.parquet`, `.csv`, `.jsonl`) under `series/`, `metadata/`, a
/// period folder, or the merged station list.
fn is_run_output(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let table = [".parquet", ".csv", ".jsonl"]
        .iter()
        .any(|ext| name.ends_with(ext));
    if !table {
        return false;
    }
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match parent.as_str() {
        // a series is named by its station id
        "series" => name
            .strip_suffix(".parquet")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())),
        _ => true,
    }
}

/// The dataset's lock, shared, when its folder exists (a reader waits for a
/// writer of its outputs: as long as it takes, or at most `wait`).
fn read_lock(
    dir: &Path,
    wait: Option<std::time::Duration>,
) -> Result<Option<crate::ledger::DatasetLock>, TrackerError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    match wait {
        None => crate::ledger::lock_dataset_shared(dir, &|| false),
        Some(w) => crate::ledger::lock_dataset_shared_within(dir, w),
    }
    .map(Some)
    .map_err(|e| TrackerError::Backend(Box::new(e)))
}

/// The metadata merge's by-file cache is rebuilt from the zips whenever it
/// is unreadable; it is not a table anyone is served.
pub(crate) fn is_cache(rel: &str) -> bool {
    rel.starts_with("parts/metadata_by_file/")
}

/// A temp file of a live process (being written now).
fn is_live_temp(rel: &str) -> bool {
    rel.ends_with(".tmp")
}

/// Every file below `dir` but the dataset lock.
fn tables_below(dir: &Path) -> Vec<PathBuf> {
    let lock = crate::ledger::lock_path(dir);
    let mut files = crate::output::files_below(dir, true);
    files.retain(|p| *p != lock);
    files
}

/// The tables of `dataset` that are served (series, the merged station
/// list, the metadata tables): each file there must be recorded and pass
/// the cheap check before an export or the catalog reads it. Returns what
/// is wrong; empty when every served table is what a run wrote.
///
/// `wait`: how long to wait for a writer of the dataset's outputs (a run)
/// before giving up; `None`: as long as it takes.
pub fn served_problems(
    layout: &crate::OutputLayout,
    dataset: &DatasetId,
    store: &dyn ProgressStore,
    wait: Option<std::time::Duration>,
    naming: &Naming,
) -> Result<Vec<Problem>, TrackerError> {
    let dir = layout.dataset(dataset.as_str());
    let _lock = read_lock(&dir, wait)?;
    let outputs: HashMap<String, OutputRecord> = store
        .outputs(dataset)?
        .into_iter()
        .map(|o| (o.path.clone(), o))
        .collect();
    let mut served: Vec<PathBuf> = Vec::new();
    for sub in ["series", "metadata"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            served.extend(entries.flatten().map(|e| e.path()));
        }
    }
    for ext in ["parquet", "csv", "jsonl"] {
        for p in [
            layout.stations(dataset.as_str(), ext),
            layout.normals(dataset.as_str(), ext),
        ] {
            if p.exists() {
                served.push(p);
            }
        }
    }
    // recorded served tables that are gone
    let mut served: std::collections::BTreeSet<PathBuf> = served.into_iter().collect();
    for (rel, _) in outputs.iter().filter(|(r, _)| {
        r.starts_with("series/")
            || r.starts_with("metadata/")
            || r.starts_with("stations.")
            || r.starts_with("normals.")
    }) {
        served.insert(dir.join(rel));
    }
    let mut problems = Vec::new();
    for path in served {
        let rel = crate::ledger::relative(&dir, &path);
        if is_live_temp(&rel) {
            continue;
        }
        match outputs.get(&rel) {
            None => problems.push(Problem::Unrecorded { path }),
            Some(rec) => {
                if let Err(damage) = usable(&dir, rec, Depth::Cheap) {
                    problems.push(Problem::Damaged { path, damage });
                }
            }
        }
    }
    // the served tables with parameter columns (per-file tables are not served)
    let served_tables = outputs
        .values()
        .filter(|o| o.path.starts_with("series/") || o.path.starts_with("normals."));
    earlier_names(served_tables, naming, &mut problems);
    if outputs.is_empty() && !problems.is_empty() {
        let completed = crate::update::completed(store, dataset)?;
        earlier_version(&[], &completed, &mut problems);
    }
    Ok(problems)
}
