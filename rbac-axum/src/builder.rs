//! [`AuthenticatorBuilder`]: an [`Authenticator`]'s configuration, checked
//! once by [`build`](AuthenticatorBuilder::build).

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::response::IntoResponse;
use jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, DecodingKey};
use rbac_core::RoleModel;

use crate::authenticator::Authenticator;
use crate::cache::TokenCache;
use crate::config_error::ConfigError;
use crate::issuer::{Issuer, IssuerConfig, IssuerSettings};
use crate::mapping::{ClaimMapping, ClaimPath};
use crate::refusal_body::{BodyDescription, Refusal, RenderBody};
use crate::remote::RemoteSettings;
use crate::resource_metadata::ResourceMetadata;
use crate::revocation::RevocationStore;
use crate::verify::Verifier;

/// Default cap on a token's length, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

impl<R: RoleModel> Authenticator<R> {
    /// Starts a configuration for the roles declared by `roles!` (`R` is the
    /// generated `Role` type): `Authenticator::<Role>::builder()`.
    /// Defaults: realm `api`, no leeway, tokens up to 8 KiB, roles from the
    /// `roles` claim, `sub` optional, any `typ`.
    pub fn builder() -> AuthenticatorBuilder<R> {
        AuthenticatorBuilder::new()
    }
}

/// Builds an [`Authenticator`]; see [`Authenticator::builder`]. The
/// per-issuer methods (`hmac`, `jwks_url`, `audience`, …) configure the one
/// issuer most services have; [`trust`](Self::trust) adds more.
#[must_use]
pub struct AuthenticatorBuilder<R: RoleModel> {
    model: PhantomData<fn() -> R>,
    realm: String,
    max_token_bytes: usize,
    cached_tokens: usize,
    refusal_body: Option<RenderBody>,
    /// What `refusal_body`'s renderer writes, when described.
    refusal_description: Option<BodyDescription>,
    install_crypto_provider: bool,
    primary: Issuer,
    /// Whether any of the primary issuer's settings was given.
    primary_set: bool,
    others: Vec<Issuer>,
    resource_metadata: Option<ResourceMetadata>,
    revocation: Option<Arc<dyn RevocationStore>>,
}

/// Forwards an [`Issuer`] method to the builder's primary issuer.
macro_rules! primary_issuer {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $(#[$doc])*
        ///
        #[doc = concat!("Configures the primary issuer; see [`Issuer::", stringify!($name), "`].")]
        pub fn $name(mut self, $($arg: $ty),*) -> Self {
            self.primary = self.primary.$name($($arg),*);
            self.primary_set = true;
            self
        }
    )*};
}

