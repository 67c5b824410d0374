-- Schema 3: files that vanished from the source listing.
--
-- DWD renames historical files when it extends them; the old name vanishes.
-- A vanished file keeps its status and history but is out of future work:
-- claims skip it, retries skip it, and it is counted in its own bucket
-- ('vanished') instead of its status, so that `pending` means claimable
-- work. Registering it again (it reappeared) clears the mark.

ALTER TABLE file_processing_log ADD COLUMN vanished_at INTEGER;

DROP INDEX file_processing_log_pending;
CREATE INDEX file_processing_log_pending ON file_processing_log (dataset, id)
    WHERE status = 'pending' AND vanished_at IS NULL;

-- status_counts gains the 'vanished' bucket: rebuild it (a CHECK cannot be altered).
DROP TRIGGER datasets_counts;
DROP TRIGGER file_processing_log_count_insert;
DROP TRIGGER file_processing_log_count_update;
DROP TRIGGER file_processing_log_count_delete;

CREATE TABLE status_counts_v3 (
    dataset  TEXT NOT NULL REFERENCES datasets (name),
    status   TEXT NOT NULL
             CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'vanished')),
    n        INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (dataset, status)
) WITHOUT ROWID;
INSERT INTO status_counts_v3 (dataset, status, n) SELECT dataset, status, n FROM status_counts;
INSERT INTO status_counts_v3 (dataset, status, n) SELECT name, 'vanished', 0 FROM datasets;
DROP TABLE status_counts;
ALTER TABLE status_counts_v3 RENAME TO status_counts;

CREATE TRIGGER datasets_counts AFTER INSERT ON datasets
BEGIN
    INSERT INTO status_counts (dataset, status, n) VALUES
        (new.name, 'pending', 0), (new.name, 'processing', 0),
        (new.name, 'completed', 0), (new.name, 'failed', 0), (new.name, 'vanished', 0);
END;

CREATE TRIGGER file_processing_log_count_insert AFTER INSERT ON file_processing_log
BEGIN
    UPDATE status_counts SET n = n + 1
    WHERE dataset = new.dataset
      AND status = CASE WHEN new.vanished_at IS NULL THEN new.status ELSE 'vanished' END;
END;

CREATE TRIGGER file_processing_log_count_update
AFTER UPDATE OF status, dataset, vanished_at ON file_processing_log
WHEN old.dataset IS NOT new.dataset
  OR (CASE WHEN old.vanished_at IS NULL THEN old.status ELSE 'vanished' END)
     IS NOT (CASE WHEN new.vanished_at IS NULL THEN new.status ELSE 'vanished' END)
BEGIN
    UPDATE status_counts SET n = n - 1
    WHERE dataset = old.dataset
      AND status = CASE WHEN old.vanished_at IS NULL THEN old.status ELSE 'vanished' END;
    UPDATE status_counts SET n = n + 1
    WHERE dataset = new.dataset
      AND status = CASE WHEN new.vanished_at IS NULL THEN new.status ELSE 'vanished' END;
END;

CREATE TRIGGER file_processing_log_count_delete AFTER DELETE ON file_processing_log
BEGIN
    UPDATE status_counts SET n = n - 1
    WHERE dataset = old.dataset
      AND status = CASE WHEN old.vanished_at IS NULL THEN old.status ELSE 'vanished' END;
END;
