//! `climastation serve`: the converted archive over HTTP, read-only — the
//! third front end beside the command line and Python. A request's query
//! is parsed once into the library's types (`query.rs`); each endpoint
//! makes one library call and renders the library's report or rows
//! (`api.rs`, `body.rs`); errors are problem details (`problem.rs`).
//!
//! axum on tokio: the library's work runs on blocking threads; answers
//! stream. Loopback unless `serve.allow_remote`; limits on the query's
//! length, on requests at once (a queue, then 503) and on a request's time.

mod api;
mod body;
mod mcp;
mod page;
mod problem;
mod query;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;

use crate::context::{Ctx, job, usage};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation serve
  climastation serve --listen 127.0.0.1:8090")]
pub struct Args {
    /// Address and port to listen on (default: the configuration's
    /// `serve.listen`, 127.0.0.1:8080). Another address than loopback needs
    /// `serve.allow_remote: true`.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<SocketAddr>,
}

/// How long requests in flight may finish after Ctrl-C or SIGTERM.
const GRACE: Duration = Duration::from_secs(10);

/// Serves until Ctrl-C or SIGTERM; exits 130 (a second signal: at once).
pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    serve(&ctx.config, args.listen)
}

/// The server of `config` (also Python's `Archive.serve`): on `listen`,
/// or the configuration's `serve.listen`, until Ctrl-C or SIGTERM.
/// Returns the exit code, 130; a usage error (an address other hosts
/// reach, not allowed) is a [`crate::UsageError`].
pub fn serve(config: &tracker_config::Config, listen: Option<SocketAddr>) -> anyhow::Result<u8> {
    let limits = config.serve.clone();
    let listen = listen.unwrap_or(limits.listen);
    if !listen.ip().is_loopback() {
        if !limits.allow_remote {
            return Err(usage(format!(
                "listening on {listen}: not a loopback address, so other hosts could read the archive; allow it with `serve.allow_remote: true` in the configuration (or CLIMASTATION_SERVE__ALLOW_REMOTE=true)"
            )));
        }
        eprintln!(
            "climastation: warning: serving on {listen}, reachable from other hosts (serve.allow_remote)"
        );
    }
    let session = climastation_jobs::Session::reader(config.clone()).map_err(job)?;
    let stopping = tracker_core::Cancel::new();
    let server = Arc::new(api::Server {
        session,
        streams: Arc::new(Semaphore::new(limits.max_streams)),
        limits,
        stopping: stopping.clone(),
    });
    // the library's work runs on blocking threads: no more of them than
    // requests answered at once (each holds its buffers and, through
    // malloc's arenas, memory of its own)
    let blocking = config.serve.max_concurrent + 2;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking)
        .thread_name("serve")
        .build()
        .context("starting the server's runtime")?;
    let data = config.paths.output.display().to_string();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("the listening address")?;
        eprintln!(
            "climastation: serving {data} on http://{addr}/ (the API under /api/v1/, its OpenAPI document at /api/v1/openapi.json); Ctrl-C stops"
        );
        tracing::info!(%addr, "serving");
        let mcp_stop = tokio_util::sync::CancellationToken::new();
        let app = router(server, format!("http://{addr}"), listen, mcp_stop.clone());
        let stop = async move {
            stop_on_signal(stopping).await;
            mcp_stop.cancel();
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
            .context("serving")?;
        Ok::<_, anyhow::Error>(())
    })?;
    eprintln!("climastation: stopped");
    Ok(crate::exit::INTERRUPTED)
}

