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
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use rbac_core::{RoleModel, Schema};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::claims::{ClaimMapping, ClaimPath, token_scopes};
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
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
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
            keys.push(Key { kid, algorithm, key });
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
        let header_bytes = URL_SAFE_NO_PAD
            .decode(header_b64)
            .map_err(|_| TokenError::new("the token header is not base64url"))?;
        // serde reads a struct from a JSON array too (`["HS256"]`); the
        // JOSE header must be an object (RFC 7515 §4).
        let header: Header<'_> = match header_bytes.trim_ascii_start().first() {
            Some(b'{') => serde_json::from_slice(&header_bytes).ok(),
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
        let verified = std::iter::once(first).chain(candidates).any(|key| {
            (DEFAULT_PROVIDER.verifier_factory)(&key.algorithm, &key.key)
                .is_ok_and(|verifier| verifier.verify(message, &signature).is_ok())
        });
        if !verified {
            return Err(TokenError::new("the token signature is invalid"));
        }

        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| TokenError::new("the token payload is not base64url"))?;
        let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(&payload) else {
            return Err(TokenError::new("the token payload is not a JSON object"));
        };
        self.check_claims(&claims, now)?;

        let granted = self.mapping.granted(self.schema, &claims);
        let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
        let scopes = token_scopes(&claims).map(str::to_owned).collect();
        Ok(Principal::new(subject, granted, scopes, claims, self.schema))
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: u64) -> Result<(), TokenError> {
        let now = now as f64;
        let leeway = self.leeway as f64;
        match claims.get("exp") {
            None => return Err(TokenError::new("the token has no `exp` claim")),
            Some(exp) => {
                let Some(exp) = exp.as_f64() else {
                    return Err(TokenError::new("the token's `exp` is not a number of seconds"));
                };
                // RFC 7519 §4.1.4: not accepted "on or after" the expiry.
                if now >= exp + leeway {
                    return Err(TokenError::new("the token has expired"));
                }
            }
        }
        if let Some(nbf) = claims.get("nbf") {
            let Some(nbf) = nbf.as_f64() else {
                return Err(TokenError::new("the token's `nbf` is not a number of seconds"));
            };
            if now + leeway < nbf {
                return Err(TokenError::new("the token is not valid yet (`nbf`)"));
            }
        }
        if let Some(issuer) = &self.issuer {
            match claims.get("iss").and_then(Value::as_str) {
                Some(iss) if iss == issuer => {}
                Some(_) => {
                    return Err(TokenError::new("the token's issuer (`iss`) is not accepted"));
                }
                None => return Err(TokenError::new("the token has no `iss` claim")),
            }
        }
        if !self.audiences.is_empty() {
            let accepted = |aud: &str| self.audiences.iter().any(|a| a == aud);
            let ok = match claims.get("aud") {
                Some(Value::String(aud)) => accepted(aud),
                Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(accepted),
                _ => false,
            };
            if !ok {
                return Err(TokenError::new("the token's audience (`aud`) is not accepted"));
            }
        }
        if self.require_subject
            && claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty)
        {
            return Err(TokenError::new("the token has no `sub` claim"));
        }
        Ok(())
    }
}
