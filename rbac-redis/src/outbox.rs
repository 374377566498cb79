//! The outbox: revocations applied here and not yet in Redis, in the order
//! they were made, and the progress of publishing them. No I/O: the
//! publisher task drains it, and [`Publication`]s wait on its progress.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rbac_axum::Revocation;
use redis::RedisError;
use tokio::sync::{Notify, watch};

use crate::entry::OwnedRevocation;
use crate::error::Error;

/// Revocations waiting to be published, oldest first.
pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    /// Woken when something is queued; holds one wake-up while the
    /// publisher is busy, so that none is missed.
    queued: Notify,
    /// What has been published, and the last failure.
    progress: watch::Sender<Progress>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Queued>,
    /// The number the next revocation queued gets.
    next: u64,
}

/// One revocation waiting, with its number (in the order queued).
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub(crate) number: u64,
    pub(crate) revocation: OwnedRevocation,
    queued_at: Instant,
}

/// How far publishing has come.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// Every revocation numbered below this is in Redis (or was dropped as
    /// too old to matter).
    done_below: u64,
    /// Failed attempts so far.
    failures: u64,
    /// The last failure's error.
    last_error: Option<RedisError>,
}

impl Outbox {
    pub(crate) fn new() -> Self {
        Self {
            queue: Mutex::default(),
            queued: Notify::new(),
            progress: watch::Sender::new(Progress::default()),
        }
    }

    /// Queues `revocation` for the publisher; the returned [`Publication`]
    /// tells when Redis holds it.
    pub(crate) fn push(&self, revocation: Revocation<'_>) -> Publication {
        let number = {
            let mut queue = self.lock();
            let number = queue.next;
            queue.next += 1;
            queue.waiting.push_back(Queued {
                number,
                revocation: OwnedRevocation::new(revocation),
                queued_at: Instant::now(),
            });
            number
        };
        // Failures from here on concern this revocation too.
        let failures_before = self.progress.borrow().failures;
        self.queued.notify_one();
        Publication { progress: self.progress.subscribe(), number, failures_before }
    }

    /// Up to `limit` of the oldest revocations waiting, copied (they stay
    /// queued until [`published`](Self::published)). Those queued longer
    /// than `useful_for` can no longer refuse a token anywhere: they are
    /// dropped first, and counted in the second value.
    pub(crate) fn oldest(&self, limit: usize, useful_for: Duration) -> (Vec<Queued>, usize) {
        let mut queue = self.lock();
        let mut dropped = 0;
        let mut last_dropped = None;
        while let Some(front) = queue.waiting.front()
            && front.queued_at.elapsed() > useful_for
        {
            last_dropped = queue.waiting.pop_front().map(|queued| queued.number);
            dropped += 1;
        }
        let batch = queue.waiting.iter().take(limit).cloned().collect();
        drop(queue);
        if let Some(number) = last_dropped {
            self.advance(number);
        }
        (batch, dropped)
    }

    /// Waits until something may be waiting (returns at once if something
    /// was queued since the last call).
    pub(crate) async fn wait_for_more(&self) {
        self.queued.notified().await;
    }

    /// Redis holds every revocation numbered up to `through`: they leave
    /// the queue, and their publications end with `Ok`.
    pub(crate) fn published(&self, through: u64) {
        let mut queue = self.lock();
        while queue.waiting.front().is_some_and(|front| front.number <= through) {
            queue.waiting.pop_front();
        }
        drop(queue);
        self.advance(through);
    }

    fn advance(&self, through: u64) {
        self.progress.send_modify(|progress| {
            progress.done_below = progress.done_below.max(through + 1);
        });
    }

    /// An attempt to publish failed: publications waiting end with this
    /// error (their revocations stay queued).
    pub(crate) fn failed(&self, error: &RedisError) {
        self.progress.send_modify(|progress| {
            progress.failures += 1;
            progress.last_error = Some(error.clone());
        });
    }

