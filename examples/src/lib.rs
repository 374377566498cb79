//! A complete service built on `rbac-axum`: users and posts, every endpoint
//! guarded by `#[requires]`, access tokens issued by an OAuth 2.0 password
//! grant (RFC 6749 §4.3), everything stored in one SQLite file.
//!
//! Run it with `cargo run -p rbac-example`: on first start it creates its
//! data directory (`./rbac-example-data`), the database with one demo user
//! per role, and a random token-signing key, then prints a ready token and a
//! `curl` line for each demo user. `rbac-example --help` lists the
//! environment variables it reads.
//!
//! | endpoint | requirement |
//! |---|---|
//! | `POST /token` | none: password grant, answers RFC 6749 §5 |
//! | `GET /.well-known/oauth-authorization-server` | none: `/token` described (RFC 8414) |
//! | `GET /.well-known/oauth-protected-resource` | none: the API described (RFC 9728) |
//! | `GET /users/me` | `role = "viewer"` (every role has it) |
//! | `GET /users` | `any(role = "admin", scope = "users:read")` |
//! | `POST /users` | `role = "admin", scope = "users:write"` |
//! | `DELETE /users/{id}` | `role = "admin", scope = "users:write"` |
//! | `PUT /users/{id}/roles` | `role = "admin", scope = "users:write"` |
//! | `POST /users/{id}/revoke` | `role = "admin", scope = "users:write"` |
//! | `POST /subjects/{sub}/revoke` (resource-server mode) | `role = "admin", scope = "users:write"` |
//! | `POST /logout` | a valid token: revokes it |
//! | `GET /posts`, `GET /posts/{id}` | `role = "viewer", scope = "posts:read"` |
//! | `POST /posts` | `role = "editor", scope = "posts:write"` |
//! | `DELETE /posts/{id}` | `role = "editor", scope = "posts:write"`, and the author or an admin |
//!
//! User management never lets anyone gain rights: nobody grants a role
//! they do not hold, nobody changes their own roles, and the last admin
//! cannot be removed or demoted (see `users/rules.rs`).
//!
//! Tokens can be revoked before they expire (`revocation.rs`): a logout
//! revokes one, a role change, a deletion or an admin's revocation every
//! token of a user; the authenticator refuses them on every request.
//!
//! `RBAC_EXAMPLE_TLS=on` serves HTTPS with a generated self-signed
//! certificate (or the PEM files in `RBAC_EXAMPLE_TLS_CERT` and
//! `RBAC_EXAMPLE_TLS_KEY`), with `Strict-Transport-Security` on every
//! response. `RBAC_EXAMPLE_TRUST_ISSUER` (OpenID Connect discovery),
//! `RBAC_EXAMPLE_TRUST_JWKS_URL` or `RBAC_EXAMPLE_TRUST_PUBLIC_KEY` switches
//! to resource-server mode: tokens come from an external issuer, and
//! `/token` and user management do not exist.
//!
//! Both modes describe the API as an OAuth 2.0 protected resource
//! (RFC 9728), identified by the service's public URL
//! (`RBAC_EXAMPLE_PUBLIC_URL`, or derived from the address), naming the
//! issuer whose tokens it accepts; issuing tokens, the service is that
//! issuer and describes its token endpoint (RFC 8414).
//!
//! Every access decision is logged: `rbac_axum` logs refusals at `info`
//! and allowed requests at `debug` (handler, subject, what was missing),
//! the user-management rules and the author check log their refusals at
//! `info`; the default filter, `info,rbac_axum=debug`, shows them all.
//!
//! The library half exists so that tests start the very same service:
//! [`Server::bind`] on `127.0.0.1:0`, then [`Server::run`]. [`app`] is the
//! bare router for callers that serve it themselves. Tests that sign their
//! own tokens take production's token checks from
//! [`authenticator_builder`], swap the keys, and open the state with the
//! result ([`AppState::open_with`]).

use std::time::Instant;

use aide::axum::ApiRouter;
use aide::axum::routing::{delete, get as get_api, post as post_api, post_with, put};
use aide::openapi::OpenApi;
use aide::transform::TransformOperation;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use axum::{Json, Router};
use rbac_axum::openapi::Inventory;

use crate::body_limit::BodyLimit;
use crate::db::posts::Post;
use crate::db::users::User;

mod accept;
mod api_docs;
mod authenticator;
mod authorization_server;
mod body_limit;
mod config;
mod db;
mod demo;
mod demo_users;
mod error;
mod extract;
mod grants;
mod password;
mod posts;
mod private_file;
mod revocation;
mod revoke;
mod server;
mod signing_key;
mod start_error;
mod state;
mod throttle;
mod tls;
mod token;
mod token_issuer;
mod users;

pub use authenticator::authenticator_builder;
pub use config::{
    ClaimsPreset, Config, ConfigError, DEFAULT_LOG_FILTER, Limits, SharedRedis, Tls, TrustedIssuer,
    TrustedKeys,
};
pub use revocation::{
    REPLICA_CLOCK_LEEWAY, Revocations, SharedStoreError, TRUSTED_LEEWAY, TRUSTED_MAX_TOKEN_LIFETIME,
};
pub use server::{Server, run};
pub use start_error::StartError;
pub use state::AppState;

