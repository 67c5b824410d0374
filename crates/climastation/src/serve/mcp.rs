//! `/mcp`: the archive for AI assistants, over the Model Context
//! Protocol's streamable HTTP transport (rmcp, the official Rust SDK).
//! Each tool builds the query of the HTTP endpoint it mirrors and goes
//! through that endpoint's own parsing and library call, so the checks
//! and answers are the API's; results are capped to what a model can
//! read, with a note and the URL of the whole table.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;

use super::api::{self, Shared};
use super::body::Head;
use super::problem::Problem;
use super::query::StationsQuery;

/// Rows a tool answers with unless it asks for fewer (at most [`MOST`]).
const ROWS: usize = 200;
const MOST: usize = 2000;

/// The tools, over the server's state.
#[derive(Clone)]
pub struct Tools {
    server: Shared,
    /// `http://HOST:PORT`: where the full tables are.
    base: String,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for Tools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tools").field("base", &self.base).finish()
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListDatasets {
    /// Only this resolution: 1_minute, 5_minutes, 10_minutes, hourly,
    /// subdaily, daily, monthly, annual, multi_annual.
    #[serde(default)]
    pub resolution: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FindStations {
    /// The dataset, e.g. hourly/air_temperature or daily/kl (list_datasets names them).
    pub dataset: String,
    /// With longitude and radius_km: stations around this place, nearest first.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub radius_km: Option<f64>,
    /// A box "W,S,E,N" in degrees.
    #[serde(default)]
    pub bbox: Option<String>,
    /// Part of the station's name, e.g. Leipzig.
    #[serde(default)]
    pub name: Option<String>,
    /// The federal state, e.g. Sachsen.
    #[serde(default)]
    pub state: Option<String>,
    /// At most this many stations (default 200).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct StationSeries {
    /// The dataset, e.g. hourly/air_temperature.
    pub dataset: String,
    /// The station id, e.g. 320.
    pub station: u32,
    /// The first day, YYYY-MM-DD (or a year).
    #[serde(default)]
    pub start: Option<String>,
    /// The last day, included.
    #[serde(default)]
    pub end: Option<String>,
    /// Parameters (English output names); all by default.
    #[serde(default)]
    pub parameters: Option<Vec<String>>,
    /// A reference period (1961-1990, 1971-2000, 1981-2010, 1991-2020):
    /// adds <parameter>_anomaly, the value minus DWD's normal of the month.
    #[serde(default)]
    pub anomaly: Option<String>,
    /// At most this many rows (default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ValuesAtPlace {
    pub latitude: f64,
    pub longitude: f64,
    /// The resolution: hourly, daily, …
    pub resolution: String,
    /// Parameters (English output names), e.g. temperature_air_2m.
    pub parameters: Vec<String>,
    /// The first day, YYYY-MM-DD (or a year).
    #[serde(default)]
    pub start: Option<String>,
    /// The last day, included.
    #[serde(default)]
    pub end: Option<String>,
    /// nearest (default) or idw.
    #[serde(default)]
    pub method: Option<String>,
    /// A reference period (1961-1990 … 1991-2020): adds
    /// <parameter>_anomaly against DWD's normals.
    #[serde(default)]
    pub anomaly: Option<String>,
    /// At most this many rows (default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ClimateNormals {
    /// The reference period: 1961-1990, 1971-2000, 1981-2010 or 1991-2020 (default).
    #[serde(default)]
    pub period: Option<String>,
    /// Station ids, e.g. [3987].
    #[serde(default)]
    pub stations: Option<Vec<u32>>,
    /// With longitude and radius_km: the stations around a place.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub radius_km: Option<f64>,
    /// Part of the station's name, e.g. Potsdam.
    #[serde(default)]
    pub name: Option<String>,
    /// Parameters, e.g. temperature_air_mean_2m, precipitation_height; all by default.
    #[serde(default)]
    pub parameters: Option<Vec<String>>,
    /// At most this many rows (default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// A problem as a tool's error text.
fn said(p: Problem) -> String {
    match p.parameter {
        Some(name) => format!("{} (parameter {name})", p.detail),
        None => p.detail,
    }
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let given: Vec<(&str, String)> = pairs
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(given).unwrap_or_default()
}

impl Tools {
    pub fn new(server: Shared, base: String) -> Tools {
        Tools {
            server,
            base,
            tool_router: Self::tool_router(),
        }
    }

    /// A table endpoint's first rows as JSON text, with a note and the
    /// URL of the whole table when there are more.
    async fn table(
        &self,
        path: &str,
        q: String,
        limit: Option<usize>,
        job: api::TableEndpoint,
    ) -> Result<String, String> {
        let limit = limit.unwrap_or(ROWS).clamp(1, MOST);
        let work = job(&self.server, Some(&q)).map_err(said)?.job;
        let answer = tokio::task::spawn_blocking(move || {
            let mut head = Head::new(limit);
            let done = work(&mut head, dwd_series::output::Format::Parquet);
            let empty = head.settle(done)?;
            let mut v = head.json(&empty)?;
            Ok::<_, climastation_jobs::JobError>((v.take(), head.more))
        })
        .await
        .map_err(|e| said(super::body::panicked(e)))?
        .map_err(|e| said(Problem::from(e)))?;
        let (mut v, more) = answer;
        let url = format!("{}{path}?{q}&format=csv", self.base);
        if let Some(o) = v.as_object_mut() {
            // a parameter asked by a former name: said, as every front end does
            let warnings: Vec<serde_json::Value> = o
                .get("meta")
                .and_then(|m| m.as_object())
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| k.starts_with("renamed."))
                        .map(|(_, w)| w.clone())
                        .collect()
                })
                .unwrap_or_default();
            o.remove("meta");
            if !warnings.is_empty() {
                o.insert("warnings".into(), warnings.into());
            }
            o.insert("full_table_csv".into(), url.into());
            if more {
                o.insert(
                    "note".into(),
                    format!("only the first {limit} rows: the whole table is at full_table_csv (or narrow start/end)").into(),
                );
            }
        }
        Ok(v.to_string())
    }
}

