//! Revocation before expiry over a real socket: a revoked token is 401
//! `invalid_token` saying so, fresh or served from the verified-token
//! cache; a subject's cut-off refuses the tokens issued up to its second
//! and accepts those stamped from it on (the issuer's leeway counting
//! against the token); tokens the store could not revoke (no `jti`, `sub`
//! or `iat`, or living longer than it remembers) are refused; one
//! issuer's revocations leave another's tokens alone; purging forgets only
//! what can no longer refuse a token. Every way into a handler checks:
//! `#[requires]`, `Auth`, `Option<Auth>`, `TokenClaims`, `require!`. A
//! store that cannot vouch for its answers has every token refused with
//! 503 and `Retry-After`, cached ones too.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Auth, Authenticator, AuthenticatorBuilder, ConfigError, InMemoryRevocations};
use rbac_axum::{Issuer, TokenClaims};
use rbac_axum::{RevocationStore, RevocationsUnavailable, TokenId};
use rbac_test_support::{Request, Response, Server, now};
use serde_json::{Value, json};

use support::{AUDIENCE, ISSUER, SECRET, assert_invalid_token, claims, hmac_builder, hs256, serve};
use support::{AppState, with, without};

/// Open to anyone; says whether it saw a login.
async fn maybe(State(state): State<AppState>, auth: Option<Auth>) -> &'static str {
    state.hit();
    if auth.is_some() { "signed in" } else { "anonymous" }
}

/// Any valid token's `jti`, read as the handler's own claims type.
async fn own_claims(
    State(state): State<AppState>,
    TokenClaims(claims): TokenClaims<Value>,
) -> Json<Value> {
    state.hit();
    Json(claims["jti"].clone())
}

/// The shared routes, and every other way into a handler: `Option<Auth>`,
/// `TokenClaims`, and a router's `require!`.
fn app(state: AppState) -> Router {
    let layered = Router::new()
        .route("/layered", get(|State(state): State<AppState>| async move { state.hit() }))
        .route_layer(rbac_axum::require!(role = "viewer").with_state(&state))
        .with_state(state.clone());
    app::routes(state, [("/maybe", get(maybe)), ("/claims", get(own_claims))]).merge(layered)
}

/// A store for tokens of up to an hour.
fn store() -> Arc<InMemoryRevocations> {
    Arc::new(InMemoryRevocations::new(Duration::from_secs(3600)))
}

async fn server(builder: AuthenticatorBuilder<Role>) -> Server {
    serve(builder.build().expect("valid test configuration"), app).await
}

/// A default server checking `store`.
async fn revoking(store: &Arc<InMemoryRevocations>) -> Server {
    server(hmac_builder::<Role>().revocation(store.clone())).await
}

/// A viewer's claims for the default server, with this `jti`.
fn viewer(jti: &str) -> Value {
    with(claims(&["viewer"], ""), "jti", json!(jti))
}

/// `claims`' `exp` (what a revocation of the token gives the store).
fn exp(claims: &Value) -> u64 {
    claims["exp"].as_u64().expect("a numeric exp")
}

