//! How the guard and the extractors find their [`Authenticator`] in the
//! router state: [`AuthState`], which names the state's role model and
//! gives its authenticator, and [`HasAuthenticator`], the `FromRef` bridge
//! `roles! { state = … }` implements it through.

use axum::extract::FromRef;
use rbac_core::RoleModel;

use crate::authenticator::Authenticator;

/// A router state that holds an `Authenticator<R>`: every state from which
/// axum's `FromRef` gives one, the authenticator itself included.
/// `roles! { state = AppState, … }` requires it of `AppState`, so that a
/// missing `FromRef` is reported there, once, with this trait's message.
///
/// ```
/// use axum::extract::FromRef;
/// use rbac_axum::{Authenticator, HasAuthenticator};
///
/// rbac_axum::roles! { state = AppState, admin: viewer, viewer }
///
/// #[derive(Clone, FromRef)]
/// struct AppState {
///     authenticator: Authenticator<Role>,
///     greeting: &'static str,
/// }
///
/// fn realm_of(state: &impl HasAuthenticator<Role>) -> String {
///     state.authenticator().realm().to_owned()
/// }
/// # let authenticator = Authenticator::<Role>::builder()
/// #     .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [3u8; 32]).build()?;
/// # assert_eq!(realm_of(&AppState { authenticator, greeting: "hi" }), "api");
/// # Ok::<(), rbac_axum::ConfigError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "the router state `{Self}` holds no `Authenticator<{R}>`",
    label = "no `Authenticator<{R}>` in this state",
    note = "derive `axum::extract::FromRef` on `{Self}` with a field of type `Authenticator<{R}>`, \
            or implement `FromRef<{Self}>` for `Authenticator<{R}>`; \
            or use the authenticator itself as the state: `.with_state(authenticator)`"
)]
pub trait HasAuthenticator<R: RoleModel> {
    /// The state's authenticator for `R`.
    fn authenticator(&self) -> Authenticator<R>;
}

#[diagnostic::do_not_recommend]
impl<S, R> HasAuthenticator<R> for S
where
    R: RoleModel,
    Authenticator<R>: FromRef<S>,
{
    fn authenticator(&self) -> Authenticator<R> {
        Authenticator::from_ref(self)
    }
}

/// A router state the guard, [`Auth`](crate::Auth) and
/// [`TokenClaims`](crate::TokenClaims) can use: it names its role model
/// and gives its authenticator. Every `Authenticator<R>` is one (its model
/// is `R`); `roles! { state = AppState, … }` makes `AppState` one, through
/// its `FromRef` (checked there, with [`HasAuthenticator`]'s message). Or
/// implement it beside your state when `roles!` is in another crate.
///
/// A handler whose roles are not the state's model does not compile
/// against that state. A service with two role models gives each its own
/// router and state, and merges the routers once their state is set
/// (`Router::merge` after `with_state`).
///
/// ```
/// use axum::{Router, routing::get};
/// use rbac_axum::{Authenticator, requires};
///
/// mod staff {
///     rbac_axum::roles! { manager, clerk }
/// }
/// rbac_axum::roles! { admin, viewer }
///
/// #[requires(role = "admin")]
/// async fn users() {}
///
/// #[requires(model = crate::staff::Role, role = "manager")]
/// async fn payroll() {}
///
/// # fn build() -> Result<(), rbac_axum::ConfigError> {
/// # use rbac_axum::jsonwebtoken::Algorithm::HS256;
/// let customers = Authenticator::<Role>::builder().hmac(HS256, [1u8; 32]).build()?;
/// let employees = Authenticator::<staff::Role>::builder().hmac(HS256, [2u8; 32]).build()?;
/// let app: Router = Router::new()
///     .route("/users", get(users))
///     .with_state(customers)
///     .merge(Router::new().route("/payroll", get(payroll)).with_state(employees));
/// # Ok(()) }
/// # fn main() { build().unwrap() }
/// ```
#[diagnostic::on_unimplemented(
    message = "the router state `{Self}` is not declared for `#[requires]`, `Auth` or `TokenClaims`",
    label = "no role model or authenticator known for this state",
    note = "name the state in `roles!`: `roles! {{ state = {Self}, … }}`, \
            or implement `rbac_axum::AuthState` for `{Self}`"
)]
pub trait AuthState: Send + Sync {
    /// The `Role` type `roles!` generated for this state's authenticator.
    type Model: RoleModel;

    /// The state's authenticator.
    fn authenticator(&self) -> Authenticator<Self::Model>;
}

impl<R: RoleModel> AuthState for Authenticator<R> {
    type Model = R;

    fn authenticator(&self) -> Authenticator<R> {
        self.clone()
    }
}
