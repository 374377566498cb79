//! Role-based access control for [axum], declared on handlers, checked by the
//! compiler, enforced from OAuth 2.0 bearer JWTs.
//!
//! ```
//! use axum::{Router, routing::delete, extract::Path, http::StatusCode};
//! use rbac_axum::{Authenticator, jsonwebtoken::Algorithm, requires};
//!
//! rbac_axum::roles! {
//!     admin: editor => ["users:write"],
//!     editor: viewer => ["posts:write"],
//!     viewer => ["posts:read"],
//!     scopes: ["users:write", "posts:read", "posts:write"],
//! }
//!
//! #[requires(role = "admin", scope = "users:write")]
//! async fn delete_user(Path(id): Path<u64>) -> StatusCode {
//!     StatusCode::NO_CONTENT
//! }
//!
//! # fn main() -> Result<(), rbac_axum::ConfigError> {
//! let authenticator = Authenticator::<Role>::builder()
//!     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/users/{id}", delete(delete_user))
//!     .with_state(authenticator);
//! # Ok(()) }
//! ```
//!
//! A role or scope that `roles!` does not declare is a compile error on the
//! string literal, naming the closest declared one. At run time the guard
//! answers, before any other extractor runs:
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no bearer token | 401 | `Bearer realm="api"` |
//! | malformed request (empty token, two headers) | 400 | `Bearer …, error="invalid_request"` |
//! | token not acceptable (signature, alg, exp, nbf, iss, aud, revoked) | 401 | `Bearer …, error="invalid_token"` |
//! | valid token, rights missing | 403 | `Bearer …, error="insufficient_scope", scope="…"` |
//!
//! Each with a JSON body `{"error": …, "error_description": …}` that never
//! repeats the token, or the application's own body
//! ([`refusal_body`](AuthenticatorBuilder::refusal_body), e.g. RFC 9457
//! problem details), under the same status and challenge.
//!
//! [axum]: https://docs.rs/axum

// Layers, top to bottom: a module uses only modules of the layers below
// its own; no `crate::` path points up or across.
// OpenAPI documentation of the guards and extractors below.
#[cfg(feature = "openapi")]
pub mod openapi;
// The wrapper `#[requires]` puts around a handler's first argument, and
// the layer `require!` makes for a router.
mod guarded;
mod require;
// The guard it runs, on the extractors.
mod guard;
// Extractors for handlers; configuration.
mod builder;
mod extract;
// Where the authenticator is in the router state.
mod state;
// The public entry type.
mod authenticator;
// The verification pipeline.
mod verify;
// What the pipeline steps through: the cache, the claims reader, the JOSE
// header, the issuer's settings, principals reused per thread.
mod cache;
mod claims;
mod header;
mod issuer;
mod recycle;
// An issuer's keys as verification sees them; claim mapping; principals.
mod key_source;
mod mapping;
mod principal;
// Key sets, key fetching, refusals.
mod keys;
mod refusal;
mod remote;
// JWK Set documents; base64url segments.
mod jwks;
mod segment;
// Leaves: the bearer header, errors, refusal bodies, resource metadata,
// revocation stores, scope names, time.
pub mod bearer;
mod config_error;
mod refusal_body;
mod resource_metadata;
mod revocation;
mod scopes;
mod token_error;
mod window;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use authenticator::Authenticator;
pub use builder::{AuthenticatorBuilder, DEFAULT_MAX_TOKEN_BYTES};
pub use config_error::ConfigError;
pub use extract::{Auth, TokenClaims};
pub use issuer::{Issuer, IssuerSettings};
pub use mapping::{ClaimMapping, ClaimPath, RoleMapper};
pub use principal::Principal;
pub use rbac_core::{Denial, Expr, Granted, RoleModel, RoleSet, Schema, ScopeSet, UnknownRole};
pub use refusal::{AuthError, Rejection};
pub use refusal_body::{Refusal, RefusalKind};
pub use remote::{KeySource, RemoteSettings};
pub use require::{Require, RequireLayer, RequireService};
pub use resource_metadata::ResourceMetadata;
pub use revocation::{
    InMemoryRevocations, Revocation, RevocationStore, RevocationsUnavailable, TokenId,
};
pub use state::{AuthState, HasAuthenticator};
pub use token_error::{TokenError, TokenErrorKind};

/// The `jsonwebtoken` version this crate verifies with (for `Algorithm`,
/// `DecodingKey`).
pub use jsonwebtoken;

