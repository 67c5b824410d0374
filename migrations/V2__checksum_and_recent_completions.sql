-- Schema 2: a checksum of the processed file (the verify processor records
-- SHA-256), and an index that lets `status` count recent completions (rate,
-- ETA) without scanning every completed row. Measured at 500K files: the
-- index costs about 10% of claim+complete throughput; a per-minute counter
-- table kept by a trigger cost more (upsert per completion).

ALTER TABLE file_processing_log ADD COLUMN checksum TEXT;

CREATE INDEX file_processing_log_recent ON file_processing_log (dataset, finished_at)
    WHERE status = 'completed';
