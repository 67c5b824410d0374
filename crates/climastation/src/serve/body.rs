//! Tables as answers. CSV, JSON lines and Parquet are the very encoders
//! the command line writes files with (the same bytes for the same
//! request); Arrow is an IPC stream. Each is written to the socket as the
//! rows are read, through a bounded channel (a slow client slows the
//! reader; memory stays bounded). JSON — an object with the rules of the
//! output's metadata and the rows as records — is built whole, so it has a
//! row cap: above it, 413 naming the binary formats.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use climastation_jobs::{Encoded, JobError, RowSink, Rows};
use dwd_series::export::ExportError;
use dwd_series::output::Format;
use parquet::file::metadata::KeyValue;
use tokio::sync::{mpsc, oneshot};

use super::problem::Problem;

/// What a table answer is written as (`format=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    Json,
    Csv,
    Jsonl,
    Parquet,
    Arrow,
}

impl TableFormat {
    pub fn parse(v: &Option<String>) -> Result<TableFormat, Problem> {
        Ok(match v.as_deref().map(str::trim) {
            None | Some("json") => TableFormat::Json,
            Some("csv") => TableFormat::Csv,
            Some("jsonl") => TableFormat::Jsonl,
            Some("parquet") => TableFormat::Parquet,
            Some("arrow") => TableFormat::Arrow,
            Some(t) => {
                return Err(Problem::bad(
                    "format",
                    format!("format {t:?}: json, csv, jsonl, parquet or arrow"),
                ));
            }
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            TableFormat::Json => "application/json",
            TableFormat::Csv => "text/csv; charset=utf-8",
            TableFormat::Jsonl => "application/x-ndjson",
            TableFormat::Parquet => "application/vnd.apache.parquet",
            TableFormat::Arrow => "application/vnd.apache.arrow.stream",
        }
    }

    /// How the library lays the rows out: as the command line's file of
    /// that format, or (JSON, Arrow) as Python's tables.
    fn plan(self) -> Format {
        match self {
            TableFormat::Csv => Format::Csv,
            TableFormat::Jsonl => Format::Jsonl,
            TableFormat::Parquet | TableFormat::Json | TableFormat::Arrow => Format::Parquet,
        }
    }
}

/// The work that hands a table's rows to a sink, laid out for a format.
/// It returns why the answer is empty, when it is.
pub type Job = Box<dyn FnOnce(&mut dyn RowSink, Format) -> Result<Vec<String>, JobError> + Send>;

/// The answer of `job` in `format`; `max_json_rows` caps JSON.
pub async fn table(format: TableFormat, max_json_rows: u64, job: Job) -> Response {
    match format {
        TableFormat::Json => json_table(max_json_rows, job).await,
        _ => streamed(format, job).await,
    }
}

async fn json_table(cap: u64, job: Job) -> Response {
    let built = tokio::task::spawn_blocking(move || {
        // the rows up to the cap, and whether there were more
        let mut capped = Head::new(usize::try_from(cap).unwrap_or(usize::MAX));
        let done = job(&mut capped, Format::Parquet);
        if capped.more {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "more than {cap} rows: too many for JSON (the server's serve.max_json_rows); narrow the request (fewer stations, parameters or days), or ask for format=arrow, parquet, csv or jsonl, which stream any number of rows"
                ),
            ));
        }
        let empty = done.map_err(Problem::from)?;
        json_body(&capped.rows, &empty).map_err(|e| Problem::from(JobError::Export(e)))
    })
    .await;
    match built {
        Ok(Ok(body)) => (
            [(header::CONTENT_TYPE, TableFormat::Json.content_type())],
            body,
        )
            .into_response(),
        Ok(Err(p)) => p.into_response(),
        Err(e) => panicked(e).into_response(),
    }
}

/// `{"meta": {rule: value, …}, "columns": […], "fields": {column: {unit,
/// description, dwd_code, quality_column}, …}, "rows": [{…}, …],
/// "empty": [why, …]}`.
fn json_body(rows: &Rows, empty: &[String]) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"meta\":");
    let meta: std::collections::BTreeMap<&String, &String> =
        rows.schema.metadata().iter().collect();
    serde_json::to_writer(&mut out, &meta).map_err(std::io::Error::other)?;
    out.extend_from_slice(b",\"columns\":");
    let columns: Vec<&String> = rows.schema.fields().iter().map(|f| f.name()).collect();
    serde_json::to_writer(&mut out, &columns).map_err(std::io::Error::other)?;
    out.extend_from_slice(b",\"fields\":");
    let fields: std::collections::BTreeMap<&String, std::collections::BTreeMap<&String, &String>> =
        rows.schema
            .fields()
            .iter()
            .filter(|f| !f.metadata().is_empty())
            .map(|f| (f.name(), f.metadata().iter().collect()))
            .collect();
    serde_json::to_writer(&mut out, &fields).map_err(std::io::Error::other)?;
    out.extend_from_slice(b",\"rows\":");
    {
        // the JSON lines writer's settings: nulls as null, UTC times with Z
        let mut w = arrow_json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%SZ".to_owned())
            .with_timestamp_format("%Y-%m-%dT%H:%M:%S".to_owned())
            .build::<_, arrow_json::writer::JsonArray>(&mut out);
        for b in &rows.batches {
            w.write(&dwd_series::encode::plain(b)?)?;
        }
        w.finish()?;
    }
    // an empty table: the writer wrote nothing
    if out.ends_with(b"\"rows\":") {
        out.extend_from_slice(b"[]");
    }
    out.extend_from_slice(b",\"empty\":");
    serde_json::to_writer(&mut out, empty).map_err(std::io::Error::other)?;
    out.push(b'}');
    Ok(out)
}

