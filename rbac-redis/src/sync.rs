//! The reader: a background task that keeps the local copy in step with
//! the stream, on a connection of its own (a blocking `XREAD` holds the
//! connection it is sent on).
//!
//! On every connection it
//! 1. checks the epoch marker, and publishes what the copy holds again
//!    when it changed (Redis lost its data);
//! 2. reads the whole stream, page by page, and merges it: ids that a
//!    restarted Redis hands out again, or from a clock that went back,
//!    cannot hide an entry behind the last id seen before;
//! 3. follows it with `XREAD BLOCK` from the last id read: an empty reply
//!    is the heartbeat. Every five block times it checks the epoch again
//!    (a `FLUSHALL` on a live connection), and reloads if it changed.
//!
//! Each load and each `XREAD` that succeeds marks the copy fresh from the
//! moment it was sent. Any error drops the connection; the next one is made
//! after a backoff that doubles up to two seconds.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use redis::aio::MultiplexedConnection;
use redis::{Client, RedisError, RedisResult, Value};
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::entry::{self, Malformed, OwnedRevocation};
use crate::epoch;
use crate::local_copy::LocalCopy;
use crate::server_check;
use crate::settings::{
    PAGE, PURGE_INTERVAL, RECONNECT_BACKOFF_MAX, RECONNECT_BACKOFF_MIN, Settings,
};
use crate::stream::{self, RawEntry};

/// Spawns the reader on `runtime`; it runs until aborted.
pub(crate) fn spawn(
    runtime: &Handle,
    copy: Arc<LocalCopy>,
    settings: Arc<Settings>,
    client: Client,
) -> AbortHandle {
    let reader = Reader {
        copy,
        settings,
        client,
        epoch: None,
        reachable: None,
        server_checked: false,
        next_purge: Instant::now() + PURGE_INTERVAL,
    };
    runtime.spawn(reader.run()).abort_handle()
}

/// The reader's state across connections.
struct Reader {
    copy: Arc<LocalCopy>,
    settings: Arc<Settings>,
    client: Client,
    /// The epoch marker last seen (after publishing again, when it changed).
    epoch: Option<String>,
    /// Whether the last attempt reached Redis; `None` before the first.
    /// Logged on each change only.
    reachable: Option<bool>,
    /// Whether Redis's settings were checked (once per store).
    server_checked: bool,
    /// When the local copy is purged next.
    next_purge: Instant,
}

