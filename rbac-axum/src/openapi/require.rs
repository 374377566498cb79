//! `require!` on a documented router: [`ApiRequire::api_require`] puts the
//! layer on, as `route_layer` does, and documents its requirement on every
//! operation added so far (the routes the layer covers).

use aide::axum::ApiRouter;

use super::operation::{document, operations_mut};
use crate::guard::Requirement;
use crate::require::RequireLayer;
use crate::state::AuthState;

/// `require!` for aide's [`ApiRouter`]: the layer and its documentation.
///
/// ```
/// use aide::axum::{ApiRouter, routing::get};
/// use rbac_axum::openapi::ApiRequire as _;
/// use rbac_axum::{Authenticator, jsonwebtoken::Algorithm};
///
/// rbac_axum::roles! { admin, viewer, scopes: ["users:read"] }
///
/// async fn list_users() -> &'static str {
///     "users"
/// }
///
/// # fn main() -> Result<(), rbac_axum::ConfigError> {
/// let authenticator = Authenticator::<Role>::builder()
///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
///     .build()?;
/// let admin: ApiRouter = ApiRouter::new()
///     .api_route("/users", get(list_users))
///     .api_require(rbac_axum::require!(role = "admin").with_state(&authenticator))
///     .with_state(authenticator);
/// # let _ = admin; Ok(()) }
/// ```
pub trait ApiRequire: Sized {
    /// Puts `layer` on the routes added so far (`route_layer`) and
    /// documents its requirement on each of their operations.
    fn api_require<R, S>(self, layer: RequireLayer<R, S>) -> Self
    where
        R: Requirement,
        S: AuthState<Model = R::Model> + Clone + Send + Sync + 'static;
}

impl<T: Clone + Send + Sync + 'static> ApiRequire for ApiRouter<T> {
    fn api_require<R, S>(self, layer: RequireLayer<R, S>) -> Self
    where
        R: Requirement,
        S: AuthState<Model = R::Model> + Clone + Send + Sync + 'static,
    {
        self.route_layer(layer).with_path_items(|mut item| {
            operations_mut(item.inner_mut()).for_each(document::<R>);
            item
        })
    }
}
