//! [`RedisRevocationsBuilder`]: the settings of a [`RedisRevocations`], and
//! starting it.

use std::sync::Arc;
use std::time::Duration;

use redis::Client;
use tokio::runtime::Handle;

use crate::error::Error;
use crate::settings::Settings;
use crate::store::RedisRevocations;

/// The stream's key unless [`key`](RedisRevocationsBuilder::key) says
/// otherwise.
pub const DEFAULT_KEY: &str = "rbac:revocations";

impl RedisRevocations {
    /// The settings of a store on the Redis at `url` (`redis://host:port/db`,
    /// with `user:password@` if needed; `?protocol=resp3` works too), for
    /// tokens that live at most `max_token_lifetime` (`exp` − `iat`):
    /// verification refuses tokens that live longer while this store is in
    /// use. Start it with [`start`](RedisRevocationsBuilder::start).
    pub fn builder(
        url: impl Into<String>,
        max_token_lifetime: Duration,
    ) -> RedisRevocationsBuilder {
        RedisRevocationsBuilder {
            url: url.into(),
            key: DEFAULT_KEY.to_owned(),
            max_token_lifetime,
            leeway: Duration::ZERO,
            max_staleness: Duration::from_secs(10),
            block: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            clock_margin: Duration::from_secs(60),
        }
    }
}

/// The longest block time: a heartbeat at least once a minute.
const MAX_BLOCK: Duration = Duration::from_secs(60);

/// The longest staleness bound: beyond an hour, an outage is no longer
/// ridden out but ignored.
const MAX_STALENESS: Duration = Duration::from_secs(3600);

/// The settings of a [`RedisRevocations`]; made by
/// [`RedisRevocations::builder`].
#[must_use = "a builder does nothing until started"]
pub struct RedisRevocationsBuilder {
    url: String,
    key: String,
    max_token_lifetime: Duration,
    leeway: Duration,
    max_staleness: Duration,
    block: Duration,
    connect_timeout: Duration,
    response_timeout: Duration,
    clock_margin: Duration,
}

impl RedisRevocationsBuilder {
    /// The longest leeway of an issuer whose tokens this store refuses
    /// (default none): entries are kept that much longer, twice for a
    /// subject's cut-off. An issuer with a longer one is refused at
    /// [`build`](rbac_axum::AuthenticatorBuilder::build).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The key of the stream (default [`DEFAULT_KEY`]); the epoch marker is
    /// kept at `{key}:epoch`. Every instance that shares revocations uses
    /// the same key; separate applications on one Redis use different
    /// ones.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// How long the local copy may be served after the last round trip
    /// that reached Redis (default 10 s); then every token is refused with
    /// 503 and `Retry-After` until Redis is reached again.
    ///
    /// The trade-off: during a Redis outage every instance keeps serving
    /// from its copy this long, and a revocation made meanwhile on another
    /// instance (which fails to publish it, and says so) is not enforced
    /// here; a shorter bound turns a brief outage or a slow Redis into
    /// 503s sooner. Must exceed twice the [`block`](Self::block) time,
    /// since a heartbeat comes every block time when nothing is written,
    /// and be at most an hour.
    pub fn max_staleness(mut self, max_staleness: Duration) -> Self {
        self.max_staleness = max_staleness;
        self
    }

