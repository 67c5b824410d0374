//! Where a dataset's tables are under `paths.output`:
//!
//! ```text
//! <output>/<dataset>/
//!   series/<station>.parquet     one merged series a station: the data glob
//!   stations.parquet             the dataset's stations (all periods' lists)
//!   metadata/<kind>.parquet      station metadata (locations, parameters, …)
//!   parts/<period>/<station>/<file>.parquet   one table a source file
//!   parts/<period>/stations.parquet           one station list a period
//!   parts/metadata/<kind>/<station>/<file>.parquet
//! <output>/catalog.sql           DuckDB views over all of it
//! ```
//!
//! `series/*.parquet` holds only series, so one glob reads one schema;
//! station lists and metadata are beside it under their own names; the
//! per-file tables are the merge's input, under `parts/`.

use std::path::{Path, PathBuf};

/// The output root (`paths.output`).
#[derive(Clone, Debug)]
pub struct OutputLayout {
    root: PathBuf,
}

impl OutputLayout {
    pub fn new(root: impl Into<PathBuf>) -> OutputLayout {
        OutputLayout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dataset(&self, dataset: &str) -> PathBuf {
        self.root.join(dataset)
    }

    pub fn series_dir(&self, dataset: &str) -> PathBuf {
        self.dataset(dataset).join("series")
    }

    /// A station's series (`station` as DWD writes it: `00044`).
    pub fn series(&self, dataset: &str, station: &str) -> PathBuf {
        self.series_dir(dataset).join(format!("{station}.parquet"))
    }

    pub fn parts(&self, dataset: &str) -> PathBuf {
        self.dataset(dataset).join("parts")
    }

    /// The table of the source file `relative` (`recent/x_akt.zip`) of
    /// `dataset`, for `station`, with extension `ext`.
    pub fn part(&self, dataset: &str, relative: &str, station: &str, ext: &str) -> PathBuf {
        let (folder, name) = match relative.rsplit_once('/') {
            Some((dir, name)) => (dir.split('/').next().unwrap_or("all"), name),
            None => ("all", relative),
        };
        self.parts(dataset)
            .join(folder)
            .join(station)
            .join(format!("{name}.{ext}"))
    }

    pub fn stations(&self, dataset: &str, ext: &str) -> PathBuf {
        self.dataset(dataset).join(format!("stations.{ext}"))
    }

    /// A `multi_annual` dataset's climate normals, all its files in one.
    pub fn normals(&self, dataset: &str, ext: &str) -> PathBuf {
        self.dataset(dataset).join(format!("normals.{ext}"))
    }

    pub fn metadata(&self, dataset: &str, kind: &str, ext: &str) -> PathBuf {
        self.dataset(dataset)
            .join("metadata")
            .join(format!("{kind}.{ext}"))
    }

    pub fn catalog(&self) -> PathBuf {
        self.root.join("catalog.sql")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_apart_from_the_series_glob() {
        let l = OutputLayout::new("out");
        assert_eq!(
            l.part(
                "hourly/wind",
                "recent/stundenwerte_FF_00044_akt.zip",
                "00044",
                "parquet"
            ),
            Path::new("out/hourly/wind/parts/recent/00044/stundenwerte_FF_00044_akt.zip.parquet")
        );
        assert_eq!(
            l.part(
                "hourly/solar",
                "stundenwerte_ST_00183_row.zip",
                "00183",
                "parquet"
            ),
            Path::new("out/hourly/solar/parts/all/00183/stundenwerte_ST_00183_row.zip.parquet")
        );
        assert_eq!(
            l.part(
                "1_minute/precipitation",
                "historical/2022/x_hist.zip",
                "00020",
                "parquet"
            ),
            Path::new("out/1_minute/precipitation/parts/historical/00020/x_hist.zip.parquet")
        );
        assert_eq!(
            l.series("daily/kl", "04271"),
            Path::new("out/daily/kl/series/04271.parquet")
        );
    }
}
