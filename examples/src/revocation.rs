//! Revoking tokens before they expire: [`Revocations`] holds the store
//! that the authenticator asks on every request; a login waits for the
//! subject's cut-off it holds (see `token.rs`).
//!
//! By default the store lives in this process (`InMemoryRevocations`): a
//! restart forgets every revocation, and the tokens revoked before it are
//! accepted again until they expire. With `RBAC_EXAMPLE_REDIS_URL` it is
//! `rbac_redis::RedisRevocations`, shared by every replica through Redis:
//! a revocation is applied here at once and published in the background,
//! retried for ten minutes while Redis is out of reach (then given up,
//! logged as an error; a process stopped before it is published leaves it
//! to this replica alone).
//!
//! Either way user management still reads the caller from the database
//! (see `users.rs`): the database, not the revocations, is where a
//! demotion is certain to be found.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use rbac_axum::{InMemoryRevocations, RevocationStore};
use rbac_redis::RedisRevocations;
use tokio::runtime::Handle;

use crate::config::Config;

/// The longest lifetime (`exp` − `iat`) of an external issuer's tokens in
/// resource-server mode: a day, which covers the usual providers' defaults
/// (Keycloak 5 minutes, Okta an hour, Entra ID 60 to 90 minutes, Auth0 a
/// day). Longer-lived tokens are refused, since a subject's revocation
/// is forgotten this long after it is made.
pub const TRUSTED_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How far an external issuer's clock may run from this server's: its
/// tokens are accepted this long past `exp` (and before `nbf`), and a
/// subject's revocation refuses tokens stamped up to this long after it.
/// Tokens issued here need none: one clock.
pub const TRUSTED_LEEWAY: Duration = Duration::from_secs(30);

/// How often revocations are purged at most: a purge scans the store.
const PURGE_EVERY: u64 = 60;

/// Heartbeat of the Redis reader: at most this, and a quarter of the
/// staleness bound, so that a quiet Redis never looks like a lost one.
const REDIS_BLOCK: Duration = Duration::from_secs(2);

/// Publishing a revocation to Redis is retried this long at most after a
/// failure; then it is given up, logged as an error.
const PUBLISH_RETRY_FOR: Duration = Duration::from_secs(10 * 60);

/// The service's revocations, for tokens of the issuer it trusts (itself,
/// or the external one).
pub struct Revocations {
    store: Store,
    /// The `iss` of the tokens accepted (`Config::issuer`).
    issuer: String,
    /// When the store was last purged, in seconds since the epoch.
    purged_at: AtomicU64,
}

/// Where revocations are held.
enum Store {
    /// In this process only.
    Local(Arc<InMemoryRevocations>),
    /// Shared with the other replicas through Redis; publishing runs on
    /// this runtime, whichever thread revokes.
    Shared(Arc<RedisRevocations>, Handle),
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Revocations");
        match &self.store {
            Store::Local(store) => debug.field("store", store),
            Store::Shared(store, _) => debug.field("store", store),
        };
        debug.finish_non_exhaustive()
    }
}

