//! Verification keys: each with its `kid`, the one algorithm it is for and
//! the key material parsed once, ready to verify; and the selection of
//! candidate keys for a token's header.

use std::fmt;
use std::sync::{Arc, Weak};

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};

use crate::config_error::{ConfigError, bad_key};

pub(crate) struct Key {
    /// Dropped with the key: a cached verification outliving it is evicted.
    alive: Arc<()>,
    pub(crate) kid: Option<String>,
    pub(crate) algorithm: Algorithm,
    verifier: Verifier,
}

/// Key material as aws-lc-rs (the crypto behind `jsonwebtoken`'s
/// `aws_lc_rs` backend) verifies with, built once when the key is loaded:
/// `jsonwebtoken`'s own verifiers rebuild the HMAC key schedule or re-parse
/// the public key on every call, and are neither `Send` nor `Sync`.
#[expect(
    clippy::large_enum_variant,
    reason = "a few keys per issuer, used on every request: kept inline"
)]
enum Verifier {
    Hmac(hmac::Key),
    Public(ParsedPublicKey),
}

impl Key {
    /// Parses `key` for `algorithm`, with the same algorithm parameters as
    /// `jsonwebtoken`'s aws-lc-rs verifiers (RSA: 2048 to 8192 bits).
    pub(crate) fn new(
        kid: Option<String>,
        algorithm: Algorithm,
        key: &DecodingKey,
    ) -> Result<Self, ConfigError> {
        if key.family() != algorithm.family() {
            return Err(bad_key(algorithm, "the key is not of the algorithm's family"));
        }
        let verifier = match (key.kind(), hmac_algorithm(algorithm), public_algorithm(algorithm)) {
            (DecodingKeyKind::SecretOrDer(secret), Some(hmac), None) => {
                Verifier::Hmac(hmac::Key::new(hmac, secret))
            }
            (DecodingKeyKind::SecretOrDer(der), None, Some(public)) => {
                if let Some(params) = rsa_parameters(algorithm)
                    && let Ok(bits) = sig::RsaParameters::public_modulus_len(der)
                {
                    rsa_size_fits(algorithm, params, bits)?;
                }
                Verifier::Public(
                    ParsedPublicKey::new(public, der).map_err(|e| bad_key(algorithm, e))?,
                )
            }
            (DecodingKeyKind::RsaModulusExponent { n, e }, None, Some(_)) => {
                let params = rsa_parameters(algorithm)
                    .ok_or_else(|| bad_key(algorithm, "RSA components for a non-RSA algorithm"))?;
                let n = &n[n.iter().take_while(|&&b| b == 0).count()..];
                let bits =
                    n.first().map_or(0, |top| (n.len() as u32 - 1) * 8 + 8 - top.leading_zeros());
                rsa_size_fits(algorithm, params, bits)?;
                let components = RsaPublicKeyComponents { n, e: e.as_slice() };
                Verifier::Public(
                    components.to_parsed_public_key(params).map_err(|e| bad_key(algorithm, e))?,
                )
            }
            _ => return Err(bad_key(algorithm, "the key does not fit the algorithm")),
        };
        Ok(Self { alive: Arc::new(()), kid, algorithm, verifier })
    }

    /// Alive while this key is: dead once its key set is dropped (for a
    /// fetched set, when a fetch replaces it).
    pub(crate) fn liveness(&self) -> Weak<()> {
        Arc::downgrade(&self.alive)
    }

