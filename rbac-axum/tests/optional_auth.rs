//! Optional authentication over a real socket: `Option<Auth>` and
//! `Option<TokenClaims<T>>` are `None` for a request that makes no attempt
//! to authenticate, `Some` for a valid token, and refuse every failed
//! attempt exactly as `Auth` does (the handler never runs): a bad bearer
//! token, another scheme, or a token in the query string is never served
//! as anonymous.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rbac_axum::{Auth, Refusal, TokenClaims};
use rbac_test_support::{Request, Server, now, sign_hs256};
use serde_json::{Value, json};

use support::{
    AUDIENCE, AppState, ISSUER, SECRET, SigningKey, assert_invalid_request, assert_invalid_token,
    assert_no_credentials, claims, hmac_builder, hs256, serve, token, with,
};

/// Open to anyone; says whom it served.
async fn front_page(State(state): State<AppState>, auth: Option<Auth>) -> Json<Value> {
    state.hit();
    Json(match auth {
        Some(auth) => {
            json!({ "anonymous": false, "subject": auth.subject(), "roles": auth.role_names() })
        }
        None => json!({ "anonymous": true }),
    })
}

#[derive(serde::Deserialize)]
struct Tenant {
    tenant: String,
}

/// Open to anyone; a token, when sent, must carry a `tenant`.
async fn tenant(State(state): State<AppState>, claims: Option<TokenClaims<Tenant>>) -> Json<Value> {
    state.hit();
    Json(json!({ "tenant": claims.map(|TokenClaims(claims)| claims.tenant) }))
}

fn app(state: AppState) -> Router {
    app::routes(state, [("/front", get(front_page)), ("/tenant", get(tenant))])
}

async fn server() -> Server {
    serve(hmac_builder::<Role>().build().expect("valid test configuration"), app).await
}

#[tokio::test]
async fn no_credentials_is_anonymous() {
    let server = server().await;
    let response = server.allowed(Request::get("/front")).await;
    assert_eq!(response.json(), json!({ "anonymous": true }));
    assert!(response.header("WWW-Authenticate").is_none(), "{response}");
    // A query parameter that only starts like `access_token` is no attempt.
    let response = server.allowed(Request::get("/front?access_tokens=1&q=access_token")).await;
    assert_eq!(response.json(), json!({ "anonymous": true }));
}

#[tokio::test]
async fn valid_token_is_the_principal() {
    let server = server().await;
    let editor = token(&["editor"], "");
    let response = server.allowed(Request::get("/front").bearer(&editor)).await;
    assert_eq!(
        response.json(),
        json!({ "anonymous": false, "subject": "user-1", "roles": ["editor", "viewer"] })
    );
}

#[tokio::test]
async fn malformed_bearer_header_is_400_not_anonymous() {
    let server = server().await;
    for value in ["Bearer", "Bearer ", "Bearer    "] {
        let response = server.refused(Request::get("/front").header("Authorization", value)).await;
        assert_invalid_request(&response, &[SECRET]);
    }
    let good = token(&["viewer"], "");
    let response = server.refused(Request::get("/front").bearer(&good).bearer(&good)).await;
    assert_invalid_request(&response, &[good.as_bytes(), SECRET]);
    // Header and query at once: malformed, whatever the token.
    let response = server.refused(Request::get("/front?access_token=x").bearer(&good)).await;
    assert_invalid_request(&response, &[good.as_bytes(), SECRET]);
}

#[tokio::test]
async fn expired_forged_or_garbage_token_is_401_not_anonymous() {
    let server = server().await;
    let expired = hs256(&with(claims(&["viewer"], ""), "exp", json!(now() - 1)));
    let forged = sign_hs256(b"another secret that is 32+ bytes long", &claims(&["admin"], ""));
    let future = hs256(&with(claims(&["viewer"], ""), "nbf", json!(now() + 300)));
    let elsewhere = hs256(&with(claims(&["viewer"], ""), "aud", json!("another-api")));
    for token in [&expired, &forged, &future, &elsewhere] {
        let response = server.refused(Request::get("/front").bearer(token)).await;
        assert_invalid_token(&response, token);
    }
    for garbage in ["garbage", "a.b.c", "x.y.z.w", "a\"b", "{\"alg\":1}"] {
        let request = Request::get("/front").header("Authorization", format!("Bearer {garbage}"));
        let response = server.refused(request).await;
        assert_invalid_token(&response, garbage);
    }
}

