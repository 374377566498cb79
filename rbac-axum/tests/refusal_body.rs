//! Refusal bodies in the application's format, over a real socket: each
//! kind of refusal answered with the default body, with RFC 9457
//! `application/problem+json`, and with an application's own renderer
//! (which also tries to set the status and the challenge); the status and
//! `WWW-Authenticate` are the same in all three, and no body repeats the
//! token.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use rbac_axum::{AuthError, AuthenticatorBuilder, Refusal, Rejection, TokenClaims};
use rbac_test_support::{Request, Response, Server, sign_hs256};
use serde_json::{Value, json};

use support::{
    AUDIENCE, AppState, ISSUER, SECRET, SigningKey, assert_json_error_body, assert_no_secrets,
    assert_refusal, captured_logs, claims, hmac_builder, serve, token,
};

/// Refuses after the guard, as a handler checking a resource would.
async fn deleted(State(state): State<AppState>) -> Rejection {
    state.auth.reject(AuthError::InvalidToken("the account was deleted".into()))
}

#[derive(serde::Deserialize)]
struct Tenant {
    #[allow(dead_code)]
    tenant: String,
}

/// `TokenClaims` on its own: a token without `tenant` is refused.
async fn tenant(State(state): State<AppState>, _claims: TokenClaims<Tenant>) -> &'static str {
    state.hit();
    "tenant"
}

fn app(state: AppState) -> Router {
    app::routes(state, [("/deleted", get(deleted)), ("/tenant", get(tenant))])
}

/// The body formats under test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    /// No `refusal_body`: today's JSON.
    Default,
    /// `refusal_body(Refusal::problem_json)`.
    Problem,
    /// An application's own, see [`custom`].
    Custom,
}

const FORMATS: [Format; 3] = [Format::Default, Format::Problem, Format::Custom];

/// The application's format: its own media type and members, everything
/// the view offers (its `Debug` too); and a status and a challenge of its
/// own, which must not reach the client.
fn custom(refusal: &Refusal) -> impl IntoResponse + use<> {
    let body = json!({
        "kind": format!("{:?}", refusal.kind()),
        "status": refusal.status().as_u16(),
        "code": refusal.code(),
        "message": refusal.description(),
        "realm": refusal.realm(),
        "roles": refusal.missing_roles(),
        "scopes": refusal.missing_scopes(),
        "forbidden": refusal.forbidden(),
        "debug": format!("{refusal:?}"),
    });
    (
        StatusCode::IM_A_TEAPOT,
        [
            (WWW_AUTHENTICATE, "Basic realm=\"elsewhere\""),
            (CONTENT_TYPE, "application/vnd.example.error+json"),
        ],
        [("x-app", "rendered")],
        Json(body),
    )
}

fn in_format(builder: AuthenticatorBuilder<Role>, format: Format) -> AuthenticatorBuilder<Role> {
    match format {
        Format::Default => builder,
        Format::Problem => builder.refusal_body(Refusal::problem_json),
        Format::Custom => builder.refusal_body(custom),
    }
}

/// The default test server, its refusals in `format`.
async fn server(format: Format) -> Server {
    serve(in_format(hmac_builder::<Role>(), format).build().expect("valid"), app).await
}

/// A server whose identity provider is unreachable: no keys, every token
/// refused with 500.
async fn keyless_server(format: Format) -> Server {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let builder = rbac_axum::Authenticator::<Role>::builder()
        .jwks_url(format!("http://{closed}/jwks"))
        .issuer(ISSUER)
        .audience(AUDIENCE);
    serve(in_format(builder, format).build().expect("valid"), app).await
}

/// The refusal of `request` in each format, the handler not run; the
/// status and the challenge the same in all three.
async fn in_every_format(request: impl Fn() -> Request, keyless: bool) -> [Response; 3] {
    let mut responses = Vec::new();
    for format in FORMATS {
        let server = if keyless { keyless_server(format).await } else { server(format).await };
        responses.push(server.refused(request()).await);
    }
    let [default, problem, custom] = <[Response; 3]>::try_from(responses).unwrap();
    for other in [&problem, &custom] {
        assert_eq!(other.status, default.status, "status: {other} vs {default}");
        assert_eq!(
            other.header_values("WWW-Authenticate"),
            default.header_values("WWW-Authenticate"),
            "challenge: {other} vs {default}"
        );
    }
    [default, problem, custom]
}

