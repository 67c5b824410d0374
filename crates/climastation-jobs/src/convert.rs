//! Convert: DWD files straight to tables beside each other, without the
//! tracker. Data zips and `produkt_*.txt` become `<name>.<ext>` (their
//! `Metadaten_*` members `<name>.<kind>.<ext>`); `Meta_Daten_*.zip` and
//! `Metadaten_*` files become `<name>.<kind>.<ext>` and, given together
//! with data files of their station, decide those files' time reference;
//! station lists become `<name>.<ext>`.

use std::path::{Path, PathBuf};

use dwd_dataset::files::{FileKind, read_metadata};
use dwd_parser::metadata::StationMetadata;
use dwd_series::output::Format;
use dwd_translate::Tables;
use dwd_translate::table::SourceInfo;

use crate::{JobError, Session};

/// What to convert.
#[derive(Clone, Debug)]
pub struct ConvertRequest {
    pub files: Vec<PathBuf>,
    pub format: Format,
    /// The folder the tables go to (made when missing).
    pub output: PathBuf,
    /// The dataset whose translation table applies; `None`: from the name.
    pub dataset: Option<String>,
}

/// What one input became: each table with its rows, or why not.
#[derive(Clone, Debug)]
pub struct ConvertedFile {
    pub file: PathBuf,
    /// The tables written, or why not (naming the file).
    pub result: Result<Vec<(PathBuf, usize)>, String>,
}

impl Session {
    /// Converts each file of the request; a file that fails does not stop
    /// the others.
    pub fn convert(&self, request: &ConvertRequest) -> Result<Vec<ConvertedFile>, JobError> {
        if let Some(d) = &request.dataset {
            self.dataset(d)?;
        }
        let tables = Tables::load(self.config.paths.translations.as_deref())?;
        std::fs::create_dir_all(&request.output).map_err(|e| JobError::Write {
            path: request.output.clone(),
            source: Box::new(e),
        })?;
        let budget = self.config.processing.memory_limit_mb_per_worker << 20;
        // metadata inputs are read once: their tables are written, and their
        // stations' data files given beside them take their time reference
        let mut given = StationMetadata::default();
        for file in &request.files {
            let name = file.display().to_string();
            if matches!(
                FileKind::of(&name),
                FileKind::MetadataZip | FileKind::Metadata
            ) && let Ok(m) = read_metadata(file, &name)
            {
                given.extend(m);
            }
        }
        Ok(request
            .files
            .iter()
            .map(|file| ConvertedFile {
                file: file.clone(),
                result: convert_one(file, request, &tables, budget, &given),
            })
            .collect())
    }
}

/// `convert` writes `<name>.<ext>` and `<name>.<kind>.<ext>` into `-o`.
struct Beside<'a> {
    dir: &'a Path,
    stem: &'a str,
    ext: &'a str,
}

impl dwd_dataset::files::Targets for Beside<'_> {
    fn data(&self, _dataset: &str) -> PathBuf {
        self.dir.join(format!("{}.{}", self.stem, self.ext))
    }

    fn metadata(&self, _dataset: &str, kind: &str, _station: &str) -> PathBuf {
        self.dir.join(format!("{}.{kind}.{}", self.stem, self.ext))
    }

    fn stations(&self, _dataset: &str) -> PathBuf {
        self.dir.join(format!("{}.{}", self.stem, self.ext))
    }
}

/// The metadata given on the command line for the station the data file
/// `member` names (or all of it, when the name names none).
fn metadata_for(member: &str, given: &StationMetadata) -> Option<StationMetadata> {
    if given.is_empty() {
        return None;
    }
    let station = dwd_catalog::facts(member)
        .station
        .and_then(|s| s.parse::<u32>().ok());
    let mut m = given.clone();
    if let Some(id) = station {
        m.parameters.retain(|p| p.station_id == id);
    }
    Some(m)
}

/// One file through [`dwd_dataset::files::convert_file`], the function
/// `run` calls per file too.
fn convert_one(
    file: &Path,
    request: &ConvertRequest,
    tables: &Tables,
    budget: u64,
    given: &StationMetadata,
) -> Result<Vec<(PathBuf, usize)>, String> {
    let shown = file.display().to_string();
    if !file.exists() {
        return Err(format!("{shown}: no such file"));
    }
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let meta = std::fs::metadata(file).ok();
    let source = SourceInfo {
        file: stem.clone(),
        size: meta.as_ref().map(|m| m.len()),
        modified: meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.to_string()),
        ..SourceInfo::default()
    };
    let targets = Beside {
        dir: &request.output,
        stem: &stem,
        ext: request.format.ext(),
    };
    let station_metadata =
        |_dataset: &str, member: &str| Ok(metadata_for(member, given).map(std::sync::Arc::new));
    let converted = dwd_dataset::files::convert_file(
        dwd_dataset::files::FileToConvert {
            path: file,
            shown: &shown,
            name: &stem,
            dataset: request.dataset.as_deref(),
            source,
            budget,
            placed: false,
        },
        tables,
        request.format,
        &targets,
        &station_metadata,
    )
    // every error names the file once: the input's own errors name it,
    // an output's names the table written (the file is said before it)
    .map_err(|e| match e {
        dwd_dataset::files::ConvertError::Output(_) => format!("{shown}: {e}"),
        e => e.to_string(),
    })?;
    Ok(converted
        .written
        .into_iter()
        .map(|(w, rows)| (w.path, rows))
        .collect())
}
