//! Revoking tokens before they expire: [`Revocations`] holds the
//! `InMemoryRevocations` store that the authenticator asks on every
//! request; a login waits for the subject's cut-off it holds (see
//! `token.rs`).
//!
//! The store lives in this process: a restart forgets every revocation,
//! and the tokens revoked before it are accepted again until they expire.
//! That is why user management still reads the caller from the database
//! (see `users.rs`): the revocation of a demoted admin's token does not
//! survive a restart, the database does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use rbac_axum::{InMemoryRevocations, RevocationStore};

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

/// The service's revocations, for tokens of the issuer it trusts (itself,
/// or the external one).
pub struct Revocations {
    store: Arc<InMemoryRevocations>,
    /// The `iss` of the tokens accepted (`Config::issuer`).
    issuer: String,
    /// When the store was last purged, in seconds since the epoch.
    purged_at: AtomicU64,
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations").field("store", &self.store).finish_non_exhaustive()
    }
}

impl Revocations {
    /// An empty store for `config`'s tokens: issued here, they live the
    /// configured token lifetime; from an external issuer, at most
    /// [`TRUSTED_MAX_TOKEN_LIFETIME`].
    pub fn new(config: &Config) -> Revocations {
        let store = match config.trust {
            Some(_) => {
                InMemoryRevocations::new(TRUSTED_MAX_TOKEN_LIFETIME).with_leeway(TRUSTED_LEEWAY)
            }
            None => InMemoryRevocations::new(config.token_ttl),
        };
        Revocations {
            store: Arc::new(store),
            issuer: config.issuer(),
            purged_at: AtomicU64::new(0),
        }
    }

    /// The store, for `AuthenticatorBuilder::revocation`.
    pub(crate) fn store(&self) -> Arc<dyn RevocationStore> {
        self.store.clone()
    }

    /// Refuses the token with this `jti` until it expires at `exp`.
    pub(crate) fn revoke_token(&self, jti: &str, exp: u64) {
        self.store.revoke_token(&self.issuer, jti, exp);
        self.purge();
    }

    /// Refuses every token of `subject` issued up to now; returns the
    /// cut-off, the second from which tokens pass again.
    pub(crate) fn revoke_subject(&self, subject: &str) -> u64 {
        let cutoff = self.store.revoke_subject(&self.issuer, subject, SystemTime::now());
        self.purge();
        cutoff
    }

    /// The cut-off of `subject` that refuses a token issued at `iat`, if
    /// the store holds one.
    pub(crate) fn cutoff_after(&self, subject: &str, iat: i64) -> Option<u64> {
        let cutoff = self.store.subject_cutoff(&self.issuer, subject)?;
        Some(cutoff).filter(|&cutoff| i64::try_from(cutoff).map_or(true, |c| c > iat))
    }

    /// Forgets what has expired, at most once a minute: run on
    /// revocations, since memory only grows then. Not on each one: a purge
    /// scans the store, and lookups that queue behind a revocation waiting
    /// for its lock wait for the scan too.
    fn purge(&self) {
        let now = crate::db::unix_now().max(0).unsigned_abs();
        let last = self.purged_at.load(Ordering::Relaxed);
        let due = now >= last.saturating_add(PURGE_EVERY);
        if due
            && self
                .purged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.store.purge(SystemTime::now());
        }
    }
}
