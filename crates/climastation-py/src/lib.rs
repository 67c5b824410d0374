//! `climastation._climastation`: the Python module's native half. Each
//! method builds a request and calls the library's use case
//! ([`climastation_jobs::Session`]) in process; the pure-Python half
//! (`python/climastation`) gives the public API its signatures, docstrings,
//! progress bars and Ctrl-C.
//!
//! Long work (crawl, run, stations, export, values) runs on a thread of its
//! own without the GIL and is handed back as a [`Task`]: Python waits on it in
//! short steps (so that Ctrl-C raises `KeyboardInterrupt` at once), asks
//! for its progress, stops it cleanly, and takes its result. Tables cross
//! to pyarrow through the Arrow C stream interface: no copy.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{Float64Array, RecordBatch, UInt32Array};
use arrow_pyarrow::IntoPyArrow;
use arrow_schema::{DataType, Field, Schema};
use climastation_jobs::{ErrorKind, JobError, Rows, Session};
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::PyType;
use tracker_config::{OneOrMany, RawSelection, Scalar};
use tracker_core::DatasetId;

mod task;

use task::{Done, Task};

/// A `JobError` as the exception of `climastation.errors` its kind and
/// cause call for, with the CLI's message.
fn raise(py: Python<'_>, e: &JobError) -> PyErr {
    let class = match e {
        JobError::Interrupted => return PyKeyboardInterrupt::new_err(e.to_string()),
        JobError::Config(_) | JobError::Translations(_) => "ConfigError",
        JobError::UnknownDataset(_) => "DatasetError",
        JobError::Invalid(i) if selects(i.field) => "SelectionError",
        JobError::Crawl(_) | JobError::Listing { .. } | JobError::NoStationList { .. } => {
            "SourceError"
        }
        JobError::Tables(_)
        | JobError::NoTables { .. }
        | JobError::NoNormals { .. }
        | JobError::Export(_) => "DataError",
        JobError::Open(_) | JobError::Store(_) => "TrackerError",
        _ if e.kind() == ErrorKind::Usage => "UsageError",
        _ => "ClimaStationError",
    };
    error(py, class, e.render(&PythonWords))
}

/// Python's words: a field is its keyword, a step of a fix the call that
/// does it (the wheel's command where the module has no call for it).
#[derive(Clone, Copy, Debug)]
struct PythonWords;

impl climastation_jobs::fix::Spelling for PythonWords {
    fn run(&self, dataset: Option<&str>, crawl: bool, verify_outputs: bool) -> String {
        let mut args: Vec<String> = dataset.iter().map(|d| format!("[{d:?}]")).collect();
        if crawl {
            args.push("crawl=True".into());
        }
        if verify_outputs {
            args.push("verify_outputs=True".into());
        }
        format!("archive.run({})", args.join(", "))
    }

    fn retry_all_failed(&self) -> String {
        "`climastation retry --all-failed` (the wheel's command)".into()
    }
}

/// A resolution by DWD's folder name; another name is a `DatasetError`
/// naming those there are.
fn parse_resolution(py: Python<'_>, text: &str) -> PyResult<dwd_catalog::Resolution> {
    text.parse()
        .map_err(|e| raise(py, &JobError::UnknownDataset(e)))
}

/// A reference period given for `field` (`period=`, `anomaly=`), parsed
/// once; a bad one raises `UsageError` naming the keyword.
fn reference_period(
    py: Python<'_>,
    field: dwd_catalog::Field,
    text: Option<&str>,
) -> PyResult<Option<dwd_catalog::ReferencePeriod>> {
    dwd_catalog::ReferencePeriod::parse_given(field, text)
        .map_err(|e| raise(py, &JobError::Invalid(e)))
}

/// Whether a wrong `field` is a selection's (a place, a station, a date:
/// `SelectionError`) rather than another usage error.
fn selects(field: dwd_catalog::Field) -> bool {
    use dwd_catalog::Field;
    matches!(
        field,
        Field::Stations
            | Field::Near
            | Field::RadiusKm
            | Field::Bbox
            | Field::Name
            | Field::State
            | Field::Active
            | Field::Start
            | Field::End
            | Field::Periods
            | Field::At
            | Field::Points
            | Field::MaxDistanceKm
    )
}

/// An exception of `climastation.errors` by its class name.
fn error(py: Python<'_>, class: &str, message: String) -> PyErr {
    let class = py
        .import("climastation.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(class) => PyErr::from_type(class, message),
        Err(e) => e,
    }
}

