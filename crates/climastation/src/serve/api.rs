//! The endpoints. Each parses its query once (`query.rs`), makes one
//! library call on a blocking thread, and renders the library's report or
//! rows; no job logic here.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use climastation_jobs::{JobError, Session, report};
use dwd_catalog::Field;
use utoipa::OpenApi;

use super::body::{self, TableFormat};
use super::problem::{Problem, name};
use super::query::{self, CheckQuery, DatasetsQuery, ExportQuery, SeriesQuery, StationsQuery};
use super::query::{CoverageQuery, NormalsQuery, StatusQuery, ValuesQuery};

/// What every request shares: the library's session (a reader's: the
/// progress database opened read-only) and the limits.
#[derive(Debug)]
pub struct Server {
    pub session: Session,
    pub limits: tracker_config::Serve,
    /// Set when the server stops: open event streams end.
    pub stopping: tracker_core::Cancel,
    /// Event streams open at once (`serve.max_streams`): a stream holds
    /// one of these, not a request slot, for as long as it is open.
    pub streams: Arc<tokio::sync::Semaphore>,
}

pub type Shared = Arc<Server>;

/// A table endpoint's query parsed into its format and its job.
pub type TableEndpoint = fn(&Shared, Option<&str>) -> Result<Table, Problem>;

/// A table request, parsed: how it is written, which tables it reads (for
/// its ETag) and the work that hands its rows on.
pub struct Table {
    pub format: TableFormat,
    pub scope: Scope,
    pub job: body::Job,
    /// Parameters asked by a former name: a `Warning` header each (the
    /// table's metadata says it too, `renamed.<old>`).
    pub warnings: Vec<String>,
}

/// What the parameters asked by a former name are called now, one line
/// each (for the answer's `Warning` headers).
fn renamed_warnings(
    s: &Shared,
    scope: &Scope,
    parameters: &[String],
) -> Result<Vec<String>, Problem> {
    let Some((resolution, datasets)) = scope else {
        return Ok(Vec::new());
    };
    let (_, renamed) = s
        .session
        .current_parameters(*resolution, datasets, parameters)
        .map_err(Problem::from)?;
    Ok(renamed
        .iter()
        .map(|r| format!("parameters {}: {r}", r.old))
        .collect())
}

/// `f` on a blocking thread (the library reads files and SQLite).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, JobError> + Send + 'static,
) -> Result<T, Problem> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(Problem::from),
        Err(e) => Err(body::panicked(e)),
    }
}

/// A request's cancellation: set when its deadline passes (the library
/// stops between stations or places), or when the answer is dropped.
struct Deadline {
    cancel: tracker_core::Cancel,
    timer: tokio::task::JoinHandle<()>,
}

impl Deadline {
    fn new(after: std::time::Duration) -> Deadline {
        let cancel = tracker_core::Cancel::new();
        let c = cancel.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(after).await;
            c.cancel();
        });
        Deadline { cancel, timer }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.timer.abort();
    }
}

/// The tables an answer reads: a resolution's datasets, or some of them.
pub type Scope = Option<(dwd_catalog::Resolution, Vec<String>)>;

/// A strong ETag for the request `uri` over `scope`'s tables: their
/// ledger fingerprint, the endpoint and its query, this program's version.
async fn etag(s: &Shared, uri: &Uri, scope: Scope) -> Option<HeaderValue> {
    use sha2::Digest;
    let (resolution, only) = scope?;
    let s = s.clone();
    let fp = tokio::task::spawn_blocking(move || s.session.fingerprint(resolution, &only))
        .await
        .ok()?
        .ok()??;
    let mut h = sha2::Sha256::new();
    h.update(fp);
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(uri.path().as_bytes());
    h.update([0]);
    h.update(uri.query().unwrap_or("").as_bytes());
    let hex: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).ok()
}

