//! Extractors that hand the verified principal to handlers ([`Auth`],
//! [`TokenClaims`], and both as `Option<…>` for endpoints open to anonymous
//! callers), and [`authenticate`], the one way a request's bearer token
//! becomes a principal, for them, the guard, or a layer.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, OptionalFromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::bearer::{attempts_authentication, bearer_token};
use crate::principal::Principal;
use crate::refusal::{AuthError, Rejection};
use crate::state::AuthState;
use crate::token_error::TokenErrorKind;
use crate::verify::Verifier;

/// Extractor for the authenticated principal. As an argument of a
/// `#[requires]` handler it reuses the guard's verification; on its own it
/// authenticates the request (any valid token) with the authenticator of
/// the state's role model ([`AuthState`]) and refuses with 401 otherwise.
///
/// The guard hands the principal over only to handlers whose arguments name
/// `Auth`, [`TokenClaims`] or [`Principal`] (so the others pay for no
/// allocation). An `Auth` reached another way (a type alias, an extractor of
/// your own, `parts.extensions.get::<Auth>()`) does not see the guard's:
/// extracting it authenticates the request again, as for a handler without
/// a guard. That is the same principal unless the token expired in between
/// or your `map_roles` answers differently; it never has rights the guard
/// refused, since the guard has already decided. Name `Auth` in the
/// handler's arguments to get exactly the principal the guard checked.
///
/// ```
/// use rbac_axum::{Auth, requires};
///
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// #[requires(role = "viewer")]
/// async fn me(auth: Auth) -> String {
///     format!("{} is admin: {}", auth.subject().unwrap_or("?"), auth.has_role(Role::Admin))
/// }
/// # fn main() {}
/// ```
///
/// # Optional authentication
///
/// `Option<Auth>` (on a handler without `#[requires]`) serves anonymous
/// callers too: it is `None` when the request makes no attempt to
/// authenticate, and `Some` with a valid token. An attempt that fails is
/// refused exactly as `Auth` refuses it, never served as anonymous: a
/// client that sent credentials is told they did not work, rather than
/// getting the anonymous answer it would take for its own.
///
/// | the request | `Option<Auth>` |
/// |---|---|
/// | no `Authorization` header, no `access_token` in the query | `None` |
/// | `Authorization: Bearer <valid token>` | `Some` |
/// | a bearer token expired, forged, malformed, not yet valid, for another issuer or audience | 401 `invalid_token` |
/// | `Bearer` with no token, two `Authorization` headers, a token in the header and the query | 400 `invalid_request` |
/// | another scheme (`Authorization: Basic …`), or any `Authorization` value that is not a bearer token | 401, bare challenge |
/// | `?access_token=…` without a header | 401, bare challenge |
/// | the keys cannot be had now | 500 |
///
/// Another scheme and a token in the query string are attempts this crate
/// does not accept (it reads bearer tokens from the header only, RFC 6750
/// §2.1): the 401 and its `Bearer` challenge tell the client how to
/// authenticate, where `None` would serve it as anonymous without a word.
/// A form body's `access_token` (RFC 6750 §2.2) is not looked at: reading
/// it would consume the body. The refusals use the application's body
/// ([`refusal_body`](crate::AuthenticatorBuilder::refusal_body)).
///
/// ```
/// use axum::{Router, routing::get};
/// use rbac_axum::{Auth, Authenticator};
///
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// async fn front_page(auth: Option<Auth>) -> String {
///     match auth {
///         Some(auth) if auth.has_role(Role::Admin) => "hello, admin".to_owned(),
///         Some(auth) => format!("hello, {}", auth.subject().unwrap_or("user")),
///         None => "hello, stranger".to_owned(),
///     }
/// }
///
/// fn app(authenticator: Authenticator<Role>) -> Router {
///     Router::new().route("/", get(front_page)).with_state(authenticator)
/// }
/// # fn main() { let _ = app; }
/// ```
#[derive(Debug, Clone)]
pub struct Auth {
    principal: Arc<Principal>,
    /// Which authenticator verified it ([`Verifier::id`]): a principal
    /// is reused only by that one's guard and extractors.
    verifier: u64,
}

impl Auth {
    pub(crate) fn new(principal: Arc<Principal>, verifier: &Verifier) -> Self {
        Self { principal, verifier: verifier.id }
    }