/// A report as Python objects (dicts, lists, str, int, float, None): the
/// shape `to_dict()` of the Python module's report classes gives, the
/// same as the command's `--json`.
fn to_python(py: Python<'_>, report: &impl serde::Serialize) -> PyResult<Py<PyAny>> {
    let value = serde_json::to_value(report).map_err(|e| {
        error(
            py,
            "ClimaStationError",
            format!("the report could not be encoded: {e}"),
        )
    })?;
    value_to_python(py, &value)
}

fn value_to_python(py: Python<'_>, value: &serde_json::Value) -> PyResult<Py<PyAny>> {
    use pyo3::IntoPyObjectExt;
    use serde_json::Value;
    // built object by object: no JSON text between the library and Python
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_py_any(py)?,
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.into_py_any(py)?,
            (None, Some(u), _) => u.into_py_any(py)?,
            (None, None, Some(f)) => f.into_py_any(py)?,
            (None, None, None) => py.None(),
        },
        Value::String(s) => s.into_py_any(py)?,
        Value::Array(items) => {
            let list = pyo3::types::PyList::empty(py);
            for item in items {
                list.append(value_to_python(py, item)?)?;
            }
            list.into_py_any(py)?
        }
        Value::Object(map) => {
            let dict = pyo3::types::PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, value_to_python(py, v)?)?;
            }
            dict.into_py_any(py)?
        }
    })
}

/// A table in memory as a `pyarrow.Table` (the batches handed over, not
/// copied).
fn to_pyarrow(py: Python<'_>, table: Rows) -> PyResult<Py<PyAny>> {
    let t = arrow_pyarrow::Table::try_new(table.batches, table.schema)
        .map_err(|e| error(py, "ClimaStationError", e.to_string()))?;
    Ok(t.into_pyarrow(py)?.unbind())
}

