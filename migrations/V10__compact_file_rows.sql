-- Schema 10: a file's row at the archive's size (757K files).
--
-- Measured on the archive's shape after a verify run (schema 9): 386 bytes a
-- file, of which the path was stored twice (the row, 66 bytes, and the
-- (dataset, file_path) unique index, 114 bytes a file), the dataset's name
-- three times (22 bytes in the row and in two indexes) and the status as
-- text. This rebuild:
--   * names a dataset by a small integer key (`datasets.id`);
--   * finds a file by (dataset_id, path_key), a 32-bit hash of its path
--     (FNV-1a, `climastation_path_key`, computed by the store), checked
--     against the path in the row: the path is stored once. Two paths with
--     one key are told apart by the path; a trigger keeps (dataset, path)
--     unique as the old index did;
--   * stores the status as a small integer (0 pending, 1 completed,
--     2 processing, 3 failed; 0 and 1 take no bytes in a record);
--   * drops what was stored twice or never read: `started_at` (always
--     finished_at - duration_ms, and 6 bytes where the duration takes 1 to 3;
--     computed on reading) and `updated_at` (never read);
--   * replaces the index of every completion (dataset, finished_at), which
--     served only the rate `status` shows, by `completion_marks`: the
--     completed count of a dataset, written at most every few seconds by
--     the handles that complete files. The rate is the count now minus the
--     count at the last mark before the window, over the time between.
-- The counters move to `file_counts` (dataset key, status code). The views
-- `file_processing_log` and `status_counts` keep the old shapes for reading
-- by hand (sqlite3, DuckDB): dataset names, status names, started_at.

CREATE TABLE datasets_v10 (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at  INTEGER NOT NULL
);
INSERT INTO datasets_v10 (name, created_at) SELECT name, created_at FROM datasets ORDER BY name;

CREATE TABLE files (
    id                 INTEGER PRIMARY KEY,
    dataset_id         INTEGER NOT NULL REFERENCES datasets_v10 (id),
    path_key           INTEGER NOT NULL,
    file_path          TEXT NOT NULL CHECK (length(file_path) >= 1),
    size               INTEGER CHECK (size >= 0),
    source_modified    INTEGER,
    -- 0 pending, 1 completed, 2 processing, 3 failed
    status             INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 3),
    worker_id          TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    failures           INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lease_expires_at   INTEGER,
    not_before         INTEGER,
    claimed_at         INTEGER,
    finished_at        INTEGER,
    -- finished_at - duration_ms is when the work started
    duration_ms        INTEGER CHECK (duration_ms >= 0),
    records_processed  INTEGER CHECK (records_processed >= 0),
    bytes_processed    INTEGER CHECK (bytes_processed >= 0),
    checksum           BLOB,
    size_unconfirmed   INTEGER NOT NULL DEFAULT 0 CHECK (size_unconfirmed IN (0, 1)),
    vanished_at        INTEGER,
    error_kind         TEXT CHECK (error_kind IN ('transient', 'permanent')),
    error_message      TEXT,
    error_cause        TEXT,
    created_at         INTEGER NOT NULL,
    CHECK ((status = 2) = (worker_id IS NOT NULL)),
    CHECK ((status = 2) = (lease_expires_at IS NOT NULL))
);

INSERT INTO files (id, dataset_id, path_key, file_path, size, source_modified, status,
                   worker_id, attempts, failures, lease_expires_at, not_before, claimed_at,
                   finished_at, duration_ms, records_processed, bytes_processed, checksum,
                   size_unconfirmed, vanished_at, error_kind, error_message, error_cause,
                   created_at)
SELECT f.id, d.id, climastation_path_key(f.file_path), f.file_path, f.size, f.source_modified,
       CASE f.status WHEN 'pending' THEN 0 WHEN 'completed' THEN 1
                     WHEN 'processing' THEN 2 ELSE 3 END,
       f.worker_id, f.attempts, f.failures, f.lease_expires_at, f.not_before, f.claimed_at,
       f.finished_at, max(f.finished_at - f.started_at, 0), f.records_processed,
       f.bytes_processed, f.checksum,
       f.size_unconfirmed, f.vanished_at, f.error_kind, f.error_message, f.error_cause,
       f.created_at
FROM file_processing_log f JOIN datasets_v10 d ON d.name = f.dataset
ORDER BY f.id;

-- status: 0..3 as in files, 4 for vanished files
CREATE TABLE status_counts_v10 (
    dataset_id  INTEGER NOT NULL REFERENCES datasets_v10 (id),
    status      INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4),
    n           INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (dataset_id, status)
) WITHOUT ROWID;
INSERT INTO status_counts_v10 (dataset_id, status, n)
SELECT d.id, CASE c.status WHEN 'pending' THEN 0 WHEN 'completed' THEN 1
                           WHEN 'processing' THEN 2 WHEN 'failed' THEN 3 ELSE 4 END, c.n
FROM status_counts c JOIN datasets_v10 d ON d.name = c.dataset;

DROP TRIGGER datasets_counts;
DROP TRIGGER file_processing_log_count_insert;
DROP TRIGGER file_processing_log_count_update;
DROP TRIGGER file_processing_log_count_delete;
DROP TABLE file_processing_log;
DROP TABLE status_counts;
DROP TABLE datasets;
ALTER TABLE datasets_v10 RENAME TO datasets;
ALTER TABLE status_counts_v10 RENAME TO file_counts;

