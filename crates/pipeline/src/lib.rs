//! The ClimaStation pipeline.
//!
//! Datasets run one after another; inside a dataset, N rayon workers (4 by
//! default), each with its own tracker handle, claim batches of files,
//! process them and report completion or failure with the claim's fencing
//! token. A renewer thread keeps the leases of held claims alive.
//!
//! - **Fail-fast** (default): a file that fails for good, or a processor
//!   panic, stops the dataset: no new claims, claimed-but-unstarted files are
//!   released, in-flight files finish within a grace period. A rerun resumes.
//! - **Graceful stop**: the same when the [`tracker_core::Cancel`] is cancelled (Ctrl-C).
//! - **Memory**: workers × per-worker budget never exceeds the total budget;
//!   processors stream with bounded buffers and refuse input that declares
//!   more than a worker's budget ([`MemoryBudget::admit`]).
//!
//! Works against any [`tracker_core::ProgressStore`].

mod processor;
mod runner;
mod verify;

pub use processor::{DatasetJob, FileFailure, Job, MemoryBudget, Outcome, ProcessError, Processor};
pub use runner::{
    DatasetReport, FailedFile, FileEvent, Observer, PipelineError, Quiet, RunOptions, RunReport,
    Stats, StopReason, host_name, panic_message, run,
};
pub use verify::{Verify, verify_path};

#[cfg(test)]
mod tests;
