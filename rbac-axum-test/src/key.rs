//! Signing keys generated for a test run: an ECDSA P-256 key pair (ES256),
//! published under a `kid` as an identity provider's JWK Set lists it, and
//! the ring of keys a [`LocalProvider`](crate::LocalProvider) rotates.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};

/// An ES256 key pair made for this process, never written anywhere.
#[derive(Clone)]
pub(crate) struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    /// The public point's coordinates, base64url.
    x: String,
    y: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key, its `kid` unique in the process (`rbac-test-1`, …).
    pub(crate) fn generate() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let kid = format!("rbac-test-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("aws-lc-rs generates a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("a key aws-lc-rs just generated reads back");
        // SEC 1 uncompressed point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        Self {
            kid,
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
        }
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) const ALGORITHM: Algorithm = Algorithm::ES256;

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The public key, for an authenticator that trusts it directly.
    pub(crate) fn decoding(&self) -> DecodingKey {
        DecodingKey::from_ec_components(&self.x, &self.y)
            .expect("the coordinates of a generated key are valid base64url")
    }

    /// The public key as a JWK.
    pub(crate) fn jwk(&self) -> Value {
        json!({
            "kty": "EC",
            "crv": "P-256",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "x": self.x,
            "y": self.y,
        })
    }
}

/// The keys an issuer publishes, the last one signing: one for a
/// [`TestAuth`](crate::TestAuth) of its own, more after a
/// [`LocalProvider`](crate::LocalProvider) rotates.
#[derive(Debug)]
pub(crate) struct KeyRing {
    keys: std::sync::RwLock<Vec<SigningKey>>,
}

impl KeyRing {
    pub(crate) fn new() -> Self {
        Self { keys: std::sync::RwLock::new(vec![SigningKey::generate()]) }
    }

    /// The key new tokens are signed with.
    pub(crate) fn current(&self) -> SigningKey {
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.last().cloned().expect("a key ring is never empty")
    }

    /// Every published key, oldest first.
    pub(crate) fn published(&self) -> Vec<SigningKey> {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Publishes a new signing key; with `keep_old`, the previous keys stay
    /// published (tokens they signed still verify), else they are retired.
    pub(crate) fn rotate(&self, keep_old: bool) -> SigningKey {
        let key = SigningKey::generate();
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !keep_old {
            keys.clear();
        }
        keys.push(key.clone());
        key
    }
}
