//! The service the socket tests call: a role model, handlers guarded with
//! `#[requires]` as a service guards them, served on loopback; and what
//! each refusal must look like, as rbac-axum answers it (RFC 6750 §3).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rbac_axum::{Auth, Authenticator, requires};
use rbac_test_support::{HandlerCalls, Request, Response, Server};
use serde_json::{Value, json};

rbac_axum::roles! {
    state = AppState,
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:write", "posts:read", "posts:write"],
}

/// The router state: the authenticator, and the count of handler bodies
/// run, so a test can tell a refused request never reached one.
#[derive(Clone, FromRef)]
pub(crate) struct AppState {
    authenticator: Authenticator<Role>,
    calls: HandlerCalls,
}

/// What the principal the guard passed holds.
#[requires(role = "viewer")]
async fn viewer(State(calls): State<HandlerCalls>, auth: Auth) -> Json<Value> {
    calls.hit();
    Json(json!({
        "subject": auth.subject(),
        "roles": auth.role_names(),
        "scopes": auth.scopes(),
    }))
}

#[requires(role = "admin")]
async fn admin(State(calls): State<HandlerCalls>) -> &'static str {
    calls.hit();
    "admin"
}

#[requires(scope = "posts:write")]
async fn write_posts(State(calls): State<HandlerCalls>) -> &'static str {
    calls.hit();
    "written"
}

/// Serves `/viewer` (role `viewer`; answers with the principal's subject,
/// roles and scopes), `/admin` (role `admin`) and `/posts/write` (scope
/// `posts:write`), guarded by `authenticator`.
pub(crate) async fn serve(authenticator: Authenticator<Role>) -> Server {
    let calls = HandlerCalls::default();
    let router = Router::new()
        .route("/viewer", get(viewer))
        .route("/admin", get(admin))
        .route("/posts/write", get(write_posts))
        .with_state(AppState { authenticator, calls: calls.clone() });
    Server::start(router, calls).await
}

/// The JOSE header of a token, read without verifying it.
pub(crate) fn header_of(token: &str) -> Value {
    let header = token.split('.').next().expect("a JWT has a header");
    let bytes = URL_SAFE_NO_PAD.decode(header).expect("a base64url header");
    serde_json::from_slice(&bytes).expect("a JSON header")
}

/// The JSON body's `error_description`, checked present and not empty.
fn description(response: &Response) -> String {
    assert!(
        response.header("Content-Type").is_some_and(|ct| ct.starts_with("application/json")),
        "a JSON body: {response}"
    );
    let description = response.json()["error_description"].as_str().map(str::to_owned);
    description.filter(|d| !d.is_empty()).unwrap_or_else(|| panic!("a description: {response}"))
}

/// `GET /viewer` with `token` is refused as rbac-axum refuses a token it
/// does not accept: 401, `WWW-Authenticate: Bearer realm="api",
/// error="invalid_token", error_description="…"`, the body
/// `{"error": "invalid_token", "error_description": "…"}` with the same
/// description, which names `reason`; the handler did not run.
pub(crate) async fn assert_invalid_token(server: &Server, token: &str, reason: &str) -> Response {
    let response = server.refused(Request::get("/viewer").bearer(token)).await;
    assert_eq!(response.status, 401, "{response}");
    let description = description(&response);
    assert!(description.contains(reason), "refused for {reason}: {response}");
    assert_eq!(
        response.json(),
        json!({ "error": "invalid_token", "error_description": description }),
        "{response}"
    );
    let challenge =
        format!(r#"Bearer realm="api", error="invalid_token", error_description="{description}""#);
    assert_eq!(response.header("WWW-Authenticate"), Some(challenge.as_str()), "{response}");
    assert!(!response.text().contains(token), "the token is not repeated: {response}");
    response
}

/// `GET path` with `token` is refused as rbac-axum refuses a valid token
/// without the rights: 403, `WWW-Authenticate: Bearer realm="api",
/// error="insufficient_scope", error_description="…"` and, when scopes are
/// missing, `scope="…"`; the body names the same code and description and
/// lists what is missing; the handler did not run.
pub(crate) async fn assert_insufficient(
    server: &Server,
    path: &str,
    token: &str,
    missing_roles: &[&str],
    missing_scopes: &[&str],
) -> Response {
    let response = server.refused(Request::get(path).bearer(token)).await;
    assert_eq!(response.status, 403, "{response}");
    let description = description(&response);
    let mut body = json!({ "error": "insufficient_scope", "error_description": description });
    let mut challenge = format!(
        r#"Bearer realm="api", error="insufficient_scope", error_description="{description}""#
    );
    if !missing_roles.is_empty() {
        body["missing_roles"] = json!(missing_roles);
    }
    if !missing_scopes.is_empty() {
        body["missing_scopes"] = json!(missing_scopes);
        challenge.push_str(&format!(r#", scope="{}""#, missing_scopes.join(" ")));
    }
    assert_eq!(response.json(), body, "{response}");
    assert_eq!(response.header("WWW-Authenticate"), Some(challenge.as_str()), "{response}");
    response
}

/// `GET /viewer` with `token` is refused as rbac-axum refuses while it has
/// no keys: 500 `server_error`, no challenge (the client is not at fault);
/// the handler did not run.
pub(crate) async fn assert_keys_unavailable(server: &Server, token: &str) -> Response {
    let response = server.refused(Request::get("/viewer").bearer(token)).await;
    assert_eq!(response.status, 500, "{response}");
    assert_eq!(response.header("WWW-Authenticate"), None, "{response}");
    let description = description(&response);
    assert_eq!(
        response.json(),
        json!({ "error": "server_error", "error_description": description }),
        "{response}"
    );
    response
}
