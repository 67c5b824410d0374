//! The tracker's jobs (status, failed files, retry, reset, register) and the
//! stations of a dataset from DWD's station lists.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tracker_core::{
    Activity, DatasetId, DatasetSummary, FileRecord, FileStatus, ListQuery, ProgressStore,
    RegisterReport, RetrySelection,
};

use arrow_array::{ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};

use crate::{JobError, Session};

/// The window over which the completion rate is measured.
pub const RATE_WINDOW: Duration = Duration::from_secs(300);

/// One dataset's status.
#[derive(Clone, Debug)]
pub struct StatusRow {
    pub summary: DatasetSummary,
    pub activity: Activity,
    /// Completed files per minute over about [`RATE_WINDOW`]: from the
    /// store's mark of the completed count nearest before the window's start
    /// (or its first mark, when younger) until now.
    pub rate_per_min: f64,
    /// What the dataset was last crawled with (`everything`), if crawled.
    pub selection: Option<String>,
}

impl StatusRow {
    /// Seconds left at the current rate (0 when nothing is left; `None`
    /// when nothing completes).
    pub fn eta_seconds(&self) -> Option<f64> {
        let left = (self.summary.counts.pending + self.summary.counts.processing) as f64;
        if left == 0.0 {
            Some(0.0)
        } else if self.rate_per_min > 0.0 {
            Some(left / self.rate_per_min * 60.0)
        } else {
            None
        }
    }
}

/// Which files `failed` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedList {
    /// Failed for good.
    Failed,
    /// Completed on the server's word alone (no listed size, no format check).
    Unconfirmed,
}

/// A station of a dataset's lists, with its distance from `--near`.
#[derive(Clone, Debug, PartialEq)]
pub struct StationRow {
    pub station: dwd_parser::stations::Station,
    /// Rounded to 0.1 km; `None` without a place.
    pub distance_km: Option<f64>,
}

/// What `stations` found.
#[derive(Clone, Debug, PartialEq)]
pub struct StationsReport {
    pub dataset: String,
    /// Stations in all the dataset's lists.
    pub total: usize,
    /// Those the selection takes, nearest first with a place.
    pub stations: Vec<StationRow>,
}

impl StationsReport {
    /// The stations as a table (Python's `stations`): id, name, state, place, height, first
    /// and last date, and the distance from the selection's place.
    pub fn rows(&self) -> Result<crate::Rows, JobError> {
        let epoch = jiff::civil::Date::constant(1970, 1, 1);
        let days = |d: jiff::civil::Date| (d.duration_since(epoch).as_secs() / 86_400) as i32;
        let rows = &self.stations;
        let schema = Arc::new(Schema::new(vec![
            Field::new("station_id", DataType::UInt32, false),
            Field::new("name", DataType::Utf8, false),
            Field::new("state", DataType::Utf8, false),
            Field::new("latitude", DataType::Float64, false),
            Field::new("longitude", DataType::Float64, false),
            Field::new("height_m", DataType::Float64, false),
            Field::new("first_date", DataType::Date32, false),
            Field::new("last_date", DataType::Date32, false),
            Field::new("distance_km", DataType::Float64, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|r| r.station.id),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.station.name),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| &r.station.state),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.station.latitude),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.station.longitude),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.station.height),
            )),
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|r| days(r.station.from)),
            )),
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|r| days(r.station.to)),
            )),
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.distance_km).collect::<Vec<_>>(),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| JobError::Export(e.into()))?;
        Ok(crate::Rows {
            schema,
            batches: vec![batch],
        })
    }
}

impl Session {
    /// Counts, rate, workers, oldest claim and last failure of `dataset`
    /// (or every dataset), restricted to `only` when given.
    pub fn status(
        &self,
        store: &dyn ProgressStore,
        dataset: Option<&DatasetId>,
        only: Option<&[DatasetId]>,
    ) -> Result<Vec<StatusRow>, JobError> {
        let now = store.now();
        let since = now.minus(RATE_WINDOW);
        let selections = dwd_dataset::crawl::saved_selections(&self.config.paths.data_dir);
        let mut rows = Vec::new();
        for summary in store.summary(dataset)? {
            if let Some(only) = only
                && !only.contains(&summary.dataset)
            {
                continue;
            }
            let activity = store.activity(&summary.dataset, since)?;
            let rate_per_min = match activity.counted_since {
                Some(from) => {
                    // at least a second: a mark made just now rates nothing yet
                    let minutes = now.millis_since(from).max(1000) as f64 / 60_000.0;
                    activity.completed_since as f64 / minutes
                }
                None => 0.0,
            };
            rows.push(StatusRow {
                selection: selections.get(summary.dataset.as_str()).cloned(),
                summary,
                activity,
                rate_per_min,
            });
        }
        Ok(rows)
    }

