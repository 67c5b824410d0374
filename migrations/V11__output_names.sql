-- Schema 11: the names a table's columns were written under.
--
-- A parameter's name can change (issue 30: a reading at one moment is no
-- longer named a mean). A per-file table or series written before such a
-- change carries the old names; `names` is a fingerprint of the names its
-- dataset's columns got when it was written, so a run can tell such tables
-- from current ones cheaply and convert their files again. NULL: written
-- before this schema (or a table without parameter columns).

ALTER TABLE outputs ADD COLUMN names TEXT;
