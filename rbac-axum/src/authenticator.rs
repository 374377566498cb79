//! [`Authenticator`]: the public face of verification. What it checks, and
//! how, is in the pipeline (`verify`); how it is configured, in `builder`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::Router;
use rbac_core::{RoleModel, Schema};

use crate::principal::Principal;
use crate::refusal::{AuthError, Rejection};
use crate::token_error::{Failure, TokenError};
use crate::verify::Verifier;
use crate::window::now;

/// Validates bearer JWTs and maps them to a [`Principal`] for one role model,
/// `R` (the `Role` type `roles!` generates): a handler whose `#[requires]`
/// names another model's roles does not compile against it. Cheap to clone
/// (an `Arc`); use it as the router state, or put it in yours and derive
/// `FromRef` (see [`HasAuthenticator`](crate::HasAuthenticator)).
///
/// ```
/// use rbac_axum::{Authenticator, jsonwebtoken::Algorithm};
///
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// let authenticator = Authenticator::<Role>::builder()
///     .hmac(Algorithm::HS256, b"a development secret of 32+ bytes!!")
///     .issuer("https://issuer.example")
///     .audience("my-api")
///     .build()?;
/// # Ok::<(), rbac_axum::ConfigError>(())
/// ```
pub struct Authenticator<R: RoleModel> {
    pub(crate) inner: Arc<Verifier>,
    model: PhantomData<fn() -> R>,
}

impl<R: RoleModel> Clone for Authenticator<R> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), model: PhantomData }
    }
}

impl<R: RoleModel> fmt::Debug for Authenticator<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Authenticator")
            .field("model", &std::any::type_name::<R>())
            .field("realm", &inner.realm)
            .field("issuers", &inner.issuers)
            .finish_non_exhaustive()
    }
}

impl<R: RoleModel> Authenticator<R> {
    pub(crate) fn new(inner: Verifier) -> Self {
        Self { inner: Arc::new(inner), model: PhantomData }
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The declared roles and scopes this authenticator maps tokens to.
    pub fn schema(&self) -> &'static Schema {
        self.inner.schema
    }