/// `answer` under its ETag: a request whose `If-None-Match` names it gets
/// 304 without the tables being read again.
async fn tagged(
    s: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    scope: Scope,
    answer: impl std::future::Future<Output = Response>,
) -> Response {
    let tag = etag(s, uri, scope).await;
    if let Some(t) = &tag
        && let Some(asked) = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        && asked.split(',').any(|a| {
            a.trim() == "*" || a.trim().trim_start_matches("W/") == t.to_str().unwrap_or("")
        })
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, t.clone())]).into_response();
    }
    let mut r = answer.await;
    if r.status() == StatusCode::OK
        && let Some(t) = tag
    {
        r.headers_mut().insert(header::ETAG, t);
    }
    r
}

/// A table endpoint's answer under its ETag; its query parsed once.
async fn table_answer(
    s: &Shared,
    headers: &HeaderMap,
    uri: &Uri,
    q: Option<&str>,
    endpoint: TableEndpoint,
) -> Response {
    match endpoint(s, q) {
        Ok(t) => {
            let answer = body::table(t.format, s.limits.max_json_rows, t.job);
            let mut response = tagged(s, headers, uri, t.scope, answer).await;
            for w in &t.warnings {
                // RFC 9111's Warning: 299, a persistent warning
                if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
                    "299 climastation {:?}",
                    w.replace('"', "'")
                )) {
                    response.headers_mut().append(header::WARNING, v);
                }
            }
            response
        }
        Err(p) => p.into_response(),
    }
}

