//! `limit_scopes_to_roles` over a real socket: with it on, a token's scopes
//! are cut to those its roles (inherited ones included) may be granted by
//! `roles!`'s `=> [...]`, for the decision and for `Auth::scopes` alike;
//! off (the default), scopes are taken as the token carries them.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{ClaimMapping, Issuer, requires};
use rbac_test_support::{Request, Server, sign_hs256};
use serde_json::json;

use support::{
    AUDIENCE, AppState, SECRET, assert_insufficient, captured_logs, claims, hmac_builder, hs256,
    serve, token, with,
};

/// The shared routes only.
fn app(state: AppState) -> Router {
    app::routes(state, std::iter::empty())
}

/// The default test server, scopes limited to roles.
async fn limited() -> Server {
    let authenticator = hmac_builder::<Role>().limit_scopes_to_roles(true).build();
    serve(authenticator.expect("valid test configuration"), app).await
}

/// The default test server, scopes as tokens carry them.
async fn unlimited() -> Server {
    let authenticator = hmac_builder::<Role>().build();
    serve(authenticator.expect("valid test configuration"), app).await
}

/// The scopes `/whoami` reports for `token`.
async fn scopes_seen(server: &Server, token: &str) -> serde_json::Value {
    server.allowed(Request::get("/whoami").bearer(token)).await.json()["scopes"].clone()
}

#[tokio::test]
async fn a_viewer_token_carrying_posts_write_is_403_insufficient_scope_when_limited() {
    let server = limited().await;
    let viewer = token(&["viewer"], "posts:read posts:write");
    let response = server.refused(Request::get("/posts/write").bearer(&viewer)).await;
    assert_insufficient(&response, Some("posts:write"), &viewer);
    assert_eq!(response.json()["missing_scopes"], json!(["posts:write"]));
    assert_eq!(scopes_seen(&server, &viewer).await, json!(["posts:read"]));
}

#[tokio::test]
async fn a_viewer_token_carrying_posts_write_is_accepted_by_default() {
    let server = unlimited().await;
    let viewer = token(&["viewer"], "posts:read posts:write undeclared");
    server.allowed(Request::get("/posts/write").bearer(&viewer)).await;
    let scopes = json!(["posts:read", "posts:write", "undeclared"]);
    assert_eq!(scopes_seen(&server, &viewer).await, scopes);
}

#[tokio::test]
async fn inherited_roles_bring_their_scopes_within_the_limit() {
    let server = limited().await;
    // admin ⊇ editor ⊇ viewer: all three's scopes.
    let admin = token(&["admin"], "posts:read posts:write users:write");
    server.allowed(Request::get("/posts/write").bearer(&admin)).await;
    server.allowed(Request::post("/users").bearer(&admin).json(&json!({"name": "ann"}))).await;
    let scopes = json!(["posts:read", "posts:write", "users:write"]);
    assert_eq!(scopes_seen(&server, &admin).await, scopes);

    // An editor has viewer's and its own, not admin's `users:write`, nor
    // `users:read`, which no role lists.
    let editor = token(&["editor"], "users:read users:write posts:read posts:write");
    server.allowed(Request::get("/publish").bearer(&editor)).await;
    assert_eq!(scopes_seen(&server, &editor).await, json!(["posts:read", "posts:write"]));
}

#[tokio::test]
async fn a_token_without_roles_keeps_no_scope_when_limited() {
    let server = limited().await;
    let no_roles = token(&[], "posts:read posts:write users:write undeclared");
    let response = server.refused(Request::get("/posts/write").bearer(&no_roles)).await;
    assert_insufficient(&response, Some("posts:write"), &no_roles);
    assert_eq!(scopes_seen(&server, &no_roles).await, json!([]));
    // Roles that are not declared are no roles either.
    let undeclared = token(&["superuser"], "posts:write");
    assert_eq!(scopes_seen(&server, &undeclared).await, json!([]));
}