    /// Validates `token` (the bearer value, without the scheme) with the
    /// keys known now, and maps it to a principal. Never fetches: use
    /// [`verify_fresh`](Self::verify_fresh) where a token may name a key
    /// the provider has just published. With the verified-token cache
    /// ([`AuthenticatorBuilder::cache_verified_tokens`](crate::AuthenticatorBuilder::cache_verified_tokens)), a token verified
    /// before and still valid is answered from it.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        match &self.inner.cache {
            None => self.inner.verify_owned(token, now()),
            Some(_) => self.inner.verify_shared(token, now()).map(Arc::unwrap_or_clone),
        }
        .map_err(Failure::into_error)
    }

    /// Validates `token` like [`verify`](Self::verify); when it names a
    /// `kid` no fetched key has (or no keys were fetched yet), fetches the
    /// issuer's key set once more (at most once per `min_refetch`, shared by
    /// concurrent requests) and tries again.
    pub async fn verify_fresh(&self, token: &str) -> Result<Principal, TokenError> {
        self.inner.verify_fresh(token).await.map(Arc::unwrap_or_clone)
    }

    /// Waits until every remote issuer has a key set, or `timeout` passes;
    /// returns whether all have one. Static keys are always ready. Requests
    /// before that are refused (500), never let through.
    pub async fn wait_for_keys(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let ready = self.inner.issuers.iter().all(|issuer| issuer.keys.is_ready());
            if ready {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// How many key-set fetches have been attempted, over all issuers (for
    /// metrics and tests).
    pub fn key_fetches(&self) -> u64 {
        self.inner.issuers.iter().map(|issuer| issuer.keys.fetch_count()).sum()
    }

    /// Where this authenticator's protected resource metadata (RFC 9728)
    /// is, when it publishes some
    /// ([`AuthenticatorBuilder::resource_metadata`](crate::AuthenticatorBuilder::resource_metadata)):
    /// the URL a 401's challenge names in `resource_metadata="…"` (RFC 9728
    /// §5.1), where an MCP client starts looking for an authorization
    /// server. See [`ResourceMetadata::url`](crate::ResourceMetadata::url).
    pub fn resource_metadata_url(&self) -> Option<&str> {
        self.inner.resource_metadata.as_ref().map(|metadata| &*metadata.url)
    }

    /// The protected resource metadata document, the JSON text
    /// [`resource_metadata_routes`](Self::resource_metadata_routes) serves
    /// (an example is on
    /// [`AuthenticatorBuilder::resource_metadata`](crate::AuthenticatorBuilder::resource_metadata)).
    pub fn resource_metadata_json(&self) -> Option<&str> {
        self.inner.resource_metadata.as_ref().map(|metadata| metadata.json())
    }

    /// Routes serving the protected resource metadata at its well-known
    /// path (`/.well-known/oauth-protected-resource`, then the resource
    /// identifier's path, RFC 9728 §3.1), to merge into the service's
    /// router, whatever its state: `200` to `GET` and `HEAD`, with
    /// `Content-Type: application/json` and
    /// `Cache-Control: public, max-age=3600`, and no token required (it
    /// is how a client without one learns where to get one). Without
    /// resource metadata configured, a router with no route.
    ///
    /// The path is the identifier's as the service itself sees it: behind
    /// a proxy that strips a prefix, route the well-known path there.
    /// Browser clients on other origins also need CORS on it, which is a
    /// layer of the application's (tower-http's `CorsLayer`).
    ///
    /// ```
    /// use axum::{Router, body::Body, http::Request, routing::post};
    /// use rbac_axum::{Authenticator, ResourceMetadata, jsonwebtoken::Algorithm, requires};
    /// use tower_service::Service as _;
    ///
    /// rbac_axum::roles! { user, scopes: ["mcp:tools"] }
    ///
    /// #[requires(role = "user", scope = "mcp:tools")]
    /// async fn mcp(body: String) -> String {
    ///     body
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
    ///     .issuer("https://sso.example.com")
    ///     .resource_metadata(ResourceMetadata::new("https://api.example.com/mcp")?)
    ///     .build()?;
    /// let mut app: Router = Router::new()
    ///     .route("/mcp", post(mcp))
    ///     .merge(authenticator.resource_metadata_routes())
    ///     .with_state(authenticator);
    ///
    /// let request = Request::get("/.well-known/oauth-protected-resource/mcp").body(Body::empty())?;
    /// let response = app.call(request).await?;
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["content-type"], "application/json");
    /// # Ok(()) }
    /// ```
    pub fn resource_metadata_routes<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        match &self.inner.resource_metadata {
            Some(metadata) => metadata.routes(),
            None => Router::new(),
        }
    }

    /// A refusal challenging for this authenticator's realm, for handlers
    /// that refuse after the guard (a resource check, a deleted account).
    ///
    /// ```
    /// # use rbac_axum::{AuthError, Authenticator, jsonwebtoken::Algorithm};
    /// # rbac_axum::roles! { viewer }
    /// # let authenticator = Authenticator::<Role>::builder().hmac(Algorithm::HS256, [1u8; 32]).build()?;
    /// let refusal = authenticator.reject(AuthError::InvalidToken("the account was deleted".into()));
    /// assert_eq!(refusal.error.status(), 401);
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn reject(&self, error: AuthError) -> Rejection {
        self.inner.reject(error)
    }

    /// What its refusals' body is, when the builder was told
    /// ([`refusal_body_described`](crate::AuthenticatorBuilder::refusal_body_described)):
    /// the media type and the JSON Schema. `None` for the default body, and
    /// for a renderer given to
    /// [`refusal_body`](crate::AuthenticatorBuilder::refusal_body) alone
    /// ([`has_own_refusal_body`](Self::has_own_refusal_body) tells them apart).
    ///
    /// ```
    /// use rbac_axum::{Authenticator, Refusal, jsonwebtoken::Algorithm};
    ///
    /// rbac_axum::roles! { viewer }
    ///
    /// let (media_type, schema) = Refusal::problem_json_schema();
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, [1u8; 32])
    ///     .refusal_body_described(Refusal::problem_json, media_type, schema)
    ///     .build()?;
    /// let (described, _) = authenticator.refusal_body_description().expect("described");
    /// assert_eq!(described, "application/problem+json");
    /// assert!(authenticator.has_own_refusal_body());
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn refusal_body_description(&self) -> Option<(&str, &serde_json::Value)> {
        let described = self.inner.refusal_description.as_ref()?;
        Some((described.media_type.as_str(), &described.schema))
    }

    /// Whether refusals have the application's body rather than the
    /// default one ([`Refusal::oauth_json`](crate::Refusal::oauth_json)).
    pub fn has_own_refusal_body(&self) -> bool {
        self.inner.refusal_body.is_some()
    }
}
