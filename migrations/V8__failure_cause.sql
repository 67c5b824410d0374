-- Schema 8: what a failure was about (gone, network, content, misplaced,
-- machine), recorded with it, so that `failed` and `run` give the advice
-- that fixes it from the cause, never from the message's words. NULL for
-- failures recorded before, and for failures whose processor did not say.
-- No CHECK: on a column added by ALTER TABLE it made every insert of a file
-- 11% slower (`bench tracker`); the store writes only FailureCause's names
-- and refuses any other on reading.
ALTER TABLE file_processing_log ADD COLUMN error_cause TEXT;
