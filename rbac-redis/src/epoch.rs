//! The epoch marker: a random value stored next to the stream when there
//! is none. Redis that lost its data (a restart without persistence, a
//! `FLUSHALL`) has a new one, which tells the instances to publish what
//! they hold again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use redis::RedisResult;
use redis::aio::MultiplexedConnection;

use crate::settings::Settings;

/// The marker in Redis now: the one there, or a new one set by this call
/// when there was none (`SET NX`, then `GET`, in one transaction; works
/// before Redis 7's `SET … NX GET`).
pub(crate) async fn current(
    connection: &mut MultiplexedConnection,
    settings: &Settings,
) -> RedisResult<String> {
    let candidate = new_marker();
    let (current,): (Option<String>,) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(&settings.epoch_key)
        .arg(&candidate)
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(&settings.epoch_key)
        .query_async(connection)
        .await?;
    Ok(current.unwrap_or(candidate))
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
}