    /// Whether `signature` is this key's over `message` (HMAC compared in
    /// constant time).
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.verifier {
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Verifier::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

/// RSA keys outside 2048 to 8192 bits would never verify: say so at start-up.
fn rsa_size_fits(
    algorithm: Algorithm,
    params: &sig::RsaParameters,
    bits: u32,
) -> Result<(), ConfigError> {
    let (min, max) = (params.min_modulus_len(), params.max_modulus_len());
    if (min..=max).contains(&bits) {
        Ok(())
    } else {
        Err(bad_key(
            algorithm,
            format_args!("a {bits}-bit RSA key; {min} to {max} bits are accepted"),
        ))
    }
}

fn hmac_algorithm(algorithm: Algorithm) -> Option<hmac::Algorithm> {
    match algorithm {
        Algorithm::HS256 => Some(hmac::HMAC_SHA256),
        Algorithm::HS384 => Some(hmac::HMAC_SHA384),
        Algorithm::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

fn rsa_parameters(algorithm: Algorithm) -> Option<&'static sig::RsaParameters> {
    Some(match algorithm {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// The verification algorithm of a public-key `algorithm`; `None` for HMAC.
fn public_algorithm(algorithm: Algorithm) -> Option<&'static dyn sig::VerificationAlgorithm> {
    match algorithm {
        Algorithm::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Some(&sig::ED25519),
        other => rsa_parameters(other).map(|p| p as &'static dyn sig::VerificationAlgorithm),
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

impl KeySet {
    /// Alive while the key at `index` is in this set; see [`Key::liveness`].
    pub(crate) fn liveness(&self, index: usize) -> Weak<()> {
        self.keys.get(index).map_or_else(Weak::new, Key::liveness)
    }
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
    /// Checks and builds a configured key set: `kid`s unique, HMAC secrets
    /// and public keys not mixed, each key parsed for its algorithm; any
    /// unusable key is an error at start-up.
    pub(crate) fn new(
        parts: impl IntoIterator<Item = (Option<String>, Algorithm, DecodingKey)>,
    ) -> Result<Self, ConfigError> {
        Self::build(parts, false)
    }

    /// Builds a key set fetched from an identity provider: as
    /// [`new`](Self::new), except that a key this server cannot use (an
    /// RSA key under 2048 bits still published, a curve that does not fit
    /// its `alg`) is skipped with a warning instead of costing the whole
    /// set; an error if no key is left.
    pub(crate) fn fetched(
        parts: impl IntoIterator<Item = (Option<String>, Algorithm, DecodingKey)>,
    ) -> Result<Self, ConfigError> {
        let set = Self::build(parts, true)?;
        if set.is_empty() {
            return Err(ConfigError::JwkSet("no key of the set is usable here".into()));
        }
        Ok(set)
    }

    fn build(
        parts: impl IntoIterator<Item = (Option<String>, Algorithm, DecodingKey)>,
        skip_unusable: bool,
    ) -> Result<Self, ConfigError> {
        let mut keys: Vec<Key> = Vec::new();
        let mut kids: Vec<String> = Vec::new();
        for (kid, algorithm, key) in parts {
            if let Some(kid) = &kid {
                if kids.contains(kid) {
                    return Err(ConfigError::DuplicateKid(kid.clone()));
                }
                kids.push(kid.clone());
            }
            match Key::new(kid.clone(), algorithm, &key) {
                Ok(key) => keys.push(key),
                Err(error) if skip_unusable => {
                    tracing::warn!(?kid, ?algorithm, %error, "skipped a key of the fetched key set");
                }
                // Parsing now surfaces unusable keys at start-up.
                Err(error) => return Err(error),
            }
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
            keys: self.keys.iter().enumerate(),
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
    keys: std::iter::Enumerate<std::slice::Iter<'k, Key>>,
    algorithm: Algorithm,
    kid: Option<&'t str>,
    /// Whether any key of the set has a `kid`.
    any_kid: bool,
    /// Whether the set has a single key.
    single: bool,
}

impl<'k> Iterator for Candidates<'k, '_> {
    /// The key, with its place in the set.
    type Item = (usize, &'k Key);

    fn next(&mut self) -> Option<(usize, &'k Key)> {
        let (algorithm, kid, any_kid, single) =
            (self.algorithm, self.kid, self.any_kid, self.single);
        self.keys.find(|(_, k)| {
            k.algorithm == algorithm
                && match (kid, any_kid) {
                    (Some(kid), true) => k.kid.as_deref() == Some(kid),
                    (None, true) => single,
                    (_, false) => true,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair};
    use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

    const MESSAGE: &[u8] = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0";

    /// Checks one key against `jsonwebtoken`'s own aws-lc-rs verifier: both
    /// accept the signature, and both refuse it with any one bit flipped or
    /// over a changed message.
    fn agrees_with_jsonwebtoken(algorithm: Algorithm, key: DecodingKey, signature: Vec<u8>) {
        let ours = Key::new(None, algorithm, &key).expect("our key parses");
        let theirs = (DEFAULT_PROVIDER.verifier_factory)(&algorithm, &key).expect("their verifier");
        let both = |message: &[u8], signature: &[u8]| {
            let (a, b) = (
                ours.verifies(message, signature),
                theirs.verify(message, &signature.to_vec()).is_ok(),
            );
            assert_eq!(a, b, "{algorithm:?}: ours {a}, jsonwebtoken {b}");
            a
        };
        assert!(both(MESSAGE, &signature), "{algorithm:?}: a valid signature");
        assert!(!both(&MESSAGE[1..], &signature), "{algorithm:?}: another message");
        for bit in (0..signature.len() * 8).step_by(61) {
            let mut flipped = signature.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!both(MESSAGE, &flipped), "{algorithm:?}: bit {bit} flipped");
        }
        assert!(!both(MESSAGE, &[]), "{algorithm:?}: an empty signature");
    }

    #[test]
    fn hmac_keys_agree_with_jsonwebtoken() {
        let secret = b"a secret of thirty-two bytes!!!!";
        for (algorithm, hmac) in [
            (Algorithm::HS256, hmac::HMAC_SHA256),
            (Algorithm::HS384, hmac::HMAC_SHA384),
            (Algorithm::HS512, hmac::HMAC_SHA512),
        ] {
            let tag = hmac::sign(&hmac::Key::new(hmac, secret), MESSAGE).as_ref().to_vec();
            agrees_with_jsonwebtoken(algorithm, DecodingKey::from_secret(secret), tag);
        }
    }

    #[test]
    fn rsa_keys_agree_with_jsonwebtoken_as_der_and_as_components() {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("generate RSA-2048");
        let pkcs1 = pair.public_key().as_ref().to_vec();
        let rng = SystemRandom::new();
        for (algorithm, padding) in [
            (Algorithm::RS256, &sig::RSA_PKCS1_SHA256 as &'static dyn sig::RsaEncoding),
            (Algorithm::RS384, &sig::RSA_PKCS1_SHA384),
            (Algorithm::RS512, &sig::RSA_PKCS1_SHA512),
            (Algorithm::PS256, &sig::RSA_PSS_SHA256),
            (Algorithm::PS384, &sig::RSA_PSS_SHA384),
            (Algorithm::PS512, &sig::RSA_PSS_SHA512),
        ] {
            let mut signature = vec![0; pair.public_modulus_len()];
            pair.sign(padding, &rng, MESSAGE, &mut signature).expect("sign");
            agrees_with_jsonwebtoken(
                algorithm,
                DecodingKey::from_rsa_der(&pkcs1),
                signature.clone(),
            );
            let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
            let key = DecodingKey::from_rsa_raw_components(&components.n, &components.e);
            agrees_with_jsonwebtoken(algorithm, key, signature);
        }
    }

    #[test]
    fn ec_and_ed25519_keys_agree_with_jsonwebtoken() {
        let rng = SystemRandom::new();
        for (algorithm, signing) in [
            (Algorithm::ES256, &sig::ECDSA_P256_SHA256_FIXED_SIGNING),
            (Algorithm::ES384, &sig::ECDSA_P384_SHA384_FIXED_SIGNING),
        ] {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).expect("generate");
            let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref()).expect("read back");
            let signature = pair.sign(&rng, MESSAGE).expect("sign").as_ref().to_vec();
            let key = DecodingKey::from_ec_der(pair.public_key().as_ref());
            agrees_with_jsonwebtoken(algorithm, key, signature);
        }
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("generate");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read back");
        let signature = pair.sign(MESSAGE).as_ref().to_vec();
        let key = DecodingKey::from_ed_der(pair.public_key().as_ref());
        agrees_with_jsonwebtoken(Algorithm::EdDSA, key, signature);
    }

    #[test]
    fn keys_that_do_not_fit_their_algorithm_are_refused_when_loaded() {
        let rng = SystemRandom::new();
        let p256 = EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .and_then(|pkcs8| {
                EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                    .map_err(|_| aws_lc_rs::error::Unspecified)
            })
            .expect("P-256");
        let point = p256.public_key().as_ref();
        let rsa_1024 = [0xc5u8; 128];
        for (algorithm, key, why) in [
            (Algorithm::ES384, DecodingKey::from_ec_der(point), "a P-256 key for ES384"),
            (Algorithm::HS256, DecodingKey::from_ec_der(point), "a public key as an HMAC secret"),
            (Algorithm::RS256, DecodingKey::from_secret(b"secret"), "an HMAC secret for RS256"),
            (Algorithm::ES256, DecodingKey::from_ed_der(&[7; 32]), "an Ed25519 key for ES256"),
            (
                Algorithm::RS256,
                DecodingKey::from_rsa_raw_components(&rsa_1024, &[1, 0, 1]),
                "a 1024-bit RSA key",
            ),
            (Algorithm::EdDSA, DecodingKey::from_ed_der(&[7; 31]), "a short Ed25519 key"),
        ] {
            let result = Key::new(None, algorithm, &key);
            assert!(
                matches!(result, Err(ConfigError::BadKey { algorithm: a, .. }) if a == algorithm),
                "{why}: {:?}",
                result.err()
            );
        }
    }
}
