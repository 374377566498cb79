//! JWT access-token validation: configuration checked at start-up, then a
//! verification path that reads each part of the token once and uses
//! `jsonwebtoken`'s crypto (aws-lc-rs) for the signature.
//!
//! What is enforced, and where the RFCs or `jsonwebtoken`'s defaults differ:
//! * the algorithm comes from the configured key, never from the token; the
//!   header's `alg` must name it exactly (`"hs256"`, `"none"` are refused);
//! * keys named inside a token (`jwk`, `jku`, `x5u`, `x5c`) are ignored, and
//!   `kid` is only a lookup key among configured keys;
//! * a `crit` header is refused (no extension is understood);
//! * `exp` is required, must be a number and is refused on or after expiry
//!   (RFC 7519 §4.1.4), `nbf` is checked when present, `iss` and `aud` are
//!   required when configured; all with the configured leeway.

use std::any::TypeId;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::JwtVerifier;
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use rbac_core::{RoleModel, Schema};
use serde::Deserialize;

use crate::claims::{ClaimMapping, ClaimPath, Claims, NumericDate, read_claims};
use crate::principal::Principal;

/// Default cap on a token's length, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A configuration mistake found when building an [`Authenticator`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No key was configured: every token would be refused.
    #[error(
        "no verification key is configured; add one with `hmac`, `rsa_pem`, `ec_pem`, `ed_pem` or `key`"
    )]
    NoKeys,
    /// An HMAC secret is shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the {algorithm:?} secret is {len} bytes; it must be at least {min} bytes (RFC 7518 §3.2)"
    )]
    WeakSecret {
        /// The HMAC algorithm.
        algorithm: Algorithm,
        /// The secret's length.
        len: usize,
        /// The minimum length.
        min: usize,
    },
    /// HMAC secrets and public keys were both configured: a token could pick
    /// the family, which is how algorithm confusion attacks start.
    #[error("HMAC secrets and public keys cannot be configured together for one issuer")]
    MixedKeyFamilies,
    /// The key does not suit the algorithm, or could not be read.
    #[error("the key for {algorithm:?} is not usable: {reason}")]
    BadKey {
        /// The algorithm the key was given for.
        algorithm: Algorithm,
        /// What is wrong with it.
        reason: String,
    },
    /// A JWK Set could not be read or holds an unusable key.
    #[error("JWK Set: {0}")]
    JwkSet(String),
    /// Two keys share one `kid`.
    #[error("two keys have the kid `{0}`")]
    DuplicateKid(String),
}

struct Key {
    /// Unique in the process: names this key's verifier in [`VERIFIERS`].
    id: u64,
    /// Dropped with the key: a cached verifier outliving it is evicted.
    alive: Arc<()>,
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Hands out [`Key::id`]s; never reused (a `u64` does not wrap).
static NEXT_KEY_ID: AtomicU64 = AtomicU64::new(0);

/// Verifiers built per thread, at most this many, most recently used first.
const VERIFIERS_PER_THREAD: usize = 16;

struct CachedVerifier {
    id: u64,
    alive: Weak<()>,
    verifier: Box<dyn JwtVerifier>,
}

thread_local! {
    /// `jsonwebtoken`'s verifiers are neither `Send` nor `Sync`, so they
    /// cannot live in the shared authenticator; building one per token
    /// (for HMAC, the key schedule) is most of a verification's cost beside
    /// the crypto itself. Each thread keeps the ones it has built instead,
    /// keyed by the key's unique id: a verifier is only ever used for the
    /// key (algorithm and material) it was built from.
    static VERIFIERS: RefCell<Vec<CachedVerifier>> = const { RefCell::new(Vec::new()) };
}

impl Key {
    fn new(kid: Option<String>, algorithm: Algorithm, key: DecodingKey) -> Self {
        let id = NEXT_KEY_ID.fetch_add(1, Ordering::Relaxed);
        Self { id, alive: Arc::new(()), kid, algorithm, key }
    }

