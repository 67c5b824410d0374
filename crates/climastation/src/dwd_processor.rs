//! The `dwd` processor: the whole chain for one claimed file.
//!
//! 1. Fetch it from the source into `paths.raw` and verify it (the
//!    `download` processor; a file already present is only verified).
//! 2. A data zip: its one `produkt*` member parsed, translated (English
//!    names, UTC) and written as Parquet to
//!    `paths.output/<dataset>/<period>/<station>/<source name>.parquet`.
//!    A station list: `paths.output/<dataset>/<period>/stations.parquet`.
//!    Other files (metadata zips, PDFs) are fetched and verified only.
//!
//! Output goes to a temp name and is renamed: a crash never leaves a half
//! file under the final name. Bad input fails the file with its reason.

use std::path::{Path, PathBuf};

use dwd_parser::time::{Resolution, file_reference, name_range};
use dwd_translate::Tables;
use dwd_translate::table::{SourceInfo, translate, write_parquet, write_stations_parquet};
use pipeline::{Job, Outcome, ProcessError, Processor};

pub struct DwdProcessor {
    pub download: dwd_source::Download,
    pub tables: Tables,
    pub output: PathBuf,
}

impl std::fmt::Debug for DwdProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DwdProcessor")
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), String>,
) -> Result<(), ProcessError> {
    let dir = path
        .parent()
        .ok_or_else(|| ProcessError::permanent(format!("{}: no folder", path.display())))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| ProcessError::transient(format!("{}: {e}", dir.display())))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp)
        .map_err(|e| ProcessError::transient(format!("{}: {e}", tmp.display())))?;
    let mut w = std::io::BufWriter::new(file);
    if let Err(e) = write(&mut w) {
        let _ = std::fs::remove_file(&tmp);
        return Err(ProcessError::transient(format!(
            "writing {}: {e}",
            path.display()
        )));
    }
    let file = w
        .into_inner()
        .map_err(|e| ProcessError::transient(format!("{}: {}", tmp.display(), e.error())))?;
    file.sync_all()
        .map_err(|e| ProcessError::transient(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| ProcessError::transient(format!("{}: {e}", path.display())))
}

impl Processor for DwdProcessor {
    fn name(&self) -> &str {
        "dwd"
    }

    fn process(&self, job: &Job<'_>) -> Result<Outcome, ProcessError> {
        let fetched = self.download.process(job)?;
        let key = &job.claim.key;
        let dataset = key.dataset.as_str();
        let name = key
            .path()
            .rsplit('/')
            .next()
            .unwrap_or(key.path())
            .to_owned();
        let facts = dwd_source::names::facts(key.path());
        let period = facts.period.clone().unwrap_or_else(|| "all".into());
        let source = SourceInfo {
            file: key.path().to_owned(),
            size: Some(fetched.bytes),
            modified: job
                .claim
                .source_modified
                .and_then(|t| jiff::Timestamp::from_millisecond(t.as_millis()).ok())
                .map(|t| t.to_string()),
            dataset: dataset.to_owned(),
        };
        let shown = job.path.display().to_string();
        if name.contains("Beschreibung_Stationen") && name.ends_with(".txt") {
            let bytes = std::fs::read(job.path)
                .map_err(|e| ProcessError::transient(format!("{shown}: {e}")))?;
            let stations = dwd_parser::stations::parse(&shown, &bytes)
                .map_err(|e| ProcessError::permanent(e.to_string()))?;
            let out = self
                .output
                .join(dataset)
                .join(&period)
                .join("stations.parquet");
            write_atomic(&out, |w| {
                write_stations_parquet(&stations, &source, w).map_err(|e| e.to_string())
            })?;
            return Ok(Outcome {
                records: stations.len() as u64,
                ..fetched
            });
        }
        if !name.to_ascii_lowercase().ends_with(".zip") || name.starts_with("Meta_Daten") {
            tracing::debug!(file = %key, "fetched and verified; not a data file");
            return Ok(fetched);
        }
        let file = std::fs::File::open(job.path)
            .map_err(|e| ProcessError::transient(format!("{shown}: {e}")))?;
        let (member_name, produkt) = dwd_parser::archive::parse_produkt_member(
            &shown,
            std::io::BufReader::new(file),
            job.budget.per_worker_bytes,
        )
        .map_err(|e| ProcessError::permanent(e.to_string()))?;
        if job.should_stop() {
            return Err(ProcessError::interrupted());
        }
        let resolution = Resolution::detect(&member_name)
            .or_else(|| Resolution::detect(dataset))
            .unwrap_or(Resolution::Hourly);
        let reference = file_reference(
            resolution,
            name_range(&member_name).map(|(_, end)| end),
            None,
        );
        let table = translate(produkt, dataset, &member_name, &self.tables, reference)
            .map_err(|e| ProcessError::permanent(e.to_string()))?;
        let station = facts.station.clone().unwrap_or_else(|| "unknown".into());
        let out = self
            .output
            .join(dataset)
            .join(&period)
            .join(&station)
            .join(format!("{name}.parquet"));
        write_atomic(&out, |w| {
            write_parquet(&table, &source, w).map_err(|e| e.to_string())
        })?;
        Ok(Outcome {
            records: table.len() as u64,
            ..fetched
        })
    }
}
