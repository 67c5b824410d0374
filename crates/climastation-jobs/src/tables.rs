//! Export and values at a place: files written whole (or not at all) to a
//! regular file, from tables checked against the output ledger first.

use std::path::Path;

use dwd_dataset::export::{ExportError, Exported, Spec};
use dwd_dataset::files::Format;
use dwd_dataset::values::{ValuesReport, ValuesSpec};

use crate::{JobError, Session};

impl From<ExportError> for JobError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Interrupted => JobError::Interrupted,
            ExportError::Usage(m) => JobError::Usage(m),
            e @ ExportError::Nothing(_) => JobError::Usage(e.to_string()),
            e => JobError::Failed(e.to_string()),
        }
    }
}

impl Session {
    /// One record per station and time across a resolution's datasets,
    /// written whole to `target`.
    pub fn export(&self, spec: &Spec, format: Format, target: &Path) -> Result<Exported, JobError> {
        self.check_resolution(&spec.resolution)?;
        for d in &spec.datasets {
            self.dataset(d)?;
            if d.split('/').next() != Some(spec.resolution.as_str()) {
                return Err(JobError::usage(format!(
                    "--dataset {d} is not of --resolution {}: give a dataset of that resolution, or its resolution",
                    spec.resolution
                )));
            }
        }
        let layout = self.layout();
        check_target(target)?;
        self.verify_served(&spec.resolution, &spec.datasets)?;
        write_whole(target, |w| {
            dwd_dataset::export::export(&layout, spec, format, w)
        })
    }

    /// The values at the spec's places, written whole to `target`.
    pub fn values(
        &self,
        spec: &ValuesSpec,
        format: Format,
        target: &Path,
    ) -> Result<ValuesReport, JobError> {
        self.check_resolution(&spec.resolution)?;
        let layout = self.layout();
        check_target(target)?;
        self.verify_served(&spec.resolution, &[])?;
        let tables = dwd_translate::Tables::load(self.config.paths.translations.as_deref())?;
        write_whole(target, |w| {
            dwd_dataset::values::values(&layout, &tables, spec, format, w)
        })
    }

    /// A resolution of the archive (a usage error otherwise).
    pub fn check_resolution(&self, resolution: &str) -> Result<(), JobError> {
        if !dwd_catalog::DATASETS
            .iter()
            .any(|d| d.name.split('/').next() == Some(resolution))
        {
            return Err(JobError::usage(format!(
                "--resolution {resolution}: not a resolution of the archive (1_minute, 5_minutes, 10_minutes, hourly, subdaily, daily, monthly, annual)"
            )));
        }
        Ok(())
    }

    /// Every table a reader of `resolution` may use (the series, station
    /// lists and metadata of its datasets, or of `only`) is checked against
    /// the output ledger: a missing, damaged or foreign table is never
    /// served (each named with the command that fixes it).
    pub fn verify_served(&self, resolution: &str, only: &[String]) -> Result<(), JobError> {
        let layout = self.layout();
        let datasets: Vec<&str> = dwd_catalog::DATASETS
            .iter()
            .map(|d| d.name)
            .filter(|d| d.split('/').next() == Some(resolution))
            .filter(|d| only.is_empty() || only.iter().any(|o| o == d))
            .filter(|d| layout.dataset(d).is_dir())
            .collect();
        if datasets.is_empty() {
            return Ok(());
        }
        let db = &self.config.paths.progress_db;
        if !db.exists() {
            return Err(JobError::Failed(format!(
                "no progress database at {}: the tables under {} cannot be checked against what the runs wrote",
                db.display(),
                layout.root().display()
            )));
        }
        let store = self.open_store()?;
        let mut problems = Vec::new();
        for d in datasets {
            let id = self.dataset(d)?;
            for p in dwd_dataset::check::served_problems(&layout, &id, &store)? {
                problems.push(format!(
                    "{} (fix: climastation run --dataset {d})",
                    p.describe()
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(JobError::Failed(format!(
            "nothing written: {} table(s) are not what the runs wrote:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )))
    }
}

/// `target` names a regular file to be, in a folder that exists: an
/// existing device, FIFO, folder or symbolic link is refused (writing over
/// it would replace it or write into it), and so is a missing folder.
pub fn check_target(path: &Path) -> Result<(), JobError> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            let what = if t.is_symlink() {
                Some("a symbolic link")
            } else if t.is_dir() {
                Some("a folder")
            } else if t.is_file() {
                None
            } else {
                Some("a device, FIFO or socket")
            };
            if let Some(what) = what {
                return Err(JobError::usage(format!(
                    "-o {shown}: {what}; give the path of a regular file (it is replaced whole)"
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(JobError::usage(format!("-o {shown}: {e}"))),
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(parent) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(JobError::usage(format!(
            "-o {shown}: {} is not a folder",
            parent.display()
        ))),
        Err(e) => Err(JobError::usage(format!(
            "-o {shown}: the folder {}: {e}",
            parent.display()
        ))),
    }
}

/// Writes `path` whole with `write` (nothing at all when it fails: the
/// temp file is removed); the error names the path.
fn write_whole<T>(
    path: &Path,
    write: impl FnOnce(&mut dwd_dataset::output::Out) -> Result<T, ExportError>,
) -> Result<T, JobError> {
    let mut result = None;
    let written = dwd_dataset::output::write_atomic(path, |w| {
        let r = write(w);
        let failed = r.is_err();
        result = Some(r);
        match failed {
            true => Err(dwd_dataset::output::EncodeError::from("nothing written")),
            false => Ok(()),
        }
    });
    let value = match result {
        Some(Err(e)) => {
            return Err(match JobError::from(e) {
                JobError::Failed(m) => JobError::Failed(format!("writing {}: {m}", path.display())),
                other => other,
            });
        }
        Some(Ok(v)) => v,
        None => {
            return Err(JobError::Failed(match written {
                Err(e) => format!("nothing written: {e}"),
                Ok(_) => "nothing written".into(),
            }));
        }
    };
    written.map_err(|e| JobError::Failed(format!("writing {}: {e}", path.display())))?;
    Ok(value)
}
