//! One trusted token issuer: [`Issuer`] as configured, checked at start-up
//! into the [`IssuerConfig`] verification reads.

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

use crate::config_error::{ConfigError, bad_key, unreadable_key};
use crate::key_source::Keys;
use crate::keys::KeySet;
use crate::mapping::{ClaimMapping, ClaimPath};
use crate::remote::{KeySource, RemoteKeys, RemoteSettings, is_allowed_url};

type PendingKey = (Option<String>, Algorithm, Result<DecodingKey, ConfigError>);

/// One trusted token issuer: its keys, the audiences it must name, and how
/// its claims map to roles and scopes. Several can be trusted at once
/// ([`AuthenticatorBuilder::trust`](crate::AuthenticatorBuilder::trust)); the token's `iss` selects one.
///
/// ```no_run
/// use rbac_axum::{Authenticator, ClaimMapping, Issuer};
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), rbac_axum::ConfigError> {
/// let authenticator = Authenticator::<Role>::builder()
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
    limit_scopes_to_roles: bool,
    mapping: ClaimMapping,
    /// PEM bundles of extra roots for fetching this issuer's keys.
    provider_roots: Vec<Vec<u8>>,
    /// What was wrong with the keys [`without_keys`](Self::without_keys)
    /// dropped: `build` still refuses it.
    dropped_keys_error: Option<ConfigError>,
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

    pub(crate) fn unnamed() -> Self {
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
            limit_scopes_to_roles: false,
            mapping: ClaimMapping::default(),
            provider_roots: Vec::new(),
            dropped_keys_error: None,
        }
    }

    pub(crate) fn is_configured(&self) -> bool {
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
            DecodingKey::from_rsa_pem(pem.as_ref()).map_err(|e| unreadable_key(algorithm, &e))
        } else {
            Err(bad_key(algorithm, "not an RSA algorithm"))
        };
        self.keys.push((None, algorithm, key));
        self
    }

    /// Adds an EC public key in PEM form for `ES256` or `ES384`.
    pub fn ec_pem(mut self, algorithm: Algorithm, pem: impl AsRef<[u8]>) -> Self {
        let key = if algorithm.family() == AlgorithmFamily::Ec {
            DecodingKey::from_ec_pem(pem.as_ref()).map_err(|e| unreadable_key(algorithm, &e))
        } else {
            Err(bad_key(algorithm, "not an EC algorithm"))
        };
        self.keys.push((None, algorithm, key));
        self
    }

    /// Adds an Ed25519 public key in PEM form (`EdDSA`).
    pub fn ed_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        let key = DecodingKey::from_ed_pem(pem.as_ref())
            .map_err(|e| unreadable_key(Algorithm::EdDSA, &e));
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
    /// let authenticator = Authenticator::<Role>::builder()
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

    /// Limits a token's scopes to those its roles may be granted: the
    /// union of the `=> [...]` scopes `roles!` declares for each role the
    /// token holds, inherited roles included (an `admin` that inherits
    /// `editor`, which inherits `viewer`, may carry all three's). Scopes
    /// beyond that are dropped, as if the token did not carry them, and
    /// logged at `debug` by name; a token without roles keeps no scope.
    /// For issuers that grant scopes through roles, as the example's
    /// `/token` endpoint does: a token carrying more than its roles allow
    /// then grants no more than they do.
    ///
    /// Default off: a token's `scope` and `scp` (and extra scope paths) are
    /// taken as the issuer wrote them, whatever its roles, as OAuth 2.0
    /// intends (the issuer decides what a client may do), and `=> [...]`
    /// is then only a rule for issuers. With it on, a scope that no role
    /// lists meets no requirement.
    ///
    /// A dropped scope still counts against `not(scope = …)`: the token
    /// carries it, and a limit never lets through a token a requirement
    /// refuses without one. The decision
    /// ([`Principal::granted`](crate::Principal::granted)),
    /// [`Principal::scopes`](crate::Principal::scopes) and
    /// [`has_scope`](crate::Principal::has_scope) see the limited scopes;
    /// the raw claims ([`Principal::claims`](crate::Principal::claims),
    /// `TokenClaims`) are the token's, unchanged. It costs a few bit
    /// operations per verification and allocates nothing.
    pub fn limit_scopes_to_roles(mut self, limit: bool) -> Self {
        self.limit_scopes_to_roles = limit;
        self
    }

    /// This issuer without its keys: the keys added, the key-set URL,
    /// discovery and the provider certificates are dropped; every check on
    /// the token is kept (`iss`, audiences, leeway, claim mapping, required
    /// claims, scope limits). For tests that sign with keys of their own
    /// and add them back (`rbac-axum-test` does), so that what they verify
    /// is production's configuration but for the keys. A mistake in the
    /// dropped keys (none at all, a weak secret, an unreadable PEM, a URL
    /// that is not https…) is not dropped: building still refuses it, as
    /// production's build would.
    ///
    /// ```
    /// use rbac_axum::Issuer;
    /// use rbac_axum::jsonwebtoken::{Algorithm, DecodingKey};
    ///
    /// let production = Issuer::new("https://sso.example.com").jwks_url("https://sso.example.com/keys");
    /// let test = production.without_keys().key(None, Algorithm::HS256, DecodingKey::from_secret(&[7; 32]));
    /// assert_eq!(test.settings().iss(), Some("https://sso.example.com"));
    /// ```
    pub fn without_keys(mut self) -> Self {
        if let Err(error) = self.key_plan() {
            self.dropped_keys_error.get_or_insert(error);
        }
        self.keys.clear();
        self.remote = None;
        self.discovery = false;
        self.provider_roots.clear();
        self
    }

    /// What this issuer checks, read back.
    pub fn settings(&self) -> IssuerSettings<'_> {
        IssuerSettings { issuer: self }
    }

    /// Checks this issuer and starts fetching its keys if they are remote
    /// (in `runtime`, the caller's tokio runtime, looked up once).
    pub(crate) fn build(
        mut self,
        runtime: &mut Option<tokio::runtime::Handle>,
    ) -> Result<IssuerConfig, ConfigError> {
        if self.issuer.as_deref() == Some("") {
            return Err(ConfigError::EmptyIssuer);
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyAudience);
        }
        if let Some(error) = self.dropped_keys_error.take() {
            return Err(error);
        }
        let keys = match self.key_plan()? {
            KeyPlan::Static(set) => Keys::Static(set),
            KeyPlan::Remote(source, roots) => Keys::Remote(fetched_keys(
                source,
                self.remote_settings,
                roots,
                runtime_handle(runtime)?,
            )?),
        };
        Ok(IssuerConfig {
            issuer: self.issuer,
            audiences: self.audiences,
            leeway: self.leeway.as_secs(),
            require_subject: self.require_subject,
            require_at_jwt_typ: self.require_at_jwt_typ,
            limit_scopes_to_roles: self.limit_scopes_to_roles,
            mapping: self.mapping,
            keys,
        })
    }

    /// The keys, checked (taken out of `self.keys`): parsed into a set, or
    /// where to fetch them from, nothing fetched yet.
    fn key_plan(&mut self) -> Result<KeyPlan, ConfigError> {
        let configured = configured_keys(std::mem::take(&mut self.keys))?;
        let source = self.key_source()?;
        let roots = self.provider_roots(source.is_some())?;
        match source {
            None => Ok(KeyPlan::Static(static_keys(configured)?)),
            Some(_) if !configured.is_empty() => {
                Err(ConfigError::StaticAndRemoteKeys(self.issuer.clone()))
            }
            Some(source) => {
                let url = match &source {
                    KeySource::JwksUrl(url) | KeySource::Discovery(url) => url,
                };
                if !is_allowed_url(url) {
                    return Err(ConfigError::InsecureUrl(url.clone()));
                }
                Ok(KeyPlan::Remote(source, roots))
            }
        }
    }

    /// The `iss` this issuer's tokens must carry, if set.
    pub(crate) fn name(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Where keys are fetched from, if anywhere: a JWKS URL, or discovery
    /// from the issuer URL.
    fn key_source(&self) -> Result<Option<KeySource>, ConfigError> {
        match (&self.remote, self.discovery) {
            (Some(source), _) => Ok(Some(source.clone())),
            (None, true) => match &self.issuer {
                Some(issuer) => Ok(Some(KeySource::Discovery(issuer.clone()))),
                None => Err(ConfigError::DiscoveryWithoutIssuer),
            },
            (None, false) => Ok(None),
        }
    }

    /// The extra CA certificates for fetching keys; an error when given
    /// without a remote key source.
    fn provider_roots(&self, fetches: bool) -> Result<Vec<reqwest::Certificate>, ConfigError> {
        if !fetches && !self.provider_roots.is_empty() {
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
        Ok(roots)
    }
}

/// The configured keys, or the first mistake found in one.
fn configured_keys(
    pending: Vec<PendingKey>,
) -> Result<Vec<(Option<String>, Algorithm, DecodingKey)>, ConfigError> {
    pending.into_iter().map(|(kid, algorithm, key)| Ok((kid, algorithm, key?))).collect()
}

/// A configured key set, parsed once; at least one key.
fn static_keys(keys: Vec<(Option<String>, Algorithm, DecodingKey)>) -> Result<KeySet, ConfigError> {
    let set = KeySet::new(keys)?;
    if set.is_empty() {
        return Err(ConfigError::NoKeys);
    }
    Ok(set)
}

/// An issuer's keys, checked: a parsed set, or where to fetch them (a URL
/// that may be fetched) with the extra roots to trust.
enum KeyPlan {
    Static(KeySet),
    Remote(KeySource, Vec<reqwest::Certificate>),
}

/// Keys fetched from `source` (checked by [`Issuer::key_plan`]), refreshed
/// in the background on `runtime`.
fn fetched_keys(
    source: KeySource,
    settings: RemoteSettings,
    roots: Vec<reqwest::Certificate>,
    runtime: tokio::runtime::Handle,
) -> Result<std::sync::Arc<RemoteKeys<KeySet>>, ConfigError> {
    let remote = RemoteKeys::new(source, settings, roots, |keys| {
        KeySet::fetched(keys).map_err(|e| e.to_string())
    })
    .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
    remote.spawn_refresher(&runtime);
    Ok(remote)
}

/// The tokio runtime remote keys are fetched in: the one found first, or
/// the caller's.
fn runtime_handle(
    runtime: &mut Option<tokio::runtime::Handle>,
) -> Result<tokio::runtime::Handle, ConfigError> {
    if let Some(handle) = runtime {
        return Ok(handle.clone());
    }
    let handle = tokio::runtime::Handle::try_current().map_err(|_| ConfigError::NoRuntime)?;
    *runtime = Some(handle.clone());
    Ok(handle)
}

/// A checked [`Issuer`].
pub(crate) struct IssuerConfig {
    pub(crate) issuer: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: u64,
    pub(crate) require_subject: bool,
    pub(crate) require_at_jwt_typ: bool,
    pub(crate) limit_scopes_to_roles: bool,
    pub(crate) mapping: ClaimMapping,
    pub(crate) keys: Keys,
}

impl fmt::Debug for IssuerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.keys.describe();
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("leeway", &self.leeway)
            .field("keys", &keys)
            .finish_non_exhaustive()
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

/// What an [`Issuer`] checks, read back (from [`Issuer::settings`] or
/// [`AuthenticatorBuilder::issuers`](crate::AuthenticatorBuilder::issuers)):
/// what a test needs to write tokens that production's configuration
/// accepts.
#[derive(Clone, Copy)]
pub struct IssuerSettings<'a> {
    issuer: &'a Issuer,
}