/// Declares the application's roles, their inheritance, and its scopes.
///
/// ```
/// use rbac_axum::RoleModel as _;
///
/// rbac_axum::roles! {
///     /// Runs the site.
///     admin: editor => ["users:read", "users:write"], // admin has all editor has
///     editor: viewer => ["posts:write"],
///     viewer => ["posts:read"],
///     scopes: [
///         /// Read any user's profile.
///         "users:read",
///         "users:write", "posts:read", "posts:write",
///     ],
/// }
///
/// assert!(Role::Admin.implies(Role::Viewer));
/// assert!(!Role::Viewer.implies(Role::Admin));
/// assert_eq!(Role::from_name("editor"), Some(Role::Editor));
/// // Doc comments describe roles and scopes in the API's documentation.
/// assert_eq!(Role::SCHEMA.role_description(0), Some("Runs the site."));
/// assert_eq!(Role::SCHEMA.scope_description(0), Some("Read any user's profile."));
/// assert_eq!(Role::SCHEMA.scope_description(1), None);
/// ```
///
/// Each entry is `name`, optionally `: parent + parent` (inheritance, which
/// is transitive and must not form a cycle), optionally `=> [scopes]` (the
/// scopes a token issuer may grant holders of the role, inherited too;
/// verification takes a token's scopes as they are unless the issuer is set
/// to [`limit_scopes_to_roles`](AuthenticatorBuilder::limit_scopes_to_roles),
/// see [`Schema`]).
/// Names are identifiers or string literals (`"super-admin"`); the
/// generated enum `Role` has one variant per role in `CamelCase`.
/// `scopes: [...]` lists every scope `#[requires]` may name or a role may
/// grant; each must be an RFC 6749 scope token. Doc comments on a role or a
/// scope describe it ([`Schema::role_description`]), for the OpenAPI
/// document among others. `state = AppState` names the
/// router state of the handlers, when it is not the authenticator itself: it
/// becomes an [`AuthState`] for `Role`, and a state without an
/// `Authenticator<Role>` is one compile error on its name. `crate = ::rbac`
/// says where this crate is when `Cargo.toml` renames it
/// (`rbac = { package = "rbac-axum", … }`) or it is reached through a
/// re-export; the generated code names `::rbac_axum` otherwise.
///
/// `type = StaffRole` names the generated type (`Role` otherwise): a module
/// holds one unnamed `roles!`, and handlers of a named one say
/// `#[requires(model = StaffRole, …)]`. A role name that is not a Rust
/// identifier is quoted: `"super-admin"` becomes `SuperAdmin`, `"self"`
/// becomes `RSelf`.
///
/// `#[requires]` finds the declaration at `crate::Role`: invoke `roles!` at
/// the crate root, or re-export `Role` there (`pub use auth::Role;`), or
/// name it with `#[requires(model = path::to::Role, ...)]` (also for roles
/// declared in another crate).
///
/// Mistakes are compile errors on the offending name:
///
/// ```compile_fail
/// rbac_axum::roles! {
///     admin: editor,
///     editor: admin, // error: role inheritance cycle: `admin` → `editor` → `admin`
/// }
/// ```
#[doc(inline)]
pub use rbac_macros::roles;

/// Guards an async axum handler with a role and scope requirement.
///
/// ```
/// use axum::{Json, extract::Path, response::IntoResponse};
/// use rbac_axum::{Auth, requires};
///
/// rbac_axum::roles! {
///     admin: editor, editor: viewer, viewer, suspended,
///     scopes: ["posts:write"],
/// }
///
/// // Every key in one attribute must hold; so must every attribute.
/// #[requires(role = "viewer")]
/// #[requires(not(role = "suspended"), any(role = "editor", scope = "posts:write"))]
/// async fn edit_post(auth: Auth, Path(id): Path<u64>, Json(body): Json<String>) -> impl IntoResponse {
///     format!("{id} edited by {:?}", auth.subject())
/// }
/// # fn main() {}
/// ```
///
/// Grammar: `role = "…"`, `scope = "…"`, `all(…)`, `any(…)`, `not(…)`,
/// nested freely; `model = path::to::Role` when the roles are not at
/// `crate::Role`; `state = AppState` to check the handler's router state
/// here (see [`AuthState`]); `crate = ::rbac` when this crate is renamed in
/// `Cargo.toml` (as in [`roles!`]). The macro wraps the handler's first
/// argument in the guard (a handler without arguments gets the guard as
/// its argument), so it runs before any other extractor and the handler
/// keeps its number of arguments, their patterns and types; the body and
/// the return type are untouched. `#[axum::debug_handler]` above it checks
/// the handler as written; below it, it checks the guarded arguments
/// against the router state, so the state must be named, here or on
/// `debug_handler(state = …)` (or be in a `State<…>` argument other than
/// the first); with neither, it is a compile error saying what to write.
///
/// On a method of an `impl` block (`get(Api::list)`), put [`#[handlers]`](handlers)
/// on the block.
///
/// A name that is not declared fails the build on that name:
///
/// ```compile_fail
/// rbac_axum::roles! { admin, viewer }
///
/// #[rbac_axum::requires(role = "admn")] // error: unknown role `admn`; did you mean `admin`?
/// async fn handler() {}
/// ```
///
/// So does a requirement that every valid token meets (it would protect
/// nothing) or that none can, the role hierarchy taken into account:
///
/// ```compile_fail
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// // error: this requirement is met by every valid token, …
/// #[rbac_axum::requires(any(role = "viewer", not(role = "admin")))]
/// async fn handler() {}
/// ```
#[doc(inline)]
pub use rbac_macros::requires;

