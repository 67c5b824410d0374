//! The storage trait every backend implements (SQLite now, PostgreSQL later).
//!
//! Nothing here assumes a particular database: ids are opaque, time comes
//! from the store's clock, and every method is one atomic operation.

use std::time::Duration;

use crate::error::Result;
use crate::types::{
    Activity, Claim, CompletionMetrics, DatasetId, DatasetSummary, FailOutcome, Failure, FileKey,
    FileRecord, FileStatus, ListQuery, NewFile, OutputRecord, Page, RecoveryReport, RegisterReport,
    RetrySelection, SeriesInput, Timestamp, WorkerId,
};

/// A progress store. One handle serves one thread; open one per worker.
///
/// Every method is atomic: it happens entirely or not at all, also when the
/// process dies in the middle of it.
pub trait ProgressStore: Send {
    /// Registers files (idempotent): unknown files become `pending`; a file
    /// whose size or modification date changed goes back to `pending`; an
    /// unchanged file is left as it is. A vanished file is listed again.
    fn register(&self, files: &[NewFile]) -> Result<RegisterReport>;

    /// Claims up to `max` claimable files of `dataset` (pending, and past any
    /// backoff) for `worker`, in registration order, each with a lease of
    /// `lease` and a new fencing token. No file is ever claimed twice at once.
    fn claim(
        &self,
        dataset: &DatasetId,
        worker: &WorkerId,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Claim>>;

    /// Extends a claim's lease to now + `lease`; returns the new expiry.
    /// [`TrackerError::StaleClaim`](crate::TrackerError::StaleClaim) if the claim is no longer current.
    fn renew(&self, claim: &Claim, lease: Duration) -> Result<Timestamp>;

    /// Marks a claimed file `completed` with its metrics.
    fn complete(&self, claim: &Claim, metrics: &CompletionMetrics) -> Result<()>;

    /// Completes several claims in one transaction (one commit instead of
    /// many, for workers that finish small files quickly). Each claim is
    /// fenced on its own: the result holds one entry per claim, in order, and
    /// a stale claim does not stop the others. A backend failure fails all.
    fn complete_many(&self, done: &[(Claim, CompletionMetrics)]) -> Result<Vec<Result<()>>>;

    /// Records a failure; the store's retry policy decides between another
    /// attempt after a backoff and `failed`.
    fn fail(&self, claim: &Claim, failure: &Failure) -> Result<FailOutcome>;

    /// Gives a claim back (graceful stop): the file is `pending` again at
    /// once, and the release does not count as a failure.
    fn release(&self, claim: &Claim) -> Result<()>;

    /// Gives a claim back like [`ProgressStore::release`] (`pending` at once,
    /// no failure counted), recording why: the machine failed, not the
    /// file (no space left on the disk), so the file's error is kept for
    /// people to see without using up its attempts.
    fn release_with_reason(&self, claim: &Claim, failure: &Failure) -> Result<()>;

    /// Puts files whose lease has expired back to `pending`. Does not count
    /// as a failure (the worker died, not necessarily because of the file).
    fn recover_expired(&self) -> Result<RecoveryReport>;

    /// Marks the files of `dataset` that are not in `present` (paths relative
    /// to the dataset) as vanished from their source: they keep their status
    /// and history but are no longer claimed or retried. Returns the paths
    /// newly marked. Registering a vanished file again clears the mark.
    fn mark_vanished(&self, dataset: &DatasetId, present: &[&str]) -> Result<Vec<String>>;

    /// Puts failed files (not vanished ones) back to `pending` with a fresh failure budget.
    /// Returns how many files it retried.
    fn retry(&self, dataset: Option<&DatasetId>, selection: &RetrySelection) -> Result<u64>;

    /// Puts the files of `dataset` (all, or those in `status`) back to
    /// `pending`, clearing results, errors and failure counts. Workers still
    /// holding claims on them lose those claims. Returns how many it reset.
    fn reset(&self, dataset: &DatasetId, status: Option<FileStatus>) -> Result<u64>;

    /// Counts per dataset and status; every registered dataset, ordered by name.
    fn summary(&self, dataset: Option<&DatasetId>) -> Result<Vec<DatasetSummary>>;

    /// Workers, oldest claim, last failure, and the completions counted
    /// from about `since` (from the store's record of the completed count
    /// nearest before it: [`Activity::counted_since`] says from when).
    fn activity(&self, dataset: &DatasetId, since: Timestamp) -> Result<Activity>;

    /// One page of files in a status, in registration order.
    fn list(&self, query: &ListQuery) -> Result<Page>;

    /// Up to `limit` files of `query` (its `after` the start, its `limit`
    /// the page size), page after page, in registration order.
    fn list_up_to(&self, query: &ListQuery, limit: usize) -> Result<Vec<FileRecord>> {
        let mut files = Vec::new();
        let mut q = query.clone();
        while files.len() < limit {
            q.limit = q.limit.min(limit - files.len()).max(1);
            let page = self.list(&q)?;
            files.extend(page.files);
            match page.next {
                Some(n) => q.after = Some(n),
                None => break,
            }
        }
        Ok(files)
    }

    /// What every series of `dataset` was last built from, ordered by
    /// series and file.
    fn series_inputs(&self, dataset: &DatasetId) -> Result<Vec<SeriesInput>>;

    /// Records that series `series` of `dataset` is now built from `inputs`
    /// (replacing what it was built from; none: the series is gone).
    fn set_series_inputs(
        &self,
        dataset: &DatasetId,
        series: &str,
        inputs: &[SeriesInput],
    ) -> Result<()>;

    /// The output ledger of `dataset`: every table recorded, by path.
    fn outputs(&self, dataset: &DatasetId) -> Result<Vec<OutputRecord>>;

    /// Records tables of `dataset` as written (replacing the records of the
    /// same paths).
    fn record_outputs(&self, dataset: &DatasetId, outputs: &[OutputRecord]) -> Result<()>;

    /// Drops the records of tables of `dataset` that are gone (paths as in
    /// [`OutputRecord::path`]).
    fn forget_outputs(&self, dataset: &DatasetId, paths: &[String]) -> Result<()>;

    /// Puts completed files of `dataset` (paths relative to the dataset)
    /// back to `pending` to be done again, because a table made from them
    /// is missing or damaged. Returns how many went back.
    fn redo(&self, dataset: &DatasetId, paths: &[String]) -> Result<u64>;

    /// One file's record.
    fn file(&self, key: &FileKey) -> Result<Option<FileRecord>>;

    /// The store's current time (its clock).
    fn now(&self) -> Timestamp;
}
