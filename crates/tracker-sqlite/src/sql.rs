//! Every SQL statement of the store, in one place.
//!
//! A write that changes status must keep the `CHECK`s of the table true:
//! `processing` ⇔ a worker and a lease. Counts per status are kept by
//! triggers (see the migration), never by these statements.

use tracker_core::FileStatus;

/// A dataset's key from its name (`?N`): a constant subquery, evaluated
/// once a statement, so the planner still uses the indexes led by it.
macro_rules! dataset_id {
    ($p:literal) => {
        concat!("(SELECT id FROM datasets WHERE name = ", $p, ")")
    };
}

/// A file's status as stored (schema 10); `vanished` is the counters'
/// bucket of vanished files.
pub(crate) fn status_code(s: FileStatus) -> i64 {
    match s {
        FileStatus::Pending => 0,
        FileStatus::Completed => 1,
        FileStatus::Processing => 2,
        FileStatus::Failed => 3,
    }
}
pub(crate) const VANISHED_CODE: i64 = 4;

/// The status of a stored code; `None` for the vanished bucket or an unknown code.
pub(crate) fn status_of_code(code: i64) -> Option<FileStatus> {
    FileStatus::ALL
        .into_iter()
        .find(|s| status_code(*s) == code)
}

/// The key of a path in the path index: 32-bit FNV-1a of its bytes, as a
/// signed integer (4 bytes in a record). Stored in the database: never change it.
pub(crate) fn path_key(path: &str) -> i64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in path.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    i64::from(h as i32)
}

/// Columns of a [`tracker_core::FileRecord`], in the order `row_to_record`
/// reads them, from `files f JOIN datasets d` ([`FROM_FILES`]).
pub(crate) const RECORD_COLUMNS: &str = "f.id, d.name, f.file_path, f.status, f.size, \
     f.source_modified, f.worker_id, f.attempts, f.failures, f.lease_expires_at, f.not_before, \
     f.claimed_at, f.duration_ms, f.finished_at, f.records_processed, f.bytes_processed, \
     f.error_kind, f.error_message, f.error_cause, f.created_at, f.checksum, f.vanished_at, \
     f.size_unconfirmed";
pub(crate) const FROM_FILES: &str = "files f JOIN datasets d ON d.id = f.dataset_id";

pub(crate) const INSERT_DATASET: &str =
    "INSERT INTO datasets (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING";
pub(crate) const DATASET_ID: &str = "SELECT id FROM datasets WHERE name = ?1";

/// `?1` dataset key, `?2` path key, `?3` path.
pub(crate) const SOURCE_STATE: &str = "SELECT id, size, source_modified, vanished_at \
     FROM files WHERE dataset_id = ?1 AND path_key = ?2 AND file_path = ?3";

pub(crate) const REAPPEARED: &str = "UPDATE files SET vanished_at = NULL WHERE id = ?1";

/// A dataset's files not marked vanished, read in id order from the range
/// of ids the dataset has (its files were registered together, so the range
/// is mostly its own): the table's pages in order, not one seek a file
/// through the path index (measured: 7.4 s against 5.x s for a crawl with
/// nothing new at 757K files). `+dataset_id` keeps the planner on the range.
pub(crate) const NOT_VANISHED: &str = concat!(
    "SELECT id, file_path FROM files \
     WHERE id BETWEEN (SELECT min(id) FROM files WHERE dataset_id = ",
    dataset_id!("?1"),
    ") AND (SELECT max(id) FROM files WHERE dataset_id = ",
    dataset_id!("?1"),
    ") AND +dataset_id = ",
    dataset_id!("?1"),
    " AND vanished_at IS NULL"
);
pub(crate) const MARK_VANISHED: &str = "UPDATE files SET vanished_at = ?2 WHERE id = ?1";

pub(crate) const INSERT_FILE: &str = "INSERT INTO files \
     (dataset_id, path_key, file_path, size, source_modified, status, created_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)";

