//! The epoch marker: a random value stored next to the stream when there
//! is none, stamped with Redis's time. Redis that lost its data (a restart
//! without persistence, a `FLUSHALL`) has a new one, which tells the
//! instances to publish what they hold again; its age tells an instance
//! just started whether they may not have done so yet.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::RedisResult;
use redis::aio::MultiplexedConnection;

use crate::settings::Settings;

/// The marker in Redis, and how long ago it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Epoch {
    /// The marker's value: random, then `@` and Redis's time when it was
    /// set (milliseconds since the Unix epoch).
    pub(crate) marker: String,
    /// How long ago it was set, on Redis's clock; `None` when the marker
    /// carries no time it can be told from.
    pub(crate) age: Option<Duration>,
}

/// The marker in Redis now: the one there, or a new one set by this call
/// when there was none (`SET NX`, then `GET`, in one transaction; works
/// before Redis 7's `SET … NX GET`), with its age by Redis's `TIME`.
pub(crate) async fn current(
    connection: &mut MultiplexedConnection,
    settings: &Settings,
) -> RedisResult<Epoch> {
    let (seconds, micros): (u64, u64) = redis::cmd("TIME").query_async(connection).await?;
    let candidate = format!("{}@{}", new_marker(), millis(seconds, micros));
    let (marker, (seconds, micros)): (Option<String>, (u64, u64)) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(&settings.epoch_key)
        .arg(&candidate)
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(&settings.epoch_key)
        .cmd("TIME")
        .query_async(connection)
        .await?;
    let marker = marker.unwrap_or(candidate);
    let age = set_at(&marker)
        .map(|set| Duration::from_millis(millis(seconds, micros).saturating_sub(set)));
    Ok(Epoch { marker, age })
}

/// `GET` of the marker, to send ahead of a read: whether it is still the
/// one known is told by comparing.
pub(crate) fn get(settings: &Settings) -> redis::Cmd {
    let mut cmd = redis::cmd("GET");
    cmd.arg(&settings.epoch_key);
    cmd
}

/// When `marker` was set, in milliseconds since the Unix epoch.
fn set_at(marker: &str) -> Option<u64> {
    marker.rsplit_once('@')?.1.parse().ok()
}

fn millis(seconds: u64, micros: u64) -> u64 {
    seconds.saturating_mul(1000).saturating_add(micros / 1000)
}

/// 128 random bits in hex: unique across instances and restarts, not a
/// secret. Seeded by the standard library's per-process random keys,
/// mixed with the time and the process id.
fn new_marker() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos());
    let half = |salt: u64| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u64(salt);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(0), half(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_differ() {
        let (a, b) = (new_marker(), new_marker());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn a_marker_tells_when_it_was_set() {
        assert_eq!(set_at("0123abcd@1796066223492"), Some(1_796_066_223_492));
        assert_eq!(set_at("0123abcd"), None);
        assert_eq!(set_at("0123abcd@soon"), None);
        assert_eq!(millis(1_796_066_223, 492_999), 1_796_066_223_492);
    }
}
