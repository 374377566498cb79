//! [`RedisRevocations`]: the store requests ask, and writes go through.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rbac_axum::{
    InMemoryRevocations, Revocation, RevocationStore, RevocationsUnavailable, TokenId,
};
use redis::Client;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::local_copy::LocalCopy;
use crate::outbox::{Outbox, Publication};
use crate::settings::Settings;
use crate::{publisher, sync};

/// Revocations shared by every instance through one Redis stream, answered
/// from a local copy that a background task keeps in step with it.
///
/// Made by [`RedisRevocations::builder`]; give the `Arc` to
/// [`AuthenticatorBuilder::revocation`](rbac_axum::AuthenticatorBuilder::revocation)
/// and keep a clone to revoke through. Requests never wait on Redis: they
/// are answered from the copy while it is fresh, and refused with 503
/// while it is not ([`RevocationStore::availability`]).
///
/// Dropping the last `Arc` stops the background tasks and closes their
/// connections; what was not published by then is lost to the other
/// instances (and logged): see
/// [`wait_until_published`](Self::wait_until_published).
pub struct RedisRevocations {
    copy: Arc<LocalCopy>,
    settings: Arc<Settings>,
    outbox: Arc<Outbox>,
    /// The reader and the publisher tasks, aborted on drop.
    tasks: [AbortHandle; 2],
}

impl RedisRevocations {
    /// Starts the reader on `runtime`; the store is unavailable until its
    /// first load.
    pub(crate) fn start(settings: Settings, client: Client, runtime: &Handle) -> Arc<Self> {
        let revocations =
            InMemoryRevocations::new(settings.max_token_lifetime).with_leeway(settings.leeway);
        let copy = Arc::new(LocalCopy::new(revocations, settings.max_staleness));
        let settings = Arc::new(settings);
        let outbox = Arc::new(Outbox::new());
        let publisher = publisher::spawn(runtime, outbox.clone(), settings.clone(), client.clone());
        let reader = sync::spawn(runtime, copy.clone(), settings.clone(), client);
        Arc::new(Self { copy, settings, outbox, tasks: [reader, publisher] })
    }

    /// Refuses the token of issuer `iss` with this `jti` until it expires
    /// at `exp` (the token's own `exp`), on every instance.
    ///
    /// This instance refuses it from this call on; a background task
    /// publishes it to Redis, and keeps trying while Redis is out of reach
    /// (until the token has expired). Await the returned [`Publication`]
    /// to know when Redis holds it (the other instances then see it within
    /// about a round trip), or drop it: the revocation is published either
    /// way.
    pub fn revoke_token(&self, iss: &str, jti: &str, exp: u64) -> Publication {
        self.copy.revocations.revoke_token(iss, jti, exp);
        self.outbox.push(Revocation::Token { iss, jti, exp })
    }

    /// Refuses every token of issuer `iss` and subject `sub` issued at or
    /// before `at`, on every instance; returns the cut-off (see
    /// [`InMemoryRevocations::revoke_subject`] for what it means to an
    /// issuer) and its [`Publication`].
    ///
    /// Applied here at once and published in the background, as
    /// [`revoke_token`](Self::revoke_token).
    pub fn revoke_subject(&self, iss: &str, sub: &str, at: SystemTime) -> (u64, Publication) {
        let cutoff = self.copy.revocations.revoke_subject(iss, sub, at);
        (cutoff, self.outbox.push(Revocation::Subject { iss, sub, cutoff }))
    }

    /// How many revocations made here Redis does not hold yet.
    pub fn unpublished(&self) -> usize {
        self.outbox.len()
    }

    /// Waits until Redis holds every revocation made here so far, at most
    /// `timeout`; whether it does. For shutting down: what is still
    /// unpublished when the store is dropped is refused by this instance
    /// only, and gone with it.
    pub async fn wait_until_published(&self, timeout: Duration) -> bool {
        self.outbox.wait_until_empty(timeout).await
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
        for task in &self.tasks {
            task.abort();
        }
        let unpublished = self.outbox.len();
        if unpublished > 0 {
            tracing::error!(
                unpublished,
                "revocation store dropped before Redis took every revocation made here: the \
                 other instances will not refuse those tokens"
            );
        }
    }
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: no `jti` or subject, and no URL (it may hold a
        // password).
        f.debug_struct("RedisRevocations")
            .field("stream_key", &self.settings.stream_key)
            .field("entries", &self.copy.revocations.len())
            .field("unpublished", &self.outbox.len())
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