impl<R: RoleModel> AuthenticatorBuilder<R> {
    fn new() -> Self {
        Self {
            model: PhantomData,
            realm: "api".to_owned(),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            cached_tokens: 0,
            refusal_body: None,
            refusal_description: None,
            install_crypto_provider: true,
            primary: Issuer::unnamed(),
            primary_set: false,
            others: Vec::new(),
            resource_metadata: None,
            revocation: None,
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
        /// Limits a token's scopes to those its roles may be granted
        /// (`roles!`'s `=> [...]`, inherited), dropping the others; default
        /// off, scopes taken as the token carries them.
        ///
        /// ```
        /// use rbac_axum::Authenticator;
        /// use rbac_axum::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
        ///
        /// rbac_axum::roles! {
        ///     editor: viewer => ["posts:write"],
        ///     viewer => ["posts:read"],
        ///     scopes: ["posts:read", "posts:write"],
        /// }
        ///
        /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
        /// let secret = b"at least 32 bytes of secret material";
        /// let authenticator = Authenticator::<Role>::builder()
        ///     .hmac(Algorithm::HS256, secret)
        ///     .limit_scopes_to_roles(true)
        ///     .build()?;
        ///
        /// // A viewer's token that carries an editor's scope.
        /// # let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() + 60;
        /// let claims = serde_json::json!({
        ///     "exp": exp, "roles": ["viewer"], "scope": "posts:read posts:write",
        /// });
        /// let token = jsonwebtoken::encode(
        ///     &Header::default(), &claims, &EncodingKey::from_secret(secret),
        /// )?;
        /// let principal = authenticator.verify(&token)?;
        /// assert_eq!(principal.scopes(), ["posts:read"]);
        /// assert!(!principal.has_scope("posts:write"));
        /// # Ok(()) }
        /// ```
        fn limit_scopes_to_roles(limit: bool);
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

    /// The issuers configured so far: the primary one first (when it has an
    /// issuer or keys), then those added with [`trust`](Self::trust).
    pub fn issuers(&self) -> impl Iterator<Item = IssuerSettings<'_>> {
        let primary = self.primary.is_configured().then_some(&self.primary);
        primary.into_iter().chain(&self.others).map(Issuer::settings)
    }

    /// Replaces each configured issuer with `f` of it: what a test uses to
    /// swap production's keys for its own, with
    /// [`Issuer::without_keys`], keeping every other setting.
    ///
    /// ```
    /// use rbac_axum::Authenticator;
    /// use rbac_axum::jsonwebtoken::{Algorithm, DecodingKey};
    /// rbac_axum::roles! { admin, viewer }
    ///
    /// # fn main() -> Result<(), rbac_axum::ConfigError> {
    /// let production = Authenticator::<Role>::builder()
    ///     .issuer("https://sso.example.com")
    ///     .audience("orders-api")
    ///     .jwks_url("https://sso.example.com/keys");
    /// let test_key = DecodingKey::from_secret(&[7; 32]);
    /// let authenticator = production
    ///     .map_issuers(|issuer| issuer.without_keys().key(None, Algorithm::HS256, test_key.clone()))
    ///     .build()?;
    /// # let _ = authenticator; Ok(()) }
    /// ```
    pub fn map_issuers(mut self, mut f: impl FnMut(Issuer) -> Issuer) -> Self {
        if self.primary.is_configured() {
            self.primary = f(std::mem::replace(&mut self.primary, Issuer::unnamed()));
        }
        self.others = std::mem::take(&mut self.others).into_iter().map(f).collect();
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
    ///   cache (a JWT is checked locally either way), unless
    ///   [`revocation`](Self::revocation) is on, whose check runs on every
    ///   cache hit too;
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

    /// Renders the body of every refusal in the application's format: the
    /// 400, 401, 403 and 500 answers of the guard, of [`Auth`](crate::Auth)
    /// and [`TokenClaims`](crate::TokenClaims) (also as `Option<…>`), and
    /// of [`Authenticator::reject`]. `render` gets the [`Refusal`] (its
    /// kind, status, RFC 6750 code, description, what was missing, the
    /// realm; never the token or a key) and returns any axum
    /// `IntoResponse`: `Json(…)`, `(headers, body)`, the application's own
    /// error type. Ready-made: [`Refusal::problem_json`] (RFC 9457) and
    /// [`Refusal::oauth_json`] (the default, when this is not called).
    ///
    /// The status and `WWW-Authenticate` are RFC 6750's, not the
    /// renderer's: whatever status it returns is replaced by the
    /// refusal's, a `WWW-Authenticate` it sets is replaced by the challenge
    /// (or removed, on a 500, which has none). Its other headers are kept.
    /// A renderer that panics gets the default body in its place, logged
    /// at `error`; the request is refused all the same (with the default
    /// `panic = "unwind"`; under `abort` the process ends).
    ///
    /// ```
    /// use axum::{Json, http::header::CONTENT_LANGUAGE};
    /// use rbac_axum::{Authenticator, Refusal, jsonwebtoken::Algorithm};
    /// use serde_json::json;
    ///
    /// rbac_axum::roles! { admin: viewer, viewer }
    ///
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
    ///     .refusal_body(|refusal: &Refusal| {
    ///         // The application's own error shape.
    ///         let needs = [refusal.missing_roles(), refusal.missing_scopes()].concat();
    ///         let body = json!({
    ///             "code": refusal.code().unwrap_or("unauthenticated"),
    ///             "message": refusal.description(),
    ///             "needs": needs,
    ///         });
    ///         ([(CONTENT_LANGUAGE, "en")], Json(body))
    ///     })
    ///     .build()?;
    ///
    /// let refusal = authenticator.reject(rbac_axum::AuthError::MissingCredentials);
    /// let response = axum::response::IntoResponse::into_response(refusal);
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="api""#);
    /// assert_eq!(response.headers()["content-language"], "en");
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn refusal_body<F, B>(mut self, render: F) -> Self
    where
        F: Fn(&Refusal) -> B + Send + Sync + 'static,
        B: IntoResponse,
    {
        self.refusal_body =
            Some(Arc::new(move |refusal: &Refusal| render(refusal).into_response()));
        self.refusal_description = None;
        self
    }

    /// As [`refusal_body`](Self::refusal_body), and says what the body is:
    /// its media type and JSON Schema, which API documentation shows
    /// (`rbac_axum::openapi::ApiDocs::refusals_of`).
    ///
    /// ```
    /// use rbac_axum::{Authenticator, Refusal, jsonwebtoken::Algorithm};
    ///
    /// rbac_axum::roles! { admin: viewer, viewer }
    ///
    /// let (media_type, schema) = Refusal::problem_json_schema();
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
    ///     .refusal_body_described(Refusal::problem_json, media_type, schema)
    ///     .build()?;
    /// # let _ = authenticator;
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn refusal_body_described<F, B>(
        self,
        render: F,
        media_type: impl Into<String>,
        schema: serde_json::Value,
    ) -> Self
    where
        F: Fn(&Refusal) -> B + Send + Sync + 'static,
        B: IntoResponse,
    {
        let mut builder = self.refusal_body(render);
        builder.refusal_description =
            Some(BodyDescription { media_type: media_type.into(), schema });
        builder
    }

    /// Publishes OAuth 2.0 Protected Resource Metadata (RFC 9728) for the
    /// API, which MCP clients and other OAuth clients read to find where
    /// to get a token: [`Authenticator::resource_metadata_routes`] serves
    /// it, at [`Authenticator::resource_metadata_url`]. Besides what
    /// `metadata` holds, the document lists the trusted issuers' `iss` as
    /// `authorization_servers` (each must then be an https URL, plain
    /// http only on a loopback address: `build` names one that is not),
    /// the scopes `roles!` declares as `scopes_supported`, and
    /// `bearer_methods_supported: ["header"]`.
    ///
    /// ```
    /// use rbac_axum::{Authenticator, ResourceMetadata};
    /// use rbac_axum::jsonwebtoken::Algorithm;
    ///
    /// rbac_axum::roles! {
    ///     admin: viewer => ["tools:call"],
    ///     viewer => ["tools:list"],
    ///     scopes: ["tools:list", "tools:call"],
    /// }
    ///
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
    ///     .issuer("https://sso.example.com")
    ///     .audience("https://api.example.com/mcp") // tokens asked for this resource
    ///     .resource_metadata(ResourceMetadata::new("https://api.example.com/mcp")?)
    ///     .build()?;
    /// assert_eq!(
    ///     authenticator.resource_metadata_url(),
    ///     Some("https://api.example.com/.well-known/oauth-protected-resource/mcp"),
    /// );
    /// assert_eq!(
    ///     authenticator.resource_metadata_json(),
    ///     Some(concat!(
    ///         r#"{"resource":"https://api.example.com/mcp","#,
    ///         r#""authorization_servers":["https://sso.example.com"],"#,
    ///         r#""scopes_supported":["tools:list","tools:call"],"#,
    ///         r#""bearer_methods_supported":["header"]}"#,
    ///     )),
    /// );
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        self.resource_metadata = Some(metadata);
        self
    }

    /// Refuses tokens revoked before they expire, as `store` says (off by
    /// default): one token by its `iss` and `jti`, or every token of a
    /// subject (`iss`, `sub`) issued before a cut-off ("log out
    /// everywhere", a role change). [`InMemoryRevocations`](crate::InMemoryRevocations)
    /// is a store for one instance; see [`RevocationStore`] for others.
    ///
    /// The check runs after the signature and the claims, before the
    /// decision, on every request: a token served from the verified-token
    /// cache is checked on each hit (looked up again once the store's
    /// [`generation`](RevocationStore::generation) has changed since it
    /// was last found unrevoked). A revoked token is 401
    /// `invalid_token`, "the token has been revoked". It reads the token's
    /// claims where verification left them: no parsing, no allocation, no
    /// I/O on the request path.
    ///
    /// With revocation on, the policies are:
    /// * **`jti`, `sub` and `iat` are required** (non-empty strings, and a
    ///   non-negative number of seconds): a token without one could not be
    ///   revoked by it, so it is refused (401 `invalid_token`, naming the
    ///   claim); so is `iss`, since every issuer names its own. An `iat`
    ///   more than the leeway and one second ahead of this server's clock
    ///   is refused too. That bounds, but does not close, what an issuer
    ///   whose clock runs ahead can do: a token stamped ahead passes the
    ///   cut-offs set before its `iat` once the server's clock has reached
    ///   it. Cut-offs hold as stated while the issuer's clock runs ahead by
    ///   at most the leeway.
    /// * **Tokens live at most the store's
    ///   [`max_token_lifetime`](RevocationStore::max_token_lifetime)**
    ///   (`exp` − `iat`); longer-lived ones are refused, because the store
    ///   may forget a subject's cut-off once every token it refuses has
    ///   expired, which that lifetime (and the leeway) bounds.
    /// * **A cut-off is a whole second `C`, refusing a token when
    ///   `iat` − leeway < `C`**: `iat` counts whole seconds (a fraction is
    ///   dropped), so every token issued in the second of the revocation
    ///   or before is refused, and a token stamped `iat` ≥ `C` + leeway
    ///   passes. [`InMemoryRevocations::revoke_subject`](crate::InMemoryRevocations::revoke_subject)
    ///   sets `C` to the second after the revocation and returns it. A
    ///   token's `iat` must be no later than the moment its claims (its
    ///   roles) were read, or a token read before a second change in the
    ///   same second would pass that change's cut-off: to give a user a
    ///   fresh token right after a role change, the issuer waits until
    ///   `C` + leeway, then reads the user and stamps that time. One issued
    ///   in the revocation's second is refused.
    /// * **Clock skew**: the issuer's [`leeway`](Self::leeway) counts
    ///   against the token, never for it: a token issued up to `leeway`
    ///   seconds after a cut-off (by the issuer's clock, which may run
    ///   ahead) is refused too, and a revoked token is remembered until
    ///   `exp` + leeway, as long as it could be accepted. [`build`](Self::build)
    ///   refuses an issuer whose leeway is longer than the store's
    ///   [`max_leeway`](RevocationStore::max_leeway).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use rbac_axum::{Authenticator, InMemoryRevocations};
    /// use rbac_axum::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
    ///
    /// rbac_axum::roles! { admin, viewer }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let secret = b"at least 32 bytes of secret material";
    /// let revocations = Arc::new(InMemoryRevocations::new(Duration::from_secs(3600)));
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, secret)
    ///     .issuer("https://sso.example.com")
    ///     .revocation(revocations.clone())
    ///     .build()?;
    ///
    /// let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    /// let claims = serde_json::json!({
    ///     "iss": "https://sso.example.com", "sub": "user-1", "jti": "8d1e",
    ///     "iat": now, "exp": now + 600, "roles": ["viewer"],
    /// });
    /// let key = EncodingKey::from_secret(secret);
    /// let token = jsonwebtoken::encode(&Header::default(), &claims, &key)?;
    /// assert!(authenticator.verify(&token).is_ok());
    ///
    /// revocations.revoke_token("https://sso.example.com", "8d1e", now + 600);
    /// let refused = authenticator.verify(&token).unwrap_err();
    /// assert_eq!(refused.message(), "the token has been revoked");
    /// # Ok(()) }
    /// ```
    pub fn revocation(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocation = Some(store);
        self
    }

