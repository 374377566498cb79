//! What can go wrong starting the store or publishing a revocation.

/// An error of [`RedisRevocationsBuilder::start`](crate::RedisRevocationsBuilder::start),
/// or what a [`Publication`](crate::Publication) ended with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Redis URL could not be parsed (at start, never later).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// A setting is out of range; the message says which and why.
    #[error("invalid setting: {0}")]
    InvalidSetting(&'static str),
    /// [`start`](crate::RedisRevocationsBuilder::start) was called outside a
    /// tokio runtime, where the background reader cannot be spawned.
    #[error("the Redis revocation store must be started within a tokio runtime")]
    NoRuntime,
    /// An attempt to publish a revocation failed: Redis could not be
    /// reached in time, or refused the command. This instance holds the
    /// revocation; the others may not yet. It stays queued and is tried
    /// again until Redis takes it.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The store was dropped before the revocation was published.
    #[error("the revocation store was dropped before Redis took the revocation")]
    Stopped,
}
