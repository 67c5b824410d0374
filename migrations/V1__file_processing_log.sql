-- ClimaStation progress tracker, schema 1.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.
-- Migrations are append-only: never edit a released file, add V<n+1>.

-- "CLST": marks the file as a ClimaStation progress database.
PRAGMA application_id = 1129075540;

CREATE TABLE datasets (
    name        TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE file_processing_log (
    id                 INTEGER PRIMARY KEY,
    dataset            TEXT NOT NULL REFERENCES datasets (name),
    file_path          TEXT NOT NULL CHECK (length(file_path) >= 1),
    size               INTEGER CHECK (size >= 0),
    source_modified    INTEGER,
    status             TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    worker_id          TEXT,
    -- claims so far; the current claim's fencing token; never decreases
    attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- failures counted against max_attempts since the last retry or reset
    failures           INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lease_expires_at   INTEGER,
    not_before         INTEGER,
    claimed_at         INTEGER,
    started_at         INTEGER,
    finished_at        INTEGER,
    duration_ms        INTEGER CHECK (duration_ms >= 0),
    records_processed  INTEGER CHECK (records_processed >= 0),
    bytes_processed    INTEGER CHECK (bytes_processed >= 0),
    error_kind         TEXT CHECK (error_kind IN ('transient', 'permanent')),
    error_message      TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- a processing file has exactly one owner and a lease; no other file has either
    CHECK ((status = 'processing') = (worker_id IS NOT NULL)),
    CHECK ((status = 'processing') = (lease_expires_at IS NOT NULL))
);

CREATE UNIQUE INDEX file_processing_log_path ON file_processing_log (dataset, file_path);
-- Claims scan only pending rows, in registration order.
CREATE INDEX file_processing_log_pending ON file_processing_log (dataset, id)
    WHERE status = 'pending';
-- Lease recovery scans only processing rows, oldest lease first.
CREATE INDEX file_processing_log_processing ON file_processing_log (lease_expires_at)
    WHERE status = 'processing';
-- `failed` listings and retries, in id order (there are few failed files;
-- a dataset filter is applied to them, not to the whole table).
CREATE INDEX file_processing_log_failed ON file_processing_log (id)
    WHERE status = 'failed';

-- Counts per dataset and status, kept by the triggers below in the same
-- transaction as the change, so a summary reads a handful of rows at any size.
CREATE TABLE status_counts (
    dataset  TEXT NOT NULL REFERENCES datasets (name),
    status   TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    n        INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (dataset, status)
) WITHOUT ROWID;

CREATE TRIGGER datasets_counts AFTER INSERT ON datasets
BEGIN
    INSERT INTO status_counts (dataset, status, n) VALUES
        (new.name, 'pending', 0), (new.name, 'processing', 0),
        (new.name, 'completed', 0), (new.name, 'failed', 0);
END;

CREATE TRIGGER file_processing_log_count_insert AFTER INSERT ON file_processing_log
BEGIN
    UPDATE status_counts SET n = n + 1 WHERE dataset = new.dataset AND status = new.status;
END;

CREATE TRIGGER file_processing_log_count_update AFTER UPDATE OF status, dataset ON file_processing_log
WHEN old.status IS NOT new.status OR old.dataset IS NOT new.dataset
BEGIN
    UPDATE status_counts SET n = n - 1 WHERE dataset = old.dataset AND status = old.status;
    UPDATE status_counts SET n = n + 1 WHERE dataset = new.dataset AND status = new.status;
END;

CREATE TRIGGER file_processing_log_count_delete AFTER DELETE ON file_processing_log
BEGIN
    UPDATE status_counts SET n = n - 1 WHERE dataset = old.dataset AND status = old.status;
END;
