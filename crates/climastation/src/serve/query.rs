//! Query strings parsed once into the library's types. Each endpoint's
//! parameters are a struct of texts (an unknown or repeated key is refused
//! by its name), then each text is parsed into the type the library takes;
//! an error names the parameter. The selection goes the way of the command
//! line's and Python's: a `SelectionLayer` laid over the configuration's.

use dwd_catalog::{Field, Resolution};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracker_config::{OneOrMany, RawSelection, Scalar};
use utoipa::IntoParams;

use super::problem::{Problem, name};

/// The query's parameters as `T`: an unknown or repeated key is a 400
/// naming it.
pub fn parse<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, Problem> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
        let text = e.to_string();
        // serde names the key between backticks: "unknown field `x`, …"
        let key = text.split('`').nth(1).unwrap_or("query").to_owned();
        Problem::bad(key, format!("query: {text}"))
    })
}

/// A required parameter.
pub fn required(field: Field, v: Option<String>) -> Result<String, Problem> {
    match v {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Problem::bad(
            name(field),
            format!("{} is required", name(field)),
        )),
    }
}

/// `a,b,c` as items (none for an absent parameter).
pub fn list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default()
}

/// A number of the parameter `key`.
pub fn number<T: std::str::FromStr>(key: &str, v: &Option<String>) -> Result<Option<T>, Problem> {
    v.as_deref()
        .map(|t| {
            t.trim()
                .parse::<T>()
                .map_err(|_| Problem::bad(key, format!("{key} {t:?}: not a number")))
        })
        .transpose()
}

/// The one station id of the parameter `station` (required).
pub fn station(v: &Option<String>) -> Result<u32, Problem> {
    let text = v
        .as_deref()
        .ok_or_else(|| Problem::bad("station", "station is required (an id, like 44)"))?;
    dwd_catalog::selection::parse_stations(&[text.to_owned()])
        .ok()
        .filter(|ids| ids.len() == 1)
        .and_then(|ids| ids.first().copied())
        .ok_or_else(|| {
            Problem::bad(
                "station",
                format!("station {text:?}: one station id, like 44 or 00044"),
            )
        })
}

/// `true`/`false` (also `1`/`0`); absent: false.
pub fn flag(key: &str, v: &Option<String>) -> Result<bool, Problem> {
    match v.as_deref().map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(t) => Err(Problem::bad(key, format!("{key} {t:?}: true or false"))),
    }
}

pub fn resolution(v: &str) -> Result<Resolution, Problem> {
    v.parse::<Resolution>().map_err(|why| Problem {
        parameter: Some(name(Field::Resolution)),
        ..Problem::new(axum::http::StatusCode::NOT_FOUND, why.to_string())
    })
}

/// `wide` (a column per parameter) or `long` (a row per parameter).
pub fn long(v: &Option<String>) -> Result<bool, Problem> {
    match v.as_deref().map(str::trim) {
        None | Some("wide") => Ok(false),
        Some("long") => Ok(true),
        Some(t) => Err(Problem::bad("shape", format!("shape {t:?}: wide or long"))),
    }
}

/// The selection parameters, as texts.
#[derive(Clone, Debug, Default)]
pub struct SelectionTexts {
    pub stations: Option<String>,
    pub near: Option<String>,
    pub radius_km: Option<String>,
    pub bbox: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub active: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub periods: Option<String>,
}

impl SelectionTexts {
    /// The layer these give (each value parsed; combined by the session).
    pub fn layer(&self) -> Result<dwd_catalog::SelectionLayer, Problem> {
        let many = |v: &Option<String>| {
            v.as_ref()
                .map(|v| OneOrMany::Many(vec![Scalar::Text(v.clone())]))
        };
        let raw = RawSelection {
            stations: many(&self.stations),
            near: self.near.clone(),
            radius_km: number(&name(Field::RadiusKm), &self.radius_km)?,
            bbox: self.bbox.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            active: self.active.clone(),
            from: self.start.clone().map(Scalar::Text),
            to: self.end.clone().map(Scalar::Text),
            periods: many(&self.periods),
        };
        raw.to_layer()
            .map_err(|e| Problem::from(climastation_jobs::JobError::Invalid(e)))
    }
}

/// `GET /api/v1/datasets`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DatasetsQuery {
    /// Only the datasets of this resolution (`1_minute`, `10_minutes`,
    /// `hourly`, `subdaily`, `daily`, `monthly`, `annual`, `multi_annual`).
    #[param(example = "daily")]
    pub resolution: Option<String>,
    /// `true`: only the datasets this archive has tables of (its runs
    /// converted them).
    pub archived: Option<String>,
}

/// `GET /api/v1/stations`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StationsQuery {
    /// The dataset (`hourly/air_temperature`).
    #[param(example = "hourly/air_temperature")]
    pub dataset: Option<String>,
    /// Station ids, `44,3987`.
    pub stations: Option<String>,
    /// A place `LAT,LON`; with `radius_km`; nearest first.
    #[param(example = "49.97,11.52")]
    pub near: Option<String>,
    #[param(example = "30")]
    pub radius_km: Option<String>,
    /// A box `W,S,E,N`.
    pub bbox: Option<String>,
    /// Part of the station's name, without case.
    pub name: Option<String>,
    /// The federal state, without case.
    pub state: Option<String>,
    /// Active during `FROM..TO` (either side may be open).
    pub active: Option<String>,
    /// `json` (default), `geojson` or `csv`.
    pub format: Option<String>,
}

impl StationsQuery {
    pub fn selection(&self) -> SelectionTexts {
        SelectionTexts {
            stations: self.stations.clone(),
            near: self.near.clone(),
            radius_km: self.radius_km.clone(),
            bbox: self.bbox.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            active: self.active.clone(),
            ..SelectionTexts::default()
        }
    }
}

