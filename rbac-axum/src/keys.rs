//! Verification keys: each with its `kid` and the one algorithm it is
//! for, a per-thread cache of `jsonwebtoken` verifiers built from them, and
//! the selection of candidate keys for a token's header.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use jsonwebtoken::crypto::JwtVerifier;
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

use crate::config::{ConfigError, bad_key};

pub(crate) struct Key {
    /// Unique in the process: names this key's verifier in [`VERIFIERS`].
    id: u64,
    /// Dropped with the key: a cached verifier outliving it is evicted.
    alive: Arc<()>,
    pub(crate) kid: Option<String>,
    pub(crate) algorithm: Algorithm,
    key: DecodingKey,
}

/// Hands out [`Key::id`]s; never reused (a `u64` does not wrap).
static NEXT_KEY_ID: AtomicU64 = AtomicU64::new(0);

/// Verifiers built per thread, at most this many, most recently used first.
pub(crate) const VERIFIERS_PER_THREAD: usize = 16;

pub(crate) struct CachedVerifier {
    id: u64,
    pub(crate) alive: Weak<()>,
    verifier: Box<dyn JwtVerifier>,
}

thread_local! {
    /// `jsonwebtoken`'s verifiers are neither `Send` nor `Sync`, so they
    /// cannot live in the shared authenticator; building one per token
    /// (for HMAC, the key schedule) is most of a verification's cost beside
    /// the crypto itself. Each thread keeps the ones it has built instead,
    /// keyed by the key's unique id: a verifier is only ever used for the
    /// key (algorithm and material) it was built from.
    pub(crate) static VERIFIERS: RefCell<Vec<CachedVerifier>> = const { RefCell::new(Vec::new()) };
}

impl Key {
    pub(crate) fn new(kid: Option<String>, algorithm: Algorithm, key: DecodingKey) -> Self {
        let id = NEXT_KEY_ID.fetch_add(1, Ordering::Relaxed);
        Self { id, alive: Arc::new(()), kid, algorithm, key }
    }

    /// Alive while this key is: dead once its key set is dropped (for a
    /// fetched set, when a fetch replaces it).
    pub(crate) fn liveness(&self) -> Weak<()> {
        Arc::downgrade(&self.alive)
    }

    fn build_verifier(&self) -> Option<Box<dyn JwtVerifier>> {
        (DEFAULT_PROVIDER.verifier_factory)(&self.algorithm, &self.key).ok()
    }

    /// Whether `signature` is this key's over `message`, with the calling
    /// thread's verifier for the key (built on first use).
    pub(crate) fn verifies(&self, message: &[u8], signature: &Vec<u8>) -> bool {
        let cached = VERIFIERS.try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let hit = match cache.iter().position(|c| c.id == self.id) {
                Some(index) => {
                    cache[..=index].rotate_right(1);
                    true
                }
                None => false,
            };
            if !hit {
                let verifier = self.build_verifier()?;
                // Verifiers of dropped keys hold key material: drop them first.
                cache.retain(|c| c.alive.strong_count() > 0);
                cache.truncate(VERIFIERS_PER_THREAD - 1);
                let alive = Arc::downgrade(&self.alive);
                cache.insert(0, CachedVerifier { id: self.id, alive, verifier });
            }
            Some(cache[0].verifier.verify(message, signature).is_ok())
        });
        match cached {
            Ok(Some(verified)) => verified,
            // The thread is exiting or the cache is in use: build one.
            _ => self.build_verifier().is_some_and(|v| v.verify(message, signature).is_ok()),
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("Key").field("kid", &self.kid).field("algorithm", &self.algorithm).finish()
    }
}

/// The keys trusted for one issuer.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

/// Which keys may have signed a token.
pub(crate) enum Selection<'k, 't> {
    /// These keys (at least one), by algorithm and `kid`.
    Candidates(Candidates<'k, 't>),
    /// Keys of the algorithm exist, but none under the token's `kid`.
    UnknownKid,
    /// No key is for the token's algorithm.
    AlgorithmNotAccepted,
}

impl KeySet {
    /// Checks and builds a key set: `kid`s unique, HMAC secrets and public
    /// keys not mixed, a verifier buildable for each key.
    pub(crate) fn new(
        parts: impl IntoIterator<Item = (Option<String>, Algorithm, DecodingKey)>,
    ) -> Result<Self, ConfigError> {
        let mut keys: Vec<Key> = Vec::new();
        for (kid, algorithm, key) in parts {
            if let Some(kid) = &kid
                && keys.iter().any(|k| k.kid.as_deref() == Some(kid))
            {
                return Err(ConfigError::DuplicateKid(kid.clone()));
            }
            // Building a verifier now surfaces unusable keys at start-up.
            (DEFAULT_PROVIDER.verifier_factory)(&algorithm, &key)
                .map_err(|e| bad_key(algorithm, e))?;
            keys.push(Key::new(kid, algorithm, key));
        }
        let hmac = keys.iter().filter(|k| k.algorithm.family() == AlgorithmFamily::Hmac).count();
        if hmac != 0 && hmac != keys.len() {
            return Err(ConfigError::MixedKeyFamilies);
        }
        Ok(Self { keys })
    }

    /// Whether the set has no key.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys the set holds.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The keys that may have signed a token with this `alg` and `kid`. A
    /// `kid` is only ever compared with configured `kid`s. When no key has a
    /// `kid`, every key of the algorithm is a candidate; when some do, a
    /// token without `kid` is accepted only if the set has a single key.
    pub(crate) fn select<'k, 't>(
        &'k self,
        algorithm: Algorithm,
        kid: Option<&'t str>,
    ) -> Selection<'k, 't> {
        let any_kid = self.keys.iter().any(|k| k.kid.is_some());
        let candidates = Candidates {
            keys: self.keys.iter(),
            algorithm,
            kid,
            any_kid,
            single: self.keys.len() == 1,
        };
        if candidates.clone().next().is_some() {
            Selection::Candidates(candidates)
        } else if self.keys.iter().any(|k| k.algorithm == algorithm) {
            Selection::UnknownKid
        } else {
            Selection::AlgorithmNotAccepted
        }
    }
}

/// The keys [`KeySet::select`] chose, in configuration order; found as they
/// are iterated, without allocating.
#[derive(Clone)]
pub(crate) struct Candidates<'k, 't> {
    keys: std::slice::Iter<'k, Key>,
    algorithm: Algorithm,
    kid: Option<&'t str>,
    /// Whether any key of the set has a `kid`.
    any_kid: bool,
    /// Whether the set has a single key.
    single: bool,
}

impl<'k> Iterator for Candidates<'k, '_> {
    type Item = &'k Key;

    fn next(&mut self) -> Option<&'k Key> {
        let (algorithm, kid, any_kid, single) =
            (self.algorithm, self.kid, self.any_kid, self.single);
        self.keys.find(|k| {
            k.algorithm == algorithm
                && match (kid, any_kid) {
                    (Some(kid), true) => k.kid.as_deref() == Some(kid),
                    (None, true) => single,
                    (_, false) => true,
                }
        })
    }
}
