-- Schema 8: what a failure was about (gone, network, content, misplaced,
-- machine), recorded with it, so that `failed` and `run` give the advice
-- that fixes it from the cause, never from the message's words. NULL for
-- failures recorded before, and for failures whose processor did not say.
ALTER TABLE file_processing_log ADD COLUMN error_cause TEXT
    CHECK (error_cause IN ('gone', 'network', 'content', 'misplaced', 'machine'));
