//! `require!` over a real socket: a requirement for every route of a
//! router, put on with `route_layer`. It refuses as the attribute does,
//! composes with the handlers' own `#[requires]` (both must hold, the token
//! verified once), runs before the handlers' extractors, leaves other
//! paths' 404 and 405 alone, and its logs name the matched route.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rbac_axum::{ClaimMapping, requires};
use rbac_test_support::{Request, Server};
use serde_json::{Value, json};

use support::{
    AppState, assert_insufficient, assert_no_credentials, captured_logs, claims, hmac_builder,
    hs256, serve, token, with,
};

async fn list_users(State(state): State<AppState>) -> &'static str {
    state.hit();
    "users"
}

/// Under the router's `scope = "users:read"`, also an admin's.
#[requires(role = "admin")]
async fn delete_user(State(state): State<AppState>) -> &'static str {
    state.hit();
    "deleted"
}

/// A body the handler reads, after the router's requirement.
async fn import_users(State(state): State<AppState>, Json(body): Json<Value>) -> Json<Value> {
    state.hit();
    Json(body)
}

/// The shared routes (each with its own `#[requires]`), `/open` requiring
/// nothing, and `/admin/…` requiring `users:read`.
fn app(state: AppState) -> Router {
    let admin = Router::new()
        .route("/users", get(list_users).post(import_users))
        .route("/users/{id}", get(delete_user))
        .route_layer(rbac_axum::require!(scope = "users:read").with_state(&state))
        .with_state(state.clone());
    app::routes(state, [("/open", get(|| async { "open" }))]).nest("/admin", admin)
}

async fn server() -> Server {
    serve(hmac_builder::<Role>().build().unwrap(), app).await
}

#[tokio::test]
async fn every_route_of_the_router_requires_it() {
    let server = server().await;
    let reader = token(&["viewer"], "users:read");
    server.allowed(Request::get("/admin/users").bearer(&reader)).await;

    let without = token(&["admin"], "posts:read");
    let refused = server.refused(Request::get("/admin/users").bearer(&without)).await;
    assert_insufficient(&refused, Some("users:read"), &without);
    let refused = server.refused(Request::get("/admin/users")).await;
    assert_no_credentials(&refused, &[]);
}

#[tokio::test]
async fn the_handlers_own_requirement_must_hold_too() {
    let server = server().await;
    // The router's scope without the handler's role, and the reverse.
    let reader = token(&["viewer"], "users:read");
    let refused = server.refused(Request::get("/admin/users/7").bearer(&reader)).await;
    assert_insufficient(&refused, None, &reader);
    assert_eq!(refused.json()["missing_roles"], json!(["admin"]));
    let admin = token(&["admin"], "posts:read");
    let refused = server.refused(Request::get("/admin/users/7").bearer(&admin)).await;
    assert_insufficient(&refused, Some("users:read"), &admin);

    let both = token(&["admin"], "users:read");
    server.allowed(Request::get("/admin/users/7").bearer(&both)).await;
}

#[tokio::test]
async fn it_runs_before_the_handlers_extractors() {
    let server = server().await;
    // A body the handler's `Json` would refuse with 400 (or 415): the
    // router's requirement answers first, and the body is never read.
    let without = token(&["admin"], "posts:read");
    let request = Request::post("/admin/users").bearer(&without).body("text/plain", "not json");
    let refused = server.refused(request).await;
    assert_eq!(refused.status, 403);

    let reader = token(&["viewer"], "users:read");
    let echoed = server
        .allowed(Request::post("/admin/users").bearer(&reader).json(&json!({"name": "ann"})))
        .await;
    assert_eq!(echoed.json(), json!({"name": "ann"}));
}

#[tokio::test]
async fn other_paths_keep_their_404_and_a_met_requirement_its_405() {
    let server = server().await;
    // No token: not the router's requirement's business.
    assert_eq!(server.send(Request::get("/admin/nothing-here")).await.status, 404);
    assert_eq!(server.send(Request::get("/nothing-here")).await.status, 404);
    assert_eq!(server.send(Request::get("/open")).await.status, 200);
    // A shared route keeps its own requirement only.
    let viewer = token(&["viewer"], "");
    server.allowed(Request::get("/viewer").bearer(&viewer)).await;
    // A method the route does not serve: 405 once the requirement is met;
    // before, the route's methods are its business too (401, not 405).
    let reader = token(&["viewer"], "users:read");
    let delete = || Request::new("DELETE", "/admin/users");
    assert_eq!(server.send(delete().bearer(&reader)).await.status, 405);
    assert_eq!(server.send(delete()).await.status, 401);
}

/// Fresh verifications: the claims mapper runs once for each.
static VERIFIED: AtomicUsize = AtomicUsize::new(0);

#[tokio::test]
async fn the_token_is_verified_once_per_request() {
    let counting = ClaimMapping::default().map_roles(|_| {
        VERIFIED.fetch_add(1, Ordering::SeqCst);
        Ok(Vec::new())
    });
    let authenticator = hmac_builder::<Role>().claims(counting).build().unwrap();
    let server = serve(authenticator, app).await;
    let both = token(&["admin"], "users:read");
    let before = VERIFIED.load(Ordering::SeqCst);
    // The router's requirement, then the handler's `#[requires]`.
    server.allowed(Request::get("/admin/users/7").bearer(&both)).await;
    assert_eq!(VERIFIED.load(Ordering::SeqCst) - before, 1);
}

#[tokio::test]
async fn its_log_lines_name_the_matched_route() {
    captured_logs(); // from now on
    let server = server().await;
    // A subject of its own: the other tests of this binary log too.
    let subject = "the-matched-route-test";
    let without = hs256(&with(claims(&["admin"], "posts:read"), "sub", json!(subject)));
    server.refused(Request::get("/admin/users/7").bearer(&without)).await;
    let logs = captured_logs();
    let refusal = logs
        .lines()
        .find(|line| line.contains("refused: insufficient rights") && line.contains(subject))
        .unwrap_or_else(|| panic!("this test's refusal line: {logs}"));
    assert!(refusal.contains("require!"), "{refusal}");
    assert!(refusal.contains(r#"route="/admin/users/{id}""#), "{refusal}");
    assert!(!refusal.contains(&without), "{refusal}");

    // An invalid token's refusal, too.
    let forged = format!("{without}x");
    server.refused(Request::get("/admin/users/8").bearer(&forged)).await;
    let logs = captured_logs();
    let invalid = logs
        .lines()
        .find(|line| line.contains("refused: invalid token") && line.contains("require!"))
        .unwrap_or_else(|| panic!("an invalid-token line from require!: {logs}"));
    assert!(invalid.contains(r#"route="/admin/users/{id}""#), "{invalid}");
}

/// What the docs warn about, pinned so that they stay true: axum's
/// `route_layer` wraps the routes the router has when it is called.
#[tokio::test]
async fn a_route_added_after_the_layer_is_not_protected_by_it() {
    fn late(state: AppState) -> Router {
        let admin = Router::new()
            .route("/users", get(list_users))
            .route_layer(rbac_axum::require!(scope = "users:read").with_state(&state))
            .route("/late", get(list_users))
            .with_state(state.clone());
        app::routes(state, []).nest("/admin", admin)
    }
    let server = serve(hmac_builder::<Role>().build().unwrap(), late).await;
    assert_eq!(server.send(Request::get("/admin/users")).await.status, 401);
    assert_eq!(server.send(Request::get("/admin/late")).await.status, 200);
}
