-- Schema 5: what each merged series was built from.
--
-- The dataset processor merges a station's files (historical, recent,
-- now) into one series. This table keeps, per dataset and series, the
-- files (and their checksums) the series on disk was built from: a run
-- rebuilds only the series whose inputs changed since, and nothing when
-- nothing did. `series` is the series' key inside the dataset (a station
-- id as DWD writes it, `00044`, or a dataset-wide table such as
-- `stations`).

CREATE TABLE series_inputs (
    dataset   TEXT NOT NULL,
    series    TEXT NOT NULL,
    file_path TEXT NOT NULL,
    checksum  TEXT,
    PRIMARY KEY (dataset, series, file_path)
) WITHOUT ROWID;
