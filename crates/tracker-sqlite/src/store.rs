//! [`ProgressStore`] on SQLite.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use tracker_core::{
    Activity, Claim, Clock, CompletionMetrics, DatasetId, DatasetSummary, FailOutcome, Failure,
    FailureCause, FailureKind, FileId, FileKey, FileRecord, FileStatus, LastFailure, ListQuery,
    NewFile, OutputRecord, Page, ProgressStore, RecoveryReport, RegisterAction, RegisterReport,
    Result, RetryPolicy, RetrySelection, SeriesInput, SourceState, StatusCounts, Timestamp,
    TrackerError, WorkerId, register_action,
};

use crate::error::SqliteError;
use crate::open::{Gate, OpenReport, StoreOptions, open};
use crate::sql;

/// A handle on a progress database. One per thread: the connection inside is
/// not shared. Handles of one process on one file share a fair write gate.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    gate: Gate,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    options: StoreOptions,
    report: OpenReport,
    /// When this handle last wrote a completion mark, per dataset.
    marked: parking_lot::Mutex<HashMap<DatasetId, Timestamp>>,
    // Held (shared) for the store's lifetime: proves to later opens that this
    // process is alive. Released when the file is closed on drop.
    _instance_lock: File,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// Database facts for `db info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbInfo {
    pub path: PathBuf,
    pub schema_version: i64,
    pub known_schema_version: i64,
    pub page_size: i64,
    pub page_count: i64,
    pub freelist_count: i64,
    pub db_bytes: u64,
    pub wal_bytes: u64,
    pub files: u64,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, SqliteError> {
        let opened = open(path.as_ref(), &options)?;
        Ok(SqliteStore {
            conn: opened.conn,
            path: opened.path,
            gate: opened.gate,
            clock: options.clock.clone(),
            retry: options.retry,
            options,
            report: opened.report,
            marked: parking_lot::Mutex::new(HashMap::new()),
            _instance_lock: opened.instance_lock,
        })
    }

    /// Another handle on the same database, for another worker thread.
    pub fn reopen(&self) -> Result<Self, SqliteError> {
        Self::open(&self.path, self.options.clone())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening found and did (sole user, migrations, orphans recovered).
    pub fn open_report(&self) -> OpenReport {
        self.report
    }

    /// `PRAGMA integrity_check`: `Ok(vec!["ok"])` on a healthy database.
    pub fn integrity_check(&self) -> Result<Vec<String>, SqliteError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.sql_err("integrity check"))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(self.sql_err("integrity check"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.sql_err("integrity check"))
    }

    /// Moves the WAL's content into the database and truncates the WAL.
    /// Returns false when readers kept part of it (it is then retried later).
    ///
    /// SQLite answers "busy" at once, without its busy handler, while
    /// another connection runs a checkpoint, such as this store's own
    /// background checkpointer: that is tried again for up to half a second.
    pub fn checkpoint(&self) -> Result<bool, SqliteError> {
        let _g = self.gate.lock();
        for attempt in 0..20 {
            self.wal_ok()?;
            let (busy, _, _): (i64, i64, i64) = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(self.sql_err("checkpoint"))?;
            if busy == 0 {
                return Ok(true);
            }
            if attempt < 19 {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
        }
        Ok(false)
    }

    /// Rebuilds the database file, returning free pages to the file system.
    pub fn vacuum(&self) -> Result<(), SqliteError> {
        let _g = self.gate.lock();
        self.wal_ok()?;
        self.conn
            .execute_batch("VACUUM")
            .map_err(self.sql_err("vacuum"))?;
        tracing::info!(db = %self.path.display(), "vacuumed the progress database");
        Ok(())
    }

    pub fn info(&self) -> Result<DbInfo, SqliteError> {
        let pragma = |name: &str| -> Result<i64, SqliteError> {
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .map_err(self.sql_err("reading database info"))
        };
        let files: i64 = self
            .conn
            .query_row("SELECT COALESCE(SUM(n), 0) FROM file_counts", [], |r| {
                r.get(0)
            })
            .map_err(self.sql_err("reading database info"))?;
        let size_of = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(DbInfo {
            path: self.path.clone(),
            schema_version: crate::open::schema_version(&self.conn)
                .map_err(self.sql_err("reading database info"))?,
            known_schema_version: crate::open::known_schema_version(),
            page_size: pragma("page_size")?,
            page_count: pragma("page_count")?,
            freelist_count: pragma("freelist_count")?,
            db_bytes: size_of(&self.path),
            wal_bytes: size_of(Path::new(&wal)),
            files: files.max(0) as u64,
        })
    }

    /// How often a cached statement was re-prepared (SQLITE_STMTSTATUS_REPREPARE).
    /// The hot statements must stay at (nearly) zero: see QPSG in `open`.
    pub fn reprepare_count(&self, statement: HotStatement) -> Result<i32, SqliteError> {
        let sql = match statement {
            HotStatement::Claim => sql::CLAIM,
            HotStatement::Complete => sql::COMPLETE,
        };
        let stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(self.sql_err("reading statement status"))?;
        Ok(stmt.get_status(rusqlite::StatementStatus::RePrepare))
    }

    fn sql_err(&self, operation: &'static str) -> impl Fn(rusqlite::Error) -> SqliteError + '_ {
        move |source| SqliteError::Sql {
            path: self.path.clone(),
            operation,
            source,
        }
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction behind this process's
    /// write gate. Immediate: the write lock is taken up front, so a
    /// transaction never fails half-way on a snapshot another writer made stale.
    fn write<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let _g = self.gate.lock();
        self.wal_ok()?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(self.sql_err(operation))?;
        let out = f(&tx)?;
        tx.commit().map_err(self.sql_err(operation))?;
        Ok(out)
    }

    /// Refuses to write once the WAL was deleted or replaced (see `shared.rs`).
    fn wal_ok(&self) -> Result<(), SqliteError> {
        if self.gate.wal_ok() {
            Ok(())
        } else {
            Err(SqliteError::WalLost {
                path: self.path.clone(),
            })
        }
    }

    /// A fenced write matched no row: tell a stale claim from a vanished file.
    fn stale_or_missing(&self, tx: &Transaction<'_>, claim: &Claim) -> TrackerError {
        let exists = tx
            .prepare_cached(sql::FILE_EXISTS)
            .and_then(|mut s| s.query_row([claim.id.0], |r| r.get::<_, bool>(0)));
        match exists {
            Ok(true) => TrackerError::StaleClaim {
                key: claim.key.clone(),
                token: claim.token,
            },
            Ok(false) => TrackerError::NotFound {
                key: claim.key.clone(),
            },
            Err(e) => self.sql_err("checking a claim")(e).into(),
        }
    }
}

impl SqliteStore {
    /// Gives a claim back: `pending` at once, no failure counted; with
    /// `reason`, its kind and message are recorded.
    fn release_in(&self, claim: &Claim, reason: Option<&Failure>) -> Result<()> {
        self.write("release", |tx| {
            let n = match reason {
                None => tx
                    .prepare_cached(sql::RELEASE)
                    .and_then(|mut s| s.execute(params![claim.id.0, claim.token])),
                Some(r) => tx
                    .prepare_cached(sql::RELEASE_WITH_REASON)
                    .and_then(|mut s| {
                        s.execute(params![
                            claim.id.0,
                            claim.token,
                            r.kind.as_str(),
                            r.message,
                            r.cause.map(|c| c.as_str())
                        ])
                    }),
            }
            .map_err(self.sql_err("release"))?;
            if n == 0 {
                return Err(self.stale_or_missing(tx, claim));
            }
            Ok(())
        })?;
        tracing::debug!(dataset = %claim.key.dataset, file = claim.key.path(), worker = %claim.worker, attempt = claim.token, from = "processing", to = "pending", reason = reason.map(|r| r.message.as_str()), "released");
        Ok(())
    }

    /// One fenced completion inside an open write transaction.
    fn complete_in(
        &self,
        tx: &Transaction<'_>,
        claim: &Claim,
        metrics: &CompletionMetrics,
        now: Timestamp,
    ) -> Result<()> {
        let started = metrics.started_at.unwrap_or(now);
        let duration = to_i64(now.millis_since(started), "duration")?;
        let records = to_i64(metrics.records_processed, "records_processed")?;
        let bytes = to_i64(metrics.bytes_processed, "bytes_processed")?;
        let n = tx
            .prepare_cached(sql::COMPLETE)
            .and_then(|mut s| {
                s.execute(params![
                    claim.id.0,
                    claim.token,
                    duration,
                    now.as_millis(),
                    records,
                    bytes,
                    checksum_to_sql(metrics.checksum.as_deref()),
                    metrics.size_unconfirmed
                ])
            })
            .map_err(self.sql_err("complete"))?;
        if n == 0 {
            return Err(self.stale_or_missing(tx, claim));
        }
        self.record_outputs_in(tx, &claim.key.dataset, &metrics.outputs)?;
        tracing::debug!(dataset = %claim.key.dataset, file = claim.key.path(), worker = %claim.worker, attempt = claim.token, from = "processing", to = "completed", records, bytes, "completed");
        Ok(())
    }

    /// Writes the dataset's completed count as a mark for the rate `status`
    /// shows, at most every [`MARK_EVERY`] a handle, and drops marks older
    /// than [`MARKS_KEPT`]. Written in the completion's transaction, before
    /// it: the count is the one the completions start from. (Schema 10
    /// replaced an index of every completion by these.)
    fn mark_completions(
        &self,
        tx: &Transaction<'_>,
        dataset: &DatasetId,
        now: Timestamp,
    ) -> Result<()> {
        let mut marked = self.marked.lock();
        if let Some(last) = marked.get(dataset)
            && now.millis_since(*last) < MARK_EVERY.as_millis() as u64
            && *last <= now
        {
            return Ok(());
        }
        let err = self.sql_err("mark completions");
        tx.prepare_cached(sql::MARK_COMPLETIONS)
            .and_then(|mut s| s.execute(params![dataset.as_str(), now.as_millis()]))
            .map_err(&err)?;
        let oldest = now.minus(MARKS_KEPT).as_millis();
        tx.prepare_cached(sql::PRUNE_MARKS)
            .and_then(|mut s| s.execute(params![dataset.as_str(), oldest]))
            .map_err(&err)?;
        marked.insert(dataset.clone(), now);
        Ok(())
    }

    fn record_outputs_in(
        &self,
        tx: &Transaction<'_>,
        dataset: &DatasetId,
        outputs: &[OutputRecord],
    ) -> Result<()> {
        if outputs.is_empty() {
            return Ok(());
        }
        let err = self.sql_err("record outputs");
        let mut ins = tx.prepare_cached(sql::UPSERT_OUTPUT).map_err(&err)?;
        for o in outputs {
            ins.execute(params![
                dataset.as_str(),
                o.path,
                to_i64(o.bytes, "bytes")?,
                to_i64(o.rows, "rows")?,
                o.modified_ns,
                &o.sha256[..],
                o.built_from,
                o.names
            ])
            .map_err(&err)?;
        }
        Ok(())
    }
}

/// How often a handle writes a dataset's completed count (a mark).
pub const MARK_EVERY: Duration = Duration::from_secs(5);
/// How long marks are kept: longer than any rate window `status` uses.
pub const MARKS_KEPT: Duration = Duration::from_secs(3600);

/// Statements whose re-prepare count is worth watching.
#[derive(Clone, Copy, Debug)]
pub enum HotStatement {
    Claim,
    Complete,
}

fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| TrackerError::InvalidInput(format!("{what} {v} is too large")))
}