/// A changed source: new size and date, back to pending, all results cleared.
pub(crate) const REQUEUE_CHANGED: &str = "UPDATE files SET \
     size = ?2, source_modified = ?3, status = 0, worker_id = NULL, \
     lease_expires_at = NULL, not_before = NULL, failures = 0, claimed_at = NULL, \
     duration_ms = NULL, finished_at = NULL, records_processed = NULL, \
     bytes_processed = NULL, error_kind = NULL, error_message = NULL, error_cause = NULL, \
     checksum = NULL, size_unconfirmed = 0, vanished_at = NULL WHERE id = ?1";

/// One statement claims a whole batch: the subquery picks pending files in
/// registration order (partial index `files_pending`), the update takes
/// them. Inside `BEGIN IMMEDIATE` no other writer can interleave.
pub(crate) const CLAIM: &str = concat!(
    "UPDATE OR FAIL files SET \
     status = 2, worker_id = ?2, attempts = attempts + 1, lease_expires_at = ?3, \
     claimed_at = ?4, duration_ms = NULL, finished_at = NULL \
     WHERE id IN (SELECT id FROM files WHERE dataset_id = ",
    dataset_id!("?1"),
    " AND status = 0 AND vanished_at IS NULL \
                    AND (not_before IS NULL OR not_before <= ?4) \
                  ORDER BY id LIMIT ?5) \
     RETURNING id, file_path, attempts, size, source_modified"
);

/// The fencing condition every write about a claimed file carries.
macro_rules! current_claim {
    () => {
        " WHERE id = ?1 AND status = 2 AND attempts = ?2"
    };
}

pub(crate) const RENEW: &str = concat!("UPDATE files SET lease_expires_at = ?3", current_claim!());

pub(crate) const COMPLETE: &str = concat!(
    "UPDATE OR FAIL files SET status = 1, worker_id = NULL, \
     lease_expires_at = NULL, not_before = NULL, duration_ms = ?3, finished_at = ?4, \
     records_processed = ?5, bytes_processed = ?6, checksum = ?7, \
     size_unconfirmed = ?8, error_kind = NULL, error_message = NULL, error_cause = NULL",
    current_claim!()
);

/// The completed count of a dataset (`?1`) at `?2`, a mark for the rate.
pub(crate) const MARK_COMPLETIONS: &str = concat!(
    "INSERT OR REPLACE INTO completion_marks (dataset_id, at, completed) \
     SELECT dataset_id, ?2, n FROM file_counts WHERE status = 1 AND dataset_id = ",
    dataset_id!("?1")
);
/// Marks older than `?2`: run right after a new mark, so never the newest.
pub(crate) const PRUNE_MARKS: &str = concat!(
    "DELETE FROM completion_marks WHERE at < ?2 AND dataset_id = ",
    dataset_id!("?1")
);
pub(crate) const COMPLETED_NOW: &str = concat!(
    "SELECT n FROM file_counts WHERE status = 1 AND dataset_id = ",
    dataset_id!("?1")
);

pub(crate) const FAILURES_OF_CLAIM: &str = concat!("SELECT failures FROM files", current_claim!());

pub(crate) const FAIL: &str = concat!(
    "UPDATE files SET status = ?3, worker_id = NULL, lease_expires_at = NULL, \
     failures = ?4, not_before = ?5, duration_ms = ?6, finished_at = ?7, \
     error_kind = ?8, error_message = ?9, error_cause = ?10",
    current_claim!()
);

pub(crate) const RELEASE: &str = concat!(
    "UPDATE files SET status = 0, worker_id = NULL, lease_expires_at = NULL",
    current_claim!()
);

pub(crate) const RELEASE_WITH_REASON: &str = concat!(
    "UPDATE files SET status = 0, worker_id = NULL, \
     lease_expires_at = NULL, error_kind = ?3, error_message = ?4, error_cause = ?5",
    current_claim!()
);

pub(crate) const FILE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM files WHERE id = ?1)";