    /// Up to `limit` failed files (or completed ones with an unconfirmed
    /// size) of `dataset` or all, in registration order.
    pub fn failed(
        &self,
        dataset: Option<&DatasetId>,
        which: FailedList,
        limit: usize,
    ) -> Result<Vec<FileRecord>, JobError> {
        let store = self.open_store()?;
        let query = ListQuery {
            dataset: dataset.cloned(),
            status: match which {
                FailedList::Failed => FileStatus::Failed,
                FailedList::Unconfirmed => FileStatus::Completed,
            },
            unconfirmed_only: which == FailedList::Unconfirmed,
            after: None,
            limit: 1000,
        };
        Ok(store.list_up_to(&query, limit)?)
    }

    /// Failed files back to pending with a fresh budget: all, or one path.
    pub fn retry(&self, dataset: Option<&DatasetId>, path: Option<&str>) -> Result<u64, JobError> {
        let selection = match path {
            Some(p) => RetrySelection::Path(p.to_owned()),
            None => RetrySelection::AllFailed,
        };
        Ok(self.open_store()?.retry(dataset, &selection)?)
    }

    /// A dataset's files (or those in `status`) back to pending.
    pub fn reset(&self, dataset: &DatasetId, status: Option<&str>) -> Result<u64, JobError> {
        let status = status
            .map(|s| {
                s.parse::<FileStatus>().map_err(|e| {
                    JobError::invalid(
                        dwd_catalog::Field::Status,
                        dwd_catalog::said!(e.to_string()),
                    )
                })
            })
            .transpose()?;
        Ok(self.open_store()?.reset(dataset, status)?)
    }

    /// Registers the files of a manifest (idempotent); returns what it did
    /// and how many lines the manifest had.
    pub fn register(
        &self,
        dataset: &DatasetId,
        manifest: &Path,
    ) -> Result<(RegisterReport, usize), JobError> {
        let files = crate::manifest::read(manifest, dataset)?;
        let store = self.open_store()?;
        let r = dwd_dataset::crawl::register_all(&store, &files)?;
        Ok((r, files.len()))
    }

    /// The stations of `dataset` as its last run merged them (its
    /// `stations.parquet`, checked against the output ledger first), the
    /// selection applied, nearest first when it has a place: what a reader
    /// of the converted archive (a server) answers without the source.
    pub fn stations_converted(
        &self,
        dataset: &str,
        selection: &dwd_catalog::Selection,
    ) -> Result<crate::report::Stations, JobError> {
        let id = self.dataset(dataset)?;
        let resolution = dwd_catalog::Resolution::of(id.as_str()).ok_or_else(|| {
            crate::unknown_dataset(dwd_catalog::Invalid::of(
                dwd_catalog::Field::Dataset,
                dataset,
                dwd_catalog::said!("has no resolution in the catalog"),
            ))
        })?;
        self.verify_served(resolution, &[dataset.to_owned()])?;
        let all = dwd_series::export::stations(&self.layout(), dataset)?;
        let near = selection.near;
        let mut chosen: Vec<(Option<f64>, dwd_series::export::ListedStation)> = all
            .into_iter()
            .filter(|s| selection.station_matches(&s.info))
            .map(|s| {
                let d = near.map(|n| {
                    dwd_catalog::selection::distance_km(
                        (n.latitude, n.longitude),
                        (s.info.latitude, s.info.longitude),
                    )
                });
                (d, s)
            })
            .collect();
        if near.is_some() {
            chosen.sort_by(|a, b| {
                a.0.unwrap_or(f64::INFINITY)
                    .total_cmp(&b.0.unwrap_or(f64::INFINITY))
                    .then(a.1.info.id.cmp(&b.1.info.id))
            });
        }
        let series_rows = self.series_rows(&id)?;
        Ok(crate::report::Stations::listed(
            dataset,
            selection,
            &chosen,
            &series_rows,
        ))
    }