/// 401 `invalid_token` whose description (challenge and body) contains
/// `words`.
fn assert_refused_saying(response: &Response, token: &str, words: &str) {
    assert_invalid_token(response, token);
    let challenge = response.challenge();
    let description = challenge.param("error_description").unwrap_or_default();
    assert!(description.contains(words), "{words:?} in the challenge: {response}");
    let body = response.json();
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(description.contains(words), "{words:?} in the body: {response}");
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

#[tokio::test]
async fn a_revoked_token_is_401_revoked_and_its_handler_does_not_run() {
    let store = store();
    let server = revoking(&store).await;
    let (claims, other) = (viewer("jti-1"), viewer("jti-2"));
    let (token, other) = (hs256(&claims), hs256(&other));
    server.allowed(Request::get("/viewer").bearer(&token)).await;

    store.revoke_token(ISSUER, "jti-1", exp(&claims));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_refused_saying(&response, &token, "revoked");
    let response = server.refused(Request::get("/whoami").bearer(&token)).await;
    assert_refused_saying(&response, &token, "revoked");
    // Another token of the same subject is not affected.
    server.allowed(Request::get("/viewer").bearer(&other)).await;
}

#[tokio::test]
async fn every_way_into_a_handler_refuses_a_revoked_token() {
    let store = store();
    let server = revoking(&store).await;
    let claims = viewer("jti-every");
    let token = hs256(&claims);
    let paths = ["/viewer", "/whoami", "/maybe", "/claims", "/layered"];
    for path in paths {
        server.allowed(Request::get(path).bearer(&token)).await;
    }
    assert_eq!(server.send(Request::get("/maybe").bearer(&token)).await.text(), "signed in");

    store.revoke_token(ISSUER, "jti-every", exp(&claims));
    for path in paths {
        let response = server.refused(Request::get(path).bearer(&token)).await;
        assert_refused_saying(&response, &token, "revoked");
    }
    // Optional authentication is not a way around it: a revoked token is
    // refused, not served as anonymous.
    assert_eq!(server.send(Request::get("/maybe")).await.text(), "anonymous");
}

#[tokio::test]
async fn a_revoked_token_served_from_the_cache_is_refused() {
    let store = store();
    let builder = hmac_builder::<Role>().cache_verified_tokens(64).revocation(store.clone());
    let server = server(builder).await;
    let claims = viewer("cached-1");
    let token = hs256(&claims);
    // Verified, then served from the cache.
    for _ in 0..3 {
        server.allowed(Request::get("/viewer").bearer(&token)).await;
    }
    store.revoke_token(ISSUER, "cached-1", exp(&claims));
    for _ in 0..2 {
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_refused_saying(&response, &token, "revoked");
    }
    // So is a cached token whose subject is cut off.
    let claims = with(viewer("cached-2"), "sub", json!("user-2"));
    let token = hs256(&claims);
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    store.revoke_subject(ISSUER, "user-2", SystemTime::now());
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_refused_saying(&response, &token, "revoked");
}

#[tokio::test]
async fn a_subject_cutoff_refuses_older_tokens_and_accepts_a_fresh_one() {
    let store = store();
    let server = revoking(&store).await;
    let issued = |iat: u64, jti: &str| hs256(&with(viewer(jti), "iat", json!(iat)));
    let before = issued(now() - 30, "before");
    server.allowed(Request::get("/viewer").bearer(&before)).await;

    let (before_revoking, revoked_at) = (now(), SystemTime::now());
    let cutoff = store.revoke_subject(ISSUER, "user-1", revoked_at);
    let whole_second = revoked_at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(cutoff, whole_second + 1, "the second after the revocation's");
    assert!(cutoff > before_revoking, "after every second before the revocation");
    // Issued before, or in the revocation's own second: refused.
    for token in [before, issued(cutoff - 1, "same-second")] {
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_refused_saying(&response, &token, "revoked");
    }
    // Stamped from the cut-off on (the issuer's fresh login): accepted.
    server.allowed(Request::get("/viewer").bearer(&issued(cutoff, "fresh"))).await;
    // Not stamped ahead of this server's clock by more than a second
    // (and the leeway): it would pass the cut-offs set before it.
    let ahead = issued(now() + 60, "ahead");
    let response = server.refused(Request::get("/viewer").bearer(&ahead)).await;
    assert_refused_saying(&response, &ahead, "future");
    // Another subject of the same issuer is not affected.
    let other = hs256(&with(viewer("other"), "sub", json!("user-2")));
    server.allowed(Request::get("/viewer").bearer(&other)).await;
}

#[tokio::test]
async fn the_issuers_leeway_counts_against_tokens_near_a_cutoff() {
    let leeway = Duration::from_secs(5);
    let store = Arc::new(InMemoryRevocations::new(Duration::from_secs(3600)).with_leeway(leeway));
    let server = server(hmac_builder::<Role>().leeway(leeway).revocation(store.clone())).await;
    let cutoff = store.revoke_subject(ISSUER, "user-1", SystemTime::now());
    let issued = |iat: u64| hs256(&with(viewer("j"), "iat", json!(iat)));
    // Up to the leeway after the cut-off: the issuer's clock may run ahead.
    for iat in [cutoff, cutoff + 4] {
        let token = issued(iat);
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_refused_saying(&response, &token, "revoked");
    }
    server.allowed(Request::get("/viewer").bearer(&issued(cutoff + 5))).await;
}

#[tokio::test]
async fn tokens_without_jti_iat_or_sub_are_401_when_revocation_is_on() {
    let revoking = revoking(&store()).await;
    let plain = server(hmac_builder::<Role>()).await;
    let base = viewer("j-1");
    for (claims, words) in [
        (without(base.clone(), "jti"), "`jti`"),
        (with(base.clone(), "jti", json!("")), "`jti`"),
        (with(base.clone(), "jti", json!(7)), "`jti`"),
        (without(base.clone(), "sub"), "`sub`"),
        (with(base.clone(), "sub", json!("")), "`sub`"),
        (without(base.clone(), "iat"), "`iat`"),
        (with(base.clone(), "iat", json!("yesterday")), "`iat`"),
        (with(base.clone(), "iat", json!(-1)), "`iat`"),
    ] {
        let token = hs256(&claims);
        let response = revoking.refused(Request::get("/viewer").bearer(&token)).await;
        assert_refused_saying(&response, &token, words);
        // Revocation off (the default): the same token passes.
        plain.allowed(Request::get("/viewer").bearer(&token)).await;
    }
    revoking.allowed(Request::get("/viewer").bearer(&hs256(&base))).await;
}

#[tokio::test]
async fn a_token_living_longer_than_the_store_remembers_is_401() {
    let server = revoking(&store()).await;
    let t = now();
    let long = hs256(&with(with(viewer("long"), "iat", json!(t)), "exp", json!(t + 3601)));
    let response = server.refused(Request::get("/viewer").bearer(&long)).await;
    assert_refused_saying(&response, &long, "longer");
    let hour = hs256(&with(with(viewer("hour"), "iat", json!(t)), "exp", json!(t + 3600)));
    server.allowed(Request::get("/viewer").bearer(&hour)).await;
}

#[tokio::test]
async fn claims_with_json_escapes_are_revoked_by_their_decoded_text() {
    let store = store();
    let server = revoking(&store).await;
    // `"` and `\\` are escaped in the payload; the store is given the text.
    let claims = with(viewer("j\"1\\x"), "sub", json!("user \"one\""));
    let token = hs256(&claims);
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
    let payload = String::from_utf8(payload).unwrap();
    assert!(payload.contains(r#""jti":"j\"1\\x""#), "escaped in the payload: {payload}");
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    store.revoke_token(ISSUER, "j\"1\\x", exp(&claims));
    assert_refused_saying(
        &server.refused(Request::get("/viewer").bearer(&token)).await,
        &token,
        "revoked",
    );

    let claims = with(viewer("j-2"), "sub", json!("user \"one\""));
    let token = hs256(&claims);
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    store.revoke_subject(ISSUER, "user \"one\"", SystemTime::now());
    assert_refused_saying(
        &server.refused(Request::get("/viewer").bearer(&token)).await,
        &token,
        "revoked",
    );
}

#[tokio::test]
async fn a_revoked_jti_of_one_issuer_leaves_another_issuers_alone() {
    const OTHER: &str = "https://other-issuer.test";
    let store = store();
    let other = Issuer::new(OTHER).hmac(Algorithm::HS256, SECRET).audience(AUDIENCE);
    let server = server(hmac_builder::<Role>().trust(other).revocation(store.clone())).await;
    let ours = viewer("shared-jti");
    let theirs = with(ours.clone(), "iss", json!(OTHER));
    let (ours, theirs) = (hs256(&ours), hs256(&theirs));
    store.revoke_token(ISSUER, "shared-jti", now() + 600);
    let response = server.refused(Request::get("/viewer").bearer(&ours)).await;
    assert_refused_saying(&response, &ours, "revoked");
    server.allowed(Request::get("/viewer").bearer(&theirs)).await;
    // Nor does a subject cut-off.
    store.revoke_subject(OTHER, "nobody-here", SystemTime::now());
    store.revoke_subject(ISSUER, "user-1", SystemTime::now());
    server.allowed(Request::get("/viewer").bearer(&theirs)).await;
}

#[tokio::test]
async fn purge_forgets_expired_entries_only() {
    let store = store();
    let server = revoking(&store).await;
    let live = viewer("live");
    let token = hs256(&live);
    store.revoke_token(ISSUER, "live", exp(&live));
    store.revoke_token(ISSUER, "gone", now() - 10);
    store.revoke_subject(ISSUER, "old", at(now() - 3700));
    assert_eq!(store.len(), 3);
    assert_eq!(store.purge(SystemTime::now()), 2, "the expired token and the old cut-off");
    assert_eq!(store.len(), 1);
    // The live revocation still holds.
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_refused_saying(&response, &token, "revoked");
    assert_eq!(store.purge(at(exp(&live))), 0, "kept a second past `exp`");
    assert_eq!(store.purge(at(exp(&live) + 1)), 1);
    assert!(store.is_empty());
}

#[test]
fn an_issuer_leeway_beyond_the_stores_is_refused_at_build() {
    let store = store();
    let builder = hmac_builder::<Role>().leeway(Duration::from_secs(30));
    let error = builder.revocation(store).build().err();
    assert!(matches!(error, Some(ConfigError::RevocationLeeway { leeway: 30, kept: 0 })));
    let store = Arc::new(
        InMemoryRevocations::new(Duration::from_secs(60)).with_leeway(Duration::from_secs(30)),
    );
    let builder = hmac_builder::<Role>().leeway(Duration::from_secs(30));
    assert!(builder.revocation(store).build().is_ok());
}

#[tokio::test]
async fn tokens_of_the_testing_toolkit_can_be_revoked() {
    let store = store();
    let production = Authenticator::<Role>::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_url("https://issuer.test/keys")
        .revocation(store.clone());
    let auth = rbac_axum_test::TestAuth::new(production).expect("valid test configuration");
    let server = serve(auth.authenticator(), app).await;
    // `TestToken` stamps `jti`, `sub` and `iat` by default.
    let token = auth.token().role(Role::Viewer).claim("jti", json!("kit-1")).sign();
    let other = auth.token().role(Role::Viewer).sign();
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    store.revoke_token(ISSUER, "kit-1", now() + 300);
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_refused_saying(&response, &token, "revoked");
    server.allowed(Request::get("/viewer").bearer(&other)).await;
}

#[test]
fn an_issuer_without_its_iss_cannot_have_revocation() {
    // Revocations are filed under `iss`: an issuer accepting any `iss`
    // would let a revoked token through under another name.
    let unnamed = Authenticator::<Role>::builder().hmac(Algorithm::HS256, SECRET);
    let error = unnamed.revocation(store()).build().err();
    assert!(matches!(error, Some(ConfigError::RevocationWithoutIssuer)), "{error:?}");
    // Each issuer named: revocation is on.
    let trusted = Issuer::new(ISSUER).hmac(Algorithm::HS256, SECRET);
    let other = Issuer::new("https://other.test").hmac(Algorithm::HS256, [7u8; 32]);
    let both_named = Authenticator::<Role>::builder().trust(trusted).trust(other);
    assert!(both_named.revocation(store()).build().is_ok());
}

/// A store in front of an in-memory one that can be switched to "cannot
/// vouch": a shared store out of touch with its source.
struct Switchable {
    inner: InMemoryRevocations,
    unavailable: AtomicBool,
}

impl RevocationStore for Switchable {
    fn is_revoked(&self, token: TokenId<'_>) -> bool {
        self.inner.is_revoked(token)
    }

    fn max_token_lifetime(&self) -> Duration {
        self.inner.max_token_lifetime()
    }

    fn generation(&self) -> Option<u64> {
        self.inner.generation()
    }

    fn availability(&self) -> Result<(), RevocationsUnavailable> {
        if self.unavailable.load(Ordering::Acquire) {
            Err(RevocationsUnavailable { retry_after: Duration::from_millis(2_500) })
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_store_that_cannot_vouch_has_every_token_refused_with_503() {
    let store = Arc::new(Switchable {
        inner: InMemoryRevocations::new(Duration::from_secs(3600)),
        unavailable: AtomicBool::new(false),
    });
    let builder = hmac_builder::<Role>().cache_verified_tokens(64).revocation(store.clone());
    let server = server(builder).await;
    let token = hs256(&viewer("vouched-1"));
    // Found unrevoked at the store's generation, and cached.
    for _ in 0..2 {
        server.allowed(Request::get("/viewer").bearer(&token)).await;
    }

    store.unavailable.store(true, Ordering::Release);
    // The generation has not changed: still asked, on every way in.
    for path in ["/viewer", "/whoami", "/maybe", "/claims", "/layered"] {
        let response = server.refused(Request::get(path).bearer(&token)).await;
        assert_eq!(response.status, 503, "{path}: {response}");
        assert_eq!(response.header("retry-after"), Some("3"), "{path}: rounded up");
        assert_eq!(response.header("www-authenticate"), None, "no credentials would cure it");
        let body = response.json();
        assert_eq!(body["error"], "temporarily_unavailable", "{path}");
        assert!(body["error_description"].as_str().unwrap().contains("revocations"), "{body}");
    }
    // A request without a token is still 401, as before.
    assert_eq!(server.send(Request::get("/viewer")).await.status, 401);

    store.unavailable.store(false, Ordering::Release);
    server.allowed(Request::get("/viewer").bearer(&token)).await;
}