    /// Whether [`build`](Self::build) installs `jsonwebtoken`'s aws-lc-rs
    /// crypto provider as the process default (default: yes). Verification
    /// here never needs it (its keys are parsed with aws-lc-rs directly),
    /// but `jsonwebtoken::encode`/`decode` calls elsewhere in the process
    /// do, and panic without one when both of its backend features end up
    /// in one build. Turn it off when the application installs its own
    /// provider; installing never replaces one already installed.
    pub fn install_default_crypto_provider(mut self, install: bool) -> Self {
        self.install_crypto_provider = install;
        self
    }

    /// Checks the configuration and builds the authenticator. With remote
    /// keys it must run inside a tokio runtime, where it starts fetching.
    ///
    /// Unless turned off with
    /// [`install_default_crypto_provider`](Self::install_default_crypto_provider),
    /// it also installs `jsonwebtoken`'s aws-lc-rs provider as the process
    /// default, if none is installed yet.
    pub fn build(self) -> Result<Authenticator<R>, ConfigError> {
        if self.install_crypto_provider {
            // Fails only when a provider is installed already: that one stays.
            let _ = DEFAULT_PROVIDER.install_default();
        }
        if self.primary_set && !self.primary.is_configured() && !self.others.is_empty() {
            return Err(ConfigError::SettingsWithoutIssuer);
        }
        let resource_metadata = match &self.resource_metadata {
            Some(metadata) => {
                let issuers = self.issuers().filter_map(|issuer| issuer.iss());
                Some(metadata.publish(issuers, R::SCHEMA.scopes())?)
            }
            None => None,
        };
        let issuers = build_issuers(self.primary, self.others)?;
        if let Some(store) = &self.revocation {
            // Revocations are filed under the token's `iss`: an issuer that
            // accepts any `iss` would let a token naming another one miss
            // its revocation.
            if issuers.iter().any(|issuer| issuer.issuer.is_none()) {
                return Err(ConfigError::RevocationWithoutIssuer);
            }
            let kept = store.max_leeway().as_secs();
            if let Some(issuer) = issuers.iter().find(|issuer| issuer.leeway > kept) {
                return Err(ConfigError::RevocationLeeway { leeway: issuer.leeway, kept });
            }
        }
        let cache = match self.cached_tokens {
            0 => None,
            entries => Some(TokenCache::new(entries).map_err(|_| ConfigError::NoRandomness)?),
        };
        static BUILT: AtomicU64 = AtomicU64::new(0);
        Ok(Authenticator::new(Verifier {
            id: BUILT.fetch_add(1, Ordering::Relaxed),
            schema: R::SCHEMA,
            realm: Arc::from(self.realm),
            max_token_bytes: self.max_token_bytes,
            issuers,
            cache,
            resource_metadata,
            refusal_body: self.refusal_body,
            refusal_description: self.refusal_description,
            revocation: self.revocation,
        }))
    }
}

/// The primary issuer (when configured, or alone) and the others, each
/// checked; with several, each must name a distinct `iss`.
fn build_issuers(primary: Issuer, others: Vec<Issuer>) -> Result<Vec<IssuerConfig>, ConfigError> {
    let mut specs = Vec::new();
    if primary.is_configured() || others.is_empty() {
        specs.push(primary);
    }
    specs.extend(others);
    if specs.len() > 1 {
        let mut seen: Vec<&str> = Vec::new();
        for spec in &specs {
            match spec.name() {
                None => {
                    return Err(ConfigError::AmbiguousIssuers("one has no issuer string".into()));
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
    specs.into_iter().map(|spec| spec.build(&mut runtime)).collect()
}