/// The Redis store could not be set up (a bad setting; an unreachable
/// Redis is not an error: the store waits for it).
#[derive(Debug, thiserror::Error)]
#[error("RBAC_EXAMPLE_REDIS_URL: {0}")]
pub struct SharedStoreError(#[from] rbac_redis::Error);

impl Revocations {
    /// An empty store for `config`'s tokens: issued here, they live the
    /// configured token lifetime; from an external issuer, at most
    /// [`TRUSTED_MAX_TOKEN_LIFETIME`]. With `RBAC_EXAMPLE_REDIS_URL`, the
    /// replicas' shared store, which starts loading from Redis at once
    /// (within a tokio runtime).
    pub fn new(config: &Config) -> Result<Revocations, SharedStoreError> {
        let (lifetime, leeway) = match config.trust {
            Some(_) => (TRUSTED_MAX_TOKEN_LIFETIME, TRUSTED_LEEWAY),
            None => (config.token_ttl, Duration::ZERO),
        };
        let store = match &config.redis {
            None => Store::Local(Arc::new(InMemoryRevocations::new(lifetime).with_leeway(leeway))),
            Some(redis) => {
                let store = RedisRevocations::builder(redis.url.as_str(), lifetime)
                    .leeway(leeway)
                    .max_staleness(redis.max_staleness)
                    .block(REDIS_BLOCK.min(redis.max_staleness / 4))
                    .start()?;
                Store::Shared(store, Handle::current())
            }
        };
        Ok(Revocations { store, issuer: config.issuer(), purged_at: AtomicU64::new(0) })
    }

    /// The store, for `AuthenticatorBuilder::revocation`.
    pub(crate) fn store(&self) -> Arc<dyn RevocationStore> {
        match &self.store {
            Store::Local(store) => store.clone(),
            Store::Shared(store, _) => store.clone(),
        }
    }

    /// With Redis: waits at most `timeout` for the first load; whether it
    /// came. `None` without Redis.
    pub(crate) async fn wait_until_loaded(&self, timeout: Duration) -> Option<bool> {
        match &self.store {
            Store::Local(_) => None,
            Store::Shared(store, _) => Some(store.wait_until_loaded(timeout).await),
        }
    }

    /// Refuses the token with this `jti` until it expires at `exp`: here at
    /// once, on the other replicas once published.
    pub(crate) fn revoke_token(&self, jti: &str, exp: u64) {
        match &self.store {
            Store::Local(store) => {
                store.revoke_token(&self.issuer, jti, exp);
                self.purge(store);
            }
            Store::Shared(store, runtime) => {
                store.local().revoke_token(&self.issuer, jti, exp);
                let (store, issuer, jti) = (store.clone(), self.issuer.clone(), jti.to_owned());
                runtime.spawn(publish("token", move || {
                    let (store, issuer, jti) = (store.clone(), issuer.clone(), jti.clone());
                    async move { store.revoke_token(&issuer, &jti, exp).await.map(|_| ()) }
                }));
            }
        }
    }

    /// Refuses every token of `subject` issued up to now; returns the
    /// cut-off, the second from which tokens pass again. Applied here at
    /// once, on the other replicas once published.
    pub(crate) fn revoke_subject(&self, subject: &str) -> u64 {
        let now = SystemTime::now();
        match &self.store {
            Store::Local(store) => {
                let cutoff = store.revoke_subject(&self.issuer, subject, now);
                self.purge(store);
                cutoff
            }
            Store::Shared(store, runtime) => {
                let cutoff = store.local().revoke_subject(&self.issuer, subject, now);
                let (store, issuer, sub) = (store.clone(), self.issuer.clone(), subject.to_owned());
                // The same `now`, so the same cut-off, published.
                runtime.spawn(publish("subject", move || {
                    let (store, issuer, sub) = (store.clone(), issuer.clone(), sub.clone());
                    async move { store.revoke_subject(&issuer, &sub, now).await.map(|_| ()) }
                }));
                cutoff
            }
        }
    }

    /// The cut-off of `subject` that refuses a token issued at `iat`, if
    /// the store holds one.
    pub(crate) fn cutoff_after(&self, subject: &str, iat: i64) -> Option<u64> {
        let cutoff = match &self.store {
            Store::Local(store) => store.subject_cutoff(&self.issuer, subject),
            Store::Shared(store, _) => store.subject_cutoff(&self.issuer, subject),
        }?;
        Some(cutoff).filter(|&cutoff| i64::try_from(cutoff).map_or(true, |c| c > iat))
    }

    /// Forgets what has expired, at most once a minute: run on
    /// revocations, since memory only grows then. Not on each one: a purge
    /// scans the store, and lookups that queue behind a revocation waiting
    /// for its lock wait for the scan too. (The shared store purges its
    /// copy itself.)
    fn purge(&self, store: &InMemoryRevocations) {
        let now = crate::db::unix_now().max(0).unsigned_abs();
        let last = self.purged_at.load(Ordering::Relaxed);
        let due = now >= last.saturating_add(PURGE_EVERY);
        if due
            && self
                .purged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            store.purge(SystemTime::now());
        }
    }
}

/// Publishes a revocation with `write`, retried with backoff until Redis
/// has it or [`PUBLISH_RETRY_FOR`] has passed. Runs on its own task: a
/// request that ends (or is dropped) meanwhile does not stop it.
async fn publish<F, W>(kind: &'static str, write: W)
where
    W: Fn() -> F,
    F: Future<Output = Result<(), rbac_redis::Error>>,
{
    let started = std::time::Instant::now();
    let mut backoff = Duration::from_millis(100);
    loop {
        match write().await {
            Ok(()) => return,
            Err(error) if started.elapsed() < PUBLISH_RETRY_FOR => {
                tracing::warn!(
                    kind,
                    %error,
                    retry_in_ms = backoff.as_millis() as u64,
                    "revocation not yet published to Redis: the other replicas do not have it"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(error) => {
                tracing::error!(
                    kind,
                    %error,
                    "revocation never published to Redis: only this replica refuses it"
                );
                return;
            }
        }
    }
}
