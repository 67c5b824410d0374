-- Schema 6: the output ledger.
--
-- Every table the program writes under `paths.output` (a file's per-file
-- tables, a merged series, the merged station list, the metadata tables) is
-- recorded here once it has its final name: its size and modification time
-- (the cheap check before it is used), the SHA-256 of its bytes (the deep
-- check, `climastation check --deep`), its rows and what it was built from.
-- A table whose file no longer matches its record is rebuilt, or reported
-- with the command that fixes it; it is never served. `path` is relative to
-- the dataset's output folder.

CREATE TABLE outputs (
    dataset     TEXT NOT NULL,
    path        TEXT NOT NULL,
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    rows        INTEGER NOT NULL CHECK (rows >= 0),
    modified_ns INTEGER NOT NULL,
    sha256      BLOB NOT NULL CHECK (length(sha256) = 32),
    built_from  TEXT NOT NULL,
    PRIMARY KEY (dataset, path)
) WITHOUT ROWID;