impl Reader {
    async fn run(mut self) {
        let mut backoff = RECONNECT_BACKOFF_MIN;
        loop {
            let config = self.settings.reader_connection();
            let error =
                match self.client.get_multiplexed_async_connection_with_config(&config).await {
                    Ok(mut connection) => {
                        let Err(error) = self.follow(&mut connection, &mut backoff).await;
                        error
                    }
                    Err(error) => error,
                };
            self.unreachable(&error);
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2).min(RECONNECT_BACKOFF_MAX);
        }
    }

    /// Loads and follows the stream on `connection` until an error.
    async fn follow(
        &mut self,
        connection: &mut MultiplexedConnection,
        backoff: &mut Duration,
    ) -> RedisResult<Infallible> {
        self.sync_epoch(connection).await?;
        let (mut last_id, loaded) = self.load(connection).await?;
        self.reached(loaded);
        if !self.server_checked {
            server_check::warn_if_lossy(connection).await?;
            self.server_checked = true;
        }
        let mut next_epoch_check = Instant::now() + self.settings.epoch_check_interval();
        loop {
            let sent = Instant::now();
            let reply: Value =
                stream::xread(&self.settings, &last_id).query_async(connection).await?;
            let entries = stream::read_entries(&reply)?;
            if let Some(entry) = entries.last() {
                last_id.clear();
                last_id.push_str(entry.id);
            }
            self.apply(&entries);
            self.copy.mark_fresh(sent);
            // Followed a whole round: the next failure reconnects quickly.
            *backoff = RECONNECT_BACKOFF_MIN;
            if sent >= next_epoch_check {
                if self.sync_epoch(connection).await? {
                    (last_id, _) = self.load(connection).await?;
                }
                next_epoch_check = Instant::now() + self.settings.epoch_check_interval();
            }
            self.purge_if_due();
        }
    }

    /// Reads the whole stream, a page at a time, into the copy, then marks
    /// it fresh from when the reading began. Returns the last id read
    /// (`0-0` for an empty stream) and how many entries there were.
    async fn load(&self, connection: &mut MultiplexedConnection) -> RedisResult<(String, usize)> {
        let sent = Instant::now();
        let mut last_id: Option<String> = None;
        let mut count = 0;
        loop {
            let reply: Value =
                stream::xrange(&self.settings, last_id.as_deref()).query_async(connection).await?;
            let entries = stream::range_entries(&reply)?;
            count += entries.len();
            if let Some(entry) = entries.last() {
                last_id = Some(entry.id.to_owned());
            }
            self.apply(&entries);
            if entries.len() < PAGE {
                break;
            }
        }
        self.copy.mark_fresh(sent);
        tracing::debug!(entries = count, "revocation stream loaded");
        Ok((last_id.unwrap_or_else(|| "0-0".to_owned()), count))
    }

    /// Merges `entries` into the copy; a malformed one is skipped, and
    /// logged by id and reason only (its fields may name a user).
    fn apply(&self, entries: &[RawEntry<'_>]) {
        let mut skipped = 0_usize;
        let mut first_skipped: Option<(&str, Malformed)> = None;
        for raw in entries {
            match entry::decode(raw.fields) {
                Ok(revocation) => {
                    // Whether it was new or held already, the copy has it.
                    let _ = self.copy.revocations.merge(revocation);
                }
                Err(reason) => {
                    skipped += 1;
                    first_skipped.get_or_insert((raw.id, reason));
                }
            }
        }
        if let Some((id, reason)) = first_skipped {
            tracing::warn!(skipped, first = id, %reason, "malformed revocation entries skipped");
        }
    }

    /// Reads the epoch marker; when it is not the one seen before, Redis
    /// lost its data: publishes everything the copy holds again, so that
    /// instances started later get it, then remembers the new marker.
    /// Whether it changed.
    async fn sync_epoch(&mut self, connection: &mut MultiplexedConnection) -> RedisResult<bool> {
        let current = epoch::current(connection, &self.settings).await?;
        let changed = self.epoch.as_ref().is_some_and(|known| *known != current);
        if changed {
            let mut held = Vec::new();
            self.copy
                .revocations
                .for_each(|revocation| held.push(OwnedRevocation::new(revocation)));
            tracing::warn!(
                entries = held.len(),
                "Redis lost the revocations (its epoch marker changed): publishing this \
                 instance's copy again"
            );
            stream::add_all(connection, &self.settings, &held).await?;
        }
        // Only now: should publishing fail, the next connection tries again.
        self.epoch = Some(current);
        Ok(changed)
    }

    fn purge_if_due(&mut self) {
        let now = Instant::now();
        if now < self.next_purge {
            return;
        }
        self.next_purge = now + PURGE_INTERVAL;
        let purged = self.copy.revocations.purge(SystemTime::now());
        if purged > 0 {
            tracing::debug!(purged, "expired revocations purged from the local copy");
        }
    }

    /// Logs a load after a failure, or the first one.
    fn reached(&mut self, entries: usize) {
        match self.reachable {
            Some(false) => tracing::warn!(entries, "Redis reachable again: revocations reloaded"),
            None => tracing::info!(entries, "revocations loaded from Redis"),
            Some(true) => tracing::debug!(entries, "revocations reloaded"),
        }
        self.reachable = Some(true);
    }

    /// Logs a failure after a load, or the first one; later ones at debug.
    fn unreachable(&mut self, error: &RedisError) {
        if self.reachable == Some(false) {
            tracing::debug!(%error, "Redis still unreachable");
        } else {
            tracing::warn!(
                %error,
                max_staleness = ?self.settings.max_staleness,
                "Redis unreachable: revocations are answered from the local copy until it is \
                 max_staleness old, then every token is refused (503) until Redis is back"
            );
        }
        self.reachable = Some(false);
    }
}