/// A dataset's resolution and itself, when the catalog knows it.
fn dataset_scope(dataset: Option<&str>) -> Scope {
    let d = dataset?;
    Some((dwd_catalog::Resolution::of(d)?, vec![d.to_owned()]))
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets",
    params(DatasetsQuery),
    responses(
        (status = 200, description = "The catalog's datasets, as `climastation --json datasets`", body = report::Datasets),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A resolution the archive does not have", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn datasets(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Json<report::Datasets>, Problem> {
    let q: DatasetsQuery = query::parse(q.as_deref())?;
    let resolution = q.resolution.as_deref().map(query::resolution).transpose()?;
    let archived = query::flag("archived", &q.archived)?;
    let translations = s.session.config().paths.translations.clone();
    blocking(move || {
        let mut all = climastation_jobs::datasets(translations.as_deref(), resolution)?;
        if archived {
            let have = s.session.archived_datasets();
            all.datasets.retain(|d| have.contains(&d.name));
        }
        Ok(all)
    })
    .await
    .map(Json)
}

#[utoipa::path(
    get,
    path = "/api/v1/stations",
    params(StationsQuery),
    responses(
        (status = 200, description = "The dataset's stations as its last run merged them, the selection applied (nearest first with `near`); `format=geojson` a FeatureCollection, `format=csv` a table", body = report::Stations,
            content(
                (report::Stations = "application/json"),
                (GeoJson = "application/geo+json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A dataset the archive does not have", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The station list is not what the runs wrote", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stations(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Response {
    let q: StationsQuery = match query::parse(q.as_deref()) {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let scope = dataset_scope(q.dataset.as_deref());
    tagged(&s, &headers, &uri, scope, async {
        stations_answer(&s, &q)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    })
    .await
}

async fn stations_answer(s: &Shared, q: &StationsQuery) -> Result<Response, Problem> {
    let format = match q.format.as_deref().map(str::trim) {
        None | Some("json") => "json",
        Some("geojson") => "geojson",
        Some("csv") => "csv",
        Some(t) => {
            return Err(Problem::bad(
                "format",
                format!("format {t:?}: json, geojson or csv"),
            ));
        }
    };
    let report = stations_report(s, q).await?;
    Ok(match format {
        "geojson" => (
            [(header::CONTENT_TYPE, "application/geo+json")],
            Json(GeoJson::of(&report)),
        )
            .into_response(),
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            stations_csv(&report),
        )
            .into_response(),
        _ => Json(report).into_response(),
    })
}

/// The stations a query asks for (also the MCP tool's).
pub async fn stations_report(s: &Shared, q: &StationsQuery) -> Result<report::Stations, Problem> {
    let dataset = query::required(Field::Dataset, q.dataset.clone())?;
    let layer = q.selection().layer()?;
    let s = s.clone();
    blocking(move || {
        let selection = s.session.selection(&layer)?;
        s.session.stations_converted(&dataset, &selection)
    })
    .await
}

/// Stations as a GeoJSON FeatureCollection: a point each (longitude,
/// latitude, height), the station's fields as properties.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GeoJson {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<Feature>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Feature {
    #[serde(rename = "type")]
    kind: &'static str,
    geometry: Point,
    properties: report::Station,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Point {
    #[serde(rename = "type")]
    kind: &'static str,
    /// Longitude, latitude (and height in m, when known).
    coordinates: Vec<f64>,
}

impl GeoJson {
    fn of(r: &report::Stations) -> GeoJson {
        GeoJson {
            kind: "FeatureCollection",
            features: r
                .stations
                .iter()
                .map(|s| Feature {
                    kind: "Feature",
                    geometry: Point {
                        kind: "Point",
                        coordinates: std::iter::once(s.longitude)
                            .chain(std::iter::once(s.latitude))
                            .chain(s.height_m)
                            .collect(),
                    },
                    properties: s.clone(),
                })
                .collect(),
        }
    }
}

/// The stations as CSV, the columns of Python's `stations` table.
fn stations_csv(r: &report::Stations) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "station_id",
        "name",
        "state",
        "latitude",
        "longitude",
        "height_m",
        "first_date",
        "last_date",
        "distance_km",
        "series_rows",
    ]);
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for s in &r.stations {
        let _ = w.write_record([
            s.station_id.to_string(),
            s.name.clone(),
            s.state.clone(),
            s.latitude.to_string(),
            s.longitude.to_string(),
            opt(s.height_m),
            s.first_date.clone(),
            s.last_date.clone(),
            opt(s.distance_km),
            s.series_rows.map(|n| n.to_string()).unwrap_or_default(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

#[utoipa::path(
    get,
    path = "/api/v1/series",
    params(SeriesQuery),
    responses(
        (status = 200, description = "One station's merged series of one dataset: JSON (`meta` with the output's rules, `columns`, `rows` as records), CSV, JSON lines, Parquet or an Arrow IPC stream", body = TableJson,
            content(
                (TableJson = "application/json"),
                (String = "text/csv"),
                (String = "application/x-ndjson"),
                (Vec<u8> = "application/vnd.apache.parquet"),
                (Vec<u8> = "application/vnd.apache.arrow.stream"),
            )),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A dataset the archive does not have, or no series of it yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A table is not what the runs wrote", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More rows than a JSON answer may hold", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn series(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Response {
    table_answer(&s, &headers, &uri, q.as_deref(), series_job).await
}

pub fn series_job(s: &Shared, q: Option<&str>) -> Result<Table, Problem> {
    let q: SeriesQuery = query::parse(q)?;
    let dataset = query::required(Field::Dataset, q.dataset.clone())?;
    let scope = dataset_scope(Some(&dataset));
    let station = query::station(&q.station)?;
    let format = TableFormat::parse(&q.format)?;
    let long = query::long(&q.shape)?;
    let with_station = query::flag("with_station", &q.with_station)?;
    let layer = query::SelectionTexts {
        start: q.start.clone(),
        end: q.end.clone(),
        ..Default::default()
    }
    .layer()?;
    let parameters = query::list(&q.parameters);
    let warnings = renamed_warnings(s, &scope, &parameters)?;
    let anomaly = query::reference_period(Field::Anomaly, &q.anomaly)?;
    let s = s.clone();
    let deadline = Deadline::new(s.limits.request_timeout);
    let job: body::Job = Box::new(move |sink, format| {
        let spec = s.session.series_spec(&climastation_jobs::SeriesRequest {
            anomaly,
            dataset,
            station,
            selection: s.session.selection(&layer)?,
            parameters,
            long,
            with_station,
            stop: Some(deadline.cancel.clone()),
        })?;
        let done = s.session.export_with(&spec, format, sink)?;
        Ok(report::empty(&done.empty))
    });
    Ok(Table {
        format,
        scope,
        job,
        warnings,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/export",
    params(ExportQuery),
    responses(
        (status = 200, description = "One record per station and time across a resolution's datasets, as `climastation export`", body = TableJson,
            content(
                (TableJson = "application/json"),
                (String = "text/csv"),
                (String = "application/x-ndjson"),
                (Vec<u8> = "application/vnd.apache.parquet"),
                (Vec<u8> = "application/vnd.apache.arrow.stream"),
            )),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A resolution or dataset the archive does not have, or no series of it yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A table is not what the runs wrote", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More rows than a JSON answer may hold", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Response {
    table_answer(&s, &headers, &uri, q.as_deref(), export_job).await
}

pub fn export_job(s: &Shared, q: Option<&str>) -> Result<Table, Problem> {
    let q: ExportQuery = query::parse(q)?;
    let resolution = query::resolution(&query::required(Field::Resolution, q.resolution.clone())?)?;
    let format = TableFormat::parse(&q.format)?;
    let long = query::long(&q.shape)?;
    let with_station = query::flag("with_station", &q.with_station)?;
    let layer = q.selection().layer()?;
    let datasets = query::list(&q.datasets);
    let scope = Some((resolution, datasets.clone()));
    let parameters = query::list(&q.parameters);
    let warnings = renamed_warnings(s, &scope, &parameters)?;
    let anomaly = query::reference_period(Field::Anomaly, &q.anomaly)?;
    let s = s.clone();
    let deadline = Deadline::new(s.limits.request_timeout);
    let job: body::Job = Box::new(move |sink, format| {
        let spec = dwd_series::export::Spec {
            resolution,
            datasets,
            selection: s.session.selection(&layer)?,
            parameters,
            with_station,
            long,
            stop: Some(deadline.cancel.clone()),
            anomaly,
        };
        let done = s.session.export_with(&spec, format, sink)?;
        Ok(report::empty(&done.empty))
    });
    Ok(Table {
        format,
        scope,
        job,
        warnings,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/values",
    params(ValuesQuery),
    responses(
        (status = 200, description = "A series at the place from the stations around it, as `climastation values`: each value with its stations, distances, weights and method", body = TableJson,
            content(
                (TableJson = "application/json"),
                (String = "text/csv"),
                (String = "application/x-ndjson"),
                (Vec<u8> = "application/vnd.apache.parquet"),
                (Vec<u8> = "application/vnd.apache.arrow.stream"),
            )),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A resolution the archive does not have, or no series of it yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A table is not what the runs wrote", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More rows than a JSON answer may hold", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn values(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Response {
    table_answer(&s, &headers, &uri, q.as_deref(), values_job).await
}

pub fn values_job(s: &Shared, q: Option<&str>) -> Result<Table, Problem> {
    let q: ValuesQuery = query::parse(q)?;
    let lat: f64 = query::number("lat", &q.lat)?
        .ok_or_else(|| Problem::bad("lat", "lat is required (degrees north)"))?;
    let lon: f64 = query::number("lon", &q.lon)?
        .ok_or_else(|| Problem::bad("lon", "lon is required (degrees east)"))?;
    let height: Option<f64> = query::number("height_m", &q.height_m)?;
    let at = match height {
        Some(h) => format!("{lat},{lon},{h}"),
        None => format!("{lat},{lon}"),
    };
    let resolution = query::resolution(&query::required(Field::Resolution, q.resolution.clone())?)?;
    let format = TableFormat::parse(&q.format)?;
    let method = q
        .method
        .as_deref()
        .map(|m| {
            m.trim()
                .parse::<dwd_series::values::Method>()
                .map_err(|why| Problem::bad(name(Field::Method), format!("method {m:?}: {why}")))
        })
        .transpose()?;
    let scope = Some((resolution, Vec::new()));
    let warnings = renamed_warnings(s, &scope, &query::list(&q.parameters))?;
    let request = climastation_jobs::ValuesRequest {
        resolution,
        parameters: query::list(&q.parameters),
        at: vec![at],
        points_file: None,
        from: q.start.clone(),
        to: q.end.clone(),
        method,
        min_quality: query::number(&name(Field::MinQuality), &q.min_quality)?,
        max_distance_km: query::number(&name(Field::MaxDistanceKm), &q.max_distance_km)?,
        k: query::number(&name(Field::K), &q.k)?,
        anomaly: query::reference_period(Field::Anomaly, &q.anomaly)?,
    };
    let s = s.clone();
    let deadline = Deadline::new(s.limits.request_timeout);
    let job: body::Job = Box::new(move |sink, format| {
        let done = s
            .session
            .values_with(&request, &deadline.cancel, format, sink)?;
        Ok(report::empty(&done.empty))
    });
    Ok(Table {
        format,
        scope,
        job,
        warnings,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/normals",
    params(NormalsQuery),
    responses(
        (status = 200, description = "DWD's climate normals of the selected stations, as `climastation normals`: a row per station, parameter and month (month null: the year) with the value and DWD's source code", body = TableJson,
            content(
                (TableJson = "application/json"),
                (String = "text/csv"),
                (String = "application/x-ndjson"),
                (Vec<u8> = "application/vnd.apache.parquet"),
                (Vec<u8> = "application/vnd.apache.arrow.stream"),
            )),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The period's normals are not converted yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A table is not what the runs wrote", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn normals(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> Response {
    table_answer(&s, &headers, &uri, q.as_deref(), normals_job).await
}

pub fn normals_job(s: &Shared, q: Option<&str>) -> Result<Table, Problem> {
    let q: NormalsQuery = query::parse(q)?;
    let period = query::reference_period(Field::ReferencePeriod, &q.period)?
        .unwrap_or(dwd_catalog::ReferencePeriod::CURRENT);
    let format = TableFormat::parse(&q.format)?;
    let layer = query::SelectionTexts {
        stations: q.stations.clone(),
        near: q.near.clone(),
        radius_km: q.radius_km.clone(),
        bbox: q.bbox.clone(),
        name: q.name.clone(),
        state: q.state.clone(),
        ..Default::default()
    }
    .layer()?;
    let parameters = query::list(&q.parameters);
    let obsolete = query::flag("obsolete", &q.obsolete)?;
    let scope = Some((
        dwd_catalog::Resolution::MultiAnnual,
        vec![period.dataset().to_owned()],
    ));
    let s = s.clone();
    let job: body::Job = Box::new(move |sink, _| {
        let selection = s.session.selection(&layer)?;
        let done = s.session.normals_with(
            &climastation_jobs::NormalsRequest {
                period,
                selection,
                parameters,
                obsolete,
            },
            sink,
        )?;
        Ok(done.empty)
    });
    Ok(Table {
        format,
        scope,
        job,
        warnings: Vec::new(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    params(CoverageQuery),
    responses(
        (status = 200, description = "Which years the station's converted series cover: each dataset with a series of it, its rows in all and per UTC year", body = report::Coverage),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A table is not what the runs wrote", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The progress database is missing or busy", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn coverage(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Json<report::Coverage>, Problem> {
    let q: CoverageQuery = query::parse(q.as_deref())?;
    let station = query::station(&q.station)?;
    blocking(move || s.session.coverage(station))
        .await
        .map(Json)
}

#[utoipa::path(
    get,
    path = "/api/v1/status",
    params(StatusQuery),
    responses(
        (status = 200, description = "Counts per status, rate, ETA, workers, oldest claim and last failure of each dataset, as `climastation --json status`", body = report::Status),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A dataset the archive does not have", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The progress database is missing or busy", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn status(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Json<report::Status>, Problem> {
    let q: StatusQuery = query::parse(q.as_deref())?;
    blocking(move || {
        let dataset = q
            .dataset
            .as_deref()
            .map(|d| s.session.dataset(d))
            .transpose()?;
        let rows = s
            .session
            .reading(|store| s.session.status(store, dataset.as_ref(), None))?;
        Ok(report::Status::new(&rows, &super::problem::Http))
    })
    .await
    .map(Json)
}

#[utoipa::path(
    get,
    path = "/api/v1/status/stream",
    params(StatusQuery),
    responses(
        (status = 200, description = "Server-Sent Events: an `status` event about once a second with the report of `/api/v1/status` (a run in another process moves its counts); a `problem` event when the tracker cannot be read", content_type = "text/event-stream"),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A dataset the archive does not have", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn status_stream(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Response, Problem> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let q: StatusQuery = query::parse(q.as_deref())?;
    let dataset = match q.dataset {
        Some(d) => Some(s.session.dataset(&d)?),
        None => None,
    };
    // a stream takes no request slot (it would hold it for as long as a
    // page shows progress) but one of serve.max_streams
    let Ok(open) = s.streams.clone().try_acquire_owned() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} event streams are open, as many as the server keeps (serve.max_streams): close one, or poll /api/v1/status",
                s.limits.max_streams
            ),
        )
        .retry_after(5));
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, std::convert::Infallible>>(2);
    tokio::spawn(async move {
        let _open = open;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if s.stopping.is_cancelled() {
                break;
            }
            let (s2, d) = (s.clone(), dataset.clone());
            let report = tokio::task::spawn_blocking(move || {
                let rows = s2
                    .session
                    .reading(|store| s2.session.status(store, d.as_ref(), None))?;
                Ok::<_, JobError>(report::Status::new(&rows, &super::problem::Http))
            })
            .await;
            let event = match report {
                Ok(Ok(r)) => Event::default().event("status").json_data(&r),
                Ok(Err(e)) => Event::default()
                    .event("problem")
                    .json_data(Problem::from(e)),
                Err(e) => Event::default()
                    .event("problem")
                    .json_data(body::panicked(e)),
            };
            let Ok(event) = event else { break };
            // the client went away
            if tx.send(Ok(event)).await.is_err() {
                break;
            }
        }
    });
    Ok(Sse::new(Events(rx))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The event stream's items, as the status task sends them.
struct Events(
    tokio::sync::mpsc::Receiver<Result<axum::response::sse::Event, std::convert::Infallible>>,
);

impl futures_core::Stream for Events {
    type Item = Result<axum::response::sse::Event, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/check",
    params(CheckQuery),
    responses(
        (status = 200, description = "The tracker's integrity and every table the runs wrote against the output ledger, as `climastation --json check`", body = report::Check),
        (status = 400, description = "A bad or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A dataset the archive does not have", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The progress database is missing or busy", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
) -> Result<Json<report::Check>, Problem> {
    let q: CheckQuery = query::parse(q.as_deref())?;
    let deep = query::flag("deep", &q.deep)?;
    blocking(move || {
        let r = s.session.check(q.dataset.as_deref(), deep)?;
        Ok(report::Check::new(&r, &super::problem::Http))
    })
    .await
    .map(Json)
}

/// A table as JSON: the rules of the output's metadata, the columns, and
/// the rows as records.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TableJson {
    /// The output's rules (units, time reference, quality levels, method),
    /// as the Parquet file's key-value metadata holds them.
    meta: std::collections::BTreeMap<String, String>,
    columns: Vec<String>,
    /// Each column's field metadata, as the Parquet file's fields hold it:
    /// `unit`, `description`, `dwd_code`, and `quality_column` (the column
    /// of this table with the value's quality level).
    fields: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// One object a row, keyed by column; null where missing.
    rows: Vec<std::collections::BTreeMap<String, serde_json::Value>>,
    /// Why there are no rows, when there are none (no station matches,
    /// no rows in the span, no station within a parameter's limit).
    empty: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json"))
)]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Any other path: 404 as a problem.
pub async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        format!(
            "no endpoint at {}: the API is under /api/v1/ (its OpenAPI document: /api/v1/openapi.json)",
            uri.path()
        ),
    )
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ClimaStation",
        description = "The converted DWD climate archive (opendata.dwd.de/climate_environment/CDC/observations_germany/climate/), read-only: the catalog, stations, merged series, exports and values at a place. Query parameters are named as in the Python API. Errors are RFC 9457 problem details."
    ),
    paths(
        datasets,
        stations,
        series,
        export,
        values,
        normals,
        coverage,
        status,
        status_stream,
        check,
        openapi
    ),
    components(schemas(Problem, TableJson, GeoJson))
)]
pub struct ApiDoc;