    /// The principal already in `parts` for `verifier`, if an extractor or
    /// the guard put it there; never one another authenticator verified.
    pub(crate) fn earlier(parts: &Parts, verifier: &Verifier) -> Option<Auth> {
        parts.extensions.get::<Auth>().filter(|auth| auth.verifier == verifier.id).cloned()
    }
}

impl Deref for Auth {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<S> FromRequestParts<S> for Auth
where
    S: AuthState,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let authenticator = state.authenticator();
        if let Some(auth) = Auth::earlier(parts, &authenticator.inner) {
            return Ok(auth);
        }
        let auth = Auth::new(
            authenticate(parts, &authenticator.inner, "Auth").await?,
            &authenticator.inner,
        );
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

/// `Option<Auth>`: `None` for a request that makes no attempt to
/// authenticate; any attempt is `Auth`'s (see [`Auth`], "Optional
/// authentication").
impl<S> OptionalFromRequestParts<S> for Auth
where
    S: AuthState,
{
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if anonymous(parts) {
            return Ok(None);
        }
        <Auth as FromRequestParts<S>>::from_request_parts(parts, state).await.map(Some)
    }
}

/// Whether the request makes no attempt to authenticate: what makes an
/// optional extractor `None` (logged at `debug`).
fn anonymous(parts: &Parts) -> bool {
    let anonymous = !attempts_authentication(&parts.headers, parts.uri.query());
    if anonymous {
        tracing::debug!("anonymous: the request has no credentials");
    }
    anonymous
}

/// Extractor for the token's claims as your own `serde::Deserialize` type,
/// read from the payload the guard (or [`Auth`]) already verified. A token
/// whose claims do not fit the type is refused with 401 `invalid_token`.
/// Like [`Auth`], it needs a state that names its role model
/// ([`AuthState`]); and like `Option<Auth>`, `Option<TokenClaims<T>>` is
/// `None` for a request that makes no attempt to authenticate, and refuses
/// one whose attempt fails (or whose claims do not fit `T`).
///
/// ```
/// use rbac_axum::{TokenClaims, requires};
/// rbac_axum::roles! { viewer }
///
/// #[derive(serde::Deserialize)]
/// struct Tenant { tenant: String }
///
/// #[requires(role = "viewer")]
/// async fn handler(TokenClaims(claims): TokenClaims<Tenant>) -> String {
///     claims.tenant
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone)]
pub struct TokenClaims<T>(pub T);

impl<S, T> FromRequestParts<S> for TokenClaims<T>
where
    S: AuthState,
    T: DeserializeOwned,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = <Auth as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        auth.claims_as().map(TokenClaims).map_err(|error| {
            tracing::info!(%error, "refused: the token's claims do not fit the handler's type");
            state.authenticator().reject(AuthError::InvalidToken(
                "the token's claims lack a field this resource needs".into(),
            ))
        })
    }
}

/// `Option<TokenClaims<T>>`: `None` exactly when `Option<Auth>` is.
impl<S, T> OptionalFromRequestParts<S> for TokenClaims<T>
where
    S: AuthState,
    T: DeserializeOwned,
{
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if anonymous(parts) {
            return Ok(None);
        }
        <TokenClaims<T> as FromRequestParts<S>>::from_request_parts(parts, state).await.map(Some)
    }
}

/// Reads and verifies the request's bearer token; logs why when it refuses.
/// Not generic: compiled once for every handler and extractor.
pub(crate) async fn authenticate(
    parts: &Parts,
    authenticator: &Verifier,
    handler: &'static str,
) -> Result<Arc<Principal>, Rejection> {
    // The route pattern the request matched, once routed.
    let route = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str);
    let token = bearer_token(&parts.headers, parts.uri.query()).map_err(|error| {
        let error = AuthError::of_bearer(error);
        tracing::info!(handler, route, reason = %error, "refused: no usable bearer token");
        authenticator.reject(error)
    })?;
    match authenticator.verify_fresh(token).await {
        Ok(principal) => Ok(principal),
        Err(error) => {
            if error.kind() == TokenErrorKind::Server {
                tracing::error!(handler, route, reason = %error, "refused: cannot verify tokens now");
            } else if matches!(error.kind(), TokenErrorKind::Unavailable { .. }) {
                tracing::warn!(handler, route, reason = %error, "refused: revocations unavailable");
            } else {
                tracing::info!(handler, route, reason = %error, "refused: invalid token");
            }
            Err(authenticator.reject(AuthError::of_token(error)))
        }
    }
}
