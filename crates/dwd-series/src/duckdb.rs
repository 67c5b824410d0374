//! `<output>/catalog.sql`: DuckDB views over everything under `paths.output`,
//! so that `duckdb -init data/output/catalog.sql` opens a ready database.
//!
//! - `"<dataset>"` (`"hourly/air_temperature"`): the dataset's series, every
//!   station (`series/*.parquet`, columns united by name);
//! - `"<dataset>/stations"` and `"<dataset>/metadata/<kind>"`;
//! - `"<resolution>"` (`"hourly"`): one wide view a resolution, the
//!   timestamp-centric record: the series of its datasets joined on
//!   (`station_id`, `timestamp_utc`) (a full outer join: a time any dataset
//!   has is a row), with each dataset's parameters and quality columns; a
//!   name two datasets share is prefixed with the dataset (`wind_quality`).
//!
//! Paths are absolute (DuckDB reads them relative to its working folder);
//! every run writes the file anew.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::layout::OutputLayout;
use crate::output::{OutputError, write_atomic};

/// Columns of a series that are not parameters.
pub const TIME_COLUMNS: [&str; 8] = [
    "station_id",
    "timestamp_utc",
    "period_end_utc",
    "time_local",
    "time_reference",
    "time_true_local",
    crate::merge::SOURCE_PERIOD,
    crate::merge::SOURCE_FILE,
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error(transparent)]
    Write(#[from] OutputError),
}

/// A dataset with series on disk, and its parameter columns (every
/// station's, in first-seen order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesSet {
    pub dataset: String,
    pub parameters: Vec<String>,
    /// The parameters' fields (type, unit, quality column), first seen.
    pub fields: Vec<arrow_schema::FieldRef>,
}