/// The first `limit` rows, for an answer that must stay small (a JSON
/// table under its row cap, an assistant's tool result); `more` says
/// whether there were others. It stops the reading once it has them.
pub struct Head {
    pub rows: Rows,
    pub limit: usize,
    pub taken: usize,
    pub more: bool,
}

impl Head {
    pub fn new(limit: usize) -> Head {
        Head {
            rows: Rows::default(),
            limit,
            taken: 0,
            more: false,
        }
    }

    /// `done`, the job's result, with the stop this sink asked for taken
    /// as what it is: enough rows.
    pub fn settle<T: Default>(&self, done: Result<T, JobError>) -> Result<T, JobError> {
        match done {
            Err(_) if self.more => Ok(T::default()),
            d => d,
        }
    }

    /// The rows as `{"meta", "columns", "rows", "empty"}` (a JSON table
    /// answer's shape).
    pub fn json(&self, empty: &[String]) -> Result<serde_json::Value, JobError> {
        let bytes = json_body(&self.rows, empty).map_err(JobError::Export)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| JobError::Export(ExportError::Io(std::io::Error::other(e))))
    }
}

impl RowSink for Head {
    fn begin(&mut self, schema: SchemaRef, rules: Vec<KeyValue>) -> Result<(), ExportError> {
        self.rows.begin(schema, rules)
    }

    fn batch(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        let room = self.limit - self.taken;
        if batch.num_rows() > room {
            self.more = true;
            if room > 0 {
                self.rows.batch(batch.slice(0, room))?;
                self.taken = self.limit;
            }
            return Err(ExportError::Io(std::io::Error::other("enough rows")));
        }
        self.taken += batch.num_rows();
        self.rows.batch(batch)
    }
}

/// Bytes to the response body, in chunks of about 64 KiB; a send blocks
/// while the channel is full (the client reads slower than we read).
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for ChannelWriter {
    /// A large write (an Arrow message of a whole station) goes out chunk
    /// by chunk as it is copied: no second copy of it builds up here.
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let n = (CHUNK - self.buf.len()).min(rest.len());
            self.buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            if self.buf.len() >= CHUNK {
                self.send()?;
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// An Arrow IPC stream of the rows, the schema carrying the rules.
struct ArrowIpc<W: Write> {
    out: Option<W>,
    writer: Option<arrow_ipc::writer::StreamWriter<W>>,
    schema: Option<SchemaRef>,
}

impl<W: Write> RowSink for ArrowIpc<W> {
    fn begin(&mut self, schema: SchemaRef, rules: Vec<KeyValue>) -> Result<(), ExportError> {
        let schema = climastation_jobs::with_rules(&schema, &rules);
        if let Some(out) = self.out.take() {
            self.writer = Some(arrow_ipc::writer::StreamWriter::try_new(out, &schema)?);
        }
        self.schema = Some(schema);
        Ok(())
    }

    fn batch(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        if let (Some(w), Some(schema)) = (self.writer.as_mut(), self.schema.as_ref()) {
            w.write(&batch.with_schema(schema.clone())?)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        if let Some(mut w) = self.writer.take() {
            w.finish()?;
            w.into_inner()?.flush()?;
        }
        Ok(())
    }
}

/// A sink that says when the rows begin: until then, an error is the
/// answer's status; after, the body is on its way.
struct Started<'a> {
    inner: &'a mut dyn RowSink,
    started: Option<oneshot::Sender<()>>,
}

impl RowSink for Started<'_> {
    fn begin(&mut self, schema: SchemaRef, rules: Vec<KeyValue>) -> Result<(), ExportError> {
        self.inner.begin(schema, rules)?;
        if let Some(s) = self.started.take() {
            let _ = s.send(());
        }
        Ok(())
    }

    fn batch(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        self.inner.batch(batch)
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        self.inner.finish()
    }
}

/// The body's stream: the chunks the job sends.
struct Chunks(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

async fn streamed(format: TableFormat, job: Job) -> Response {
    let (tx, rx) = mpsc::channel(8);
    let (started_tx, started_rx) = oneshot::channel();
    let task = tokio::task::spawn_blocking(move || {
        let failure = tx.clone();
        let out = ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let mut sink: Box<dyn RowSink> = match format {
            TableFormat::Arrow => Box::new(ArrowIpc {
                out: Some(out),
                writer: None,
                schema: None,
            }),
            _ => Box::new(Encoded::new(format.plan(), out)),
        };
        let mut started = Started {
            inner: sink.as_mut(),
            started: Some(started_tx),
        };
        let result = job(&mut started, format.plan());
        if let Err(e) = &result {
            // after the rows began: cut the body, so the client sees an
            // incomplete answer, never a short one that looks whole
            let _ = failure.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
        result
    });
    let mut task = task;
    tokio::select! {
        started = started_rx => {
            if started.is_ok() {
                return stream_response(format, rx);
            }
            // the job ended before its rows began: its error is the answer
            match task.await {
                Ok(Err(e)) => Problem::from(e).into_response(),
                Ok(Ok(_)) => stream_response(format, rx),
                Err(e) => panicked(e).into_response(),
            }
        }
        done = &mut task => match done {
            Ok(Err(e)) => Problem::from(e).into_response(),
            Ok(Ok(_)) => stream_response(format, rx),
            Err(e) => panicked(e).into_response(),
        }
    }
}

fn stream_response(
    format: TableFormat,
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> Response {
    let mut r = Body::from_stream(Chunks(rx)).into_response();
    if let Ok(v) = HeaderValue::from_str(format.content_type()) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// A job's thread panicked: a bug, said as one.
pub fn panicked(e: tokio::task::JoinError) -> Problem {
    tracing::error!(error = %e, "a request's job panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the request's job failed: {e}"),
    )
}