    fn build_verifier(&self) -> Option<Box<dyn JwtVerifier>> {
        (DEFAULT_PROVIDER.verifier_factory)(&self.algorithm, &self.key).ok()
    }

    /// Whether `signature` is this key's over `message`, with the calling
    /// thread's verifier for the key (built on first use).
    fn verifies(&self, message: &[u8], signature: &Vec<u8>) -> bool {
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

/// Validates bearer JWTs and maps them to a [`Principal`] for one role model.
/// Cheap to clone (an `Arc`); put it in the router state and implement
/// `FromRef` for it, or use it as the state itself.
///
/// ```
/// use rbac_axum::{Authenticator, jsonwebtoken::Algorithm};
///
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// let authenticator = Authenticator::builder::<Role>()
///     .hmac(Algorithm::HS256, b"a development secret of 32+ bytes!!")
///     .issuer("https://issuer.example")
///     .audience("my-api")
///     .build()?;
/// # Ok::<(), rbac_axum::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Authenticator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) model: TypeId,
    pub(crate) model_name: &'static str,
    pub(crate) schema: &'static Schema,
    pub(crate) realm: Arc<str>,
    keys: Vec<Key>,
    issuer: Option<String>,
    audiences: Vec<String>,
    leeway: u64,
    max_token_bytes: usize,
    require_subject: bool,
    require_at_jwt_typ: bool,
    mapping: ClaimMapping,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Authenticator")
            .field("model", &inner.model_name)
            .field("realm", &inner.realm)
            .field("keys", &inner.keys)
            .field("issuer", &inner.issuer)
            .field("audiences", &inner.audiences)
            .field("leeway", &inner.leeway)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Authenticator`]; see [`Authenticator::builder`].
#[must_use]
pub struct AuthenticatorBuilder {
    model: TypeId,
    model_name: &'static str,
    schema: &'static Schema,
    realm: String,
    keys: Vec<(Option<String>, Algorithm, Result<DecodingKey, ConfigError>)>,
    issuer: Option<String>,
    audiences: Vec<String>,
    leeway: Duration,
    max_token_bytes: usize,
    require_subject: bool,
    require_at_jwt_typ: bool,
    mapping: ClaimMapping,
}

impl Authenticator {
    /// Starts a configuration for the roles declared by `roles!` (`R` is the
    /// generated `Role` type). Defaults: realm `api`, no leeway, tokens up to
    /// 8 KiB, roles from the `roles` claim, `sub` optional, any `typ`.
    pub fn builder<R: RoleModel>() -> AuthenticatorBuilder {
        AuthenticatorBuilder {
            model: TypeId::of::<R>(),
            model_name: std::any::type_name::<R>(),
            schema: R::SCHEMA,
            realm: "api".to_owned(),
            keys: Vec::new(),
            issuer: None,
            audiences: Vec::new(),
            leeway: Duration::ZERO,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            require_subject: false,
            require_at_jwt_typ: false,
            mapping: ClaimMapping::default(),
        }
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The declared roles and scopes this authenticator maps tokens to.
    pub fn schema(&self) -> &'static Schema {
        self.inner.schema
    }

    /// Validates `token` (the bearer value, without the scheme) and maps it
    /// to a principal.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.inner.verify(token, now())
    }

    pub(crate) fn is_for(&self, model: TypeId) -> bool {
        self.inner.model == model
    }
}

impl AuthenticatorBuilder {
    /// Adds an HMAC secret (`HS256`, `HS384` or `HS512`); it must be at least
    /// as long as the hash output (32, 48 or 64 bytes).
    pub fn hmac(mut self, algorithm: Algorithm, secret: impl AsRef<[u8]>) -> Self {
        let secret = secret.as_ref();
        let key = match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                check_secret(algorithm, secret).map(|()| DecodingKey::from_secret(secret))
            }
            _ => Err(bad_key(algorithm, "not an HMAC algorithm; use rsa_pem, ec_pem or ed_pem")),
        };
        self.keys.push((None, algorithm, key));
        self
    }

    /// Adds an RSA public key in PEM form for `RS256/384/512` or `PS256/384/512`.
    pub fn rsa_pem(mut self, algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Self {
        let key = if algorithm.family() == AlgorithmFamily::Rsa {
            DecodingKey::from_rsa_pem(pem.as_ref()).map_err(|e| bad_key(algorithm, e))
        } else {
            Err(bad_key(algorithm, "not an RSA algorithm"))
        };
        self.keys.push((None, algorithm, key));
        self
    }

    /// Adds an EC public key in PEM form for `ES256` or `ES384`.
    pub fn ec_pem(mut self, algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Self {
        let key = if algorithm.family() == AlgorithmFamily::Ec {
            DecodingKey::from_ec_pem(pem.as_ref()).map_err(|e| bad_key(algorithm, e))
        } else {
            Err(bad_key(algorithm, "not an EC algorithm"))
        };
        self.keys.push((None, algorithm, key));
        self
    }

    /// Adds an Ed25519 public key in PEM form (`EdDSA`).
    pub fn ed_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        let key = DecodingKey::from_ed_pem(pem.as_ref()).map_err(|e| bad_key(Algorithm::EdDSA, e));
        self.keys.push((None, Algorithm::EdDSA, key));
        self
    }

    /// Adds a key for one algorithm, optionally under a `kid`. With any
    /// `kid` configured, a token's `kid` must match one.
    pub fn key(mut self, kid: Option<&str>, algorithm: Algorithm, key: DecodingKey) -> Self {
        let key = if key.family() != algorithm.family() {
            Err(bad_key(algorithm, "the key is of another family than the algorithm"))
        } else if algorithm.family() == AlgorithmFamily::Hmac {
            // The minimum `hmac` enforces, which this would otherwise bypass.
            match key.try_get_as_bytes() {
                Ok(secret) => check_secret(algorithm, secret).map(|()| key),
                Err(e) => Err(bad_key(algorithm, e)),
            }
        } else {
            Ok(key)
        };
        self.keys.push((kid.map(str::to_owned), algorithm, key));
        self
    }

    /// Adds every signature key of a JWK Set document (RFC 7517), each under
    /// its `kid`, with the algorithm the key declares or its type implies.
    ///
    /// ```
    /// use rbac_axum::Authenticator;
    /// rbac_axum::roles! { viewer }
    ///
    /// let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
    ///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    /// let authenticator = Authenticator::builder::<Role>().jwk_set(jwks).build()?;
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn jwk_set(mut self, json: &str) -> Self {
        match crate::jwks::keys_from_jwk_set(json) {
            Ok(keys) => {
                self.keys.extend(keys.into_iter().map(|(kid, alg, key)| (kid, alg, Ok(key))))
            }
            Err(error) => self.keys.push((None, Algorithm::RS256, Err(error))),
        }
        self
    }

    /// Reads a JWK Set document from a file; see [`jwk_set`](Self::jwk_set).
    pub fn jwk_set_file(self, path: impl AsRef<std::path::Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(json) => self.jwk_set(&json),
            Err(error) => {
                let mut this = self;
                let reason = format!("cannot read {}: {error}", path.display());
                this.keys.push((None, Algorithm::RS256, Err(ConfigError::JwkSet(reason))));
                this
            }
        }
    }

