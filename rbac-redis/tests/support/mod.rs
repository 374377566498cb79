//! What the tests share: a `redis-server` per test on a free loopback port
//! (stopped, killed and restarted on demand), instances of the store with
//! short settings, and waiting for a condition within a deadline.
//!
//! Without `redis-server` on `PATH` a test is skipped, loudly, unless
//! `RBAC_REQUIRE_TOOLS` is set (CI), when it fails.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rbac_axum::{RevocationStore, TokenId};
use rbac_redis::RedisRevocations;
pub(crate) use rbac_test_support::{Persistence, RedisServer};
use redis::aio::MultiplexedConnection;

/// The issuer of every test token.
pub(crate) const ISS: &str = "https://issuer.test";

/// The longest token lifetime the test stores accept.
pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// The staleness bound of the test stores.
pub(crate) const MAX_STALENESS: Duration = Duration::from_millis(1500);

/// How long a test waits for a first load. The first instance on a new
/// Redis (each test's) waits for the republish grace: with the test
/// settings, 300 ms + 2 s + 300 ms + 3 × 300 ms = 3.5 s after the epoch
/// marker was set.
pub(crate) const FIRST_LOAD: Duration = Duration::from_secs(6);

/// A connection of the test's own to `server`, to look at or change what
/// Redis holds.
pub(crate) async fn connect(server: &RedisServer) -> MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("a valid URL")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection to the test's redis-server")
}

/// An instance of the store with the tests' short settings: block 300 ms,
/// staleness 1.5 s, timeouts 300 ms.
///
/// Logs go to the test's output, filtered by `RUST_LOG` (none without it).
pub(crate) fn instance(url: &str) -> Arc<RedisRevocations> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    RedisRevocations::builder(url, HOUR)
        .max_staleness(MAX_STALENESS)
        .block(Duration::from_millis(300))
        .connect_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_millis(300))
        .start()
        .expect("valid settings, within a runtime")
}

/// Two instances on `url`, each with its first load done.
pub(crate) async fn two_loaded(url: &str) -> (Arc<RedisRevocations>, Arc<RedisRevocations>) {
    let (a, b) = (instance(url), instance(url));
    assert!(a.wait_until_loaded(FIRST_LOAD).await, "a loaded");
    assert!(b.wait_until_loaded(FIRST_LOAD).await, "b loaded");
    (a, b)
}

/// Waits until `condition` holds, checking every millisecond, and returns
/// how long it took; panics, naming `what`, when it has not within `limit`.
pub(crate) async fn wait_for(
    what: &str,
    limit: Duration,
    mut condition: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    start.elapsed()
}

/// Whether `store` refuses the token `jti` of the test issuer.
pub(crate) fn refuses(store: &RedisRevocations, jti: &str) -> bool {
    store.is_revoked(TokenId::new(ISS, jti, "nobody", 0))
}

/// Whether `store` answers now (loaded, and fresh).
pub(crate) fn available(store: &RedisRevocations) -> bool {
    store.availability().is_ok()
}

/// An `exp` ten minutes from now.
pub(crate) fn exp() -> u64 {
    now_seconds() + 600
}

/// Seconds since the epoch.
pub(crate) fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// The ids (`id` fields) of the stream's entries, in order.
pub(crate) async fn stream_ids(connection: &mut MultiplexedConnection) -> Vec<String> {
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(rbac_redis::DEFAULT_KEY)
        .arg("-")
        .arg("+")
        .query_async(connection)
        .await
        .expect("XRANGE");
    entries.ids.iter().filter_map(|entry| entry.get::<String>("id")).collect()
}