    /// The rows of each station's merged series of `dataset`, as the output
    /// ledger records them.
    pub(crate) fn series_rows(
        &self,
        id: &DatasetId,
    ) -> Result<std::collections::HashMap<u32, u64>, JobError> {
        let records = self.reading(|store| Ok(store.outputs(id)?))?;
        Ok(records
            .iter()
            .filter_map(|r| {
                let station = r.path.strip_prefix("series/")?.strip_suffix(".parquet")?;
                Some((station.parse::<u32>().ok()?, r.rows))
            })
            .collect())
    }

    /// Which years the converted series of `station` cover, each dataset
    /// with a series of it (checked against the output ledger before it is
    /// read, as every served table is).
    pub fn coverage(&self, station: u32) -> Result<crate::report::Coverage, JobError> {
        let layout = self.layout();
        let mut datasets = Vec::new();
        // no progress database: no run recorded a series
        let archived = if self.config.paths.progress_db.exists() {
            self.archived_datasets()
        } else {
            Vec::new()
        };
        for name in archived {
            let Some(resolution) = dwd_catalog::Resolution::of(name) else {
                continue;
            };
            let id = self.dataset(name)?;
            let Some(&rows) = self.series_rows(&id)?.get(&station) else {
                continue;
            };
            self.verify_served(resolution, &[name.to_owned()])?;
            let path = layout.series(name, &format!("{station:05}"));
            let years = dwd_series::export::rows_per_year(&path)?
                .into_iter()
                .map(|(year, rows)| crate::report::YearRows { year, rows })
                .collect();
            datasets.push(crate::report::DatasetCoverage {
                dataset: name.to_owned(),
                resolution: resolution.to_string(),
                rows,
                years,
            });
        }
        let empty = if datasets.is_empty() {
            vec![format!(
                "no rows: no converted dataset has a series of station {station:05}"
            )]
        } else {
            Vec::new()
        };
        Ok(crate::report::Coverage {
            station_id: station,
            datasets,
            empty,
        })
    }

    /// The stations of `dataset` from all its station lists (every period
    /// folder, and for datasets with year folders every year), merged, the
    /// selection applied; nearest first when the selection has a place.
    /// A stalled listing ends at once on `stop`.
    pub fn stations(
        &self,
        dataset: &str,
        selection: &dwd_catalog::Selection,
        source: Option<&str>,
        stop: &tracker_core::Cancel,
    ) -> Result<StationsReport, JobError> {
        let known = dwd_catalog::require(dataset).map_err(crate::unknown_dataset)?;
        let root = source.map_or_else(|| self.config.source.base_url.clone(), str::to_owned);
        let crawler = dwd_dataset::crawl::Crawler {
            http: dwd_source::HttpOptions {
                stop: Some(stop.clone()),
                ..self.http_options()
            },
            ..self.crawler()
        };
        let src = dwd_source::open(&root, &crawler.http);
        // the dataset folder and its period folders hold the lists; the
        // historical year folders of 1- and 5-minute data have their own
        let depth = if known.year_folders {
            dwd_source::crawl::MAX_DEPTH
        } else {
            2
        };
        let entries =
            dwd_source::crawl_to_depth(src.as_ref(), dataset, depth, &|| stop.is_cancelled())
                .map_err(|e| match e.is_interrupted() {
                    true => JobError::Interrupted,
                    false => JobError::Listing {
                        dataset: dataset.to_owned(),
                        root: root.clone(),
                        source: e,
                    },
                })?;
        let lists = dwd_dataset::stations::lists(&entries);
        if lists.is_empty() {
            return Err(JobError::NoStationList {
                dataset: dataset.to_owned(),
                root,
            });
        }
        let all = dwd_dataset::stations::load(&crawler, &root, dataset, &lists)?;
        let near = selection.near;
        let mut chosen: Vec<(f64, &dwd_parser::stations::Station)> = all
            .iter()
            .filter(|s| selection.station_matches(&dwd_dataset::stations::info(s)))
            .map(|s| {
                let d = near.map_or(f64::NAN, |n| {
                    dwd_catalog::selection::distance_km(
                        (n.latitude, n.longitude),
                        (s.latitude, s.longitude),
                    )
                });
                (d, s)
            })
            .collect();
        if near.is_some() {
            chosen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        }
        let stations = chosen
            .into_iter()
            .map(|(d, s)| StationRow {
                distance_km: near.map(|_| (d * 10.0).round() / 10.0),
                station: s.clone(),
            })
            .collect();
        Ok(StationsReport {
            dataset: dataset.to_owned(),
            total: all.len(),
            stations,
        })
    }
}
