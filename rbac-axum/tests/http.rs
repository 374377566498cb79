//! The spine of rbac-axum over a real socket: a good token reaches the
//! handler with its principal; each way a request can be refused gives the
//! RFC 6750 status, challenge and JSON body, and the handler never runs.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use std::time::Duration;

use axum::extract::State;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Auth, Authenticator, requires};
use rbac_test_support::{Request, Server, now, sign_hs256};
use serde_json::{Value, json};

use support::{
    AppState, SECRET, assert_insufficient, assert_invalid_request, assert_invalid_token,
    assert_no_credentials, assert_refusal, claims, hmac_builder, hs256, insufficient_scope,
    insufficient_without_scope_param, serve, token, with, without,
};

#[requires(role = "viewer")]
async fn me(State(state): State<AppState>, auth: Auth) -> Json<Value> {
    state.hit();
    Json(json!({
        "subject": auth.subject(),
        "roles": auth.role_names(),
        "scopes": auth.scopes(),
        "is_admin": auth.has_role(Role::Admin),
        "is_editor": auth.has_role(Role::Editor),
    }))
}

#[requires(
    any(role = "admin", all(role = "viewer", scope = "posts:write")),
    not(scope = "users:read")
)]
async fn nested(State(state): State<AppState>) -> &'static str {
    state.hit();
    "nested"
}

#[requires(not(all(role = "editor", not(scope = "posts:read"))))]
async fn double_negation(State(state): State<AppState>) -> &'static str {
    state.hit();
    "double negation"
}

/// An alias hides `Auth` from `#[requires]`, which then keeps the principal
/// to itself: the extractor verifies the token again, with the same result.
type Me = Auth;

#[requires(role = "viewer")]
async fn aliased(State(state): State<AppState>, me: Me) -> Json<Value> {
    state.hit();
    Json(json!({ "subject": me.subject(), "roles": me.role_names() }))
}

/// The body is the handler's only argument: the guard wraps the body
/// extractor itself.
#[requires(role = "viewer")]
async fn echo(body: String) -> String {
    body
}

fn app(state: AppState) -> Router {
    app::routes(
        state,
        [
            ("/me", get(me)),
            ("/nested", get(nested)),
            ("/double-negation", get(double_negation)),
            ("/aliased", get(aliased)),
            ("/echo", post(echo)),
        ],
    )
}

async fn server() -> Server {
    serve(hmac_builder::<Role>().build().expect("valid test configuration"), app).await
}

#[tokio::test]
async fn good_token_is_200_and_auth_sees_subject_roles_and_scopes() {
    let server = server().await;
    let token = token(&["editor"], "posts:read posts:write undeclared:scope");
    let response = server.allowed(Request::get("/me").bearer(&token)).await;
    assert!(response.header("WWW-Authenticate").is_none(), "{response}");
    assert_eq!(
        response.json(),
        json!({
            "subject": "user-1",
            "roles": ["editor", "viewer"],
            "scopes": ["posts:read", "posts:write", "undeclared:scope"],
            "is_admin": false,
            "is_editor": true,
        })
    );
}

#[tokio::test]
async fn auth_behind_a_type_alias_sees_the_same_principal() {
    let server = server().await;
    let token = token(&["editor"], "posts:read");
    let response = server.allowed(Request::get("/aliased").bearer(&token)).await;
    assert_eq!(response.json(), json!({ "subject": "user-1", "roles": ["editor", "viewer"] }));
}

#[tokio::test]
async fn missing_header_is_401_without_error_param() {
    let server = server().await;
    let response = server.refused(Request::get("/viewer")).await;
    assert_no_credentials(&response, &[SECRET]);
    let challenge = response.challenge();
    assert_eq!(challenge.params.len(), 1, "only realm: {response}");
}

#[tokio::test]
async fn bad_signature_is_401_invalid_token() {
    let server = server().await;
    let token = sign_hs256(b"another secret that is 32+ bytes long", &claims(&["admin"], ""));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
}