/// An RFC 9457 body for `status`, with the RFC 6750 `code` as `error`.
fn assert_problem(response: &Response, status: u16, code: Option<&str>, secrets: &[&[u8]]) {
    assert_eq!(response.header("Content-Type"), Some("application/problem+json"), "{response}");
    let body = response.json();
    assert_eq!(body["type"], "about:blank", "{response}");
    let reason = StatusCode::from_u16(status).unwrap().canonical_reason().unwrap();
    assert_eq!(body["title"], reason, "{response}");
    assert_eq!(body["status"], status, "{response}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{response}");
    assert_eq!(body.get("error").and_then(Value::as_str), code, "{response}");
    assert_no_secrets(response, secrets);
}

/// The application's body: its media type and header, the view as the
/// renderer saw it.
fn assert_custom(response: &Response, kind: &str, code: Option<&str>, secrets: &[&[u8]]) {
    assert_eq!(
        response.header("Content-Type"),
        Some("application/vnd.example.error+json"),
        "{response}"
    );
    assert_eq!(response.header("x-app"), Some("rendered"), "{response}");
    let body = response.json();
    assert_eq!(body["kind"], kind, "{response}");
    assert_eq!(body["status"], response.status, "{response}");
    assert_eq!(body["code"].as_str(), code, "{response}");
    assert_eq!(body["realm"], "api", "{response}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{response}");
    assert_no_secrets(response, secrets);
}

#[tokio::test]
async fn no_header_is_401_in_every_format() {
    let [default, problem, custom] = in_every_format(|| Request::get("/viewer"), false).await;
    assert_refusal(&default, 401, None, "api", &[SECRET]);
    assert_eq!(default.challenge().params.len(), 1, "only realm: {default}");
    assert_problem(&problem, 401, None, &[SECRET]);
    assert_custom(&custom, "MissingCredentials", None, &[SECRET]);
}

#[tokio::test]
async fn malformed_header_is_400_in_every_format() {
    let request = || Request::get("/viewer").header("Authorization", "Bearer ");
    let [default, problem, custom] = in_every_format(request, false).await;
    assert_refusal(&default, 400, Some("invalid_request"), "api", &[SECRET]);
    assert_problem(&problem, 400, Some("invalid_request"), &[SECRET]);
    assert_custom(&custom, "InvalidRequest", Some("invalid_request"), &[SECRET]);
}

#[tokio::test]
async fn bad_token_is_401_in_every_format() {
    let forged = sign_hs256(b"another secret that is 32+ bytes long", &claims(&["admin"], ""));
    let secrets: &[&[u8]] = &[forged.as_bytes(), SECRET];
    let [default, problem, custom] =
        in_every_format(|| Request::get("/viewer").bearer(&forged), false).await;
    assert_refusal(&default, 401, Some("invalid_token"), "api", secrets);
    assert_problem(&problem, 401, Some("invalid_token"), secrets);
    assert_custom(&custom, "InvalidToken", Some("invalid_token"), secrets);
}

#[tokio::test]
async fn missing_role_is_403_in_every_format() {
    let viewer = token(&["viewer"], "posts:read");
    let secrets: &[&[u8]] = &[viewer.as_bytes(), SECRET];
    let [default, problem, custom] =
        in_every_format(|| Request::get("/admin").bearer(&viewer), false).await;
    let challenge = assert_refusal(&default, 403, Some("insufficient_scope"), "api", secrets);
    assert_eq!(challenge.param("scope"), None, "{default}");
    assert_eq!(default.json()["missing_roles"], json!(["admin"]));
    assert_problem(&problem, 403, Some("insufficient_scope"), secrets);
    assert_eq!(problem.json()["missing_roles"], json!(["admin"]), "{problem}");
    assert!(problem.json().get("missing_scopes").is_none(), "{problem}");
    assert_custom(&custom, "InsufficientScope", Some("insufficient_scope"), secrets);
    assert_eq!(custom.json()["roles"], json!(["admin"]), "{custom}");
}

