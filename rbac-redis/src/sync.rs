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
//! 3. follows it with `XREAD BLOCK` from the last id read, each preceded
//!    (in the same round trip) by a `GET` of the marker: an empty reply is
//!    the heartbeat, and a changed marker (a `FLUSHALL` on a live
//!    connection) means publishing again and reloading.
//!
//! Each load, and each `XREAD` that returned less than a page, marks the
//! copy fresh from the moment it was sent. Any error drops the connection;
//! the next one is made after a backoff that doubles up to two seconds,
//! and starts again from the shortest once a connection has lasted.
//!
//! An instance that first meets a marker younger than the
//! [republish grace](Settings::republish_grace) does not mark its copy
//! fresh until the marker is that old: Redis may have just lost its data,
//! and the instances that hold revocations may not have published them
//! again yet.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use redis::aio::MultiplexedConnection;
use redis::{Client, RedisError, RedisResult, Value};
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::entry::{self, Malformed, OwnedRevocation};
use crate::epoch::{self, Epoch};
use crate::local_copy::LocalCopy;
use crate::server_check;
use crate::settings::{
    LASTING_CONNECTION, PAGE, PURGE_INTERVAL, RECONNECT_BACKOFF_MAX, RECONNECT_BACKOFF_MIN,
    STILL_FAILING_EVERY, Settings,
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
        hold_until: None,
        reachable: None,
        unreachable_logged: None,
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
    /// Until when loads and reads do not mark the copy fresh: the first
    /// marker seen was younger than the republish grace.
    hold_until: Option<Instant>,
    /// Whether the last attempt reached Redis; `None` before the first.
    /// Logged on each change, and reminded of while unreachable.
    reachable: Option<bool>,
    /// When being unreachable was last logged.
    unreachable_logged: Option<Instant>,
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
        let connected = Instant::now();
        self.sync_epoch(connection).await?;
        let (mut last_id, loaded) = self.load(connection).await?;
        self.reached(loaded);
        if !self.server_checked {
            server_check::warn_if_lossy(connection).await?;
            self.server_checked = true;
        }
        loop {
            let sent = Instant::now();
            // While held, a read returns when the hold ends, to mark the
            // copy fresh then rather than a block time later.
            let block = self.hold_until.map_or(self.settings.block, |until| {
                until.saturating_duration_since(sent) + Duration::from_millis(1)
            });
            let (marker, reply): (Option<String>, Value) = redis::pipe()
                .add_command(epoch::get(&self.settings))
                .add_command(stream::xread(&self.settings, &last_id, block))
                .query_async(connection)
                .await?;
            if marker != self.epoch {
                // Lost since the last look (what the read returned may be
                // from the new stream): publish again, and load it whole.
                self.sync_epoch(connection).await?;
                (last_id, _) = self.load(connection).await?;
                continue;
            }
            let entries = stream::read_entries(&reply)?;
            if let Some(entry) = entries.last() {
                last_id.clear();
                last_id.push_str(entry.id);
            }
            self.apply(&entries);
            if entries.len() < PAGE {
                // Everything written before `sent` was read.
                self.mark_fresh(sent);
            }
            if connected.elapsed() >= LASTING_CONNECTION {
                *backoff = RECONNECT_BACKOFF_MIN;
            }
            self.purge_if_due();
        }
    }

    /// Reads the whole stream, a page at a time, into the copy, then marks
    /// it fresh from when the reading began. Returns the last id read
    /// (`0-0` for an empty stream) and how many entries there were.
    async fn load(
        &mut self,
        connection: &mut MultiplexedConnection,
    ) -> RedisResult<(String, usize)> {
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
        self.mark_fresh(sent);
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
    /// The first marker this instance meets, when younger than the
    /// republish grace, holds the copy from turning fresh until it is that
    /// old.
    async fn sync_epoch(&mut self, connection: &mut MultiplexedConnection) -> RedisResult<()> {
        let Epoch { marker, age } = epoch::current(connection, &self.settings).await?;
        match &self.epoch {
            Some(known) if *known != marker => {
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
            Some(_) => {}
            None => {
                let grace = self.settings.republish_grace();
                if let Some(left) = age.and_then(|age| grace.checked_sub(age)) {
                    tracing::info!(
                        wait_ms = u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
                        "Redis's revocations are new (or were just lost): waiting for other \
                         instances to publish theirs again before answering"
                    );
                    self.hold_until = Some(Instant::now() + left);
                }
            }
        }
        // Only now: should publishing fail, the next connection tries again.
        self.epoch = Some(marker);
        Ok(())
    }

    /// Marks the copy fresh from `sent`, unless held until later.
    fn mark_fresh(&mut self, sent: Instant) {
        if let Some(until) = self.hold_until {
            if sent < until {
                return;
            }
            self.hold_until = None;
        }
        self.copy.mark_fresh(sent);
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

    /// Logs a failure after a load, or the first one, then a reminder
    /// every [`STILL_FAILING_EVERY`]; the others at debug.
    fn unreachable(&mut self, error: &RedisError) {
        let now = Instant::now();
        let remind = self
            .unreachable_logged
            .is_none_or(|logged| now.duration_since(logged) >= STILL_FAILING_EVERY);
        if self.reachable != Some(false) {
            tracing::warn!(
                %error,
                max_staleness = ?self.settings.max_staleness,
                "Redis unreachable: revocations are answered from the local copy until it is \
                 max_staleness old, then every token is refused (503) until Redis is back"
            );
            self.unreachable_logged = Some(now);
        } else if remind {
            tracing::warn!(%error, "Redis still unreachable: tokens are refused (503)");
            self.unreachable_logged = Some(now);
        } else {
            tracing::debug!(%error, "Redis still unreachable");
        }
        self.reachable = Some(false);
    }
}