fn lease_until(now: Timestamp, lease: Duration) -> i64 {
    now.plus(lease).as_millis()
}

impl ProgressStore for SqliteStore {
    fn register(&self, files: &[NewFile]) -> Result<RegisterReport> {
        if files.is_empty() {
            return Ok(RegisterReport::default());
        }
        let now = self.now().as_millis();
        let datasets: BTreeSet<&DatasetId> = files.iter().map(|f| &f.key.dataset).collect();
        let report = self.write("register", |tx| {
            let err = self.sql_err("register");
            let mut ins_ds = tx.prepare_cached(sql::INSERT_DATASET).map_err(&err)?;
            let mut ds_id = tx.prepare_cached(sql::DATASET_ID).map_err(&err)?;
            let mut keys: Vec<(&DatasetId, i64)> = Vec::with_capacity(datasets.len());
            for ds in &datasets {
                ins_ds.execute(params![ds.as_str(), now]).map_err(&err)?;
                let id: i64 = ds_id.query_row([ds.as_str()], |r| r.get(0)).map_err(&err)?;
                keys.push((ds, id));
            }
            let key_of = |d: &DatasetId| keys.iter().find(|(k, _)| *k == d).map(|(_, id)| *id);
            let mut find = tx.prepare_cached(sql::SOURCE_STATE).map_err(&err)?;
            let mut insert = tx.prepare_cached(sql::INSERT_FILE).map_err(&err)?;
            let mut requeue = tx.prepare_cached(sql::REQUEUE_CHANGED).map_err(&err)?;
            let mut reappeared = tx.prepare_cached(sql::REAPPEARED).map_err(&err)?;
            let mut report = RegisterReport::default();
            for f in files {
                let size = f.size.map(|s| to_i64(s, "file size")).transpose()?;
                let modified = f.source_modified.map(Timestamp::as_millis);
                let dataset = key_of(&f.key.dataset).ok_or_else(|| {
                    TrackerError::InvalidInput(format!("dataset {} not registered", f.key.dataset))
                })?;
                let path_key = sql::path_key(f.key.path());
                type Existing = (i64, Option<i64>, Option<i64>, Option<i64>);
                let existing: Option<Existing> = find
                    .query_row(params![dataset, path_key, f.key.path()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                    .map_err(&err)?;
                if let Some((_, _, _, Some(_))) = existing {
                    report.reappeared += 1;
                    tracing::debug!(dataset = %f.key.dataset, file = f.key.path(), "listed again after it had vanished");
                }
                let state = existing.map(|(_, size, modified, _)| SourceState {
                    size: size.and_then(|s| u64::try_from(s).ok()),
                    source_modified: modified.map(Timestamp::from_millis),
                });
                match (register_action(state, f), existing) {
                    (RegisterAction::Insert, _) => {
                        insert
                            .execute(params![dataset, path_key, f.key.path(), size, modified, now])
                            .map_err(&err)?;
                        report.new += 1;
                        tracing::debug!(dataset = %f.key.dataset, file = f.key.path(), to = "pending", "registered");
                    }
                    (RegisterAction::Requeue, Some((id, ..))) => {
                        requeue.execute(params![id, size, modified]).map_err(&err)?;
                        report.changed += 1;
                        tracing::debug!(dataset = %f.key.dataset, file = f.key.path(), to = "pending", "source changed: requeued");
                    }
                    (RegisterAction::Unchanged, Some((id, _, _, Some(_)))) => {
                        reappeared.execute(params![id]).map_err(&err)?;
                        report.unchanged += 1;
                    }
                    (RegisterAction::Requeue | RegisterAction::Unchanged, _) => report.unchanged += 1,
                }
            }
            Ok(report)
        })?;
        tracing::info!(
            files = files.len(),
            new = report.new,
            changed = report.changed,
            unchanged = report.unchanged,
            reappeared = report.reappeared,
            "registered files"
        );
        Ok(report)
    }

    fn claim(
        &self,
        dataset: &DatasetId,
        worker: &WorkerId,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Claim>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let now = self.now();
        let expires = lease_until(now, lease);
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        let mut claims = self.write("claim", |tx| {
            let err = self.sql_err("claim");
            let mut stmt = tx.prepare_cached(sql::CLAIM).map_err(&err)?;
            let rows = stmt
                .query_map(
                    params![
                        dataset.as_str(),
                        worker.as_str(),
                        expires,
                        now.as_millis(),
                        limit
                    ],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, Option<i64>>(3)?,
                            r.get::<_, Option<i64>>(4)?,
                        ))
                    },
                )
                .map_err(&err)?;
            let mut claims = Vec::with_capacity(max);
            for row in rows {
                let (id, path, attempts, size, modified) = row.map_err(&err)?;
                claims.push(Claim {
                    id: FileId(id),
                    key: FileKey::new(dataset.clone(), path)?,
                    token: u32::try_from(attempts)
                        .map_err(|_| corrupt(self, "claim", "attempts", attempts))?,
                    worker: worker.clone(),
                    lease_expires_at: Timestamp::from_millis(expires),
                    size: size.and_then(|s| u64::try_from(s).ok()),
                    source_modified: modified.map(Timestamp::from_millis),
                });
            }
            Ok(claims)
        })?;
        claims.sort_by_key(|c| c.id);
        for c in &claims {
            tracing::debug!(dataset = %dataset, file = c.key.path(), worker = %worker, attempt = c.token, from = "pending", to = "processing", "claimed");
        }
        Ok(claims)
    }

    fn renew(&self, claim: &Claim, lease: Duration) -> Result<Timestamp> {
        let now = self.now();
        let expires = lease_until(now, lease);
        self.write("renew", |tx| {
            let n = tx
                .prepare_cached(sql::RENEW)
                .and_then(|mut s| s.execute(params![claim.id.0, claim.token, expires]))
                .map_err(self.sql_err("renew"))?;
            if n == 0 {
                return Err(self.stale_or_missing(tx, claim));
            }
            Ok(())
        })?;
        tracing::debug!(dataset = %claim.key.dataset, file = claim.key.path(), worker = %claim.worker, attempt = claim.token, "lease renewed");
        Ok(Timestamp::from_millis(expires))
    }

    fn complete(&self, claim: &Claim, metrics: &CompletionMetrics) -> Result<()> {
        let now = self.now();
        self.write("complete", |tx| {
            self.mark_completions(tx, &claim.key.dataset, now)?;
            self.complete_in(tx, claim, metrics, now)
        })
    }

    fn complete_many(&self, done: &[(Claim, CompletionMetrics)]) -> Result<Vec<Result<()>>> {
        let now = self.now();
        self.write("complete", |tx| {
            let datasets: BTreeSet<&DatasetId> = done.iter().map(|(c, _)| &c.key.dataset).collect();
            for dataset in datasets {
                self.mark_completions(tx, dataset, now)?;
            }
            let mut results = Vec::with_capacity(done.len());
            for (claim, metrics) in done {
                match self.complete_in(tx, claim, metrics, now) {
                    Err(e @ (TrackerError::Backend(_) | TrackerError::StorageFull(_))) => {
                        return Err(e);
                    }
                    other => results.push(other),
                }
            }
            Ok(results)
        })
    }

    fn fail(&self, claim: &Claim, failure: &Failure) -> Result<FailOutcome> {
        let now = self.now();
        let started = failure.started_at.unwrap_or(now);
        let duration = to_i64(now.millis_since(started), "duration")?;
        let (outcome, failures) = self.write("fail", |tx| {
            let before: Option<i64> = tx
                .prepare_cached(sql::FAILURES_OF_CLAIM)
                .and_then(|mut s| {
                    s.query_row(params![claim.id.0, claim.token], |r| r.get(0))
                        .optional()
                })
                .map_err(self.sql_err("fail"))?;
            let Some(before) = before else {
                return Err(self.stale_or_missing(tx, claim));
            };
            let before =
                u32::try_from(before).map_err(|_| corrupt(self, "fail", "failures", before))?;
            let (outcome, failures) = self.retry.after_failure(before, failure.kind, now);
            let (status, not_before) = match outcome {
                FailOutcome::Retry { not_before } => {
                    (FileStatus::Pending, Some(not_before.as_millis()))
                }
                FailOutcome::Failed => (FileStatus::Failed, None),
            };
            tx.prepare_cached(sql::FAIL)
                .and_then(|mut s| {
                    s.execute(params![
                        claim.id.0,
                        claim.token,
                        sql::status_code(status),
                        failures,
                        not_before,
                        duration,
                        now.as_millis(),
                        failure.kind.as_str(),
                        failure.message,
                        failure.cause.map(|c| c.as_str())
                    ])
                })
                .map_err(self.sql_err("fail"))?;
            Ok((outcome, failures))
        })?;
        let to = match outcome {
            FailOutcome::Retry { .. } => "pending",
            FailOutcome::Failed => "failed",
        };
        tracing::debug!(dataset = %claim.key.dataset, file = claim.key.path(), worker = %claim.worker, attempt = claim.token, failures, kind = failure.kind.as_str(), error = %failure.message, from = "processing", to, "failed");
        Ok(outcome)
    }

    fn release(&self, claim: &Claim) -> Result<()> {
        self.release_in(claim, None)
    }

    fn release_with_reason(&self, claim: &Claim, failure: &Failure) -> Result<()> {
        self.release_in(claim, Some(failure))
    }

    fn recover_expired(&self) -> Result<RecoveryReport> {
        let now = self.now().as_millis();
        let recovered = self.write("recover expired claims", |tx| {
            let err = self.sql_err("recover expired claims");
            let mut stmt = tx.prepare_cached(sql::RECOVER_EXPIRED).map_err(&err)?;
            let rows = stmt
                .query_map([now], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(&err)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)?)
        })?;
        for (dataset, file, attempt) in &recovered {
            tracing::debug!(
                dataset,
                file,
                attempt,
                from = "processing",
                to = "pending",
                "lease expired: recovered"
            );
        }
        if !recovered.is_empty() {
            tracing::info!(claims = recovered.len(), "recovered expired claims");
        }
        Ok(RecoveryReport {
            requeued: recovered.len() as u64,
        })
    }

    fn mark_vanished(&self, dataset: &DatasetId, present: &[&str]) -> Result<Vec<String>> {
        let now = self.now().as_millis();
        // the listing as a set of references, each of the dataset's files
        // looked up in it: a crawl of 328K files needs no table of them
        let listed: HashSet<&str> = present.iter().copied().collect();
        let gone = self.write("mark vanished files", |tx| {
            let err = self.sql_err("mark vanished files");
            let mut gone: Vec<(i64, String)> = Vec::new();
            {
                let mut stmt = tx.prepare_cached(sql::NOT_VANISHED).map_err(&err)?;
                let mut rows = stmt.query([dataset.as_str()]).map_err(&err)?;
                while let Some(row) = rows.next().map_err(&err)? {
                    let path: String = row.get(1).map_err(&err)?;
                    if !listed.contains(path.as_str()) {
                        gone.push((row.get(0).map_err(&err)?, path));
                    }
                }
            }
            let mut mark = tx.prepare_cached(sql::MARK_VANISHED).map_err(&err)?;
            for (id, _) in &gone {
                mark.execute(params![id, now]).map_err(&err)?;
            }
            Ok(gone.into_iter().map(|(_, p)| p).collect::<Vec<_>>())
        })?;
        for file in &gone {
            tracing::debug!(dataset = %dataset, file, "vanished from the source listing");
        }
        tracing::info!(dataset = %dataset, listed = present.len(), vanished = gone.len(), "checked for vanished files");
        Ok(gone)
    }

    fn retry(&self, dataset: Option<&DatasetId>, selection: &RetrySelection) -> Result<u64> {
        let path = match selection {
            RetrySelection::AllFailed => None,
            RetrySelection::Path(p) => Some(p.as_str()),
        };
        let sql = sql::retry(dataset.is_some(), path.is_some());
        let n = self.write("retry", |tx| {
            let mut stmt = tx.prepare(&sql).map_err(self.sql_err("retry"))?;
            let n = match (dataset, path) {
                (Some(d), Some(p)) => stmt.execute(params![d.as_str(), sql::path_key(p), p]),
                (Some(d), None) => stmt.execute(params![d.as_str()]),
                (None, Some(p)) => stmt.execute(params![sql::path_key(p), p]),
                (None, None) => stmt.execute([]),
            };
            Ok(n.map_err(self.sql_err("retry"))?)
        })?;
        tracing::info!(
            dataset = dataset.map(DatasetId::as_str),
            path,
            files = n,
            from = "failed",
            to = "pending",
            "retried failed files"
        );
        Ok(n as u64)
    }

    fn reset(&self, dataset: &DatasetId, status: Option<FileStatus>) -> Result<u64> {
        let n = self.write("reset", |tx| {
            let mut stmt = tx
                .prepare(sql::reset(status.is_some()))
                .map_err(self.sql_err("reset"))?;
            let n = match status {
                Some(s) => stmt.execute(params![dataset.as_str(), sql::status_code(s)]),
                None => stmt.execute(params![dataset.as_str()]),
            };
            Ok(n.map_err(self.sql_err("reset"))?)
        })?;
        tracing::info!(dataset = %dataset, from = status.map(FileStatus::as_str), to = "pending", files = n, "reset files");
        Ok(n as u64)
    }

    fn summary(&self, dataset: Option<&DatasetId>) -> Result<Vec<DatasetSummary>> {
        let err = self.sql_err("summary");
        let mut out: Vec<DatasetSummary> = Vec::new();
        let mut add = |name: String, status: i64, n: i64| -> Result<()> {
            let n = u64::try_from(n).map_err(|_| corrupt(self, "summary", "n", n))?;
            if out.last().is_none_or(|s| s.dataset.as_str() != name) {
                out.push(DatasetSummary {
                    dataset: DatasetId::new(name)?,
                    counts: StatusCounts::default(),
                });
            }
            if let Some(last) = out.last_mut() {
                match sql::status_of_code(status) {
                    Some(s) => *last.counts.get_mut(s) = n,
                    None if status == sql::VANISHED_CODE => last.counts.vanished = n,
                    None => return Err(corrupt(self, "summary", "status", status)),
                }
            }
            Ok(())
        };
        let map = |r: &Row<'_>| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        };
        match dataset {
            Some(d) => {
                let mut stmt = self.conn.prepare_cached(sql::SUMMARY_ONE).map_err(&err)?;
                for row in stmt.query_map([d.as_str()], map).map_err(&err)? {
                    let (name, status, n) = row.map_err(&err)?;
                    add(name, status, n)?;
                }
            }
            None => {
                let mut stmt = self.conn.prepare_cached(sql::SUMMARY_ALL).map_err(&err)?;
                for row in stmt.query_map([], map).map_err(&err)? {
                    let (name, status, n) = row.map_err(&err)?;
                    add(name, status, n)?;
                }
            }
        }
        Ok(out)
    }

    fn activity(&self, dataset: &DatasetId, since: Timestamp) -> Result<Activity> {
        let err = self.sql_err("read activity");
        let ds = dataset.as_str();
        let completed_now: i64 = self
            .conn
            .prepare_cached(sql::COMPLETED_NOW)
            .and_then(|mut s| s.query_row([ds], |r| r.get(0)).optional())
            .map_err(&err)?
            .unwrap_or(0);
        let mark: Option<(i64, i64)> = self
            .conn
            .prepare_cached(sql::MARK_BEFORE)
            .and_then(|mut s| {
                s.query_row(params![ds, since.as_millis()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(&err)?;
        let mut workers = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(sql::ACTIVE_WORKERS)
                .map_err(&err)?;
            let rows = stmt
                .query_map([ds], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(&err)?;
            for row in rows {
                let (w, n) = row.map_err(&err)?;
                workers.push((WorkerId::new(w)?, n.max(0) as u64));
            }
        }
        let oldest: Option<(String, Option<i64>)> = self
            .conn
            .prepare_cached(sql::OLDEST_CLAIM)
            .and_then(|mut s| s.query_row([ds], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(&err)?;
        let oldest_claim = match oldest {
            Some((path, at)) => Some((
                FileKey::new(dataset.clone(), path)?,
                Timestamp::from_millis(at.unwrap_or_default()),
            )),
            None => None,
        };
        type FailureRow = (
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let last: Option<FailureRow> = self
            .conn
            .prepare_cached(sql::LAST_FAILURE)
            .and_then(|mut s| {
                s.query_row([ds], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(&err)?;
        let last_failure = match last {
            Some((path, kind, message, at, cause)) => Some(LastFailure {
                key: FileKey::new(dataset.clone(), path)?,
                kind: kind.map(|k| k.parse()).transpose()?,
                message,
                cause: cause.map(|c| c.parse()).transpose()?,
                at: at.map(Timestamp::from_millis),
            }),
            None => None,
        };
        Ok(Activity {
            completed_since: mark.map_or(0, |(_, n)| (completed_now - n).max(0) as u64),
            counted_since: mark.map(|(at, _)| Timestamp::from_millis(at)),
            workers,
            oldest_claim,
            last_failure,
        })
    }

    fn list(&self, query: &ListQuery) -> Result<Page> {
        let err = self.sql_err("list files");
        let limit = query.limit.clamp(1, 10_000);
        let after = query.after.map_or(i64::MIN, |f| f.0);
        let sql = sql::list(
            query.status,
            query.dataset.is_some(),
            query.unconfirmed_only,
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(&err)?;
        let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        let rows = match &query.dataset {
            Some(d) => stmt.query(params![after, fetch, d.as_str()]),
            None => stmt.query(params![after, fetch]),
        };
        let mut rows = rows.map_err(&err)?;
        let mut files = Vec::with_capacity(limit + 1);
        while let Some(row) = rows.next().map_err(&err)? {
            files.push(row_to_record(self, row)?);
        }
        let next = if files.len() > limit {
            files.truncate(limit);
            files.last().map(|f| f.id)
        } else {
            None
        };
        Ok(Page { files, next })
    }

    fn series_inputs(&self, dataset: &DatasetId) -> Result<Vec<SeriesInput>> {
        let err = self.sql_err("read series inputs");
        let mut stmt = self.conn.prepare_cached(sql::SERIES_INPUTS).map_err(&err)?;
        let rows = stmt
            .query_map([dataset.as_str()], |r| {
                Ok(SeriesInput {
                    series: r.get(0)?,
                    file: r.get(1)?,
                    checksum: r.get(2)?,
                })
            })
            .map_err(&err)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)?)
    }

    fn set_series_inputs(
        &self,
        dataset: &DatasetId,
        series: &str,
        inputs: &[SeriesInput],
    ) -> Result<()> {
        self.write("record series inputs", |tx| {
            let err = self.sql_err("record series inputs");
            tx.prepare_cached(sql::DELETE_SERIES_INPUTS)
                .and_then(|mut s| s.execute(params![dataset.as_str(), series]))
                .map_err(&err)?;
            let mut ins = tx.prepare_cached(sql::INSERT_SERIES_INPUT).map_err(&err)?;
            for i in inputs {
                ins.execute(params![dataset.as_str(), series, i.file, i.checksum])
                    .map_err(&err)?;
            }
            Ok(())
        })
    }

    fn outputs(&self, dataset: &DatasetId) -> Result<Vec<OutputRecord>> {
        let err = self.sql_err("read the output ledger");
        let mut stmt = self.conn.prepare_cached(sql::OUTPUTS).map_err(&err)?;
        let rows = stmt
            .query_map([dataset.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (path, bytes, n, modified_ns, sha, built_from, names) = row.map_err(&err)?;
            out.push(OutputRecord {
                path,
                bytes: u64::try_from(bytes)
                    .map_err(|_| corrupt(self, "outputs", "bytes", bytes))?,
                rows: u64::try_from(n).map_err(|_| corrupt(self, "outputs", "rows", n))?,
                modified_ns,
                sha256: <[u8; 32]>::try_from(sha.as_slice())
                    .map_err(|_| corrupt(self, "outputs", "sha256", sha.len() as i64))?,
                built_from,
                names,
            });
        }
        Ok(out)
    }

    fn record_outputs(&self, dataset: &DatasetId, outputs: &[OutputRecord]) -> Result<()> {
        self.write("record outputs", |tx| {
            self.record_outputs_in(tx, dataset, outputs)
        })
    }

    fn forget_outputs(&self, dataset: &DatasetId, paths: &[String]) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        self.write("forget outputs", |tx| {
            let err = self.sql_err("forget outputs");
            let mut del = tx.prepare_cached(sql::DELETE_OUTPUT).map_err(&err)?;
            for p in paths {
                del.execute(params![dataset.as_str(), p]).map_err(&err)?;
            }
            Ok(())
        })
    }

    fn redo(&self, dataset: &DatasetId, paths: &[String]) -> Result<u64> {
        let n = self.write("redo", |tx| {
            let err = self.sql_err("redo");
            let mut stmt = tx.prepare_cached(sql::REDO).map_err(&err)?;
            let mut n = 0;
            for p in paths {
                n += stmt
                    .execute(params![dataset.as_str(), sql::path_key(p), p])
                    .map_err(&err)?;
            }
            Ok(n)
        })?;
        if n > 0 {
            tracing::info!(dataset = %dataset, files = n, to = "pending", "files whose tables are missing or damaged go back to pending");
        }
        Ok(n as u64)
    }

    fn file(&self, key: &FileKey) -> Result<Option<FileRecord>> {
        let err = self.sql_err("read a file record");
        let mut stmt = self
            .conn
            .prepare_cached(&sql::file_by_key())
            .map_err(&err)?;
        let mut rows = stmt
            .query(params![
                key.dataset.as_str(),
                sql::path_key(key.path()),
                key.path()
            ])
            .map_err(&err)?;
        match rows.next().map_err(&err)? {
            Some(row) => Ok(Some(row_to_record(self, row)?)),
            None => Ok(None),
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

fn corrupt(
    store: &SqliteStore,
    operation: &'static str,
    column: &'static str,
    value: impl std::fmt::Debug,
) -> TrackerError {
    SqliteError::CorruptValue {
        path: store.path.clone(),
        operation,
        column,
        detail: format!("{value:?}"),
    }
    .into()
}

/// Reads a row selected with [`sql::RECORD_COLUMNS`].
/// A checksum as stored (schema 9): `sha256:<64 hex digits>` as its 32
/// bytes; any other form as written.
fn checksum_to_sql(c: Option<&str>) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    let Some(c) = c else {
        return Value::Null;
    };
    let bytes = c
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64)
        .and_then(|h| {
            (0..32)
                .map(|i| u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()
        });
    match bytes {
        Some(b) => Value::Blob(b),
        None => Value::Text(c.to_owned()),
    }
}

/// The stored checksum as `sha256:<hex>` (32 bytes) or as written (text).
fn checksum_from_sql(v: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Blob(b) => {
            let mut s = String::with_capacity(7 + 2 * b.len());
            s.push_str("sha256:");
            for byte in b {
                s.push_str(&format!("{byte:02x}"));
            }
            Some(s)
        }
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    }
}

fn row_to_record(store: &SqliteStore, r: &Row<'_>) -> Result<FileRecord> {
    let op = "read a file record";
    let err = store.sql_err(op);
    let get_u64 = |i: usize, col: &'static str| -> Result<Option<u64>> {
        let v: Option<i64> = r.get(i).map_err(&err)?;
        v.map(|v| u64::try_from(v).map_err(|_| corrupt(store, op, col, v)))
            .transpose()
    };
    let get_u32 = |i: usize, col: &'static str| -> Result<u32> {
        let v: i64 = r.get(i).map_err(&err)?;
        u32::try_from(v).map_err(|_| corrupt(store, op, col, v))
    };
    let get_ts = |i: usize| -> Result<Option<Timestamp>> {
        let v: Option<i64> = r.get(i).map_err(&err)?;
        Ok(v.map(Timestamp::from_millis))
    };
    let dataset = DatasetId::new(r.get::<_, String>(1).map_err(&err)?)?;
    let code: i64 = r.get(3).map_err(&err)?;
    let status = sql::status_of_code(code).ok_or_else(|| corrupt(store, op, "status", code))?;
    let worker: Option<String> = r.get(6).map_err(&err)?;
    let duration_ms = get_u64(12, "duration_ms")?;
    let finished_at = get_ts(13)?;
    let error_kind: Option<String> = r.get(16).map_err(&err)?;
    Ok(FileRecord {
        id: FileId(r.get(0).map_err(&err)?),
        key: FileKey::new(dataset, r.get::<_, String>(2).map_err(&err)?)?,
        status,
        size: get_u64(4, "size")?,
        source_modified: get_ts(5)?,
        worker: worker.map(WorkerId::new).transpose()?,
        attempts: get_u32(7, "attempts")?,
        failures: get_u32(8, "failures")?,
        lease_expires_at: get_ts(9)?,
        not_before: get_ts(10)?,
        claimed_at: get_ts(11)?,
        started_at: match (finished_at, duration_ms) {
            (Some(f), Some(d)) => Some(f.minus(Duration::from_millis(d))),
            _ => None,
        },
        finished_at,
        duration_ms,
        records_processed: get_u64(14, "records_processed")?,
        bytes_processed: get_u64(15, "bytes_processed")?,
        error_kind: error_kind.map(|k| k.parse::<FailureKind>()).transpose()?,
        error_message: r.get(17).map_err(&err)?,
        error_cause: r
            .get::<_, Option<String>>(18)
            .map_err(&err)?
            .map(|c| c.parse::<FailureCause>())
            .transpose()?,
        created_at: get_ts(19)?.unwrap_or_default(),
        checksum: checksum_from_sql(r.get_ref(20).map_err(&err)?),
        vanished_at: get_ts(21)?,
        size_unconfirmed: r.get(22).map_err(&err)?,
    })
}