#[tool_router]
impl Tools {
    #[tool(
        description = "The datasets of the German weather service's (DWD) climate archive that ClimaStation knows: name, resolution, title, whether converted, parameters (English name, unit). Filter by resolution to keep it short."
    )]
    async fn list_datasets(
        &self,
        Parameters(p): Parameters<ListDatasets>,
    ) -> Result<String, String> {
        let resolution = p
            .resolution
            .as_deref()
            .map(super::query::resolution)
            .transpose()
            .map_err(said)?;
        let translations = self.server.session.config().paths.translations.clone();
        let report = tokio::task::spawn_blocking(move || {
            climastation_jobs::datasets(translations.as_deref(), resolution)
        })
        .await
        .map_err(|e| said(super::body::panicked(e)))?
        .map_err(|e| said(Problem::from(e)))?;
        let short: Vec<serde_json::Value> = report
            .datasets
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.name,
                    "resolution": d.resolution,
                    "title": d.title,
                    "converted": d.converted,
                    "parameters": d.parameters.iter().map(|p| format!("{} [{}]", p.name, p.unit)).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(serde_json::json!({ "datasets": short }).to_string())
    }

    #[tool(
        description = "Weather stations of a DWD dataset that this archive holds: by place (latitude, longitude, radius_km; nearest first with distance_km), box, name or state. Each with id, name, state, coordinates, height and its first and last date."
    )]
    async fn find_stations(
        &self,
        Parameters(p): Parameters<FindStations>,
    ) -> Result<String, String> {
        let near = match (p.latitude, p.longitude) {
            (Some(lat), Some(lon)) => Some(format!("{lat},{lon}")),
            (None, None) => None,
            _ => return Err("give both latitude and longitude".into()),
        };
        let q = StationsQuery {
            dataset: Some(p.dataset),
            near,
            radius_km: p.radius_km.map(|r| r.to_string()),
            bbox: p.bbox,
            name: p.name,
            state: p.state,
            ..StationsQuery::default()
        };
        let mut report = api::stations_report(&self.server, &q).await.map_err(said)?;
        let limit = p.limit.unwrap_or(ROWS).clamp(1, MOST);
        let total = report.stations.len();
        report.stations.truncate(limit);
        let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        if total > limit
            && let Some(o) = v.as_object_mut()
        {
            o.insert(
                "note".into(),
                format!("{total} stations match; the first {limit} are listed").into(),
            );
        }
        Ok(v.to_string())
    }

    #[tool(
        description = "One station's measured series from a DWD dataset for a span of days: one row per time (UTC) with each parameter and its DWD quality level. Rows are capped (limit); the note and full_table_csv give the rest."
    )]
    async fn station_series(
        &self,
        Parameters(p): Parameters<StationSeries>,
    ) -> Result<String, String> {
        let q = query(&[
            ("dataset", Some(p.dataset)),
            ("station", Some(p.station.to_string())),
            ("start", p.start),
            ("end", p.end),
            ("parameters", p.parameters.map(|v| v.join(","))),
            ("anomaly", p.anomaly),
        ]);
        self.table("/api/v1/series", q, p.limit, api::series_job)
            .await
    }

    #[tool(
        description = "Values at a place (latitude, longitude) from the stations around it, as DWD measured them: nearest station or inverse-distance weighting (method idw). Every value with the stations it came from, their distances, weights and the method. Rows are capped (limit)."
    )]
    async fn values_at_place(
        &self,
        Parameters(p): Parameters<ValuesAtPlace>,
    ) -> Result<String, String> {
        let q = query(&[
            ("lat", Some(p.latitude.to_string())),
            ("lon", Some(p.longitude.to_string())),
            ("resolution", Some(p.resolution)),
            ("parameters", Some(p.parameters.join(","))),
            ("start", p.start),
            ("end", p.end),
            ("method", p.method),
            ("anomaly", p.anomaly),
        ]);
        self.table("/api/v1/values", q, p.limit, api::values_job)
            .await
    }

    #[tool(
        description = "DWD's published climate normals (the 30-year means of 1961-1990, 1971-2000, 1981-2010 or 1991-2020) of stations: a row per station, parameter and month (month null: the year) with the value and DWD's source code (how the normal was formed). Compare a measured month with it, or ask station_series/values_at_place for anomaly columns."
    )]
    async fn climate_normals(
        &self,
        Parameters(p): Parameters<ClimateNormals>,
    ) -> Result<String, String> {
        let near = match (p.latitude, p.longitude) {
            (Some(a), Some(b)) => Some(format!("{a},{b}")),
            _ => None,
        };
        let q = query(&[
            ("period", p.period),
            (
                "stations",
                p.stations
                    .map(|v| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
            ),
            ("near", near),
            ("radius_km", p.radius_km.map(|r| r.to_string())),
            ("name", p.name),
            ("parameters", p.parameters.map(|v| v.join(","))),
        ]);
        self.table("/api/v1/normals", q, p.limit, api::normals_job)
            .await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("climastation", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "ClimaStation serves the German weather service's (DWD) climate observations as converted on this machine. Find a dataset (list_datasets), its stations near a place (find_stations), then a station's series (station_series) or values at the place (values_at_place). Times are UTC; values are as DWD measured them, with their quality levels.",
            )
    }
}