-- a file by its path: (dataset_id, path_key), then the path in the row
CREATE INDEX files_path ON files (dataset_id, path_key);
-- claims: pending files of a dataset in registration order
CREATE INDEX files_pending ON files (dataset_id, id) WHERE status = 0 AND vanished_at IS NULL;
-- lease recovery: processing files, oldest lease first
CREATE INDEX files_processing ON files (lease_expires_at) WHERE status = 2;
-- workers and the oldest claim of a dataset
CREATE INDEX files_claims ON files (dataset_id, claimed_at) WHERE status = 2;
-- `failed` in id order, with and without a dataset; the last failure
CREATE INDEX files_failed ON files (id) WHERE status = 3;
CREATE INDEX files_failed_ids ON files (dataset_id, id) WHERE status = 3;
CREATE INDEX files_failures ON files (dataset_id, finished_at) WHERE status = 3;
-- `failed --unconfirmed`, with and without a dataset
CREATE INDEX files_unconfirmed ON files (dataset_id, id)
    WHERE status = 1 AND size_unconfirmed = 1;
CREATE INDEX files_unconfirmed_ids ON files (id) WHERE status = 1 AND size_unconfirmed = 1;

-- (dataset, path) stays unique: the path index no longer says so by itself
CREATE TRIGGER files_unique_path BEFORE INSERT ON files
WHEN EXISTS (SELECT 1 FROM files WHERE dataset_id = new.dataset_id
             AND path_key = new.path_key AND file_path = new.file_path)
BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: files.dataset_id, files.file_path');
END;
CREATE TRIGGER files_unique_path_update BEFORE UPDATE OF dataset_id, path_key, file_path ON files
WHEN EXISTS (SELECT 1 FROM files WHERE dataset_id = new.dataset_id
             AND path_key = new.path_key AND file_path = new.file_path AND id != new.id)
BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: files.dataset_id, files.file_path');
END;

CREATE TRIGGER datasets_counts AFTER INSERT ON datasets
BEGIN
    INSERT INTO file_counts (dataset_id, status, n) VALUES
        (new.id, 0, 0), (new.id, 1, 0), (new.id, 2, 0), (new.id, 3, 0), (new.id, 4, 0);
END;

CREATE TRIGGER files_count_insert AFTER INSERT ON files
BEGIN
    UPDATE file_counts SET n = n + 1
    WHERE dataset_id = new.dataset_id
      AND status = CASE WHEN new.vanished_at IS NULL THEN new.status ELSE 4 END;
END;

CREATE TRIGGER files_count_update AFTER UPDATE OF status, dataset_id, vanished_at ON files
WHEN old.dataset_id IS NOT new.dataset_id
  OR (CASE WHEN old.vanished_at IS NULL THEN old.status ELSE 4 END)
     IS NOT (CASE WHEN new.vanished_at IS NULL THEN new.status ELSE 4 END)
BEGIN
    UPDATE file_counts SET n = n - 1
    WHERE dataset_id = old.dataset_id
      AND status = CASE WHEN old.vanished_at IS NULL THEN old.status ELSE 4 END;
    UPDATE file_counts SET n = n + 1
    WHERE dataset_id = new.dataset_id
      AND status = CASE WHEN new.vanished_at IS NULL THEN new.status ELSE 4 END;
END;

CREATE TRIGGER files_count_delete AFTER DELETE ON files
BEGIN
    UPDATE file_counts SET n = n - 1
    WHERE dataset_id = old.dataset_id
      AND status = CASE WHEN old.vanished_at IS NULL THEN old.status ELSE 4 END;
END;

-- the completed count of a dataset at an instant, for the rate `status` shows
CREATE TABLE completion_marks (
    dataset_id  INTEGER NOT NULL REFERENCES datasets (id),
    at          INTEGER NOT NULL,
    completed   INTEGER NOT NULL CHECK (completed >= 0),
    PRIMARY KEY (dataset_id, at)
) WITHOUT ROWID;

CREATE VIEW file_processing_log AS
SELECT f.id, d.name AS dataset, f.file_path, f.size, f.source_modified,
       CASE f.status WHEN 0 THEN 'pending' WHEN 1 THEN 'completed'
                     WHEN 2 THEN 'processing' ELSE 'failed' END AS status,
       f.worker_id, f.attempts, f.failures, f.lease_expires_at, f.not_before, f.claimed_at,
       f.finished_at - f.duration_ms AS started_at, f.finished_at, f.duration_ms,
       f.records_processed, f.bytes_processed, f.error_kind, f.error_message, f.created_at,
       f.checksum, f.vanished_at, f.size_unconfirmed, f.error_cause
FROM files f JOIN datasets d ON d.id = f.dataset_id;

CREATE VIEW status_counts AS
SELECT d.name AS dataset,
       CASE c.status WHEN 0 THEN 'pending' WHEN 1 THEN 'completed' WHEN 2 THEN 'processing'
                     WHEN 3 THEN 'failed' ELSE 'vanished' END AS status,
       c.n
FROM file_counts c JOIN datasets d ON d.id = c.dataset_id;