#[tokio::test]
async fn expired_token_is_401_invalid_token() {
    let server = server().await;
    let token = hs256(&with(claims(&["admin"], ""), "exp", json!(now() - 60)));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    assert!(response.json()["error_description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn wrong_issuer_is_401_invalid_token() {
    let server = server().await;
    let token = hs256(&with(claims(&["admin"], ""), "iss", json!("https://evil.test")));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    assert!(response.json()["error_description"].as_str().unwrap().contains("iss"));
}

#[tokio::test]
async fn wrong_audience_is_401_invalid_token() {
    let server = server().await;
    let token = hs256(&with(claims(&["admin"], ""), "aud", json!("another-api")));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    assert!(response.json()["error_description"].as_str().unwrap().contains("aud"));
}

#[tokio::test]
async fn future_nbf_is_401_invalid_token() {
    let server = server().await;
    let token = hs256(&with(claims(&["admin"], ""), "nbf", json!(now() + 300)));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    assert!(response.json()["error_description"].as_str().unwrap().contains("nbf"));
}

#[tokio::test]
async fn garbage_token_is_401_invalid_token() {
    let server = server().await;
    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30", "....", "x.y.z.w"] {
        let response = server.refused(Request::get("/viewer").bearer(garbage)).await;
        assert_invalid_token(&response, garbage);
    }
}

#[tokio::test]
async fn missing_role_is_403_insufficient_scope() {
    let server = server().await;
    let token = token(&["editor"], "users:read users:write posts:read posts:write");
    let response = server.refused(Request::get("/admin").bearer(&token)).await;
    // A role requirement names no scope.
    assert_insufficient(&response, None, &token);
    assert_eq!(response.json()["missing_roles"], json!(["admin"]));
}

#[tokio::test]
async fn missing_scope_is_403_with_scope_param() {
    let server = server().await;
    let token = token(&["admin"], "posts:read");
    let response = server.refused(Request::get("/posts/write").bearer(&token)).await;
    assert_insufficient(&response, Some("posts:write"), &token);
    assert_eq!(response.json()["missing_scopes"], json!(["posts:write"]));

    let allowed = support::token(&[], "posts:write");
    server.allowed(Request::get("/posts/write").bearer(&allowed)).await;
}

#[tokio::test]
async fn empty_token_is_400_invalid_request() {
    let server = server().await;
    for value in ["Bearer", "Bearer ", "Bearer     "] {
        let response = server.refused(Request::get("/viewer").header("Authorization", value)).await;
        assert_invalid_request(&response, &[SECRET]);
    }
}

#[tokio::test]
async fn two_authorization_headers_are_400_invalid_request() {
    let server = server().await;
    let good = token(&["admin"], "");
    let bad = sign_hs256(b"another secret that is 32+ bytes long", &claims(&["admin"], ""));
    for (first, second) in [(&good, &good), (&good, &bad), (&bad, &good)] {
        let response = server.refused(Request::get("/viewer").bearer(first).bearer(second)).await;
        assert_invalid_request(&response, &[first.as_bytes(), second.as_bytes(), SECRET]);
    }
}

#[tokio::test]
async fn denied_post_with_json_body_is_401_or_403_not_415_or_422() {
    let server = server().await;
    let body = r#"{"name":"mallory"}"#;
    let json_post = || Request::post("/users").body("application/json", body);

    let response = server.refused(json_post()).await;
    assert_no_credentials(&response, &[SECRET]);

    let viewer = token(&["viewer"], "users:write");
    let response = server.refused(json_post().bearer(&viewer)).await;
    assert_insufficient(&response, None, &viewer);

    let no_scope = token(&["admin"], "users:read");
    let response = server.refused(json_post().bearer(&no_scope)).await;
    assert_insufficient(&response, Some("users:write"), &no_scope);

    // A body the Json extractor would refuse with 400/422 is never looked at.
    for bad_body in [r#"{"name":"#, r#"["not", "an", "object"]"#, "\u{1}\u{2}"] {
        let response =
            server.refused(Request::post("/users").body("application/json", bad_body)).await;
        assert_no_credentials(&response, &[SECRET]);
    }

    // The guard passed, the handler's own extractor runs: 200.
    let admin = token(&["admin"], "users:write");
    let response = server.allowed(json_post().bearer(&admin)).await;
    assert_eq!(response.json(), json!({ "created": { "name": "mallory" } }));
}

#[tokio::test]
async fn denied_post_with_wrong_content_type_is_401_not_415() {
    let server = server().await;
    let text_post = || Request::post("/users").body("text/plain", "name=mallory");

    let response = server.refused(text_post()).await;
    assert_no_credentials(&response, &[SECRET]);

    let viewer = token(&["viewer"], "");
    let response = server.refused(text_post().bearer(&viewer)).await;
    assert_insufficient(&response, Some("users:write"), &viewer);

    let response = server.refused(Request::post("/users").bearer("not-a-jwt")).await;
    assert_invalid_token(&response, "not-a-jwt");

    // Only once the guard has passed does Json refuse the content type.
    let admin = token(&["admin"], "users:write");
    let response = server.refused(text_post().bearer(&admin)).await;
    assert_eq!(response.status, 415, "{response}");
}

#[tokio::test]
async fn two_requires_attributes_are_both_enforced() {
    let server = server().await;

    let role_only = token(&["editor"], "posts:read");
    let response = server.refused(Request::get("/publish").bearer(&role_only)).await;
    assert_insufficient(&response, Some("posts:write"), &role_only);

    let scope_only = token(&["viewer"], "posts:write");
    let response = server.refused(Request::get("/publish").bearer(&scope_only)).await;
    assert_insufficient(&response, None, &scope_only);
    assert_eq!(response.json()["missing_roles"], json!(["editor"]));

    let neither = token(&[], "");
    let response = server.refused(Request::get("/publish").bearer(&neither)).await;
    assert_eq!(response.status, 403, "{response}");

    let both = token(&["editor"], "posts:write");
    server.allowed(Request::get("/publish").bearer(&both)).await;
    let admin_both = token(&["admin"], "posts:write");
    server.allowed(Request::get("/publish").bearer(&admin_both)).await;
}

#[tokio::test]
async fn any_all_not_nested_behave_as_written() {
    let server = server().await;
    // any(role = "admin", all(role = "viewer", scope = "posts:write")), not(scope = "users:read")
    let rows = [
        (&["admin"][..], "", true),
        (&["viewer"], "posts:write", true),
        (&["editor"], "posts:write posts:read", true),
        (&["viewer"], "", false),
        (&["editor"], "posts:read", false),
        (&[], "posts:write", false),
        (&["admin"], "users:read", false),
        (&["viewer"], "posts:write users:read", false),
        (&[], "", false),
    ];
    server.check_access("/nested", rows, token, insufficient_scope).await;

    // The refusal says what would help, and what is held but excluded.
    let viewer = token(&["viewer"], "");
    let response = server.refused(Request::get("/nested").bearer(&viewer)).await;
    assert_insufficient(&response, Some("posts:write"), &viewer);
    assert_eq!(response.json()["missing_roles"], json!(["admin"]));
    let excluded = token(&["admin"], "users:read");
    let response = server.refused(Request::get("/nested").bearer(&excluded)).await;
    assert_insufficient(&response, None, &excluded);
    let description = response.json()["error_description"].as_str().unwrap().to_owned();
    assert!(description.contains("users:read"), "{description}");

    // not(all(role = "editor", not(scope = "posts:read"))):
    // refused only to an editor (or admin) without posts:read.
    let rows = [
        (&["editor"][..], "", false),
        (&["admin"], "posts:write", false),
        (&["editor"], "posts:read", true),
        (&["viewer"], "", true),
        (&[], "", true),
    ];
    server.check_access("/double-negation", rows, token, insufficient_without_scope_param).await;
}

#[tokio::test]
async fn admin_token_passes_editor_and_viewer_handlers() {
    let server = server().await;
    let admin = token(&["admin"], "");
    for path in ["/admin", "/editor", "/viewer"] {
        server.allowed(Request::get(path).bearer(&admin)).await;
    }
    let editor = token(&["editor"], "");
    for path in ["/editor", "/viewer"] {
        server.allowed(Request::get(path).bearer(&editor)).await;
    }
}

#[tokio::test]
async fn viewer_token_is_refused_on_admin_and_editor_handlers() {
    let server = server().await;
    let viewer = token(&["viewer"], "users:read users:write posts:read posts:write");
    for (path, role) in [("/admin", "admin"), ("/editor", "editor")] {
        let response = server.refused(Request::get(path).bearer(&viewer)).await;
        assert_insufficient(&response, None, &viewer);
        assert_eq!(response.json()["missing_roles"], json!([role]));
    }
    let editor = token(&["editor"], "");
    let response = server.refused(Request::get("/admin").bearer(&editor)).await;
    assert_insufficient(&response, None, &editor);
    server.allowed(Request::get("/viewer").bearer(&viewer)).await;
}

#[tokio::test]
async fn auth_extractor_alone_authenticates() {
    let server = server().await;

    // Any valid token, even one with no roles.
    let token = hs256(&without(claims(&[], ""), "roles"));
    let response = server.allowed(Request::get("/whoami").bearer(&token)).await;
    assert_eq!(response.json(), json!({ "subject": "user-1", "roles": [], "scopes": [] }));

    let response = server.refused(Request::get("/whoami")).await;
    assert_no_credentials(&response, &[SECRET]);

    let expired = hs256(&with(claims(&["admin"], ""), "exp", json!(now() - 1)));
    let response = server.refused(Request::get("/whoami").bearer(&expired)).await;
    assert_invalid_token(&response, &expired);

    let response = server.refused(Request::get("/whoami").bearer(&token).bearer(&expired)).await;
    assert_invalid_request(&response, &[token.as_bytes(), expired.as_bytes(), SECRET]);
}

#[tokio::test]
async fn configured_realm_is_named_in_every_challenge() {
    let authenticator = hmac_builder::<Role>().realm("staff portal").build().expect("valid");
    let server = serve(authenticator, app).await;

    let response = server.refused(Request::get("/admin")).await;
    assert_refusal(&response, 401, None, "staff portal", &[SECRET]);

    let response = server.refused(Request::get("/admin").bearer("x.y.z")).await;
    assert_refusal(&response, 401, Some("invalid_token"), "staff portal", &[SECRET]);

    let response = server.refused(Request::get("/admin").header("Authorization", "Bearer")).await;
    assert_refusal(&response, 400, Some("invalid_request"), "staff portal", &[SECRET]);

    let viewer = token(&["viewer"], "");
    let response = server.refused(Request::get("/admin").bearer(&viewer)).await;
    assert_refusal(
        &response,
        403,
        Some("insufficient_scope"),
        "staff portal",
        &[viewer.as_bytes(), SECRET],
    );
}

/// Sends a request head announcing a body of `announced` bytes, and only
/// `sent` of them; reads what comes back within five seconds.
async fn head_then_silence(
    server: &Server,
    token: Option<&str>,
    announced: usize,
    sent: &[u8],
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.expect("connect");
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: localhost\r\n{authorization}\
         Content-Type: text/plain\r\nContent-Length: {announced}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write the head");
    stream.write_all(sent).await.expect("write part of the body");
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
    match read {
        Ok(Ok(n)) => String::from_utf8_lossy(&answer[..n]).into_owned(),
        Ok(Err(error)) => panic!("reading the answer: {error}"),
        Err(_) => "no answer within 5 s".to_owned(),
    }
}

#[tokio::test]
async fn a_body_only_handler_refuses_before_reading_the_body() {
    let server = server().await;
    // A megabyte announced, ten bytes sent: the refusal cannot have waited
    // for the body.
    let answer = head_then_silence(&server, None, 1 << 20, b"0123456789").await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let viewerless = token(&[], "posts:read");
    let answer = head_then_silence(&server, Some(&viewerless), 1 << 20, b"0123456789").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    // Allowed, the same handler waits for the whole body, then reads it.
    let viewer = token(&["viewer"], "");
    let answer = head_then_silence(&server, Some(&viewer), 20, b"0123456789").await;
    assert_eq!(answer, "no answer within 5 s", "it answered before the body was complete");
    let response =
        server.send(Request::post("/echo").bearer(&viewer).body("text/plain", "hi")).await;
    assert_eq!((response.status, response.text()), (200, "hi".to_owned()), "{response}");
}

/// The first argument may vanish under `#[cfg]`: the guard must not go
/// with it.
#[requires(role = "viewer")]
async fn first_argument_configured_out(#[cfg(any())] _never: Auth, body: String) -> String {
    body
}

#[tokio::test]
async fn a_guard_survives_a_configured_out_first_argument() {
    let app = Router::new()
        .route("/cfg", post(first_argument_configured_out))
        .with_state(hmac_builder::<Role>().build().expect("valid test configuration"));
    let server = Server::start(app, Default::default()).await;
    let response = server.send(Request::post("/cfg").body("text/plain", "hello")).await;
    assert_no_credentials(&response, &[SECRET]);
    let viewer = token(&["viewer"], "");
    let response =
        server.send(Request::post("/cfg").bearer(&viewer).body("text/plain", "hello")).await;
    assert_eq!((response.status, response.text()), (200, "hello".to_owned()), "{response}");
}

/// A layer that authenticates with its own authenticator before the
/// router's: the principal it stores must not pass the router's guard.
async fn authenticate_first(_: Auth, request: axum::extract::Request, next: Next) -> Response {
    next.run(request).await
}

#[tokio::test]
async fn a_principal_verified_by_another_authenticator_is_verified_again() {
    let other_secret = b"the layer's own secret, 32 bytes or more";
    let layer_authenticator = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, other_secret)
        .build()
        .expect("valid");
    let app = app(AppState::new(hmac_builder::<Role>().build().expect("valid test configuration")))
        .layer(axum::middleware::from_fn_with_state(layer_authenticator, authenticate_first));
    let server = Server::start(app, Default::default()).await;
    // Signed with the layer's key: the layer lets it in, the guard must not.
    let token = sign_hs256(other_secret, &claims(&["viewer"], ""));
    let response = server.refused(Request::get("/me").bearer(&token)).await;
    assert_invalid_token(&response, &token);
}
