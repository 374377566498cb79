//! The verified-token cache, opt-in with
//! [`AuthenticatorBuilder::cache_verified_tokens`](crate::AuthenticatorBuilder::cache_verified_tokens).
//!
//! * Keyed by HMAC-SHA-256 of the token's signature segment under a random
//!   key drawn when the authenticator is built; the entry keeps the signed
//!   part (`header.payload`, as sent), which a lookup compares byte for
//!   byte. So a hit needs the byte-identical token (another signature has
//!   the same 256-bit tag with negligible probability, and nobody without
//!   the key can search for one), and the cache holds no usable token: the
//!   signature is not stored. Hashing the signature alone, not the whole
//!   token, halves the hashing of an RS256 token.
//! * Only tokens that passed every check are inserted; a failure is never
//!   cached.
//! * An entry is served only while the token itself would still be
//!   accepted by time (`exp` and `nbf`, with the issuer's leeway, compared
//!   exactly as verification does) and while the key that verified it is
//!   still in its issuer's key set (a key set replaced by a fetch drops its
//!   keys: every entry they verified is dead from then on).
//! * Bounded: at most the configured number of entries (quick_cache's
//!   S3-FIFO eviction); stale entries are dropped when looked up or evicted.

use std::sync::{Arc, Weak};

use aws_lc_rs::hmac;
use quick_cache::sync::Cache;

use crate::principal::Principal;
use crate::window::Window;

/// HMAC-SHA-256 of a token's signature segment under the cache's key.
pub(crate) type Digest = [u8; 32];

/// Where a token is looked up: its digest, and the signed part the entry
/// must hold byte for byte.
pub(crate) struct Lookup<'t> {
    digest: Digest,
    message: &'t str,
}

pub(crate) struct TokenCache {
    key: hmac::Key,
    entries: Cache<Digest, Arc<Entry>>,
}

/// When a verified token stops being accepted: the time window verification
/// checked it against, and its key.
#[derive(Clone)]
pub(crate) struct Validity {
    pub(crate) window: Window,
    /// Alive while the verifying key is in its issuer's key set.
    pub(crate) key: Weak<()>,
}

impl Validity {
    fn holds(&self, now: u64) -> bool {
        let now = now as f64;
        !self.window.expired(now) && !self.window.early(now) && self.key.strong_count() > 0
    }
}

struct Entry {
    /// `header.payload` of the verified token, as sent.
    message: Box<str>,
    principal: Arc<Principal>,
    validity: Validity,
}

