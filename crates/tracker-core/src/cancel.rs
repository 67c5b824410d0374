//! The one cancellation token: Ctrl-C, SIGTERM or a caller asks a job to
//! stop, and every layer that waits or loops asks the same token (the
//! source's requests, the pipeline's workers, an export between stations,
//! values between places).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request to stop, shared by clones. Cheap to clone and to ask; the
/// flag can be handed to a signal handler ([`Cancel::flag`]).
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for `signal_hook::flag::register`.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Cancel;

    #[test]
    fn a_cancel_reaches_every_clone_and_its_flag() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(!b.is_cancelled());
        a.cancel();
        assert!(b.is_cancelled());
        assert!(b.flag().load(std::sync::atomic::Ordering::SeqCst));
    }
}