/// Configuration files, the environment and the data folder, as the CLI
/// reads them (`config/base_config.yaml` of the working directory if there
/// is one, then `config`, then `CLIMASTATION_*`).
fn load_session(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> Result<Session, JobError> {
    let sources = tracker_config::Sources::standard(config.as_deref());
    let mut cfg = tracker_config::load(&sources)?;
    if let Some(dir) = data_dir {
        cfg = cfg.with_data_dir(&dir);
    }
    Session::new(cfg)
}

/// The selection keywords, as the Python half normalises them (text, as
/// the configuration file and the command line take them).
#[derive(Debug, Default, FromPyObject)]
#[pyo3(from_item_all)]
struct SelectionArgs {
    stations: Option<Vec<String>>,
    near: Option<String>,
    radius_km: Option<f64>,
    bbox: Option<String>,
    name: Option<String>,
    state: Option<String>,
    active: Option<String>,
    start: Option<String>,
    end: Option<String>,
    periods: Option<Vec<String>>,
}

impl SelectionArgs {
    fn raw(&self) -> RawSelection {
        let many = |v: &Option<Vec<String>>| {
            v.as_ref()
                .map(|v| OneOrMany::Many(v.iter().map(|s| Scalar::Text(s.clone())).collect()))
        };
        RawSelection {
            stations: many(&self.stations),
            near: self.near.clone(),
            radius_km: self.radius_km,
            bbox: self.bbox.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            active: self.active.clone(),
            from: self.start.clone().map(Scalar::Text),
            to: self.end.clone().map(Scalar::Text),
            periods: many(&self.periods),
        }
    }
}

/// An archive: one configuration, its progress database and data folder.
#[pyclass(frozen, module = "climastation._climastation")]
struct Archive {
    session: Arc<Session>,
}

impl Archive {
    fn selection(&self, py: Python<'_>, args: &SelectionArgs) -> PyResult<dwd_catalog::Selection> {
        let layer = args
            .raw()
            .to_layer()
            .map_err(|e| raise(py, &JobError::Invalid(e)))?;
        self.session.selection(&layer).map_err(|e| raise(py, &e))
    }

    fn dataset(&self, py: Python<'_>, name: &str) -> PyResult<DatasetId> {
        self.session.dataset(name).map_err(|e| raise(py, &e))
    }
}

#[pymethods]
impl Archive {
    #[new]
    #[pyo3(signature = (config=None, data_dir=None))]
    fn new(py: Python<'_>, config: Option<PathBuf>, data_dir: Option<PathBuf>) -> PyResult<Self> {
        let session = load_session(config, data_dir).map_err(|e| raise(py, &e))?;
        Ok(Archive {
            session: Arc::new(session),
        })
    }

    /// The configuration's paths and datasets.
    fn _paths(&self) -> (PathBuf, PathBuf, PathBuf, PathBuf, String, Vec<String>) {
        let c = self.session.config();
        (
            c.paths.data_dir.clone(),
            c.paths.progress_db.clone(),
            c.paths.raw.clone(),
            c.paths.output.clone(),
            c.source.base_url.clone(),
            c.datasets.iter().map(|d| d.name.clone()).collect(),
        )
    }

    #[pyo3(signature = (datasets, selection, source=None))]
    fn _crawl(
        &self,
        py: Python<'_>,
        datasets: Vec<String>,
        selection: SelectionArgs,
        source: Option<String>,
    ) -> PyResult<Task> {
        for d in &datasets {
            self.dataset(py, d)?;
        }
        let request = climastation_jobs::CrawlRequest {
            datasets,
            source,
            selection: self.selection(py, &selection)?,
        };
        let session = self.session.clone();
        Ok(Task::spawn(move |stop, _events| {
            let store = session.open_store()?;
            let reports = session.crawl(&store, &request, stop)?;
            let root = request
                .source
                .clone()
                .unwrap_or_else(|| session.config().source.base_url.clone());
            Ok(Done::Crawl(climastation_jobs::report::Crawl::new(
                &root,
                &request.selection,
                &reports,
            )))
        }))
    }

    #[pyo3(signature = (datasets, workers, keep_going, processor, crawl, selection, verify_outputs=false))]
    #[allow(clippy::too_many_arguments)]
    fn _run(
        &self,
        py: Python<'_>,
        datasets: Vec<String>,
        workers: Option<i64>,
        keep_going: bool,
        processor: Option<String>,
        crawl: bool,
        selection: SelectionArgs,
        verify_outputs: bool,
    ) -> PyResult<Task> {
        for d in &datasets {
            self.dataset(py, d)?;
        }
        let processor = processor
            .as_deref()
            .map(str::parse::<climastation_jobs::ProcessorKind>)
            .transpose()
            .map_err(|why| error(py, "UsageError", format!("processor {why}")))?;
        let request = climastation_jobs::RunRequest {
            datasets,
            workers,
            keep_going,
            processor,
            crawl: match crawl {
                true => Some(self.selection(py, &selection)?),
                false => None,
            },
            verify_outputs,
            ..climastation_jobs::RunRequest::default()
        };
        let session = self.session.clone();
        Ok(Task::spawn(move |stop, events| {
            let outcome = session.run(&request, stop, events)?;
            Ok(Done::Run(climastation_jobs::report::Run::new(
                &outcome.report,
                i32::from(outcome.exit_code),
            )))
        }))
    }

    #[pyo3(signature = (dataset=None))]
    fn _status(&self, py: Python<'_>, dataset: Option<String>) -> PyResult<Py<PyAny>> {
        let run = || -> Result<climastation_jobs::report::Status, JobError> {
            let d = dataset
                .as_deref()
                .map(|d| self.session.dataset(d))
                .transpose()?;
            let store = self.session.open_store()?;
            let rows = self.session.status(&store, d.as_ref(), None)?;
            Ok(climastation_jobs::report::Status::new(&rows, &PythonWords))
        };
        let v = py.detach(run).map_err(|e| raise(py, &e))?;
        to_python(py, &v)
    }

    #[pyo3(signature = (dataset, unconfirmed, limit))]
    fn _failed(
        &self,
        py: Python<'_>,
        dataset: Option<String>,
        unconfirmed: bool,
        limit: usize,
    ) -> PyResult<Py<PyAny>> {
        let run = || -> Result<Vec<tracker_core::FileRecord>, JobError> {
            let d = dataset
                .as_deref()
                .map(|d| self.session.dataset(d))
                .transpose()?;
            let which = match unconfirmed {
                true => climastation_jobs::FailedList::Unconfirmed,
                false => climastation_jobs::FailedList::Failed,
            };
            let files = self.session.failed(d.as_ref(), which, limit)?;
            Ok(files)
        };
        let files = py.detach(run).map_err(|e| raise(py, &e))?;
        match unconfirmed {
            true => to_python(py, &climastation_jobs::report::Unconfirmed::new(&files)),
            false => to_python(
                py,
                &climastation_jobs::report::Failed::new(&files, &PythonWords),
            ),
        }
    }

    /// The archive over HTTP until Ctrl-C or SIGTERM (the `climastation
    /// serve` command's server, on this archive's configuration).
    #[pyo3(signature = (listen=None))]
    fn _serve(&self, py: Python<'_>, listen: Option<String>) -> PyResult<u8> {
        let listen = listen
            .as_deref()
            .map(|l| {
                l.trim().parse::<std::net::SocketAddr>().map_err(|_| {
                    error(
                        py,
                        "UsageError",
                        format!("listen {l:?}: give HOST:PORT, e.g. 127.0.0.1:8080"),
                    )
                })
            })
            .transpose()?;
        let config = self.session.config().clone();
        py.detach(|| climastation::serve::serve(&config, listen))
            .map_err(|e| {
                let class = match e.downcast_ref::<climastation::UsageError>() {
                    Some(_) => "UsageError",
                    None => "ClimaStationError",
                };
                error(py, class, format!("{e:#}"))
            })
    }

    #[pyo3(signature = (dataset, deep))]
    fn _check(&self, py: Python<'_>, dataset: Option<String>, deep: bool) -> PyResult<Py<PyAny>> {
        let report = py
            .detach(|| self.session.check(dataset.as_deref(), deep))
            .map_err(|e| raise(py, &e))?;
        to_python(
            py,
            &climastation_jobs::report::Check::new(&report, &PythonWords),
        )
    }

    #[pyo3(signature = (dataset, selection, source=None))]
    fn _stations(
        &self,
        py: Python<'_>,
        dataset: String,
        selection: SelectionArgs,
        source: Option<String>,
    ) -> PyResult<Task> {
        self.dataset(py, &dataset)?;
        let selection = self.selection(py, &selection)?;
        let session = self.session.clone();
        Ok(Task::spawn(move |stop, _| {
            let report = session.stations(&dataset, &selection, source.as_deref(), stop)?;
            Ok(Done::Rows(report.rows()?))
        }))
    }

    #[pyo3(signature = (resolution, datasets, selection, parameters, with_station, long, anomaly=None))]
    #[allow(clippy::too_many_arguments)]
    fn _export(
        &self,
        py: Python<'_>,
        resolution: Option<String>,
        datasets: Vec<String>,
        selection: SelectionArgs,
        parameters: Vec<String>,
        with_station: bool,
        long: bool,
        anomaly: Option<String>,
    ) -> PyResult<Task> {
        let anomaly = reference_period(py, dwd_catalog::Field::Anomaly, anomaly.as_deref())?;
        // `series(dataset)`: the dataset's resolution, as the catalog knows it
        let resolution = match (resolution, datasets.first()) {
            (Some(r), _) => parse_resolution(py, &r)?,
            (None, Some(d)) => self.dataset(py, d).and_then(|_| {
                dwd_catalog::Resolution::of(d).ok_or_else(|| error(py, "DatasetError", d.clone()))
            })?,
            (None, None) => {
                return Err(error(
                    py,
                    "UsageError",
                    "resolution: give one, or a dataset".into(),
                ));
            }
        };
        let selection = self.selection(py, &selection)?;
        let session = self.session.clone();
        Ok(Task::spawn(move |stop, _| {
            let spec = dwd_series::export::Spec {
                resolution,
                datasets,
                selection,
                parameters,
                with_station,
                long,
                stop: Some(stop.clone()),
                anomaly,
            };
            Ok(Done::Rows(session.export_rows(&spec)?))
        }))
    }

    #[pyo3(signature = (period, selection, parameters, obsolete=false))]
    fn _normals(
        &self,
        py: Python<'_>,
        period: String,
        selection: SelectionArgs,
        parameters: Vec<String>,
        obsolete: bool,
    ) -> PyResult<Task> {
        let period = reference_period(py, dwd_catalog::Field::ReferencePeriod, Some(&period))?
            .unwrap_or(dwd_catalog::ReferencePeriod::CURRENT);
        let selection = self.selection(py, &selection)?;
        let session = self.session.clone();
        Ok(Task::spawn(move |_, _| {
            let request = climastation_jobs::NormalsRequest {
                period,
                selection,
                parameters,
                obsolete,
            };
            Ok(Done::Rows(session.normals_rows(&request)?.0))
        }))
    }

    #[pyo3(signature = (resolution, parameters, at, start, end, method, min_quality, max_distance_km, k, anomaly=None))]
    #[allow(clippy::too_many_arguments)]
    fn _values(
        &self,
        py: Python<'_>,
        resolution: String,
        parameters: Vec<String>,
        at: Vec<String>,
        start: Option<String>,
        end: Option<String>,
        method: String,
        min_quality: Option<i32>,
        max_distance_km: Option<f64>,
        k: Option<usize>,
        anomaly: Option<String>,
    ) -> PyResult<Task> {
        let anomaly = reference_period(py, dwd_catalog::Field::Anomaly, anomaly.as_deref())?;
        let method = method
            .parse::<dwd_series::values::Method>()
            .map_err(|why| error(py, "UsageError", format!("method {method:?}: {why}")))?;
        let request = climastation_jobs::ValuesRequest {
            resolution: parse_resolution(py, &resolution)?,
            parameters,
            at,
            points_file: None,
            from: start,
            to: end,
            method: Some(method),
            min_quality,
            max_distance_km,
            k,
            anomaly,
        };
        // the request is checked here, so that a bad one raises at once
        self.session
            .values_spec(&request, &tracker_core::Cancel::new())
            .map_err(|e| raise(py, &e))?;
        let session = self.session.clone();
        Ok(Task::spawn(move |stop, _| {
            Ok(Done::Rows(session.values_rows(&request, stop)?))
        }))
    }
}

/// Every dataset of the catalog (or of one resolution) with its periods,
/// time rule and parameters, as `climastation --json datasets` prints it.
#[pyfunction]
#[pyo3(signature = (resolution=None))]
fn _datasets(py: Python<'_>, resolution: Option<String>) -> PyResult<Py<PyAny>> {
    let resolution = resolution
        .as_deref()
        .map(|r| parse_resolution(py, r))
        .transpose()?;
    let report = climastation_jobs::datasets(None, resolution).map_err(|e| raise(py, &e))?;
    to_python(py, &report)
}

/// The command-line program in this process: `argv` as `sys.argv` (the
/// first item the program's name); returns the exit code.
#[pyfunction]
fn _cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| climastation::run_from(argv))
}

