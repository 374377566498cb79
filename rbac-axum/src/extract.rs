//! Extractors that hand the verified principal to handlers ([`Auth`],
//! [`TokenClaims`]), and [`authenticate`], the one way a request's bearer
//! token becomes a principal, for them, the guard, or a layer.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::bearer::bearer_token;
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

/// Extractor for the token's claims as your own `serde::Deserialize` type,
/// read from the payload the guard (or [`Auth`]) already verified. A token
/// whose claims do not fit the type is refused with 401 `invalid_token`.
/// Like [`Auth`], it needs a state that names its role model
/// ([`AuthState`]).
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
        let auth = Auth::from_request_parts(parts, state).await?;
        auth.claims_as().map(TokenClaims).map_err(|error| {
            tracing::info!(%error, "refused: the token's claims do not fit the handler's type");
            state.authenticator().reject(AuthError::InvalidToken(
                "the token's claims lack a field this resource needs".into(),
            ))
        })
    }
}

/// Reads and verifies the request's bearer token; logs why when it refuses.
/// Not generic: compiled once for every handler and extractor.
pub(crate) async fn authenticate(
    parts: &Parts,
    authenticator: &Verifier,
    handler: &'static str,
) -> Result<Arc<Principal>, Rejection> {
    let token = bearer_token(&parts.headers, parts.uri.query()).map_err(|error| {
        let error = AuthError::of_bearer(error);
        tracing::info!(handler, reason = %error, "refused: no usable bearer token");
        authenticator.reject(error)
    })?;
    match authenticator.verify_fresh(token).await {
        Ok(principal) => Ok(principal),
        Err(error) => {
            if error.kind() == TokenErrorKind::Server {
                tracing::error!(handler, reason = %error, "refused: cannot verify tokens now");
            } else {
                tracing::info!(handler, reason = %error, "refused: invalid token");
            }
            Err(authenticator.reject(AuthError::of_token(error)))
        }
    }
}
