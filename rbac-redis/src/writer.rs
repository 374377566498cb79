//! The connection writes go through: made when first needed, replaced
//! after it broke, shared (pipelined) by concurrent writes.

use rbac_axum::Revocation;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError, RedisResult};
use tokio::sync::Mutex;

use crate::settings::Settings;
use crate::stream;

/// Publishes revocations to the stream.
pub(crate) struct Writer {
    client: Client,
    config: AsyncConnectionConfig,
    /// The connection in use, if any. Held while connecting, so that
    /// concurrent writes wait for one connection instead of making many.
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    connection: Option<MultiplexedConnection>,
    /// Counts connections made: a failed write forgets the connection it
    /// used, not one made since by another write.
    number: u64,
}

impl Writer {
    /// A writer that connects on its first write.
    pub(crate) fn new(client: Client, settings: &Settings) -> Self {
        Self { client, config: settings.writer_connection(), slot: Mutex::default() }
    }

    /// Adds `revocation` to the stream (and trims it). A connection that
    /// turns out to be broken (Redis restarted, the connection dropped) is
    /// replaced and the write tried once more: adding an entry twice is
    /// harmless.
    pub(crate) async fn add(
        &self,
        settings: &Settings,
        revocation: Revocation<'_>,
    ) -> RedisResult<()> {
        match self.try_add(settings, revocation).await {
            Err(error) if error.is_unrecoverable_error() => {
                tracing::debug!(%error, "revocation write failed; once more on a new connection");
                self.try_add(settings, revocation).await
            }
            result => result,
        }
    }

    async fn try_add(&self, settings: &Settings, revocation: Revocation<'_>) -> RedisResult<()> {
        let (number, mut connection) = self.connection().await?;
        let added = stream::add(&mut connection, settings, revocation).await;
        if let Err(error) = &added
            && must_reconnect(error)
        {
            self.forget(number).await;
        }
        added
    }

    /// The connection in use, made if there is none, with its number.
    async fn connection(&self) -> RedisResult<(u64, MultiplexedConnection)> {
        let mut slot = self.slot.lock().await;
        if let Some(connection) = &slot.connection {
            return Ok((slot.number, connection.clone()));
        }
        let connection =
            self.client.get_multiplexed_async_connection_with_config(&self.config).await?;
        slot.number += 1;
        slot.connection = Some(connection.clone());
        Ok((slot.number, connection))
    }

    /// Drops connection `number` if it is still the one in use.
    async fn forget(&self, number: u64) {
        let mut slot = self.slot.lock().await;
        if slot.number == number {
            slot.connection = None;
        }
    }
}

/// Whether a connection that failed with `error` should be replaced: it
/// broke, or it timed out (a half-open connection never recovers; a new
/// one is bounded by the connect timeout).
fn must_reconnect(error: &RedisError) -> bool {
    error.is_unrecoverable_error() || error.is_timeout() || error.is_io_error()
}