impl fmt::Debug for IssuerSettings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.issuer.fmt(f)
    }
}

impl<'a> IssuerSettings<'a> {
    /// The `iss` tokens must carry, if one is required.
    pub fn iss(&self) -> Option<&'a str> {
        self.issuer.issuer.as_deref()
    }

    /// The audiences a token's `aud` must name one of (none: `aud` is not
    /// checked).
    pub fn audiences(&self) -> &'a [String] {
        &self.issuer.audiences
    }

    /// The clock skew allowed on `exp` and `nbf`.
    pub fn leeway(&self) -> Duration {
        self.issuer.leeway
    }

    /// Where roles and scopes are read from.
    pub fn claims(&self) -> &'a ClaimMapping {
        &self.issuer.mapping
    }

    /// Whether tokens without `sub` are refused.
    pub fn requires_subject(&self) -> bool {
        self.issuer.require_subject
    }

    /// Whether tokens whose `typ` is not `at+jwt` are refused.
    pub fn requires_at_jwt_typ(&self) -> bool {
        self.issuer.require_at_jwt_typ
    }

    /// Whether a token's scopes are limited to those its roles may be
    /// granted.
    pub fn limits_scopes_to_roles(&self) -> bool {
        self.issuer.limit_scopes_to_roles
    }
}
