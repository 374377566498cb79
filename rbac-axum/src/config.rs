//! Configuration of an [`Authenticator`]: its issuers, each with keys
//! (static, or fetched from a JWKS URL or by OIDC discovery), audiences,
//! leeway and claim mapping, all checked once at start-up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

use crate::cache::TokenCache;
use crate::claims::{ClaimMapping, ClaimPath};
use crate::jwt::{Authenticator, Inner};
use crate::keys::KeySet;
use crate::remote::{KeySource, RemoteKeys, RemoteSettings, is_allowed_url};

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
    /// Static keys and a remote key source were both given for one issuer.
    #[error("issuer {0:?}: give either static keys or a JWKS URL / discovery, not both")]
    StaticAndRemoteKeys(Option<String>),
    /// Remote keys need a tokio runtime to fetch and refresh them in.
    #[error("fetching keys needs a tokio runtime: build the authenticator inside one")]
    NoRuntime,
    /// OIDC discovery was asked for without an issuer URL.
    #[error("OIDC discovery needs the issuer URL: use `oidc(issuer)` or set `issuer` first")]
    DiscoveryWithoutIssuer,
    /// A URL keys would be fetched from is not https (nor http on loopback).
    #[error("{0} is not fetched: only https URLs (or http on a loopback address) are allowed")]
    InsecureUrl(String),
    /// With several issuers each must name its `iss`, once.
    #[error("with several issuers each needs a distinct issuer string; {0}")]
    AmbiguousIssuers(String),
    /// The CA certificates given for an identity provider cannot be used.
    #[error("cannot use the identity provider's CA certificates: {0}")]
    ProviderCa(String),
    /// The HTTP client for remote keys could not be built.
    #[error("the HTTP client for fetching keys could not be built: {0}")]
    HttpClient(String),
    /// The system's random generator failed to give the verified-token
    /// cache its key.
    #[error("the verified-token cache could not draw its random key")]
    NoRandomness,
}

type PendingKey = (Option<String>, Algorithm, Result<DecodingKey, ConfigError>);

