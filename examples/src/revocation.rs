//! Revoking tokens before they expire: [`Revocations`] holds the store
//! that the authenticator asks on every request; a login waits for the
//! subject's cut-off it holds (see `token.rs`).
//!
//! By default the store lives in this process (`InMemoryRevocations`): a
//! restart forgets every revocation, and the tokens revoked before it are
//! accepted again until they expire. With `RBAC_EXAMPLE_REDIS_URL` it is
//! `rbac_redis::RedisRevocations`, shared by every replica through Redis:
//! a revocation is applied here at once and published in the background,
//! retried while Redis is out of reach; at shutdown the server waits a few
//! seconds for what is still unpublished (see `server.rs`). Replicas issue
//! tokens on their own clocks, so then tokens get a leeway of
//! [`REPLICA_CLOCK_LEEWAY`].
//!
//! Either way user management still reads the caller from the database
//! (see `users.rs`): the database, not the revocations, is where a
//! demotion is certain to be found.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use rbac_axum::{InMemoryRevocations, RevocationStore};
use rbac_redis::RedisRevocations;

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

/// With replicas (`RBAC_EXAMPLE_REDIS_URL`), how far their clocks may
/// differ: a token one replica issues is stamped on its clock and checked
/// on another's, and a subject's cut-off made on one must refuse tokens
/// another stamped before it. Clocks kept by NTP agree within
/// milliseconds.
pub const REPLICA_CLOCK_LEEWAY: Duration = Duration::from_secs(2);

/// How often revocations are purged at most: a purge scans the store.
const PURGE_EVERY: u64 = 60;

/// Heartbeat of the Redis reader: at most this, and a quarter of the
/// staleness bound, so that a quiet Redis never looks like a lost one.
const REDIS_BLOCK: Duration = Duration::from_secs(2);

/// The leeway of the tokens `config` accepts: an external issuer's
/// [`TRUSTED_LEEWAY`]; for tokens issued here, [`REPLICA_CLOCK_LEEWAY`]
/// with replicas, else none (one clock).
pub(crate) fn leeway(config: &Config) -> Duration {
    match (&config.trust, &config.redis) {
        (Some(_), _) => TRUSTED_LEEWAY,
        (None, Some(_)) => REPLICA_CLOCK_LEEWAY,
        (None, None) => Duration::ZERO,
    }
}

/// The service's revocations, for tokens of the issuer it trusts (itself,
/// or the external one).
pub struct Revocations {
    store: Store,
    /// The `iss` of the tokens accepted (`Config::issuer`).
    issuer: String,
    /// Their leeway ([`leeway`]).
    leeway: Duration,
    /// When the store was last purged, in seconds since the epoch.
    purged_at: AtomicU64,
}

/// Where revocations are held.
enum Store {
    /// In this process only.
    Local(Arc<InMemoryRevocations>),
    /// Shared with the other replicas through Redis.
    Shared(Arc<RedisRevocations>),
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Revocations");
        match &self.store {
            Store::Local(store) => debug.field("store", store),
            Store::Shared(store) => debug.field("store", store),
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
        let lifetime = match config.trust {
            Some(_) => TRUSTED_MAX_TOKEN_LIFETIME,
            None => config.token_ttl,
        };
        let leeway = leeway(config);
        let store = match &config.redis {
            None => Store::Local(Arc::new(InMemoryRevocations::new(lifetime).with_leeway(leeway))),
            Some(redis) => {
                let store = RedisRevocations::builder(redis.url.as_str(), lifetime)
                    .leeway(leeway)
                    .max_staleness(redis.max_staleness)
                    .block(REDIS_BLOCK.min(redis.max_staleness / 4))
                    .start()?;
                Store::Shared(store)
            }
        };
        Ok(Revocations { store, issuer: config.issuer(), leeway, purged_at: AtomicU64::new(0) })
    }

    /// The store, for `AuthenticatorBuilder::revocation`.
    pub(crate) fn store(&self) -> Arc<dyn RevocationStore> {
        match &self.store {
            Store::Local(store) => store.clone(),
            Store::Shared(store) => store.clone(),
        }
    }

    /// With Redis: waits at most `timeout` for the first load; whether it
    /// came. `None` without Redis.
    pub(crate) async fn wait_until_loaded(&self, timeout: Duration) -> Option<bool> {
        match &self.store {
            Store::Local(_) => None,
            Store::Shared(store) => Some(store.wait_until_loaded(timeout).await),
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
            // Published in the background; the store logs failures.
            Store::Shared(store) => drop(store.revoke_token(&self.issuer, jti, exp)),
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
            Store::Shared(store) => store.revoke_subject(&self.issuer, subject, now).0,
        }
    }

    /// When `subject` holds a cut-off that refuses a token issued at
    /// `iat`: the second from which a token issued passes it (the cut-off
    /// plus the leeway).
    pub(crate) fn cutoff_after(&self, subject: &str, iat: i64) -> Option<u64> {
        let cutoff = match &self.store {
            Store::Local(store) => store.subject_cutoff(&self.issuer, subject),
            Store::Shared(store) => store.subject_cutoff(&self.issuer, subject),
        }?;
        let passes_from = cutoff.saturating_add(self.leeway.as_secs());
        Some(passes_from).filter(|&from| i64::try_from(from).map_or(true, |from| from > iat))
    }

    /// With Redis: waits at most `timeout` until Redis holds every
    /// revocation made here; whether it does. `None` without Redis.
    pub(crate) async fn wait_until_published(&self, timeout: Duration) -> Option<bool> {
        match &self.store {
            Store::Local(_) => None,
            Store::Shared(store) => Some(store.wait_until_published(timeout).await),
        }
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
