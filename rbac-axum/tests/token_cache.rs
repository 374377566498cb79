//! The verified-token cache over a real socket: a cached token stops being
//! accepted when its key leaves the provider's key set, tokens of a key that
//! stays are accepted again after the refresh, and a token differing from a
//! cached one is never served from the cache.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use rbac_axum::{Authenticator, RemoteSettings, requires};
use rbac_test_support::{Request, now};
use serde_json::{Value, json};
use support::{AppState, SigningKey, assert_invalid_token, serve};

rbac_axum::roles! {
    viewer,
    scopes: ["posts:read"],
}

#[requires(role = "viewer")]
async fn viewer_only(State(state): State<AppState>) -> &'static str {
    state.hit();
    "ok"
}

fn app(state: AppState) -> Router {
    Router::new().route("/viewer", get(viewer_only)).with_state(state)
}

/// A viewer's token signed with `key`, its subject the key's `kid`.
fn viewer_token(key: &SigningKey) -> String {
    key.token(&json!({ "sub": key.kid, "roles": ["viewer"], "exp": now() + 600 }))
}

/// A local provider serving whatever key set it is given.
async fn provider(keys: Arc<Mutex<Value>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new()
        .route(
            "/jwks",
            get(|State(keys): State<Arc<Mutex<Value>>>| async move {
                axum::Json(keys.lock().unwrap().clone())
            }),
        )
        .with_state(keys);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/jwks")
}

fn settings() -> RemoteSettings {
    let mut settings = RemoteSettings::default();
    settings.min_refetch = Duration::ZERO;
    settings.refresh = Duration::from_secs(3600);
    settings
}

/// An authenticator with the token cache on, its keys fetched from a local
/// provider serving `keys`, and fetched once.
async fn cached_authenticator(keys: Arc<Mutex<Value>>) -> Authenticator<Role> {
    let auth = Authenticator::<Role>::builder()
        .jwks_url(provider(keys).await)
        .remote_settings(settings())
        .cache_verified_tokens(100)
        .build()
        .unwrap();
    assert!(auth.wait_for_keys(Duration::from_secs(5)).await);
    auth
}

#[tokio::test]
async fn a_cached_token_is_refused_once_its_key_is_removed() {
    let (k1, k2, k3) =
        (SigningKey::generate("k1"), SigningKey::generate("k2"), SigningKey::generate("k3"));
    let keys = Arc::new(Mutex::new(json!({ "keys": [k1.jwk(), k2.jwk()] })));
    let auth = cached_authenticator(Arc::clone(&keys)).await;
    let server = serve(auth.clone(), app).await;
    let (old, kept) = (viewer_token(&k1), viewer_token(&k2));
    for _ in 0..3 {
        server.allowed(Request::get("/viewer").bearer(&old)).await;
        server.allowed(Request::get("/viewer").bearer(&kept)).await;
    }
    let fetches = auth.key_fetches();

    // Rotation: k1 leaves, k3 arrives; a token naming k3 makes the
    // authenticator fetch the new set at once.
    *keys.lock().unwrap() = json!({ "keys": [k2.jwk(), k3.jwk()] });
    server.allowed(Request::get("/viewer").bearer(&viewer_token(&k3))).await;
    assert_eq!(auth.key_fetches(), fetches + 1);

    // k1's token was cached, but its key is gone: refused.
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&old)).await, &old);
    // k2 stayed in the set: verified again with the new set, accepted.
    server.allowed(Request::get("/viewer").bearer(&kept)).await;
    server.allowed(Request::get("/viewer").bearer(&kept)).await;
}

#[tokio::test]
async fn a_token_differing_from_a_cached_one_is_verified_and_refused() {
    let k1 = SigningKey::generate("k1");
    let keys = Arc::new(Mutex::new(json!({ "keys": [k1.jwk()] })));
    let auth = cached_authenticator(keys).await;
    let server = serve(auth, app).await;
    let token = viewer_token(&k1);
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    // Last signature character changed (still base64url, canonical bits).
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'Q' } else { 'A' });
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&forged)).await, &forged);
    // One payload character changed.
    let dot = token.find('.').unwrap() + 3;
    let mut bytes = token.clone().into_bytes();
    bytes[dot] = if bytes[dot] == b'x' { b'y' } else { b'x' };
    let forged = String::from_utf8(bytes).unwrap();
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&forged)).await, &forged);
    server.allowed(Request::get("/viewer").bearer(&token)).await;
}