#[tokio::test]
async fn another_scheme_is_401_with_a_bearer_challenge_not_anonymous() {
    let server = server().await;
    let valid = token(&["admin"], "");
    let basic_jwt = format!("Basic {valid}");
    for value in
        ["Basic dXNlcjpwYXNz", "Token abc", "Bearerx abc", "Digest a=b", "", basic_jwt.as_str()]
    {
        let response = server.refused(Request::get("/front").header("Authorization", value)).await;
        assert_no_credentials(&response, &[valid.as_bytes(), SECRET]);
        assert_eq!(response.challenge().params.len(), 1, "only realm: {response}");
    }
    let response = server
        .refused(Request::get("/front").header("Authorization", b"\xff\xfe".as_slice()))
        .await;
    assert_no_credentials(&response, &[SECRET]);
}

#[tokio::test]
async fn token_in_the_query_string_is_401_not_anonymous() {
    let server = server().await;
    let valid = token(&["admin"], "");
    for target in
        [format!("/front?access_token={valid}"), format!("/front?x=1&access_token={valid}")]
    {
        let response = server.refused(Request::get(&target)).await;
        assert_no_credentials(&response, &[valid.as_bytes(), SECRET]);
    }
    let response = server.refused(Request::get("/front?access_token=")).await;
    assert_no_credentials(&response, &[SECRET]);
}

#[tokio::test]
async fn keys_unavailable_is_500_not_anonymous() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let authenticator = rbac_axum::Authenticator::<Role>::builder()
        .jwks_url(format!("http://{closed}/jwks"))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .expect("valid");
    let server = serve(authenticator, app).await;
    let token = SigningKey::generate("k1").token(&claims(&["viewer"], ""));
    let response = server.refused(Request::get("/front").bearer(&token)).await;
    assert_eq!(response.status, 500, "{response}");
    assert!(response.header("WWW-Authenticate").is_none(), "{response}");
    support::assert_json_error_body(&response, "server_error", &[token.as_bytes()]);
    // Without credentials the same server serves anonymous callers.
    let response = server.allowed(Request::get("/front")).await;
    assert_eq!(response.json(), json!({ "anonymous": true }));
}

#[tokio::test]
async fn optional_token_claims_follow_option_auth() {
    let server = server().await;
    let response = server.allowed(Request::get("/tenant")).await;
    assert_eq!(response.json(), json!({ "tenant": null }));

    let acme = hs256(&with(claims(&["viewer"], ""), "tenant", json!("acme")));
    let response = server.allowed(Request::get("/tenant").bearer(&acme)).await;
    assert_eq!(response.json(), json!({ "tenant": "acme" }));

    // A valid token whose claims do not fit: refused, not anonymous.
    let without_tenant = token(&["viewer"], "");
    let response = server.refused(Request::get("/tenant").bearer(&without_tenant)).await;
    assert_invalid_token(&response, &without_tenant);

    let expired = hs256(&with(claims(&["viewer"], ""), "exp", json!(now() - 1)));
    let response = server.refused(Request::get("/tenant").bearer(&expired)).await;
    assert_invalid_token(&response, &expired);
    let response =
        server.refused(Request::get("/tenant").header("Authorization", "Basic dXNlcjpwYXNz")).await;
    assert_no_credentials(&response, &[SECRET]);
}

#[tokio::test]
async fn refusals_use_the_applications_body() {
    let authenticator = hmac_builder::<Role>()
        .refusal_body(Refusal::problem_json)
        .build()
        .expect("valid test configuration");
    let server = serve(authenticator, app).await;
    let forged = sign_hs256(b"another secret that is 32+ bytes long", &claims(&["admin"], ""));
    let response = server.refused(Request::get("/front").bearer(&forged)).await;
    assert_eq!(response.status, 401, "{response}");
    assert_eq!(response.challenge().param("error"), Some("invalid_token"), "{response}");
    assert_eq!(response.header("Content-Type"), Some("application/problem+json"), "{response}");
    assert_eq!(response.json()["error"], "invalid_token", "{response}");
    server.allowed(Request::get("/front")).await;
}