impl TokenCache {
    /// A cache of at most `capacity` entries (at least 1).
    pub(crate) fn new(capacity: usize) -> Result<Self, aws_lc_rs::error::Unspecified> {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret)?;
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            entries: Cache::new(capacity.max(1)),
        })
    }

    /// Where `token` is looked up; `None` for a token without a signature
    /// segment (never cached: verification refuses it).
    pub(crate) fn lookup<'t>(&self, token: &'t str) -> Option<Lookup<'t>> {
        let (message, signature) = token.rsplit_once('.')?;
        let tag = hmac::sign(&self.key, signature.as_bytes());
        let mut digest = [0u8; 32];
        digest.copy_from_slice(tag.as_ref());
        Some(Lookup { digest, message })
    }

    /// The principal of the token, if it was verified and would still be
    /// accepted at `now`; a stale entry is dropped.
    pub(crate) fn get(&self, lookup: &Lookup<'_>, now: u64) -> Option<Arc<Principal>> {
        let entry = self.entries.get(&lookup.digest)?;
        if *entry.message != *lookup.message {
            // The same signature on another message: not this token.
            return None;
        }
        if entry.validity.holds(now) {
            return Some(Arc::clone(&entry.principal));
        }
        // Only if it is still this stale entry (another request may have
        // just inserted a fresh one).
        self.entries.remove_if(&lookup.digest, |current| Arc::ptr_eq(current, &entry));
        None
    }

    /// Remembers a verified token's principal.
    pub(crate) fn insert(&self, lookup: Lookup<'_>, principal: Arc<Principal>, validity: Validity) {
        let entry = Entry { message: lookup.message.into(), principal, validity };
        self.entries.insert(lookup.digest, Arc::new(entry));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the digests or principals.
        f.debug_struct("TokenCache")
            .field("entries", &self.entries.len())
            .field("capacity", &self.entries.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rbac_core::{Granted, RoleSet, Schema, ScopeSet};

    static SCHEMA: Schema = Schema::new(&["viewer"], &[RoleSet::from_bits(1)], &[], &[]);

    fn principal() -> Arc<Principal> {
        let granted = Granted::new(RoleSet::from_bits(1), ScopeSet::from_bits(0));
        let identity = crate::principal::Identity::default();
        Arc::new(Principal::new(identity, granted, "{}".into(), Vec::new(), false, &SCHEMA))
    }

    fn validity(exp: f64, nbf: Option<f64>, leeway: f64, key: &Arc<()>) -> Validity {
        Validity { window: Window { exp, nbf, leeway }, key: Arc::downgrade(key) }
    }

    fn lookup<'t>(cache: &TokenCache, token: &'t str) -> Lookup<'t> {
        cache.lookup(token).expect("a token with a signature segment")
    }

    fn get(cache: &TokenCache, token: &str, now: u64) -> Option<Arc<Principal>> {
        cache.lookup(token).and_then(|lookup| cache.get(&lookup, now))
    }

    #[test]
    fn entries_expire_with_the_token() {
        let cache = TokenCache::new(16).expect("a random key");
        let key = Arc::new(());
        cache.insert(lookup(&cache, "a.b.c"), principal(), validity(1_000.0, None, 0.0, &key));
        assert!(get(&cache, "a.b.c", 999).is_some());
        // Refused on or after `exp`, as RFC 7519 §4.1.4 and verification say.
        assert!(get(&cache, "a.b.c", 1_000).is_none());
        assert_eq!(cache.len(), 0, "the stale entry is dropped");

        // With leeway, as verification applies it.
        cache.insert(lookup(&cache, "a.b.c"), principal(), validity(1_000.0, None, 30.0, &key));
        assert!(get(&cache, "a.b.c", 1_029).is_some());
        assert!(get(&cache, "a.b.c", 1_030).is_none());
    }

    #[test]
    fn entries_respect_nbf() {
        let cache = TokenCache::new(16).expect("a random key");
        let key = Arc::new(());
        let validity = validity(2_000.0, Some(1_000.0), 10.0, &key);
        cache.insert(lookup(&cache, "a.b.c"), principal(), validity);
        assert!(get(&cache, "a.b.c", 990).is_some());
        // A clock set back before `nbf - leeway`: refused, as verification would.
        assert!(get(&cache, "a.b.c", 989).is_none());
    }

    #[test]
    fn entries_die_with_their_key() {
        let cache = TokenCache::new(16).expect("a random key");
        let (kept, removed) = (Arc::new(()), Arc::new(()));
        cache.insert(lookup(&cache, "a.b.c"), principal(), validity(1e12, None, 0.0, &kept));
        cache.insert(lookup(&cache, "d.e.f"), principal(), validity(1e12, None, 0.0, &removed));
        drop(removed);
        assert!(get(&cache, "a.b.c", 1).is_some());
        assert!(get(&cache, "d.e.f", 1).is_none(), "its key left the key set");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn only_the_identical_token_hits() {
        let cache = TokenCache::new(16).expect("a random key");
        let key = Arc::new(());
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl";
        cache.insert(lookup(&cache, token), principal(), validity(1e12, None, 0.0, &key));
        assert!(get(&cache, token, 1).is_some());
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut other = bytes.to_vec();
                other[i] ^= flip;
                let other = String::from_utf8_lossy(&other);
                assert!(get(&cache, &other, 1).is_none(), "byte {i} ^ {flip:#x}");
            }
        }
        assert!(get(&cache, &token[..token.len() - 1], 1).is_none());
        assert!(get(&cache, &format!("{token}A"), 1).is_none());
        assert!(get(&cache, &format!("x{token}"), 1).is_none());
        // The same signature on another message: a miss, not a hit.
        let (_, signature) = token.rsplit_once('.').expect("a signature");
        assert!(get(&cache, &format!("e30.e30.{signature}"), 1).is_none());
        assert_eq!(cache.len(), 1, "the entry stays for its own token");
        assert!(get(&cache, token, 1).is_some());
        // Another cache (another authenticator) has another key.
        let other = TokenCache::new(16).expect("a random key");
        assert_ne!(lookup(&other, token).digest, lookup(&cache, token).digest);
        // Nothing to look up without a signature segment.
        assert!(cache.lookup("no-dots").is_none());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = TokenCache::new(64).expect("a random key");
        let key = Arc::new(());
        for i in 0..10_000 {
            let token = format!("h.p.token-{i}");
            cache.insert(lookup(&cache, &token), principal(), validity(1e12, None, 0.0, &key));
        }
        assert!(cache.len() <= 64, "{}", cache.len());
    }
}