/// Claims whose lease has expired go back to pending.
pub(crate) const RECOVER_EXPIRED: &str = "UPDATE files SET status = 0, \
     worker_id = NULL, lease_expires_at = NULL \
     WHERE status = 2 AND lease_expires_at < ?1 \
     RETURNING (SELECT name FROM datasets WHERE id = dataset_id), file_path, attempts";

/// At open, when no other process can hold a claim: every claim is a dead run's.
pub(crate) const RECOVER_ALL: &str = "UPDATE files SET status = 0, \
     worker_id = NULL, lease_expires_at = NULL WHERE status = 2";

const RETRY_SET: &str = "UPDATE files SET status = 0, failures = 0, \
     not_before = NULL, error_kind = NULL, error_message = NULL, error_cause = NULL \
     WHERE status = 3 AND vanished_at IS NULL";

/// `?1` dataset name (when `dataset`), then the path key and path (when `path`).
pub(crate) fn retry(dataset: bool, path: bool) -> String {
    let mut sql = RETRY_SET.to_owned();
    if dataset {
        sql.push_str(concat!(" AND dataset_id = ", dataset_id!("?1")));
    }
    if path {
        sql.push_str(if dataset {
            " AND path_key = ?2 AND file_path = ?3"
        } else {
            " AND path_key = ?1 AND file_path = ?2"
        });
    }
    sql
}

macro_rules! reset_set {
    () => {
        concat!(
            "UPDATE files SET status = 0, worker_id = NULL, \
             lease_expires_at = NULL, not_before = NULL, failures = 0, claimed_at = NULL, \
             duration_ms = NULL, finished_at = NULL, records_processed = NULL, \
             bytes_processed = NULL, error_kind = NULL, error_message = NULL, \
             error_cause = NULL, checksum = NULL, size_unconfirmed = 0 WHERE dataset_id = ",
            dataset_id!("?1")
        )
    };
}

/// `?1` dataset name, `?2` the status code (when `status`).
pub(crate) fn reset(status: bool) -> &'static str {
    if status {
        concat!(reset_set!(), " AND status = ?2")
    } else {
        reset_set!()
    }
}

pub(crate) const SUMMARY_ALL: &str = "SELECT d.name, c.status, c.n FROM file_counts c \
     JOIN datasets d ON d.id = c.dataset_id ORDER BY d.name";
pub(crate) const SUMMARY_ONE: &str = "SELECT d.name, c.status, c.n FROM file_counts c \
     JOIN datasets d ON d.id = c.dataset_id WHERE d.name = ?1";

/// The status is written into the SQL as a literal (it comes from an enum):
/// only then can the planner use the partial index of that status. With a
/// bound `?` it scans the whole table (measured: 12.8 ms at 500K rows).
pub(crate) fn list(status: FileStatus, dataset: bool, unconfirmed: bool) -> String {
    format!(
        "SELECT {RECORD_COLUMNS} FROM {FROM_FILES} WHERE f.status = {} AND f.id > ?1{}{} \
         ORDER BY f.id LIMIT ?2",
        status_code(status),
        if dataset {
            concat!(" AND f.dataset_id = ", dataset_id!("?3"))
        } else {
            ""
        },
        if unconfirmed {
            " AND f.size_unconfirmed = 1"
        } else {
            ""
        }
    )
}

/// `?1` dataset name, `?2` path key, `?3` path.
pub(crate) fn file_by_key() -> String {
    format!(
        "SELECT {RECORD_COLUMNS} FROM {FROM_FILES} WHERE f.dataset_id = {} \
         AND f.path_key = ?2 AND f.file_path = ?3",
        dataset_id!("?1")
    )
}

