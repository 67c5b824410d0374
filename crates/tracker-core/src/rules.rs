//! The state machine's rules as pure functions. Backends implement them in
//! their own language (SQL) and the property tests check the two agree.

use std::time::Duration;

use crate::types::{FailOutcome, FailureKind, FileStatus, NewFile, Timestamp};

/// How failures are retried.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RetryPolicy {
    /// Failures a file may have before it stays `failed` (at least 1).
    pub max_attempts: u32,
    /// Backoff after the first failure; doubles with each further failure.
    pub backoff_base: Duration,
    /// Upper bound of the backoff.
    pub backoff_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before a file that has now failed `failures` times may be claimed again.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.backoff_base
            .saturating_mul(1u32 << doublings)
            .min(self.backoff_max)
    }

    /// Where a file goes after a failure, given the failures it had before this one.
    /// Returns the outcome and the new failure count.
    pub fn after_failure(
        &self,
        failures_before: u32,
        kind: FailureKind,
        now: Timestamp,
    ) -> (FailOutcome, u32) {
        let failures = failures_before.saturating_add(1);
        let outcome = if kind == FailureKind::Transient && failures < self.max_attempts.max(1) {
            FailOutcome::Retry {
                not_before: now.plus(self.backoff(failures)),
            }
        } else {
            FailOutcome::Failed
        };
        (outcome, failures)
    }
}

/// What the tracker last knew of a file's source.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SourceState {
    pub size: Option<u64>,
    pub source_modified: Option<Timestamp>,
}

/// What registering a file does to the tracker.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegisterAction {
    /// Unknown so far: insert as `pending`.
    Insert,
    /// Same size and date: leave it as it is, whatever its status.
    Unchanged,
    /// The source changed: store the new size and date, back to `pending`,
    /// results, errors and the failure count cleared.
    Requeue,
}

/// A value the new registration does not know (`None`) never counts as a
/// change; a value it knows that differs from the stored one (including one
/// the tracker did not know) does, so that work is redone rather than missed.
pub fn register_action(existing: Option<SourceState>, new: &NewFile) -> RegisterAction {
    let Some(old) = existing else {
        return RegisterAction::Insert;
    };
    if differs(new.size, old.size) || differs(new.source_modified, old.source_modified) {
        RegisterAction::Requeue
    } else {
        RegisterAction::Unchanged
    }
}

fn differs<T: PartialEq>(new: Option<T>, old: Option<T>) -> bool {
    new.is_some() && new != old
}

/// Every status change the tracker makes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transition {
    Claim,
    Complete,
    Fail(FailOutcome),
    /// A worker gives an unstarted or interrupted claim back (graceful stop).
    Release,
    /// A claim whose lease expired, or whose process is proven dead, is taken back.
    Recover,
    /// A person retries a failed file.
    Retry,
    /// A person resets a file, whatever its status.
    Reset,
    /// Registration found the source changed.
    SourceChanged,
}

impl Transition {
    pub const fn name(self) -> &'static str {
        match self {
            Transition::Claim => "claim",
            Transition::Complete => "complete",
            Transition::Fail(_) => "fail",
            Transition::Release => "release",
            Transition::Recover => "recover",
            Transition::Retry => "retry",
            Transition::Reset => "reset",
            Transition::SourceChanged => "source change",
        }
    }
}

