//! [`RedisRevocations`]: the store requests ask, and writes go through.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rbac_axum::{
    InMemoryRevocations, Revocation, RevocationStore, RevocationsUnavailable, TokenId,
};
use redis::Client;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::error::Error;
use crate::local_copy::LocalCopy;
use crate::settings::Settings;
use crate::sync;
use crate::writer::Writer;

/// Revocations shared by every instance through one Redis stream, answered
/// from a local copy that a background task keeps in step with it.
///
/// Made by [`RedisRevocations::builder`]; give the `Arc` to
/// [`AuthenticatorBuilder::revocation`](rbac_axum::AuthenticatorBuilder::revocation)
/// and keep a clone to revoke through. Requests never wait on Redis: they
/// are answered from the copy while it is fresh, and refused with 503
/// while it is not ([`RevocationStore::availability`]).
///
/// Dropping the last `Arc` stops the background task and closes its
/// connections.
pub struct RedisRevocations {
    copy: Arc<LocalCopy>,
    settings: Arc<Settings>,
    writer: Writer,
    /// The reader task, aborted on drop.
    reader: AbortHandle,
}

impl RedisRevocations {
    /// Starts the reader on `runtime`; the store is unavailable until its
    /// first load.
    pub(crate) fn start(settings: Settings, client: Client, runtime: &Handle) -> Arc<Self> {
        let revocations =
            InMemoryRevocations::new(settings.max_token_lifetime).with_leeway(settings.leeway);
        let copy = Arc::new(LocalCopy::new(revocations, settings.max_staleness));
        let settings = Arc::new(settings);
        let writer = Writer::new(client.clone(), &settings);
        let reader = sync::spawn(runtime, copy.clone(), settings.clone(), client);
        Arc::new(Self { copy, settings, writer, reader })
    }

    /// Refuses the token of issuer `iss` with this `jti` until it expires
    /// at `exp` (the token's own `exp`), on every instance.
    ///
    /// This instance refuses it at once, before Redis is asked. `Ok` once
    /// Redis holds it (the other instances see it within about a round
    /// trip, or when they are next in touch with Redis). An `Err` means
    /// other instances may not have it: call again (writing an entry twice
    /// is harmless).
    pub async fn revoke_token(&self, iss: &str, jti: &str, exp: u64) -> Result<(), Error> {
        self.copy.revocations.revoke_token(iss, jti, exp);
        self.publish(Revocation::Token { iss, jti, exp }).await
    }

    /// Refuses every token of issuer `iss` and subject `sub` issued at or
    /// before `at`, on every instance, and returns the cut-off: see
    /// [`InMemoryRevocations::revoke_subject`] for what it means to an
    /// issuer.
    ///
    /// Applied here first, then published, as
    /// [`revoke_token`](Self::revoke_token). After an `Err`, call again with
    /// the same `at` (the same cut-off); this instance holds it already.
    pub async fn revoke_subject(&self, iss: &str, sub: &str, at: SystemTime) -> Result<u64, Error> {
        let cutoff = self.copy.revocations.revoke_subject(iss, sub, at);
        self.publish(Revocation::Subject { iss, sub, cutoff }).await?;
        Ok(cutoff)
    }

    async fn publish(&self, revocation: Revocation<'_>) -> Result<(), Error> {
        Ok(self.writer.add(&self.settings, revocation).await?)
    }

    /// The cut-off this instance holds for subject `sub` of issuer `iss`,
    /// if any (see [`InMemoryRevocations::subject_cutoff`]).
    pub fn subject_cutoff(&self, iss: &str, sub: &str) -> Option<u64> {
        self.copy.revocations.subject_cutoff(iss, sub)
    }

    /// The local copy requests are answered from: to count or list its
    /// entries. What is merged into it directly is not published.
    pub fn local(&self) -> &InMemoryRevocations {
        &self.copy.revocations
    }

    /// Forgets from the local copy what can no longer refuse a token at
    /// `now`; how many entries were dropped. The background task does this
    /// every minute; Redis's copy is trimmed by the writes.
    pub fn purge(&self, now: SystemTime) -> usize {
        self.copy.revocations.purge(now)
    }

    /// Waits until the store is available (loaded from Redis, and fresh),
    /// at most `timeout`; whether it is. For start-up: until then every
    /// request that carries a token is refused with 503.
    pub async fn wait_until_loaded(&self, timeout: Duration) -> bool {
        self.copy.wait_until_fresh(timeout).await
    }

    /// The key of the stream in Redis.
    pub fn stream_key(&self) -> &str {
        &self.settings.stream_key
    }
}

impl Drop for RedisRevocations {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: no `jti` or subject, and no URL (it may hold a
        // password).
        f.debug_struct("RedisRevocations")
            .field("stream_key", &self.settings.stream_key)
            .field("entries", &self.copy.revocations.len())
            .field("available", &self.copy.availability().is_ok())
            .finish_non_exhaustive()
    }
}

impl RevocationStore for RedisRevocations {
    fn is_revoked(&self, token: TokenId<'_>) -> bool {
        self.copy.revocations.is_revoked(token)
    }

    fn max_token_lifetime(&self) -> Duration {
        self.copy.revocations.max_token_lifetime()
    }

    fn max_leeway(&self) -> Duration {
        self.copy.revocations.max_leeway()
    }

    fn generation(&self) -> Option<u64> {
        self.copy.revocations.generation()
    }

    fn availability(&self) -> Result<(), RevocationsUnavailable> {
        self.copy.availability()
    }
}