#[tokio::test]
async fn missing_scope_is_403_naming_it_in_every_format() {
    let admin = token(&["admin"], "posts:read");
    let secrets: &[&[u8]] = &[admin.as_bytes(), SECRET];
    let [default, problem, custom] =
        in_every_format(|| Request::get("/posts/write").bearer(&admin), false).await;
    let challenge = assert_refusal(&default, 403, Some("insufficient_scope"), "api", secrets);
    assert_eq!(challenge.param("scope"), Some("posts:write"), "{default}");
    assert_problem(&problem, 403, Some("insufficient_scope"), secrets);
    assert_eq!(problem.json()["missing_scopes"], json!(["posts:write"]), "{problem}");
    assert_custom(&custom, "InsufficientScope", Some("insufficient_scope"), secrets);
    assert_eq!(custom.json()["scopes"], json!(["posts:write"]), "{custom}");
}

#[tokio::test]
async fn keys_unavailable_is_500_without_challenge_in_every_format() {
    let key = SigningKey::generate("k1");
    let token = key.token(&claims(&["viewer"], ""));
    let secrets: &[&[u8]] = &[token.as_bytes()];
    let [default, problem, custom] =
        in_every_format(|| Request::get("/viewer").bearer(&token), true).await;
    // The custom renderer's challenge is removed too: a 500 has none.
    assert!(default.header_values("WWW-Authenticate").is_empty(), "{default}");
    assert_eq!(default.status, 500, "{default}");
    assert_json_error_body(&default, "server_error", secrets);
    assert_problem(&problem, 500, Some("server_error"), secrets);
    assert_custom(&custom, "ServerError", Some("server_error"), secrets);
}

#[tokio::test]
async fn extractors_and_reject_answer_in_the_chosen_format() {
    let server = server(Format::Problem).await;
    // `Auth` on its own.
    let response = server.refused(Request::get("/whoami")).await;
    assert_eq!(response.status, 401, "{response}");
    assert_problem(&response, 401, None, &[SECRET]);
    // `TokenClaims` whose claims do not fit.
    let viewer = token(&["viewer"], "");
    let response = server.refused(Request::get("/tenant").bearer(&viewer)).await;
    assert_eq!(response.challenge().param("error"), Some("invalid_token"), "{response}");
    assert_problem(&response, 401, Some("invalid_token"), &[viewer.as_bytes(), SECRET]);
    // `Authenticator::reject`, from a handler.
    let response = server.send(Request::get("/deleted").bearer(&viewer)).await;
    assert_eq!(response.status, 401, "{response}");
    assert_eq!(response.challenge().param("error"), Some("invalid_token"), "{response}");
    assert_problem(&response, 401, Some("invalid_token"), &[viewer.as_bytes(), SECRET]);
    assert_eq!(response.json()["detail"], "the account was deleted", "{response}");
}

#[tokio::test]
async fn a_panicking_renderer_still_refuses_with_the_default_body() {
    captured_logs();
    let authenticator = hmac_builder::<Role>()
        .refusal_body(|_: &Refusal| -> Json<Value> { panic!("bug in the renderer") })
        .build()
        .expect("valid");
    let server = serve(authenticator, app).await;
    let viewer = token(&["viewer"], "");
    let response = server.refused(Request::get("/admin").bearer(&viewer)).await;
    let challenge =
        assert_refusal(&response, 403, Some("insufficient_scope"), "api", &[viewer.as_bytes()]);
    assert_eq!(challenge.param("scope"), None);
    let response = server.refused(Request::get("/admin")).await;
    assert_refusal(&response, 401, None, "api", &[SECRET]);
    let logs = captured_logs();
    assert!(logs.contains("refusal body renderer panicked"), "the log says why:\n{logs}");
    assert!(!logs.contains(&viewer), "logs never hold the token");
}