    /// Requires `iss` to equal `issuer`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Requires `aud` (a string or an array) to hold `audience`; calling it
    /// again accepts either audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (default none).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The realm named in challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Where roles are read from (default: the top-level `roles` claim, an
    /// array of strings).
    pub fn roles_claim(mut self, path: impl Into<ClaimPath>) -> Self {
        self.mapping.roles = path.into();
        self
    }

    /// Longest token accepted, checked before decoding (default 8 KiB).
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Refuses tokens without a `sub` claim (default: `sub` optional).
    pub fn require_subject(mut self, required: bool) -> Self {
        self.require_subject = required;
        self
    }

    /// RFC 9068 profile: refuses tokens whose `typ` is not `at+jwt` or
    /// `application/at+jwt` (default off: several providers send `JWT`).
    pub fn require_at_jwt_typ(mut self, required: bool) -> Self {
        self.require_at_jwt_typ = required;
        self
    }

    /// Checks the configuration and builds the authenticator.
    pub fn build(self) -> Result<Authenticator, ConfigError> {
        // `jsonwebtoken::encode`/`decode` elsewhere in the process need a
        // default provider; with both backend features merged into one
        // build they would panic without one. Ours is used explicitly.
        let _ = DEFAULT_PROVIDER.install_default();

        let mut keys = Vec::with_capacity(self.keys.len());
        for (kid, algorithm, key) in self.keys {
            let key = key?;
            if let Some(kid) = &kid
                && keys.iter().any(|k: &Key| k.kid.as_deref() == Some(kid))
            {
                return Err(ConfigError::DuplicateKid(kid.clone()));
            }
            // Building a verifier now surfaces unusable keys at start-up.
            (DEFAULT_PROVIDER.verifier_factory)(&algorithm, &key)
                .map_err(|e| bad_key(algorithm, e))?;
            keys.push(Key::new(kid, algorithm, key));
        }
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        let hmac = keys.iter().filter(|k| k.algorithm.family() == AlgorithmFamily::Hmac).count();
        if hmac != 0 && hmac != keys.len() {
            return Err(ConfigError::MixedKeyFamilies);
        }
        Ok(Authenticator {
            inner: Arc::new(Inner {
                model: self.model,
                model_name: self.model_name,
                schema: self.schema,
                realm: Arc::from(self.realm),
                keys,
                issuer: self.issuer,
                audiences: self.audiences,
                leeway: self.leeway.as_secs(),
                max_token_bytes: self.max_token_bytes,
                require_subject: self.require_subject,
                require_at_jwt_typ: self.require_at_jwt_typ,
                mapping: self.mapping,
            }),
        })
    }
}

/// An HMAC secret must be at least as long as the hash output (RFC 7518 §3.2).
fn check_secret(algorithm: Algorithm, secret: &[u8]) -> Result<(), ConfigError> {
    let min = match algorithm {
        Algorithm::HS256 => 32,
        Algorithm::HS384 => 48,
        _ => 64,
    };
    if secret.len() < min {
        Err(ConfigError::WeakSecret { algorithm, len: secret.len(), min })
    } else {
        Ok(())
    }
}

fn bad_key(algorithm: Algorithm, reason: impl fmt::Display) -> ConfigError {
    ConfigError::BadKey { algorithm, reason: reason.to_string() }
}

/// Why a token was not accepted. The messages never include the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub(crate) Cow<'static, str>);

impl TokenError {
    fn new(message: &'static str) -> Self {
        Self(Cow::Borrowed(message))
    }