    /// How many revocations are waiting.
    pub(crate) fn len(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Waits until nothing queued before this call is waiting any more;
    /// whether that came within `timeout`.
    pub(crate) async fn wait_until_empty(&self, timeout: Duration) -> bool {
        let target = self.lock().next;
        let mut progress = self.progress.subscribe();
        let drained = progress.wait_for(|progress| progress.done_below >= target);
        // The sender lives as long as `self`: the wait ends only when done.
        matches!(tokio::time::timeout(timeout, drained).await, Ok(Ok(_)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // The queue is consistent after every statement: a panic elsewhere
        // while it was locked leaves nothing half done.
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A revocation on its way to Redis: await it to know whether Redis holds
/// it. Dropping it changes nothing: the revocation is published anyway.
///
/// Awaiting gives `Ok` once Redis holds the revocation (other instances
/// then see it within about a round trip), or [`Error::Redis`] as soon as
/// an attempt to publish it fails; it stays queued and is tried again
/// until Redis takes it (see [`RedisRevocations::wait_until_published`](crate::RedisRevocations::wait_until_published)).
#[derive(Debug)]
pub struct Publication {
    progress: watch::Receiver<Progress>,
    number: u64,
    failures_before: u64,
}

impl IntoFuture for Publication {
    type Output = Result<(), Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

    fn into_future(mut self) -> Self::IntoFuture {
        Box::pin(async move {
            let settled = self.progress.wait_for(|progress| {
                progress.done_below > self.number || progress.failures > self.failures_before
            });
            let Ok(progress) = settled.await else {
                // The store was dropped: its publisher with it.
                return Err(Error::Stopped);
            };
            if progress.done_below > self.number {
                return Ok(());
            }
            match &progress.last_error {
                Some(error) => Err(Error::Redis(error.clone())),
                None => Err(Error::Stopped),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(jti: &str) -> Revocation<'_> {
        Revocation::Token { iss: "i", jti, exp: 1 }
    }

    fn failure() -> RedisError {
        RedisError::from((redis::ErrorKind::Io, "connection refused"))
    }

    #[tokio::test]
    async fn a_publication_ends_when_its_revocation_is_published() {
        let outbox = Outbox::new();
        let first = outbox.push(token("a"));
        let second = outbox.push(token("b"));
        let (batch, dropped) = outbox.oldest(1, Duration::from_secs(60));
        assert_eq!((batch.len(), dropped), (1, 0));
        outbox.published(batch[0].number);
        assert!(first.await.is_ok());
        assert_eq!(outbox.len(), 1);
        let pending = tokio::spawn(second.into_future());
        tokio::task::yield_now().await;
        assert!(!pending.is_finished(), "b is not published yet");
        outbox.published(outbox.oldest(10, Duration::from_secs(60)).0[0].number);
        assert!(pending.await.expect("joined").is_ok());
        assert_eq!(outbox.len(), 0);
    }

    #[tokio::test]
    async fn a_failure_ends_waiting_publications_with_it_and_keeps_them_queued() {
        let outbox = Outbox::new();
        let publication = outbox.push(token("a"));
        outbox.failed(&failure());
        assert!(matches!(publication.await, Err(Error::Redis(_))));
        assert_eq!(outbox.len(), 1, "still queued");
        // A publication made after the failure waits for the next attempt.
        let later = tokio::spawn(outbox.push(token("b")).into_future());
        tokio::task::yield_now().await;
        assert!(!later.is_finished());
        let (batch, _) = outbox.oldest(10, Duration::from_secs(60));
        outbox.published(batch[1].number);
        assert!(later.await.expect("joined").is_ok());
    }

    #[tokio::test]
    async fn revocations_too_old_to_matter_are_dropped_and_count_as_done() {
        let outbox = Outbox::new();
        let publication = outbox.push(token("a"));
        std::thread::sleep(Duration::from_millis(5));
        let (batch, dropped) = outbox.oldest(10, Duration::from_millis(1));
        assert_eq!((batch.len(), dropped), (0, 1));
        assert!(publication.await.is_ok());
        assert!(outbox.wait_until_empty(Duration::ZERO).await);
    }

    #[tokio::test]
    async fn waiting_until_empty_waits_for_what_was_queued_before() {
        let outbox = Outbox::new();
        assert!(outbox.wait_until_empty(Duration::ZERO).await, "nothing queued");
        drop(outbox.push(token("a")));
        assert!(!outbox.wait_until_empty(Duration::from_millis(10)).await);
        outbox.published(0);
        assert!(outbox.wait_until_empty(Duration::ZERO).await);
    }
}