/// What a column holds, from its field metadata: the description and
/// unit, the statistic over its span, the CF attributes and DWD's code,
/// e.g. `daily mean air temperature [°C]; mean over 1 day; CF
/// standard_name air_temperature, cell_methods time: mean (interval: 1
/// day); DWD TMK`.
pub fn column_comment(f: &arrow_schema::Field) -> Option<String> {
    let m = f.metadata();
    let mut parts = Vec::new();
    match (m.get("description"), m.get("unit")) {
        (Some(d), Some(u)) => parts.push(format!("{d} [{u}]")),
        (Some(d), None) => parts.push(d.clone()),
        (None, Some(u)) => parts.push(format!("[{u}]")),
        (None, None) => {}
    }
    if let (Some(stat), Some(span)) = (m.get("statistic"), m.get("span")) {
        parts.push(if span == "instant" {
            format!("{stat} (a reading at the stamp)")
        } else {
            format!("{stat} over {span}")
        });
    }
    let cf: Vec<String> = ["standard_name", "cell_methods"]
        .iter()
        .filter_map(|k| m.get(k).map(|v| format!("{k} {v}")))
        .collect();
    if !cf.is_empty() {
        parts.push(format!("CF {}", cf.join(", ")));
    }
    if let Some(code) = m.get("dwd_code") {
        parts.push(format!("DWD {code}"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    out.sort();
    out
}

/// The datasets under `layout` that have series, with their parameters.
pub fn series_sets(layout: &OutputLayout) -> Result<Vec<SeriesSet>, CatalogError> {
    series_sets_of(layout, &|_| true)
}

/// [`series_sets`] of the datasets `wanted` takes only: no other
/// dataset's files are opened (a damaged series of another resolution
/// is no concern of an export of this one).
pub fn series_sets_of(
    layout: &OutputLayout,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<SeriesSet>, CatalogError> {
    let mut out = Vec::new();
    for d in dwd_catalog::DATASETS.iter().filter(|d| wanted(d.name)) {
        let files = parquet_files(&layout.series_dir(d.name));
        if files.is_empty() {
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut parameters = Vec::new();
        let mut fields = Vec::new();
        for f in &files {
            let file = std::fs::File::open(f).map_err(|source| CatalogError::Io {
                path: f.clone(),
                source,
            })?;
            let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|source| CatalogError::Read {
                    path: f.clone(),
                    source,
                })?;
            for field in b.schema().fields() {
                let n = field.name();
                if !TIME_COLUMNS.contains(&n.as_str()) && seen.insert(n.clone()) {
                    parameters.push(n.clone());
                    fields.push(field.clone());
                }
            }
        }
        out.push(SeriesSet {
            dataset: d.name.to_owned(),
            parameters,
            fields,
        });
    }
    Ok(out)
}

/// The wide view's columns of each dataset: (dataset, [(column, shown as)]).
pub fn wide_columns(sets: &[&SeriesSet]) -> Vec<(String, Vec<(String, String)>)> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for s in sets {
        let short = s
            .dataset
            .split_once('/')
            .map_or(s.dataset.as_str(), |(_, rest)| rest)
            .replace('/', "_");
        let mut cols = Vec::new();
        for p in &s.parameters {
            let shown = if taken.contains(p) || p == "quality" || p.starts_with("quality_") {
                format!("{short}_{p}")
            } else {
                p.clone()
            };
            taken.insert(shown.clone());
            cols.push((p.clone(), shown));
        }
        out.push((s.dataset.clone(), cols));
    }
    out
}

/// Writes `catalog.sql` for everything under `layout`; returns what was
/// written (for the output ledger).
///
/// `recorded` is the catalog's record in the output ledger: when the file
/// on disk still hashes to it and the new text is the same, nothing is
/// written (`None`): a run with nothing new rebuilds nothing.
pub fn write_catalog(
    layout: &OutputLayout,
    recorded: Option<&tracker_core::OutputRecord>,
) -> Result<Option<crate::output::Written>, CatalogError> {
    let root = std::fs::canonicalize(layout.root()).map_err(|source| CatalogError::Io {
        path: layout.root().to_path_buf(),
        source,
    })?;
    let abs = OutputLayout::new(&root);
    let sets = series_sets(&abs)?;
    let mut sql = String::from(
        "-- ClimaStation's DuckDB catalog, written by `climastation run`: open it with\n\
         --   duckdb -init data/output/catalog.sql\n\
         -- Views: \"<dataset>\" (the merged series), \"<dataset>/stations\",\n\
         -- \"<dataset>/metadata/<kind>\", \"multi_annual/<period>/normals\" (DWD's climate\n\
         -- normals), and \"<resolution>\" (one row per station and time with every\n\
         -- dataset's parameters: a full outer join).\n",
    );
    for s in &sets {
        let glob = abs.series_dir(&s.dataset).join("*.parquet");
        sql.push_str(&format!(
            "CREATE OR REPLACE VIEW {} AS SELECT * FROM read_parquet({}, union_by_name = true, hive_partitioning = false);\n",
            ident(&s.dataset),
            sql_string(&glob.display().to_string())
        ));
        for f in &s.fields {
            if let Some(text) = column_comment(f) {
                sql.push_str(&format!(
                    "COMMENT ON COLUMN {}.{} IS {};\n",
                    ident(&s.dataset),
                    ident(f.name()),
                    sql_string(&text)
                ));
            }
        }
        let stations = abs.stations(&s.dataset, "parquet");
        if stations.exists() {
            sql.push_str(&format!(
                "CREATE OR REPLACE VIEW {} AS SELECT * FROM read_parquet({});\n",
                ident(&format!("{}/stations", s.dataset)),
                sql_string(&stations.display().to_string())
            ));
        }
        for m in parquet_files(&abs.dataset(&s.dataset).join("metadata")) {
            let kind = m.file_stem().map(|k| k.to_string_lossy().into_owned());
            if let Some(kind) = kind {
                sql.push_str(&format!(
                    "CREATE OR REPLACE VIEW {} AS SELECT * FROM read_parquet({});\n",
                    ident(&format!("{}/metadata/{kind}", s.dataset)),
                    sql_string(&m.display().to_string())
                ));
            }
        }
    }
    // the climate normals: no series, a table a period
    for d in dwd_catalog::DATASETS
        .iter()
        .filter(|d| d.resolution == dwd_catalog::Resolution::MultiAnnual)
    {
        for (view, path) in [
            ("normals", abs.normals(d.name, "parquet")),
            ("stations", abs.stations(d.name, "parquet")),
        ] {
            if path.exists() {
                sql.push_str(&format!(
                    "CREATE OR REPLACE VIEW {} AS SELECT * FROM read_parquet({});\n",
                    ident(&format!("{}/{view}", d.name)),
                    sql_string(&path.display().to_string())
                ));
            }
        }
    }
    let resolutions: BTreeSet<&str> = sets
        .iter()
        .map(|s| dwd_catalog::resolution_of(&s.dataset))
        .collect();
    for r in resolutions {
        let of_r: Vec<&SeriesSet> = sets
            .iter()
            .filter(|s| dwd_catalog::resolution_of(&s.dataset) == r)
            .collect();
        let parts: Vec<String> = wide_columns(&of_r)
            .into_iter()
            .map(|(dataset, cols)| {
                let mut select = vec!["station_id".to_owned(), "timestamp_utc".to_owned()];
                select.extend(
                    cols.iter()
                        .map(|(c, shown)| format!("{} AS {}", ident(c), ident(shown))),
                );
                format!("(SELECT {} FROM {})", select.join(", "), ident(&dataset))
            })
            .collect();
        let mut from = String::new();
        for (i, p) in parts.iter().enumerate() {
            if i == 0 {
                from.push_str(p);
            } else {
                from.push_str(&format!(
                    " FULL OUTER JOIN {p} USING (station_id, timestamp_utc)"
                ));
            }
        }
        sql.push_str(&format!(
            "CREATE OR REPLACE VIEW {} AS SELECT * FROM {from};\n",
            ident(r)
        ));
    }
    if let Some(rec) = recorded {
        let same: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(sql.as_bytes()).into();
        if same == rec.sha256
            && crate::ledger::check(layout.root(), rec, crate::ledger::Depth::Deep).is_ok()
        {
            return Ok(None);
        }
    }
    let path = layout.catalog();
    Ok(Some(write_atomic(&path, |w| {
        std::io::Write::write_all(w, sql.as_bytes())
    })?))
}

/// The output ledger's key for tables of the output root (the catalog):
/// their paths are relative to the root itself.
pub const ROOT: &str = ".";
