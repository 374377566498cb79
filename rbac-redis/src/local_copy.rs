//! The local copy of the revocations that requests are answered from, and
//! how fresh it is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rbac_axum::{InMemoryRevocations, RevocationsUnavailable};
use tokio::sync::watch;

use crate::settings::RETRY_AFTER;

/// The revocations this instance holds, and until when they may be served.
///
/// The reader marks the copy fresh after every round trip that showed it
/// everything in Redis up to the moment the trip began; requests check
/// that mark with one clock read and one atomic load.
pub(crate) struct LocalCopy {
    /// What requests are answered from; writes and the reader merge into it.
    pub(crate) revocations: InMemoryRevocations,
    /// The origin of `fresh_until_ms`.
    base: Instant,
    /// Until when (milliseconds after `base`) the copy may be served; 0
    /// until the first load.
    fresh_until_ms: AtomicU64,
    /// How long after a round trip began the copy may be served.
    max_staleness: Duration,
    /// Bumped each time the copy turns fresh from stale: wakes
    /// [`wait_until_fresh`](Self::wait_until_fresh).
    turned_fresh: watch::Sender<u64>,
}

impl LocalCopy {
    /// An empty copy, never loaded: unavailable until the first load.
    pub(crate) fn new(revocations: InMemoryRevocations, max_staleness: Duration) -> Self {
        Self {
            revocations,
            base: Instant::now(),
            fresh_until_ms: AtomicU64::new(0),
            max_staleness,
            turned_fresh: watch::Sender::new(0),
        }
    }

    /// `Ok` while the copy is within the staleness bound of a round trip
    /// that reached Redis; no allocation, no I/O.
    pub(crate) fn availability(&self) -> Result<(), RevocationsUnavailable> {
        let until = self.fresh_until_ms.load(Ordering::Acquire);
        if until != 0 && millis(self.base.elapsed()) < until {
            Ok(())
        } else {
            Err(RevocationsUnavailable { retry_after: RETRY_AFTER })
        }
    }

    /// A round trip that began at `sent` showed everything Redis held then:
    /// the copy may be served until `sent` + the staleness bound.
    pub(crate) fn mark_fresh(&self, sent: Instant) {
        let was_fresh = self.availability().is_ok();
        let until =
            millis(sent.saturating_duration_since(self.base).saturating_add(self.max_staleness));
        // Never 0 (never loaded), never earlier than a later trip's mark.
        self.fresh_until_ms.fetch_max(until.max(1), Ordering::AcqRel);
        if !was_fresh {
            self.turned_fresh.send_modify(|turns| *turns = turns.wrapping_add(1));
        }
    }

    /// Waits until the copy is fresh, at most `timeout`; whether it is.
    pub(crate) async fn wait_until_fresh(&self, timeout: Duration) -> bool {
        // Subscribed before the first look: a turn after it wakes the wait.
        let mut turns = self.turned_fresh.subscribe();
        let fresh = turns.wait_for(|_| self.availability().is_ok());
        // The sender lives as long as `self`, so the wait ends only when
        // the copy is fresh.
        matches!(tokio::time::timeout(timeout, fresh).await, Ok(Ok(_)))
    }
}

/// Whole milliseconds, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty(max_staleness: Duration) -> LocalCopy {
        LocalCopy::new(InMemoryRevocations::new(Duration::from_secs(60)), max_staleness)
    }

    #[test]
    fn unavailable_until_marked_then_for_the_bound_after_the_trip_began() {
        let copy = empty(Duration::from_secs(10));
        let unavailable = copy.availability().expect_err("never loaded");
        assert!(unavailable.retry_after >= Duration::from_secs(1));
        copy.mark_fresh(Instant::now());
        assert_eq!(copy.availability(), Ok(()));
        // A trip that began long ago shows nothing newer.
        let stale = empty(Duration::from_millis(50));
        stale.mark_fresh(stale.base);
        std::thread::sleep(Duration::from_millis(60));
        assert!(stale.availability().is_err());
    }

    #[test]
    fn an_older_trip_never_moves_the_mark_back() {
        let copy = empty(Duration::from_millis(100));
        let later = Instant::now() + Duration::from_secs(5);
        copy.mark_fresh(later);
        copy.mark_fresh(copy.base);
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(copy.availability(), Ok(()));
    }

    #[tokio::test]
    async fn a_wait_ends_when_the_copy_turns_fresh_or_times_out() {
        let copy = std::sync::Arc::new(empty(Duration::from_secs(10)));
        assert!(!copy.wait_until_fresh(Duration::from_millis(20)).await);
        let marker = copy.clone();
        let marking = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            marker.mark_fresh(Instant::now());
        });
        assert!(copy.wait_until_fresh(Duration::from_secs(5)).await);
        marking.await.expect("marked");
        assert!(copy.wait_until_fresh(Duration::ZERO).await, "fresh already");
    }
}