/// One trusted token issuer: its keys, the audiences it must name, and how
/// its claims map to roles and scopes. Several can be trusted at once
/// ([`AuthenticatorBuilder::trust`]); the token's `iss` selects one.
///
/// ```no_run
/// use rbac_axum::{Authenticator, ClaimMapping, Issuer};
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), rbac_axum::ConfigError> {
/// let authenticator = Authenticator::builder::<Role>()
///     .trust(
///         Issuer::new("https://sso.example.com/realms/acme")
///             .discovery()
///             .audience("orders-api")
///             .claims(ClaimMapping::keycloak("orders-api")),
///     )
///     .trust(Issuer::new("https://acme.eu.auth0.com/").jwks_url("https://acme.eu.auth0.com/.well-known/jwks.json"))
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct Issuer {
    issuer: Option<String>,
    keys: Vec<PendingKey>,
    remote: Option<KeySource>,
    discovery: bool,
    remote_settings: RemoteSettings,
    audiences: Vec<String>,
    leeway: Duration,
    require_subject: bool,
    require_at_jwt_typ: bool,
    mapping: ClaimMapping,
    /// PEM bundles of extra roots for fetching this issuer's keys.
    provider_roots: Vec<Vec<u8>>,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are not printed.
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys.len())
            .field("remote", &self.remote)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer whose tokens must carry `iss` equal to `issuer`.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self { issuer: Some(issuer.into()), ..Self::unnamed() }
    }

    fn unnamed() -> Self {
        Self {
            issuer: None,
            keys: Vec::new(),
            remote: None,
            discovery: false,
            remote_settings: RemoteSettings::default(),
            audiences: Vec::new(),
            leeway: Duration::ZERO,
            require_subject: false,
            require_at_jwt_typ: false,
            mapping: ClaimMapping::default(),
            provider_roots: Vec::new(),
        }
    }

    fn is_configured(&self) -> bool {
        !self.keys.is_empty() || self.remote.is_some() || self.discovery || self.issuer.is_some()
    }

    /// Requires `iss` to equal `issuer`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

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
    pub fn jwk_set_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(json) => self.jwk_set(&json),
            Err(error) => {
                let reason = format!("cannot read {}: {error}", path.display());
                self.keys.push((None, Algorithm::RS256, Err(ConfigError::JwkSet(reason))));
                self
            }
        }
    }

    /// Fetches keys from a JWK Set URL (https, or http on loopback), at
    /// start-up, in the background as `Cache-Control: max-age` says, and
    /// when a token names an unknown `kid` (rate-limited).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.remote = Some(KeySource::JwksUrl(url.into()));
        self
    }

    /// Finds the JWK Set URL by OpenID Connect discovery from the issuer
    /// URL (`{issuer}/.well-known/openid-configuration`, whose `issuer` must
    /// be this one exactly), then fetches keys as [`jwks_url`](Self::jwks_url)
    /// does.
    pub fn discovery(mut self) -> Self {
        self.discovery = true;
        self
    }

    /// Trusts the certificates of `pem` (one or more, PEM), besides the
    /// system's roots, on the https connections that fetch this issuer's
    /// keys and discovery document: for an identity provider whose
    /// certificate comes from a private CA.
    ///
    /// ```no_run
    /// use rbac_axum::Authenticator;
    /// rbac_axum::roles! { viewer }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let authenticator = Authenticator::builder::<Role>()
    ///     .oidc("https://sso.corp.example/realms/staff")
    ///     .provider_ca_pem(std::fs::read("/etc/ssl/corp-ca.pem")?)
    ///     .audience("orders-api")
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn provider_ca_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.provider_roots.push(pem.as_ref().to_vec());
        self
    }

    /// Timings of remote key fetching (refetch interval, timeout, refresh).
    pub fn remote_settings(mut self, settings: RemoteSettings) -> Self {
        self.remote_settings = settings;
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

    /// How roles and scopes are read from claims; see [`ClaimMapping`] for
    /// the presets (Keycloak, Auth0, Okta, Entra ID).
    pub fn claims(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// Where roles are read from (default: the top-level `roles` claim, an
    /// array of strings).
    pub fn roles_claim(mut self, path: impl Into<ClaimPath>) -> Self {
        self.mapping = self.mapping.roles_at(path);
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

    fn build(
        self,
        runtime: &mut Option<tokio::runtime::Handle>,
    ) -> Result<IssuerConfig, ConfigError> {
        let mut keys = Vec::with_capacity(self.keys.len());
        for (kid, algorithm, key) in self.keys {
            keys.push((kid, algorithm, key?));
        }
        let source = match (self.remote, self.discovery) {
            (Some(source), _) => Some(source),
            (None, true) => match &self.issuer {
                Some(issuer) => Some(KeySource::Discovery(issuer.clone())),
                None => return Err(ConfigError::DiscoveryWithoutIssuer),
            },
            (None, false) => None,
        };
        if source.is_none() && !self.provider_roots.is_empty() {
            return Err(ConfigError::ProviderCa("this issuer fetches no keys".to_owned()));
        }
        let mut roots = Vec::new();
        for pem in &self.provider_roots {
            match reqwest::Certificate::from_pem_bundle(pem) {
                Ok(certificates) if !certificates.is_empty() => roots.extend(certificates),
                Ok(_) => return Err(ConfigError::ProviderCa("no certificate in the PEM".into())),
                Err(error) => return Err(ConfigError::ProviderCa(error.to_string())),
            }
        }
        let keys = match source {
            None => {
                let set = KeySet::new(keys)?;
                if set.is_empty() {
                    return Err(ConfigError::NoKeys);
                }
                Keys::Static(set)
            }
            Some(_) if !keys.is_empty() => {
                return Err(ConfigError::StaticAndRemoteKeys(self.issuer));
            }
            Some(source) => {
                let url = match &source {
                    KeySource::JwksUrl(url) => url.clone(),
                    KeySource::Discovery(issuer) => issuer.clone(),
                };
                if !is_allowed_url(&url) {
                    return Err(ConfigError::InsecureUrl(url));
                }
                let handle = match runtime {
                    Some(handle) => handle.clone(),
                    None => {
                        let handle = tokio::runtime::Handle::try_current()
                            .map_err(|_| ConfigError::NoRuntime)?;
                        *runtime = Some(handle.clone());
                        handle
                    }
                };
                let remote = RemoteKeys::new(source, self.remote_settings, roots, |keys| {
                    KeySet::fetched(keys).map_err(|e| e.to_string())
                })
                .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
                remote.spawn_refresher(&handle);
                Keys::Remote(remote)
            }
        };
        Ok(IssuerConfig {
            issuer: self.issuer,
            audiences: self.audiences,
            leeway: self.leeway.as_secs(),
            require_subject: self.require_subject,
            require_at_jwt_typ: self.require_at_jwt_typ,
            mapping: self.mapping,
            keys,
        })
    }
}

/// Where an issuer's keys live.
pub(crate) enum Keys {
    /// Configured once.
    Static(KeySet),
    /// Fetched, refreshed in the background.
    Remote(Arc<RemoteKeys<KeySet>>),
}

/// A checked [`Issuer`].
pub(crate) struct IssuerConfig {
    pub(crate) issuer: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: u64,
    pub(crate) require_subject: bool,
    pub(crate) require_at_jwt_typ: bool,
    pub(crate) mapping: ClaimMapping,
    pub(crate) keys: Keys,
}

impl fmt::Debug for IssuerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.keys {
            Keys::Static(set) => format!("{} static", set.len()),
            Keys::Remote(remote) => format!("remote ({} fetches)", remote.fetch_count()),
        };
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("leeway", &self.leeway)
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Authenticator`]; see [`Authenticator::builder`]. The
/// per-issuer methods (`hmac`, `jwks_url`, `audience`, …) configure the one
/// issuer most services have; [`trust`](Self::trust) adds more.
#[must_use]
pub struct AuthenticatorBuilder {
    pub(crate) model: std::any::TypeId,
    pub(crate) model_name: &'static str,
    pub(crate) schema: &'static rbac_core::Schema,
    realm: String,
    max_token_bytes: usize,
    cached_tokens: usize,
    primary: Issuer,
    others: Vec<Issuer>,
}

/// Forwards an [`Issuer`] method to the builder's primary issuer.
macro_rules! primary_issuer {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $(#[$doc])*
        ///
        #[doc = concat!("Configures the primary issuer; see [`Issuer::", stringify!($name), "`].")]
        pub fn $name(mut self, $($arg: $ty),*) -> Self {
            self.primary = self.primary.$name($($arg),*);
            self
        }
    )*};
}

impl AuthenticatorBuilder {
    pub(crate) fn new<R: rbac_core::RoleModel>() -> Self {
        Self {
            model: std::any::TypeId::of::<R>(),
            model_name: std::any::type_name::<R>(),
            schema: R::SCHEMA,
            realm: "api".to_owned(),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            cached_tokens: 0,
            primary: Issuer::unnamed(),
            others: Vec::new(),
        }
    }

    primary_issuer! {
        /// Requires `iss` to equal `issuer`.
        fn issuer(issuer: impl Into<String>);
        /// Adds an HMAC secret of at least 32/48/64 bytes.
        fn hmac(algorithm: Algorithm, secret: impl AsRef<[u8]>);
        /// Adds an RSA public key (PEM).
        fn rsa_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>);
        /// Adds an EC public key (PEM).
        fn ec_pem(algorithm: Algorithm, pem: impl AsRef<[u8]>);
        /// Adds an Ed25519 public key (PEM).
        fn ed_pem(pem: impl AsRef<[u8]>);
        /// Adds a key under an optional `kid`.
        fn key(kid: Option<&str>, algorithm: Algorithm, key: DecodingKey);
        /// Adds the signature keys of a JWK Set document.
        fn jwk_set(json: &str);
        /// Adds the signature keys of a JWK Set file.
        fn jwk_set_file(path: impl AsRef<std::path::Path>);
        /// Fetches keys from a JWK Set URL.
        fn jwks_url(url: impl Into<String>);
        /// Finds the JWK Set URL by OpenID Connect discovery.
        fn discovery();
        /// Trusts a private CA for fetching keys.
        fn provider_ca_pem(pem: impl AsRef<[u8]>);
        /// Timings of remote key fetching.
        fn remote_settings(settings: RemoteSettings);
        /// Requires `aud` to hold `audience` (or any of several).
        fn audience(audience: impl Into<String>);
        /// Clock skew tolerated on `exp` and `nbf`.
        fn leeway(leeway: Duration);
        /// How roles and scopes are read from claims.
        fn claims(mapping: ClaimMapping);
        /// Where roles are read from.
        fn roles_claim(path: impl Into<ClaimPath>);
        /// Refuses tokens without `sub`.
        fn require_subject(required: bool);
        /// RFC 9068: refuses tokens whose `typ` is not `at+jwt`.
        fn require_at_jwt_typ(required: bool);
    }

    /// Trusts tokens of an OpenID Connect provider: `iss` must equal
    /// `issuer`, and keys come from its discovery document's `jwks_uri`.
    pub fn oidc(self, issuer: impl Into<String>) -> Self {
        self.issuer(issuer).discovery()
    }

    /// Trusts one more issuer. With several, every token's `iss` must name
    /// one of them, which then alone verifies it.
    pub fn trust(mut self, issuer: Issuer) -> Self {
        self.others.push(issuer);
        self
    }

    /// The realm named in challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Longest token accepted, checked before decoding (default 8 KiB).
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Remembers up to `max_entries` verified tokens (off by default; `0`
    /// turns it off), so that a token seen again skips the signature check
    /// and the claim parsing. Most worth it for RSA, ECDSA and EdDSA tokens
    /// reused across requests, whose signature check is most of their cost;
    /// HMAC tokens gain less. See `BENCHMARKS.md` for figures.
    ///
    /// What a cached token is still checked for on each request: that it is
    /// byte-identical to the verified one (entries are keyed by
    /// HMAC-SHA-256 of the token's signature under a random key drawn here,
    /// and hold the token's `header.payload`, compared byte for byte; the
    /// signature itself is not stored, so the cache holds no usable token),
    /// that it is not expired or not yet valid (`exp`, `nbf`, with the
    /// issuer's leeway, exactly as verification compares them), and that the
    /// key that verified it is still in its issuer's key set: a fetched key
    /// set replaced by a refresh or a rotation drops every entry its keys
    /// verified (each such token is verified again once). Failed
    /// verifications are never cached.
    ///
    /// The trade-offs:
    /// * revocation is unchanged: a token revoked at the identity provider
    ///   but not expired stays accepted until its `exp`, as without the
    ///   cache (a JWT is checked locally either way);
    /// * a [`RoleMapper`](crate::RoleMapper) runs once per cached token, not
    ///   once per request: a mapper that reads changing state (a database)
    ///   sees the token's first request only, until the entry goes;
    /// * memory: at most `max_entries` entries (S3-FIFO eviction), each
    ///   holding the token's `header.payload` (at most
    ///   [`max_token_bytes`](Self::max_token_bytes)), the principal (the
    ///   decoded payload, and the parsed claims once a handler asked for
    ///   them) and about 350 bytes of bookkeeping;
    /// * the principal is shared by the requests that present the token
    ///   (it is immutable).
    pub fn cache_verified_tokens(mut self, max_entries: usize) -> Self {
        self.cached_tokens = max_entries;
        self
    }

    /// Checks the configuration and builds the authenticator. With remote
    /// keys it must run inside a tokio runtime, where it starts fetching.
    pub fn build(self) -> Result<Authenticator, ConfigError> {
        // `jsonwebtoken::encode`/`decode` elsewhere in the process need a
        // default provider; with both backend features merged into one
        // build they would panic without one. Ours is used explicitly.
        let _ = DEFAULT_PROVIDER.install_default();

        let mut specs = Vec::new();
        if self.primary.is_configured() || self.others.is_empty() {
            specs.push(self.primary);
        }
        specs.extend(self.others);
        if specs.len() > 1 {
            let mut seen: Vec<&str> = Vec::new();
            for spec in &specs {
                match spec.issuer.as_deref() {
                    None => {
                        return Err(ConfigError::AmbiguousIssuers(
                            "one has no issuer string".into(),
                        ));
                    }
                    Some(name) if seen.contains(&name) => {
                        return Err(ConfigError::AmbiguousIssuers(format!(
                            "`{name}` is configured twice"
                        )));
                    }
                    Some(name) => seen.push(name),
                }
            }
        }
        let mut runtime = None;
        let issuers =
            specs.into_iter().map(|spec| spec.build(&mut runtime)).collect::<Result<_, _>>()?;
        let cache = match self.cached_tokens {
            0 => None,
            entries => Some(TokenCache::new(entries).map_err(|_| ConfigError::NoRandomness)?),
        };
        Ok(Authenticator {
            inner: Arc::new(Inner {
                model: self.model,
                model_name: self.model_name,
                schema: self.schema,
                realm: Arc::from(self.realm),
                max_token_bytes: self.max_token_bytes,
                issuers,
                cache,
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

pub(crate) fn bad_key(algorithm: Algorithm, reason: impl fmt::Display) -> ConfigError {
    ConfigError::BadKey { algorithm, reason: reason.to_string() }
}