/// For `cargo xtask bench python`: a table of `rows` rows (station id,
/// time, a float value) built here, then handed to pyarrow; returns the
/// table, the seconds the handing took, and the address of the value
/// column's data (the same in pyarrow when nothing was copied).
#[pyfunction]
fn _handover(py: Python<'_>, rows: usize) -> PyResult<(Py<PyAny>, f64, usize)> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("station_id", DataType::UInt32, false),
        Field::new("timestamp_ms", DataType::Int64, false),
        Field::new("value", DataType::Float64, true),
    ]));
    let values = Float64Array::from_iter_values((0..rows).map(|i| (i % 400) as f64 / 10.0));
    let address = values.values().as_ptr() as usize;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(UInt32Array::from_iter_values(
                (0..rows).map(|i| (i / 8760) as u32),
            )),
            Arc::new(arrow_array::Int64Array::from_iter_values(
                (0..rows as i64).map(|i| i * 3_600_000),
            )),
            Arc::new(values),
        ],
    )
    .map_err(|e| error(py, "ClimaStationError", e.to_string()))?;
    let table = Rows {
        schema,
        batches: vec![batch],
    };
    let start = std::time::Instant::now();
    let t = to_pyarrow(py, table)?;
    Ok((t, start.elapsed().as_secs_f64(), address))
}

#[pymodule]
fn _climastation(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // the library's events, info and above, to Python's logging under
    // `climastation.<rust module>`; levels are read at each event (no
    // cache), so `logging.getLogger("climastation").setLevel(…)` works any
    // time. A program that set a `log` logger already keeps its own.
    let logger = pyo3_log::Logger::new(m.py(), pyo3_log::Caching::Loggers)?
        .filter(log::LevelFilter::Info)
        .set_prefix("climastation");
    let _ = logger.install();
    m.add_class::<Archive>()?;
    m.add_class::<Task>()?;
    m.add_function(wrap_pyfunction!(_datasets, m)?)?;
    m.add_function(wrap_pyfunction!(_cli, m)?)?;
    m.add_function(wrap_pyfunction!(_handover, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
