//! The ClimaStation progress tracker's core: domain types, the state
//! machine's rules as pure functions, and the [`ProgressStore`] trait that
//! every storage backend implements.
//!
//! This crate does no I/O and knows no SQL.
//!
//! ```text
//!            claim               complete
//! pending ─────────▶ processing ─────────▶ completed
//!    ▲  ▲               │  │ fail (permanent, or last attempt)
//!    │  └───────────────┘  └──────────────────────────▶ failed
//!    │   release, recover,                                │
//!    │   fail (transient, attempts left; after backoff)   │
//!    └──────────────────── retry ─────────────────────────┘
//!    (reset and a changed source send any status back to pending)
//! ```

mod cancel;
mod error;
mod rules;
mod store;
mod types;

pub use cancel::Cancel;
pub use error::{Result, TrackerError};
pub use rules::{
    RegisterAction, RetryPolicy, SourceState, Transition, next_status, register_action,
};
pub use store::ProgressStore;
pub use types::{
    Activity, Claim, Clock, CompletionMetrics, DatasetId, DatasetSummary, FailOutcome, Failure,
    FailureCause, FailureKind, FileId, FileKey, FileRecord, FileStatus, LastFailure, ListQuery,
    ManualClock, NewFile, OutputRecord, Page, RecoveryReport, RegisterReport, RetrySelection,
    SeriesInput, StatusCounts, SystemClock, Timestamp, WorkerId,
};