#[tokio::test]
async fn the_limit_covers_scp_and_extra_scope_paths() {
    let mapping = ClaimMapping::default().also_scopes_at("permissions");
    let authenticator =
        hmac_builder::<Role>().claims(mapping).limit_scopes_to_roles(true).build().unwrap();
    let server = serve(authenticator, app).await;
    for (key, value) in [("scp", json!(["posts:write"])), ("permissions", json!(["posts:write"]))] {
        let viewer = hs256(&with(claims(&["viewer"], "posts:read"), key, value));
        let response = server.refused(Request::get("/posts/write").bearer(&viewer)).await;
        assert_insufficient(&response, Some("posts:write"), &viewer);
        assert_eq!(scopes_seen(&server, &viewer).await, json!(["posts:read"]), "{key}");
    }
}

#[tokio::test]
async fn a_cached_token_keeps_its_limited_scopes() {
    let authenticator = hmac_builder::<Role>()
        .limit_scopes_to_roles(true)
        .cache_verified_tokens(16)
        .build()
        .unwrap();
    let server = serve(authenticator, app).await;
    let viewer = token(&["viewer"], "posts:read posts:write");
    for _ in 0..2 {
        let response = server.refused(Request::get("/posts/write").bearer(&viewer)).await;
        assert_insufficient(&response, Some("posts:write"), &viewer);
    }
}

#[tokio::test]
async fn each_trusted_issuer_has_its_own_setting() {
    const OTHER: &str = "https://other-issuer.test";
    const OTHER_SECRET: &[u8] = b"the other issuer's secret, 32+ bytes";
    let authenticator = hmac_builder::<Role>()
        .limit_scopes_to_roles(true)
        .trust(Issuer::new(OTHER).hmac(Algorithm::HS256, OTHER_SECRET).audience(AUDIENCE))
        .build()
        .unwrap();
    let server = serve(authenticator, app).await;
    let ours = token(&["viewer"], "posts:write");
    let response = server.refused(Request::get("/posts/write").bearer(&ours)).await;
    assert_insufficient(&response, Some("posts:write"), &ours);
    let theirs = with(claims(&["viewer"], "posts:write"), "iss", json!(OTHER));
    let theirs = sign_hs256(OTHER_SECRET, &theirs);
    server.allowed(Request::get("/posts/write").bearer(&theirs)).await;
}

#[tokio::test]
async fn dropped_scopes_are_logged_by_name_at_debug() {
    captured_logs();
    let server = limited().await;
    let viewer = hs256(&with(claims(&["viewer"], "posts:read posts:write"), "jti", json!("drop")));
    server.refused(Request::get("/posts/write").bearer(&viewer)).await;
    let logs = captured_logs();
    let expected = "DEBUG rbac_axum::verify: message=scopes dropped: the token's roles do not \
                    grant them dropped=posts:write";
    assert!(logs.lines().any(|line| line == expected), "{expected}\nis not among:\n{logs}");
    assert!(!logs.contains(&viewer), "the logs never hold the token");
    assert!(!logs.contains(std::str::from_utf8(SECRET).unwrap()), "nor the key");
}

/// Viewers, unless their token carries `users:read` (which no role grants).
#[requires(role = "viewer", not(scope = "users:read"))]
async fn viewers_not_reading_users(State(state): State<AppState>) -> &'static str {
    state.hit();
    "ok"
}

#[tokio::test]
async fn a_scope_the_limit_drops_still_counts_against_not() {
    let authenticator = hmac_builder::<Role>().limit_scopes_to_roles(true).build();
    let server = serve(authenticator.expect("valid test configuration"), |state| {
        app::routes(state, [("/not-users", get(viewers_not_reading_users))])
    })
    .await;
    let viewer = token(&["viewer"], "posts:read");
    server.allowed(Request::get("/not-users").bearer(&viewer)).await;

    // The limit drops `users:read` from what the token may use, but the
    // token carries it: `not(scope = "users:read")` refuses it.
    let reader = token(&["viewer"], "posts:read users:read");
    let response = server.refused(Request::get("/not-users").bearer(&reader)).await;
    assert_eq!(response.status, 403);
    let description = response.json()["error_description"].as_str().unwrap().to_owned();
    assert!(description.ends_with("access is refused to holders of users:read"), "{description}");
}
