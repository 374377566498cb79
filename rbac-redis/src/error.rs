//! What can go wrong starting the store or publishing a revocation.

/// An error of [`RedisRevocationsBuilder::start`](crate::RedisRevocationsBuilder::start)
/// or of a write ([`RedisRevocations::revoke_token`](crate::RedisRevocations::revoke_token),
/// [`RedisRevocations::revoke_subject`](crate::RedisRevocations::revoke_subject)).
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
    /// Redis could not be reached in time or refused the command. For a
    /// write: this instance holds the revocation, other instances may not
    /// (it may also have reached Redis before a reply was lost); writing
    /// it again is safe.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
}
