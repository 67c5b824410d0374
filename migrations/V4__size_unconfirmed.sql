-- Schema 4: completions whose size nothing confirmed.
--
-- A file no listing gives a size of (DWD's listings show `-` for some) and
-- whose format has no directory or checksum of its own (a station list, a
-- text file) is whole only on the server's word: a connection cut at a
-- line end would pass. Such a completion is recorded as size unconfirmed,
-- for `climastation failed --unconfirmed` to list. Cleared whenever the
-- file's result is cleared.

ALTER TABLE file_processing_log ADD COLUMN size_unconfirmed INTEGER NOT NULL DEFAULT 0
    CHECK (size_unconfirmed IN (0, 1));