/// `GET /api/v1/series`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// The dataset (`hourly/air_temperature`).
    #[param(example = "daily/kl")]
    pub dataset: Option<String>,
    /// The station id (`44` or `00044`).
    #[param(example = "4271")]
    pub station: Option<String>,
    /// The first day (`1990-01-01`, or a year).
    pub start: Option<String>,
    /// The last day, included.
    pub end: Option<String>,
    /// Parameters (output names), `a,b`; all by default.
    pub parameters: Option<String>,
    /// `wide` (default: a column per parameter) or `long` (a row per
    /// station, time and parameter).
    pub shape: Option<String>,
    /// The station's name, coordinates and height as columns.
    pub with_station: Option<String>,
    /// `json` (default), `csv`, `jsonl`, `parquet` or `arrow` (an Arrow IPC
    /// stream).
    pub format: Option<String>,
    /// A reference period (`1991-2020`): each value column with a
    /// comparable normal gets `<column>_anomaly`, the value minus the
    /// station's normal (see README, "Climate normals").
    #[param(example = "1961-1990")]
    pub anomaly: Option<String>,
}

/// `GET /api/v1/export`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The resolution (`hourly`, `daily`, …).
    #[param(example = "daily")]
    pub resolution: Option<String>,
    /// Datasets of the resolution, `a,b`; every one with series by default.
    pub datasets: Option<String>,
    /// Station ids, `44,3987`.
    #[param(example = "4271")]
    pub stations: Option<String>,
    /// A place `LAT,LON`, with `radius_km`.
    pub near: Option<String>,
    pub radius_km: Option<String>,
    /// A box `W,S,E,N`.
    pub bbox: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    /// Stations active during `FROM..TO`.
    pub active: Option<String>,
    /// The first day (`1990-01-01`, or a year).
    pub start: Option<String>,
    /// The last day, included.
    pub end: Option<String>,
    /// Period folders: `historical,recent,now`.
    pub periods: Option<String>,
    /// Parameters (output names), `a,b`; all by default.
    pub parameters: Option<String>,
    /// `wide` (default) or `long`.
    pub shape: Option<String>,
    /// The station's name, coordinates and height as columns.
    pub with_station: Option<String>,
    /// `json` (default), `csv`, `jsonl`, `parquet` or `arrow`.
    pub format: Option<String>,
    /// A reference period (`1991-2020`): anomalies against its normals.
    pub anomaly: Option<String>,
}

impl ExportQuery {
    pub fn selection(&self) -> SelectionTexts {
        SelectionTexts {
            stations: self.stations.clone(),
            near: self.near.clone(),
            radius_km: self.radius_km.clone(),
            bbox: self.bbox.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            active: self.active.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            periods: self.periods.clone(),
        }
    }
}

/// `GET /api/v1/values`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ValuesQuery {
    /// The place's latitude (degrees north).
    #[param(example = "49.97")]
    pub lat: Option<String>,
    /// The place's longitude (degrees east).
    #[param(example = "11.52")]
    pub lon: Option<String>,
    /// The place's height (m), for the lapse rate under idw.
    pub height_m: Option<String>,
    /// The resolution (`hourly`, `daily`, …).
    #[param(example = "hourly")]
    pub resolution: Option<String>,
    /// Parameters (output names), `a,b`.
    #[param(example = "temperature_air_2m")]
    pub parameters: Option<String>,
    /// `nearest` (default) or `idw`.
    pub method: Option<String>,
    /// The first day.
    pub start: Option<String>,
    /// The last day, included.
    pub end: Option<String>,
    /// Stations averaged by idw (1 to 64).
    pub k: Option<String>,
    /// The farthest station used (km).
    pub max_distance_km: Option<String>,
    /// The lowest DWD quality level used (1 to 10).
    pub min_quality: Option<String>,
    /// A reference period (`1991-2020`): anomalies against its normals,
    /// taken with the value's stations and weights.
    pub anomaly: Option<String>,
    /// `json` (default), `csv`, `jsonl`, `parquet` or `arrow`.
    pub format: Option<String>,
}

/// `GET /api/v1/normals`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NormalsQuery {
    /// The reference period: 1961-1990, 1971-2000, 1981-2010 or
    /// 1991-2020 (default).
    #[param(example = "1961-1990")]
    pub period: Option<String>,
    /// Station ids, `a,b`.
    #[param(example = "3987")]
    pub stations: Option<String>,
    /// `LAT,LON`: stations within `radius_km`.
    pub near: Option<String>,
    pub radius_km: Option<String>,
    /// `W,S,E,N`.
    pub bbox: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    /// Parameters (English names), `a,b`; all by default.
    pub parameters: Option<String>,
    /// `true`: DWD's older normals of the period (its `_obsolete` folder),
    /// each row with its `location_rule`.
    pub obsolete: Option<String>,
    /// `json` (default), `csv`, `jsonl`, `parquet` or `arrow`.
    pub format: Option<String>,
}

/// `GET /api/v1/coverage`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The station's id (`44` or `00044`).
    #[param(example = "44")]
    pub station: Option<String>,
}

/// `GET /api/v1/status`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Only this dataset.
    pub dataset: Option<String>,
}

/// `GET /api/v1/check`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Only this dataset's tables.
    pub dataset: Option<String>,
    /// Hash every table (not only its size and time).
    pub deep: Option<String>,
}

/// A reference period (`anomaly=`, `period=`), parsed once.
pub fn reference_period(
    field: Field,
    text: &Option<String>,
) -> Result<Option<dwd_catalog::ReferencePeriod>, Problem> {
    dwd_catalog::ReferencePeriod::parse_given(field, text.as_deref())
        .map_err(|e| Problem::from(climastation_jobs::JobError::Invalid(e)))
}
