//! The checked settings the store, its publisher and its reader share, and
//! the values derived from them.

use std::time::Duration;

use redis::AsyncConnectionConfig;

/// How long the reader waits before reconnecting, at first; it doubles
/// after each failure up to [`RECONNECT_BACKOFF_MAX`].
pub(crate) const RECONNECT_BACKOFF_MIN: Duration = Duration::from_millis(100);

/// The longest wait between two reconnection attempts.
pub(crate) const RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// What an unavailable store suggests as `Retry-After`: the longest wait
/// between two reconnection attempts (whole seconds, at least one).
pub(crate) const RETRY_AFTER: Duration = RECONNECT_BACKOFF_MAX;

/// While Redis stays out of reach, how often a reminder is logged.
pub(crate) const STILL_FAILING_EVERY: Duration = Duration::from_secs(60);

/// Entries asked for per `XRANGE` page and per `XREAD`, and XADDs sent per
/// pipeline when publishing everything again.
pub(crate) const PAGE: usize = 1000;

/// A connection that lasted this long resets the reconnection backoff: one
/// that keeps failing soon after it is made does not reload the stream ten
/// times a second.
pub(crate) const LASTING_CONNECTION: Duration = Duration::from_secs(10);

/// How often the reader purges what can no longer refuse a token from the
/// local copy.
pub(crate) const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Seconds added to the trim window for whole-second rounding: a token's
/// `exp` and `iat` and the lifetime may have fractions, and a cut-off is the
/// second after the revocation.
const ROUNDING_MARGIN: Duration = Duration::from_secs(3);

/// The store's settings, checked by the builder.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The stream holding the revocations.
    pub(crate) stream_key: String,
    /// The epoch marker: `{stream_key}:epoch`.
    pub(crate) epoch_key: String,
    pub(crate) max_token_lifetime: Duration,
    pub(crate) leeway: Duration,
    pub(crate) max_staleness: Duration,
    pub(crate) block: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) clock_margin: Duration,
}

impl Settings {
    /// How long after it was added (on Redis's clock) an entry may still
    /// refuse a token: the longest token lifetime, the leeway twice (a token
    /// issued up to a leeway ahead is accepted up to a leeway after its
    /// `exp`), rounding, and the clock margin. Older entries are trimmed.
    pub(crate) fn trim_window(&self) -> Duration {
        self.max_token_lifetime
            .saturating_add(self.leeway.saturating_mul(2))
            .saturating_add(ROUNDING_MARGIN)
            .saturating_add(self.clock_margin)
    }

    /// How long after Redis lost its data the instances that hold
    /// revocations may take to publish them again: a follower notices a
    /// new epoch marker within a block time (a `FLUSHALL`) or its next
    /// reconnection (a restart), then reads the marker and publishes, a
    /// round trip each. An instance meeting a marker younger than this
    /// waits until it is this old before it answers.
    pub(crate) fn republish_grace(&self) -> Duration {
        self.block
            .saturating_add(RECONNECT_BACKOFF_MAX)
            .saturating_add(self.connect_timeout)
            .saturating_add(self.response_timeout.saturating_mul(3))
    }

    /// The publisher's connection: replies within the response timeout.
    pub(crate) fn publisher_connection(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
    }

    /// The reader's connection: a blocking `XREAD` replies after up to
    /// `block`, so the response timeout comes on top of it.
    pub(crate) fn reader_connection(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.block.saturating_add(self.response_timeout)))
    }
}