/// Resolves at the first Ctrl-C or SIGTERM (and sets `stopping`: event
/// streams end); from then on, requests in flight have [`GRACE`] to
/// finish, and a second signal ends the process.
async fn stop_on_signal(stopping: tracker_core::Cancel) {
    signal().await;
    stopping.cancel();
    eprintln!(
        "climastation: stopping: requests in flight may finish (at most {} s; Ctrl-C again stops at once)",
        GRACE.as_secs()
    );
    tokio::spawn(async {
        tokio::select! {
            _ = signal() => {}
            _ = tokio::time::sleep(GRACE) => {}
        }
        std::process::exit(i32::from(crate::exit::INTERRUPTED));
    });
}

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// The routes and the limits around them; `base` is the server's own URL
/// (the MCP tools link to full tables).
fn router(
    server: api::Shared,
    base: String,
    listen: SocketAddr,
    mcp_stop: tokio_util::sync::CancellationToken,
) -> Router {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };
    let tools_of = server.clone();
    let mut hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    hosts.push(listen.ip().to_string());
    let mcp: StreamableHttpService<mcp::Tools, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(mcp::Tools::new(tools_of.clone(), base.clone())),
        Default::default(),
        StreamableHttpServerConfig::default()
            .with_json_response(true)
            .with_allowed_hosts(hosts)
            .with_cancellation_token(mcp_stop),
    );
    let gate = Arc::new(Gate {
        slots: Arc::new(Semaphore::new(server.limits.max_concurrent)),
        limits: server.limits.clone(),
    });
    Router::new()
        .route("/", get(page::index))
        .route("/static/{*path}", get(page::file))
        .route("/api/v1/datasets", get(api::datasets))
        .route("/api/v1/stations", get(api::stations))
        .route("/api/v1/series", get(api::series))
        .route("/api/v1/export", get(api::export))
        .route("/api/v1/values", get(api::values))
        .route("/api/v1/coverage", get(api::coverage))
        .route("/api/v1/normals", get(api::normals))
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/status/stream", get(api::status_stream))
        .route("/api/v1/check", get(api::check))
        .route("/api/v1/openapi.json", get(api::openapi))
        .nest_service("/mcp", mcp)
        .fallback(api::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(server)
        .layer(middleware::from_fn_with_state(gate, limit))
}

async fn method_not_allowed() -> problem::Problem {
    problem::Problem::new(StatusCode::METHOD_NOT_ALLOWED, "the API only reads: GET")
}

/// What one request may cost, and the headers every answer carries.
#[derive(Debug)]
struct Gate {
    slots: Arc<Semaphore>,
    limits: tracker_config::Serve,
}

async fn limit(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = admitted(&gate, request, next).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // CORS only for the origins the configuration lists
    if let Some(o) = origin
        && gate
            .limits
            .cors_origins
            .iter()
            .any(|allowed| o.as_bytes() == allowed.as_bytes())
    {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// A body that holds its request's slot until it is sent (or dropped).
struct Holding {
    body: axum::body::Body,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl http_body::Body for Holding {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

async fn admitted(gate: &Arc<Gate>, request: Request, next: Next) -> Response {
    let query = request.uri().query().map_or(0, str::len);
    if query > gate.limits.max_query_bytes {
        return problem::Problem::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "the query has {query} bytes, more than the {} the server takes (serve.max_query_bytes)",
                gate.limits.max_query_bytes
            ),
        )
        .into_response();
    }
    // the page's own files cost nothing worth a slot, and an event stream
    // counts against serve.max_streams instead (it stays open)
    let path = request.uri().path();
    if path == "/" || path.starts_with("/static/") || path == "/api/v1/status/stream" {
        return next.run(request).await;
    }
    // a slot, or a wait in the queue, then 503
    let slots = gate.slots.clone();
    let permit = match tokio::time::timeout(gate.limits.queue, slots.acquire_owned()).await {
        Ok(Ok(p)) => p,
        _ => {
            return problem::Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "busy: {} requests are being answered and the queue waited {} s (serve.max_concurrent, serve.queue_seconds)",
                    gate.limits.max_concurrent,
                    gate.limits.queue.as_secs_f64()
                ),
            )
            .retry_after(1)
            .into_response();
        }
    };
    // until the answer's head; a streamed body goes on under the request's
    // own deadline (the library stops at it), and keeps its slot until its
    // last byte
    let answer = tokio::time::timeout(gate.limits.request_timeout, next.run(request)).await;
    match answer {
        Ok(r) => r.map(|body| {
            axum::body::Body::new(Holding {
                body,
                _permit: permit,
            })
        }),
        Err(_) => problem::Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request took longer than {} s (serve.request_timeout_seconds): narrow it",
                gate.limits.request_timeout.as_secs_f64()
            ),
        )
        .retry_after(1)
        .into_response(),
    }
}