/// The newest mark at or before `?2`, else the oldest (a shorter window).
pub(crate) const MARK_BEFORE: &str = concat!(
    "SELECT at, completed FROM (\
       SELECT at, completed, 0 AS rank FROM (SELECT at, completed FROM completion_marks \
         WHERE dataset_id = ",
    dataset_id!("?1"),
    " AND at <= ?2 ORDER BY at DESC LIMIT 1) \
       UNION ALL \
       SELECT at, completed, 1 FROM (SELECT at, completed FROM completion_marks \
         WHERE dataset_id = ",
    dataset_id!("?1"),
    " ORDER BY at LIMIT 1)) ORDER BY rank LIMIT 1"
);
pub(crate) const ACTIVE_WORKERS: &str = concat!(
    "SELECT worker_id, count(*) FROM files WHERE status = 2 AND dataset_id = ",
    dataset_id!("?1"),
    " GROUP BY worker_id ORDER BY worker_id"
);
pub(crate) const OLDEST_CLAIM: &str = concat!(
    "SELECT file_path, claimed_at FROM files WHERE status = 2 AND dataset_id = ",
    dataset_id!("?1"),
    " ORDER BY claimed_at LIMIT 1"
);
pub(crate) const LAST_FAILURE: &str = concat!(
    "SELECT file_path, error_kind, error_message, finished_at, error_cause \
     FROM files WHERE status = 3 AND dataset_id = ",
    dataset_id!("?1"),
    " ORDER BY finished_at DESC LIMIT 1"
);

/// Status counters that disagree with a count of the rows (vanished files
/// in their own bucket, as the triggers keep them).
pub(crate) const COUNTERS_AGAINST_ROWS: &str = "WITH rows AS ( \
       SELECT dataset_id, CASE WHEN vanished_at IS NOT NULL THEN 4 ELSE status END AS status, \
              count(*) AS n \
       FROM files GROUP BY 1, 2), \
     diff AS ( \
       SELECT c.dataset_id, c.status, c.n AS kept, coalesce(r.n, 0) AS counted \
       FROM file_counts c LEFT JOIN rows r ON r.dataset_id = c.dataset_id AND r.status = c.status \
       WHERE c.n != coalesce(r.n, 0) \
       UNION ALL \
       SELECT r.dataset_id, r.status, 0, r.n FROM rows r \
       WHERE NOT EXISTS (SELECT 1 FROM file_counts c \
                         WHERE c.dataset_id = r.dataset_id AND c.status = r.status)) \
     SELECT coalesce(d.name, '#' || diff.dataset_id), \
            CASE diff.status WHEN 0 THEN 'pending' WHEN 1 THEN 'completed' \
              WHEN 2 THEN 'processing' WHEN 3 THEN 'failed' WHEN 4 THEN 'vanished' \
              ELSE '#' || diff.status END, \
            diff.kept, diff.counted \
     FROM diff LEFT JOIN datasets d ON d.id = diff.dataset_id ORDER BY 1, 2";

pub(crate) const SERIES_INPUTS: &str = "SELECT series, file_path, checksum FROM series_inputs \
     WHERE dataset = ?1 ORDER BY series, file_path";
pub(crate) const DELETE_SERIES_INPUTS: &str =
    "DELETE FROM series_inputs WHERE dataset = ?1 AND series = ?2";
pub(crate) const INSERT_SERIES_INPUT: &str =
    "INSERT INTO series_inputs (dataset, series, file_path, checksum) VALUES (?1, ?2, ?3, ?4)";

pub(crate) const OUTPUTS: &str = "SELECT path, bytes, rows, modified_ns, sha256, built_from, names \
     FROM outputs WHERE dataset = ?1 ORDER BY path";
pub(crate) const UPSERT_OUTPUT: &str = "INSERT OR REPLACE INTO outputs \
     (dataset, path, bytes, rows, modified_ns, sha256, built_from, names) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
pub(crate) const DELETE_OUTPUT: &str = "DELETE FROM outputs WHERE dataset = ?1 AND path = ?2";
/// `?1` dataset name, `?2` path key, `?3` path.
pub(crate) const REDO: &str = concat!(
    reset_set!(),
    " AND path_key = ?2 AND file_path = ?3 AND status = 1"
);