rbac_axum::roles! {
    state = AppState,
    /// Manages users; has every right of an editor.
    admin: editor => ["users:write"],
    /// Writes posts and may look users up; has every right of a viewer.
    editor: viewer => ["posts:write", "users:read"],
    /// Reads posts.
    viewer => ["posts:read"],
    scopes: [
        /// List every user.
        "users:read",
        /// Create users, change their roles, delete them, revoke their tokens.
        "users:write",
        /// Read posts.
        "posts:read",
        /// Write and delete posts.
        "posts:write",
    ],
}

/// Largest token request accepted: a form with a user name, a password and
/// a few scopes never comes near it.
const TOKEN_REQUEST_LIMIT: usize = 4 * 1024;

/// Largest JSON body accepted by the API (a post with its text).
pub(crate) const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The service's router, with every route, its guard and the response
/// headers every answer carries, and its OpenAPI document (at
/// `/openapi.json`, with Swagger UI at `/docs`). Serve it with
/// [`axum::serve()`], or use [`Server`], which does that and more.
pub fn app(state: AppState) -> Router {
    let issuer = state.issuer.as_ref().map(|issuer| issuer.issuer().to_owned());
    let (router, api) = documented_routes(issuer.as_deref());
    // Serialized once; each request gets a cheap clone of the bytes.
    let document = api_docs::document_bytes(&api_docs::api_docs(issuer.is_some()), &api);
    let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    router
        .route(api_docs::DOCUMENT_PATH, get(move || async move { (json, document) }))
        .route(api_docs::UI_PATH, get(|| async { Html(api_docs::swagger_page()) }))
        .merge(state.authenticator.resource_metadata_routes())
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            BodyLimit { max: JSON_BODY_LIMIT, timeout: state.body_timeout },
            body_limit::read_whole,
        ))
        .layer(middleware::from_fn(log_request))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .with_state(state)
}

/// The OpenAPI document of the service `config` describes: what
/// `/openapi.json` serves.
pub fn openapi(config: &Config) -> OpenApi {
    let issuer = config.trust.is_none().then(|| config.issuer());
    documented_routes(issuer.as_deref()).1
}

/// The policy inventory of the service `config` describes, as a table:
/// each route, its requirement as written, and whether an anonymous caller
/// and each role (with every scope it may be granted) may call it. What
/// `rbac-example routes` prints.
pub fn routes_table(config: &Config) -> String {
    Inventory::of(&openapi(config)).matrix::<Role>().to_string()
}

/// The documented routes (every route a client calls) and their OpenAPI
/// document, for a service that issues tokens as `issuer` (`None`: a
/// resource server); the policy inventory lists these.
fn documented_routes(issuer: Option<&str>) -> (Router<AppState>, OpenApi) {
    let mut router = ApiRouter::new()
        .api_route("/users/me", get_api(users::me))
        .api_route("/logout", post_api(revoke::logout))
        .api_route("/posts", get_api(posts::list).post_with(posts::create, created::<Post>))
        .api_route("/posts/{id}", get_api(posts::get).delete(posts::delete));
    if let Some(issuer) = issuer {
        // Users and their passwords live here only when this service is
        // the token issuer; in resource-server mode an external issuer
        // owns identities.
        router = router
            .merge(authorization_server::routes(issuer))
            .api_route(
                "/token",
                post_with(token::password_grant, api_docs::token_operation)
                    .layer(DefaultBodyLimit::max(TOKEN_REQUEST_LIMIT))
                    .layer(middleware::from_fn_with_state(
                        TOKEN_REQUEST_LIMIT,
                        body_limit::refuse_announced,
                    )),
            )
            .api_route("/users", get_api(users::list).post_with(users::create, created::<User>))
            .api_route("/users/{id}", delete(users::delete))
            .api_route("/users/{id}/roles", put(users::set_roles))
            .api_route("/users/{id}/revoke", post_api(users::revoke));
    } else {
        // Without users here, subjects are the external issuer's.
        router = router.api_route("/subjects/{sub}/revoke", post_api(revoke::revoke_subject));
    }
    let docs = api_docs::api_docs(issuer.is_some());
    let mut api = OpenApi::default();
    let router =
        router.finish_api_with(&mut api, |api| api_docs::finish(&docs, issuer.is_some(), api));
    (router, api)
}

/// Documents a 201 answer with a `T` for an operation that creates one.
fn created<T: schemars::JsonSchema>(operation: TransformOperation<'_>) -> TransformOperation<'_> {
    operation.response::<201, Json<T>>()
}

/// One log line per request: method, path (never the query string, which
/// could hold credentials), status and duration.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Headers every response carries: answers are per-user and must not be
/// cached by shared caches, nor sniffed into another content type; over
/// TLS, browsers are told to use nothing else (HSTS).
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    if let Some(hsts) = &state.hsts {
        headers.insert(STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}
