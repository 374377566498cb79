//! The publisher: a background task that drains the outbox into the
//! stream, on a connection of its own, and keeps trying while Redis is out
//! of reach. A revocation leaves the outbox only once Redis has answered
//! for it, or once it is too old to refuse any token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{Client, RedisError, RedisResult};
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::outbox::{Outbox, Queued};
use crate::settings::{
    PAGE, RECONNECT_BACKOFF_MAX, RECONNECT_BACKOFF_MIN, STILL_FAILING_EVERY, Settings,
};
use crate::stream;

/// Spawns the publisher on `runtime`; it runs until aborted.
pub(crate) fn spawn(
    runtime: &Handle,
    outbox: Arc<Outbox>,
    settings: Arc<Settings>,
    client: Client,
) -> AbortHandle {
    let publisher = Publisher { outbox, settings, client, connection: None, failing_since: None };
    runtime.spawn(publisher.run()).abort_handle()
}

struct Publisher {
    outbox: Arc<Outbox>,
    settings: Arc<Settings>,
    client: Client,
    /// The connection in use; made when needed, dropped when it broke.
    connection: Option<MultiplexedConnection>,
    /// Since when attempts have failed, and when that was last logged.
    failing_since: Option<(Instant, Instant)>,
}

impl Publisher {
    async fn run(mut self) {
        let mut backoff = RECONNECT_BACKOFF_MIN;
        loop {
            let (batch, dropped) = self.outbox.oldest(PAGE, self.settings.trim_window());
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "revocations dropped unpublished: Redis was out of reach until they could \
                     no longer refuse any token"
                );
            }
            let Some(last) = batch.last().map(|queued| queued.number) else {
                self.outbox.wait_for_more().await;
                continue;
            };
            match self.send(&batch).await {
                Ok(()) => {
                    self.outbox.published(last);
                    self.recovered(batch.len());
                    backoff = RECONNECT_BACKOFF_MIN;
                }
                Err(error) => {
                    self.outbox.failed(&error);
                    self.failed(&error);
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2).min(RECONNECT_BACKOFF_MAX);
                }
            }
        }
    }

    /// Adds `batch` to the stream (pipelined). A connection kept from
    /// before that turns out broken (Redis restarted since it was last
    /// used) is replaced and the batch sent once more at once: adding an
    /// entry twice is harmless.
    async fn send(&mut self, batch: &[Queued]) -> RedisResult<()> {
        let kept = self.connection.is_some();
        match self.try_send(batch).await {
            Err(error) if kept && (error.is_io_error() || error.is_unrecoverable_error()) => {
                tracing::debug!(%error, "publisher connection broken; once more on a new one");
                self.try_send(batch).await
            }
            result => result,
        }
    }

    /// Sends `batch`, connecting first if needed; a connection that failed
    /// is dropped, for a new one next time.
    async fn try_send(&mut self, batch: &[Queued]) -> RedisResult<()> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => {
                let config = self.settings.publisher_connection();
                let made = self.client.get_multiplexed_async_connection_with_config(&config);
                self.connection.insert(made.await?)
            }
        };
        let revocations: Vec<_> = batch.iter().map(|queued| queued.revocation.clone()).collect();
        let added = stream::add_all(connection, &self.settings, &revocations).await;
        if added.is_err() {
            self.connection = None;
        }
        added
    }

    /// Logs the first failure, then one reminder every
    /// [`STILL_FAILING_EVERY`] while they go on.
    fn failed(&mut self, error: &RedisError) {
        let now = Instant::now();
        let waiting = self.outbox.len();
        match &mut self.failing_since {
            None => {
                tracing::warn!(
                    %error,
                    waiting,
                    "revocations not published to Redis: the other instances do not have them \
                     yet; retrying"
                );
                self.failing_since = Some((now, now));
            }
            Some((since, logged)) if now.duration_since(*logged) >= STILL_FAILING_EVERY => {
                tracing::warn!(
                    %error,
                    waiting,
                    failing_for_secs = since.elapsed().as_secs(),
                    "revocations still not published to Redis; retrying"
                );
                *logged = now;
            }
            Some(_) => tracing::debug!(%error, waiting, "revocations not published; retrying"),
        }
    }

    fn recovered(&mut self, published: usize) {
        if let Some((since, _)) = self.failing_since.take() {
            let failing_for: Duration = since.elapsed();
            tracing::info!(
                published,
                failing_for_ms = u64::try_from(failing_for.as_millis()).unwrap_or(u64::MAX),
                "revocations published to Redis after failed attempts"
            );
        }
    }
}