    /// How long a read waits on the stream for new entries (`XREAD BLOCK`,
    /// default 2 s, from 1 ms to 60 s): the heartbeat's period while
    /// nothing is written, and how soon a `FLUSHALL` is noticed (the epoch
    /// marker is read with every read).
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block;
        self
    }

    /// How long connecting to Redis may take (default 1 s).
    pub fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// How long Redis may take to answer a command (default 1 s): a write,
    /// or a read on top of its block time.
    pub fn response_timeout(mut self, response_timeout: Duration) -> Self {
        self.response_timeout = response_timeout;
        self
    }

    /// How far Redis's clock may jump forward (be set ahead) while
    /// entries are in the stream (default 60 s): entries are kept this
    /// much longer than they can matter. Entries are trimmed by Redis's
    /// clock against the time Redis gave them, so a steady difference
    /// between Redis's clock and the instances' does not matter.
    pub fn clock_margin(mut self, clock_margin: Duration) -> Self {
        self.clock_margin = clock_margin;
        self
    }

    /// Starts the store: a background task connects to Redis, loads the
    /// stream and follows it. Must be called within a tokio runtime, whose
    /// timers are enabled.
    ///
    /// An unreachable Redis is no error: the store is unavailable (every
    /// token refused with 503) until its first load, and keeps trying; see
    /// [`RedisRevocations::wait_until_loaded`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`], [`Error::InvalidSetting`], or
    /// [`Error::NoRuntime`] outside a tokio runtime.
    pub fn start(self) -> Result<Arc<RedisRevocations>, Error> {
        let client = Client::open(self.url.as_str()).map_err(Error::InvalidUrl)?;
        let settings = self.settings()?;
        let runtime = Handle::try_current().map_err(|_| Error::NoRuntime)?;
        Ok(RedisRevocations::start(settings, client, &runtime))
    }

    fn settings(self) -> Result<Settings, Error> {
        let invalid = |why| Err(Error::InvalidSetting(why));
        if self.key.is_empty() {
            return invalid("the key is empty");
        }
        if self.block < Duration::from_millis(1) {
            return invalid("block must be at least 1 ms (0 would block for ever)");
        }
        if self.block > MAX_BLOCK {
            return invalid("block must be at most 60 s");
        }
        if self.max_staleness > MAX_STALENESS {
            return invalid("max_staleness must be at most an hour");
        }
        if self.connect_timeout.is_zero() || self.response_timeout.is_zero() {
            return invalid("the connect and response timeouts must not be zero");
        }
        if self.max_staleness <= self.block.saturating_mul(2) {
            return invalid("max_staleness must exceed twice the block time");
        }
        Ok(Settings {
            epoch_key: format!("{}:epoch", self.key),
            stream_key: self.key,
            max_token_lifetime: self.max_token_lifetime,
            leeway: self.leeway,
            max_staleness: self.max_staleness,
            block: self.block,
            connect_timeout: self.connect_timeout,
            response_timeout: self.response_timeout,
            clock_margin: self.clock_margin,
        })
    }
}

impl std::fmt::Debug for RedisRevocationsBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL: it may hold a password.
        f.debug_struct("RedisRevocationsBuilder")
            .field("key", &self.key)
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field("leeway", &self.leeway)
            .field("max_staleness", &self.max_staleness)
            .field("block", &self.block)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("clock_margin", &self.clock_margin)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn builder() -> RedisRevocationsBuilder {
        RedisRevocations::builder("redis://127.0.0.1:1/", HOUR)
    }

    #[test]
    fn bad_settings_are_refused_before_anything_starts() {
        let refused = [
            builder().key(""),
            builder().block(Duration::ZERO),
            builder().connect_timeout(Duration::ZERO),
            builder().response_timeout(Duration::ZERO),
            builder().block(Duration::from_secs(5)),
            builder().block(Duration::from_secs(61)).max_staleness(Duration::from_secs(600)),
            builder().max_staleness(Duration::from_secs(3601)),
        ];
        for builder in refused {
            assert!(matches!(builder.start(), Err(Error::InvalidSetting(_))));
        }
        for url in ["not a url", "http://127.0.0.1/", "rediss://127.0.0.1/"] {
            let started = RedisRevocations::builder(url, HOUR).start();
            assert!(matches!(started, Err(Error::InvalidUrl(_))), "{url}");
        }
        assert!(matches!(builder().start(), Err(Error::NoRuntime)), "outside a runtime");
    }

    #[test]
    fn the_debug_output_shows_no_url() {
        let shown = format!("{:?}", RedisRevocations::builder("redis://:hunter2@host/", HOUR));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