/// The status a transition leads to from `from`, or `None` where it is not allowed.
pub fn next_status(from: FileStatus, t: Transition) -> Option<FileStatus> {
    use FileStatus::*;
    match (from, t) {
        (Pending, Transition::Claim) => Some(Processing),
        (Processing, Transition::Complete) => Some(Completed),
        (Processing, Transition::Fail(FailOutcome::Retry { .. })) => Some(Pending),
        (Processing, Transition::Fail(FailOutcome::Failed)) => Some(Failed),
        (Processing, Transition::Release | Transition::Recover) => Some(Pending),
        (Failed, Transition::Retry) => Some(Pending),
        (_, Transition::Reset | Transition::SourceChanged) => Some(Pending),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DatasetId, FileKey};
    use proptest::prelude::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        let secs: Vec<u64> = (1..=5).map(|f| p.backoff(f).as_secs()).collect();
        assert_eq!(secs, [10, 20, 40, 60, 60]);
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn transient_failure_retries_until_the_last_attempt() {
        let p = policy();
        let now = Timestamp::from_millis(1_000);
        assert_eq!(
            p.after_failure(0, FailureKind::Transient, now),
            (
                FailOutcome::Retry {
                    not_before: Timestamp::from_millis(11_000)
                },
                1
            )
        );
        assert_eq!(
            p.after_failure(1, FailureKind::Transient, now),
            (
                FailOutcome::Retry {
                    not_before: Timestamp::from_millis(21_000)
                },
                2
            )
        );
        assert_eq!(
            p.after_failure(2, FailureKind::Transient, now),
            (FailOutcome::Failed, 3)
        );
    }

    #[test]
    fn permanent_failure_never_retries() {
        let now = Timestamp::from_millis(0);
        assert_eq!(
            policy().after_failure(0, FailureKind::Permanent, now),
            (FailOutcome::Failed, 1)
        );
    }

    #[test]
    fn max_attempts_zero_behaves_as_one() {
        let p = RetryPolicy {
            max_attempts: 0,
            ..policy()
        };
        assert_eq!(
            p.after_failure(0, FailureKind::Transient, Timestamp::default())
                .0,
            FailOutcome::Failed
        );
    }

    fn file(size: Option<u64>, modified: Option<i64>) -> NewFile {
        let ds = DatasetId::new("d").unwrap();
        NewFile {
            key: FileKey::new(ds, "a.zip").unwrap(),
            size,
            source_modified: modified.map(Timestamp::from_millis),
        }
    }

    #[test]
    fn register_actions() {
        let old = SourceState {
            size: Some(10),
            source_modified: Some(Timestamp::from_millis(5)),
        };
        let check = |existing, new: NewFile, expected| {
            assert_eq!(register_action(existing, &new), expected, "{new:?}");
        };
        check(None, file(Some(10), Some(5)), RegisterAction::Insert);
        check(
            Some(old),
            file(Some(10), Some(5)),
            RegisterAction::Unchanged,
        );
        check(Some(old), file(None, None), RegisterAction::Unchanged);
        check(Some(old), file(Some(11), Some(5)), RegisterAction::Requeue);
        check(Some(old), file(Some(10), Some(6)), RegisterAction::Requeue);
        check(Some(old), file(None, Some(6)), RegisterAction::Requeue);
        let unknown = SourceState {
            size: None,
            source_modified: None,
        };
        check(Some(unknown), file(Some(1), None), RegisterAction::Requeue);
        check(Some(unknown), file(None, None), RegisterAction::Unchanged);
    }

    #[test]
    fn only_pending_files_can_be_claimed_and_only_processing_ones_finished() {
        use FileStatus::*;
        for from in FileStatus::ALL {
            assert_eq!(
                next_status(from, Transition::Claim).is_some(),
                from == Pending
            );
            for t in [
                Transition::Complete,
                Transition::Release,
                Transition::Recover,
                Transition::Fail(FailOutcome::Failed),
            ] {
                assert_eq!(next_status(from, t).is_some(), from == Processing, "{t:?}");
            }
            assert_eq!(
                next_status(from, Transition::Retry).is_some(),
                from == Failed
            );
            assert_eq!(next_status(from, Transition::Reset), Some(Pending));
        }
    }

    proptest! {
        #[test]
        fn failures_grow_by_one_and_backoff_is_bounded(
            before in 0u32..1000, transient: bool, now in 0i64..1_000_000_000,
        ) {
            let p = policy();
            let kind = if transient { FailureKind::Transient } else { FailureKind::Permanent };
            let (outcome, after) = p.after_failure(before, kind, Timestamp::from_millis(now));
            prop_assert_eq!(after, before + 1);
            match outcome {
                FailOutcome::Retry { not_before } => {
                    prop_assert!(transient && after < p.max_attempts);
                    prop_assert!(not_before.as_millis() > now);
                    prop_assert!(not_before.as_millis() <= now + 60_000);
                }
                FailOutcome::Failed => prop_assert!(!transient || after >= p.max_attempts),
            }
        }
    }
}