    /// The reason, in words a client developer can act on.
    pub fn message(&self) -> &str {
        &self.0
    }
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The algorithm a header's `alg` names, spelled exactly as RFC 7518 does.
fn algorithm_named(name: &str) -> Option<Algorithm> {
    Some(match name {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

/// Headers up to this size (decoded) are decoded on the stack.
const HEADER_ON_STACK: usize = 256;

impl Inner {
    pub(crate) fn verify(&self, token: &str, now: u64) -> Result<Principal, TokenError> {
        if token.len() > self.max_token_bytes {
            return Err(TokenError::new("the token is longer than this server accepts"));
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::new(
                "the token is not a JWT: expected three base64url segments separated by dots",
            ));
        };
        // A header is short: decode it on the stack unless it is not.
        let mut stack = [0u8; HEADER_ON_STACK];
        let heap;
        let header_bytes: &[u8] = if base64::decoded_len_estimate(header_b64.len()) <= stack.len() {
            let len = URL_SAFE_NO_PAD.decode_slice(header_b64, &mut stack);
            &stack[..len.map_err(|_| TokenError::new("the token header is not base64url"))?]
        } else {
            heap = URL_SAFE_NO_PAD
                .decode(header_b64)
                .map_err(|_| TokenError::new("the token header is not base64url"))?;
            &heap
        };
        // serde reads a struct from a JSON array too (`["HS256"]`); the
        // JOSE header must be an object (RFC 7515 §4).
        let header: Header<'_> = match header_bytes.trim_ascii_start().first() {
            Some(b'{') => serde_json::from_slice(header_bytes).ok(),
            _ => None,
        }
        .ok_or_else(|| {
            TokenError::new("the token header is not a JSON object with a string `alg`")
        })?;
        if header.crit.is_some() {
            return Err(TokenError::new(
                "the token header lists `crit` extensions this server does not support",
            ));
        }
        let Some(algorithm) = algorithm_named(&header.alg) else {
            return Err(TokenError::new("the token's algorithm is not accepted by this server"));
        };
        if self.require_at_jwt_typ
            && !header.typ.as_deref().is_some_and(|typ| {
                typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
            })
        {
            return Err(TokenError::new("the token's `typ` must be `at+jwt` (RFC 9068)"));
        }

        let any_kid = self.keys.iter().any(|k| k.kid.is_some());
        let mut candidates = self.keys.iter().filter(|k| {
            k.algorithm == algorithm
                && match (&header.kid, any_kid) {
                    (Some(kid), true) => k.kid.as_deref() == Some(kid.as_ref()),
                    (None, true) => self.keys.len() == 1,
                    (_, false) => true,
                }
        });
        let Some(first) = candidates.next() else {
            return Err(if self.keys.iter().any(|k| k.algorithm == algorithm) {
                TokenError::new("no key of this server matches the token's `kid`")
            } else {
                TokenError::new("the token's algorithm is not accepted by this server")
            });
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| TokenError::new("the token signature is not base64url"))?;
        let message = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
        let verified =
            std::iter::once(first).chain(candidates).any(|key| key.verifies(message, &signature));
        if !verified {
            return Err(TokenError::new("the token signature is invalid"));
        }

        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| TokenError::new("the token payload is not base64url"))?;
        // One pass over the payload for what the checks and the decision
        // need; the full claims are built later, only if asked for.
        // UTF-8 is checked once here rather than string by string.
        let Ok(payload) = String::from_utf8(payload) else {
            return Err(TokenError::new("the token payload is not a JSON object"));
        };
        let Ok(claims) = read_claims(&payload, &self.mapping, self.schema, &self.audiences) else {
            return Err(TokenError::new("the token payload is not a JSON object"));
        };
        self.check_claims(&claims, now)?;

        let granted = claims.granted(self.schema);
        let subject = claims.sub.map(Cow::into_owned);
        Ok(Principal::new(subject, granted, payload, self.schema))
    }

    fn check_claims(&self, claims: &Claims<'_>, now: u64) -> Result<(), TokenError> {
        let now = now as f64;
        let leeway = self.leeway as f64;
        match claims.exp {
            None => return Err(TokenError::new("the token has no `exp` claim")),
            Some(NumericDate::NotANumber) => {
                return Err(TokenError::new("the token's `exp` is not a number of seconds"));
            }
            // RFC 7519 §4.1.4: not accepted "on or after" the expiry.
            Some(NumericDate::Seconds(exp)) if now >= exp + leeway => {
                return Err(TokenError::new("the token has expired"));
            }
            Some(NumericDate::Seconds(_)) => {}
        }
        match claims.nbf {
            None => {}
            Some(NumericDate::NotANumber) => {
                return Err(TokenError::new("the token's `nbf` is not a number of seconds"));
            }
            Some(NumericDate::Seconds(nbf)) if now + leeway < nbf => {
                return Err(TokenError::new("the token is not valid yet (`nbf`)"));
            }
            Some(NumericDate::Seconds(_)) => {}
        }
        if let Some(issuer) = &self.issuer {
            match claims.iss.as_deref() {
                Some(iss) if iss == issuer => {}
                Some(_) => {
                    return Err(TokenError::new("the token's issuer (`iss`) is not accepted"));
                }
                None => return Err(TokenError::new("the token has no `iss` claim")),
            }
        }
        if !self.audiences.is_empty() && !claims.aud_accepted {
            return Err(TokenError::new("the token's audience (`aud`) is not accepted"));
        }
        if self.require_subject && claims.sub.as_deref().is_none_or(str::is_empty) {
            return Err(TokenError::new("the token has no `sub` claim"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header as JwtHeader, encode};
    use rbac_core::{RoleSet, ScopeSet};
    use serde_json::json;

    static SCHEMA: Schema = Schema::new(
        &["admin", "viewer"],
        &[RoleSet::from_bits(0b11), RoleSet::from_bits(0b10)],
        &["posts:read"],
        &[ScopeSet::from_bits(0b1), ScopeSet::from_bits(0b1)],
    );

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Model;

    impl RoleModel for Model {
        const SCHEMA: &'static Schema = &SCHEMA;

        fn index(self) -> usize {
            0
        }

        fn from_index(_: usize) -> Option<Self> {
            None
        }
    }

    fn secret(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn authenticator(secret: &[u8]) -> Authenticator {
        Authenticator::builder::<Model>()
            .hmac(Algorithm::HS256, secret)
            .build()
            .expect("a valid configuration")
    }

    fn token(secret: &[u8], claims: &serde_json::Value) -> String {
        encode(&JwtHeader::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))
            .expect("encode a test token")
    }

    fn claims() -> serde_json::Value {
        json!({ "exp": now() + 600, "sub": "u\"1", "roles": ["viewer"] })
    }

    #[test]
    fn a_cached_verifier_serves_only_its_own_key() {
        let (a, b) = (authenticator(&secret(1)), authenticator(&secret(2)));
        let (for_a, for_b) = (token(&secret(1), &claims()), token(&secret(2), &claims()));
        for _ in 0..3 {
            assert!(a.verify(&for_a).is_ok());
            assert!(b.verify(&for_b).is_ok());
            assert!(a.verify(&for_b).is_err(), "b's token must not verify with a's key");
            assert!(b.verify(&for_a).is_err(), "a's token must not verify with b's key");
        }
    }

    #[test]
    fn verification_outlives_the_per_thread_cache() {
        // More keys than a thread caches, used round-robin: every lookup
        // after the first round rebuilds an evicted verifier.
        let keys: Vec<_> = (0..VERIFIERS_PER_THREAD as u8 + 4)
            .map(|n| (authenticator(&secret(n + 10)), token(&secret(n + 10), &claims())))
            .collect();
        for _ in 0..2 {
            for (authenticator, token) in &keys {
                assert!(authenticator.verify(token).is_ok());
            }
        }
        VERIFIERS.with(|cache| assert!(cache.borrow().len() <= VERIFIERS_PER_THREAD));
        drop(keys);
        // The next build purges verifiers whose keys are gone.
        let last = authenticator(&secret(99));
        assert!(last.verify(&token(&secret(99), &claims())).is_ok());
        VERIFIERS.with(|cache| {
            let cache = cache.borrow();
            assert!(cache.iter().all(|c| c.alive.strong_count() > 0), "{}", cache.len());
        });
    }

    #[test]
    fn the_principal_still_has_every_claim_and_scope() {
        let mut claims = claims();
        claims["scope"] = json!("posts:read undeclared");
        claims["scp"] = json!(["other"]);
        claims["extra"] = json!({ "nested": [1, 2.5, null] });
        let key = secret(3);
        let principal = authenticator(&key).verify(&token(&key, &claims)).expect("valid");
        assert_eq!(principal.subject(), Some("u\"1"));
        assert_eq!(principal.role_names(), ["viewer"]);
        assert_eq!(principal.scopes(), ["posts:read", "undeclared", "other"]);
        assert!(principal.has_scope("undeclared") && !principal.has_scope("posts"));
        assert_eq!(serde_json::Value::Object(principal.claims().clone()), claims);
        assert!(format!("{principal:?}").contains("nested"));
    }
}
