-- Schema 9: a file's SHA-256 stored as its 32 bytes, not as 71 characters of
-- `sha256:<hex>` text (39 bytes a file: 5% of the database at the archive's
-- 757K files). The store converts at its boundary: FileRecord::checksum is
-- `sha256:<hex>` as before; a checksum of another form stays text.
UPDATE file_processing_log SET checksum = unhex(substr(checksum, 8))
WHERE typeof(checksum) = 'text' AND length(checksum) = 71
  AND substr(checksum, 1, 7) = 'sha256:' AND unhex(substr(checksum, 8)) IS NOT NULL;
