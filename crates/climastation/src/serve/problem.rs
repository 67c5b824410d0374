//! Errors as RFC 9457 problem details (`application/problem+json`): the
//! status decided here, once, from the library's typed error; the message
//! in the HTTP API's words (query parameters by their names, fixes as the
//! operator's commands).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use climastation_jobs::{JobError, TablesError};
use dwd_catalog::Field;
use serde::Serialize;

/// The HTTP API's words: a field is its query parameter; a fix is the
/// command the archive's operator runs (the server itself is read-only).
#[derive(Clone, Copy, Debug)]
pub struct Http;

impl climastation_jobs::fix::Spelling for Http {
    fn field(&self, field: Field) -> String {
        match field {
            // a place is `lat` and `lon` (and `height_m`)
            Field::At => "lat/lon".into(),
            f => f.name().into(),
        }
    }

    fn run(&self, dataset: Option<&str>, crawl: bool, verify_outputs: bool) -> String {
        crate::context::CommandLine.run(dataset, crawl, verify_outputs)
    }

    fn retry_all_failed(&self) -> String {
        crate::context::CommandLine.retry_all_failed()
    }
}

/// A problem: the body of every answer that is not a success.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says the kind.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status's phrase.
    pub title: String,
    pub status: u16,
    /// What is wrong and, where there is one, what fixes it.
    pub detail: String,
    /// The query parameter at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Seconds after which the same request may succeed (also the
    /// `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            parameter: None,
            retry_after: None,
        }
    }

    /// 400 naming the parameter.
    pub fn bad(parameter: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            parameter: Some(parameter.into()),
            ..Problem::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<JobError> for Problem {
    fn from(e: JobError) -> Problem {
        let detail = e.render(&Http);
        match &e {
            JobError::Invalid(i) => Problem::bad(name(i.field), detail),
            JobError::UnknownDataset(i) => Problem {
                parameter: Some(name(i.field)),
                ..Problem::new(StatusCode::NOT_FOUND, detail)
            },
            JobError::UnknownStation { .. } => Problem {
                parameter: Some("station".into()),
                ..Problem::new(StatusCode::NOT_FOUND, detail)
            },
            // nothing converted of it yet: not here
            JobError::NoTables { .. } | JobError::NoNormals { .. } => {
                Problem::new(StatusCode::NOT_FOUND, detail)
            }
            // tables that are not what the runs wrote are never served
            JobError::Tables(TablesError::NotWritten { .. })
            | JobError::Tables(TablesError::NoDatabase { .. }) => {
                Problem::new(StatusCode::CONFLICT, detail)
            }
            // cut by the request's deadline, or the server stopping
            JobError::Interrupted => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail).retry_after(1)
            }
            // the progress database busy (a run's transaction) or locked
            JobError::Open(_) | JobError::Store(_) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail).retry_after(2)
            }
            _ => {
                tracing::error!(error = %detail, "a request failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        r
    }
}

/// A field as the HTTP API names it.
pub fn name(f: Field) -> String {
    climastation_jobs::fix::Spelling::field(&Http, f)
}
