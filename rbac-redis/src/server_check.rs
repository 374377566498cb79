//! What the reader checks of the Redis server once: settings under which
//! revocations can be lost.

use redis::aio::MultiplexedConnection;
use redis::{InfoDict, RedisResult};

/// Warns when Redis keeps no append-only file, or could evict the stream
/// when memory runs short. A server that refuses `INFO` (renamed, or an ACL
/// without it) is not checked; only a broken connection is an error.
pub(crate) async fn warn_if_lossy(connection: &mut MultiplexedConnection) -> RedisResult<()> {
    let Some(persistence) = info(connection, "persistence").await? else {
        return Ok(());
    };
    if persistence.get::<i64>("aof_enabled") == Some(0) {
        tracing::warn!(
            "Redis keeps no append-only file (appendonly no): after a restart it holds only what \
             running instances publish again, and a revocation written just before may be lost"
        );
    }
    let Some(memory) = info(connection, "memory").await? else {
        return Ok(());
    };
    if let Some(policy) = memory.get::<String>("maxmemory_policy")
        && !keeps_keys_without_ttl(&policy)
    {
        tracing::warn!(
            policy,
            "Redis may evict the revocation stream when memory runs short (maxmemory-policy): \
             use noeviction or a volatile-* policy"
        );
    }
    Ok(())
}

/// Whether eviction `policy` leaves keys without a TTL (the stream) alone.
fn keeps_keys_without_ttl(policy: &str) -> bool {
    policy == "noeviction" || policy.starts_with("volatile-")
}

/// `INFO section`, or `None` when the server refuses it.
async fn info(
    connection: &mut MultiplexedConnection,
    section: &str,
) -> RedisResult<Option<InfoDict>> {
    match redis::cmd("INFO").arg(section).query_async(connection).await {
        Ok(info) => Ok(Some(info)),
        Err(error) if error.is_io_error() || error.is_unrecoverable_error() => Err(error),
        Err(error) => {
            tracing::debug!(%error, section, "INFO refused: Redis's settings not checked");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_policies_that_spare_keys_without_ttl_pass() {
        for policy in ["noeviction", "volatile-lru", "volatile-lfu", "volatile-ttl"] {
            assert!(keeps_keys_without_ttl(policy), "{policy}");
        }
        for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
            assert!(!keeps_keys_without_ttl(policy), "{policy}");
        }
    }
}
