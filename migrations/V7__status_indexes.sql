-- Schema 7: indexes that serve every query `status` and `failed` make.
--
-- With a dataset filter, the planner chose the (dataset, file_path) index and
-- read every row of the dataset to find its few processing or failed ones
-- (measured on the archive's shape: 0.61 s for `status --dataset
-- 1_minute/precipitation` at 757K files). Each query now has a partial index
-- of its status, led by the dataset (tracker-sqlite's tests check the plans).

-- workers and the oldest claim of a dataset
CREATE INDEX file_processing_log_claims ON file_processing_log (dataset, claimed_at)
    WHERE status = 'processing';
-- the last failure of a dataset, and `failed --dataset` in id order
CREATE INDEX file_processing_log_failures ON file_processing_log (dataset, finished_at)
    WHERE status = 'failed';
CREATE INDEX file_processing_log_failed_ids ON file_processing_log (dataset, id)
    WHERE status = 'failed';
-- `failed --unconfirmed` (with or without a dataset)
CREATE INDEX file_processing_log_unconfirmed ON file_processing_log (dataset, id)
    WHERE status = 'completed' AND size_unconfirmed = 1;
CREATE INDEX file_processing_log_unconfirmed_ids ON file_processing_log (id)
    WHERE status = 'completed' AND size_unconfirmed = 1;