/// Lets the methods of an `impl` block carry [`#[requires]`](requires), for
/// handlers routed as `get(Api::list)`.
///
/// ```
/// use axum::{Router, extract::Path, http::StatusCode, routing::get};
/// use rbac_axum::{Authenticator, handlers, requires};
///
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// struct Posts;
///
/// #[handlers]
/// impl Posts {
///     #[requires(role = "viewer")]
///     async fn show(Path(id): Path<u64>) -> String {
///         format!("post {id}")
///     }
///
///     #[requires(role = "admin")]
///     async fn delete(Path(_id): Path<u64>) -> StatusCode {
///         StatusCode::NO_CONTENT
///     }
/// }
///
/// fn routes() -> Router<Authenticator<Role>> {
///     Router::new().route("/posts/{id}", get(Posts::show).delete(Posts::delete))
/// }
/// # fn main() { let _ = routes; }
/// ```
///
/// A `#[requires]` generates items beside its handler (a marker type and
/// the `const` checks of its names), which an `impl` block cannot hold: this
/// attribute puts them before the block, in its module, where they are
/// checked as for a free function. Methods without `#[requires]` are left
/// as they are; a method with a receiver (`&self`) is refused, as axum
/// calls handlers without one; a trait `impl` is refused, as the guard
/// changes the method's arguments. A method's `#[cfg]` goes on its items
/// too. `#[axum::debug_handler]` on a method, wherever it is, sees the
/// guarded arguments (this attribute runs first), so it needs the router
/// state named: `#[debug_handler(state = AppState)]` or
/// `#[requires(state = AppState, …)]`.
#[doc(inline)]
pub use rbac_macros::handlers;

/// A requirement for every route of a router, with the grammar of
/// [`#[requires]`](requires) and the same compile-time checks (an unknown
/// name is one error on its literal, with the closest declared one).
///
/// ```
/// use axum::{Router, routing::{delete, get}};
/// use rbac_axum::{Authenticator, requires};
///
/// rbac_axum::roles! { admin: editor, editor: viewer, viewer }
///
/// async fn list_users() -> &'static str { "users" }
///
/// #[requires(role = "editor")] // both must hold: admin, and editor
/// async fn delete_user() -> &'static str { "deleted" }
///
/// fn app(authenticator: Authenticator<Role>) -> Router {
///     let admin = Router::new()
///         .route("/users", get(list_users))
///         .route("/users/{id}", delete(delete_user))
///         .route_layer(rbac_axum::require!(role = "admin").with_state(&authenticator));
///     Router::new().nest("/admin", admin).with_state(authenticator)
/// }
/// # fn main() { let _ = app; }
/// ```
///
/// Keys: `role`, `scope`, `all`, `any`, `not`, nested, and `model =` /
/// `crate =` as on the attribute; the router state comes from
/// [`with_state`](Require::with_state), as axum's
/// `from_extractor_with_state` takes it (`route_layer` gives a layer none).
///
/// **Put it on last.** axum's `route_layer` wraps the routes the router has
/// when it is called: a `.route`, `.merge` or `.nest` after it, and any
/// fallback, are not protected by it. Build the router's routes first, then
/// `route_layer`, as above.
///
/// Put it on with `route_layer`: it then runs for the routes that match,
/// before any of the handler's extractors, and paths no route matches keep
/// their 404. A method a matched route does not serve is 405 once the
/// requirement is met, and refused like any other request before (which
/// methods a protected path serves is not told to strangers). A handler's
/// own `#[requires]` must hold too; the token is verified once per request
/// (the layer passes the principal on). Its log lines name the matched
/// route.
#[doc(inline)]
pub use rbac_macros::require;

/// The README's examples: every ```` ```rust ```` block of `README.md` is a
/// doctest of this item, so that what a newcomer copies compiles against
/// today's API. It exists only while rustdoc collects doctests, with the
/// `openapi` feature (one section uses it; the workspace's tests turn it
/// on through the example).
#[cfg(all(doctest, feature = "openapi"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
