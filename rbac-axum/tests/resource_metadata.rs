//! Protected resource metadata (RFC 9728) over a real socket: served at
//! the well-known path the resource identifier gives (path-suffixed, or
//! the well-known path itself for an identifier without a path), to any
//! client with or without a token, as `application/json` that caches may
//! keep; and the configurations that cannot publish one refused at build.

// Tests may panic: `expect` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Authenticator, AuthenticatorBuilder, Issuer, ResourceMetadata};
use rbac_test_support::{Request, Response, Server};
use serde_json::json;

use support::{AUDIENCE, ISSUER, SECRET, hmac_builder, serve, token};

/// The test server for `builder` with its protected routes and the
/// metadata routes merged in.
async fn start(builder: AuthenticatorBuilder<Role>) -> Server {
    let authenticator = builder.build().expect("a valid configuration");
    serve(authenticator, |state| {
        let metadata = state.auth.resource_metadata_routes();
        app::routes(state, []).merge(metadata)
    })
    .await
}

/// The default test configuration, publishing metadata for `resource`.
fn publishing(resource: &str) -> AuthenticatorBuilder<Role> {
    let metadata = ResourceMetadata::new(resource).expect("a valid resource identifier");
    hmac_builder().resource_metadata(metadata)
}

/// A successful metadata answer: 200, JSON, cacheable by anyone.
fn assert_document(response: &Response) {
    assert_eq!(response.status, 200, "{response}");
    assert_eq!(response.header("content-type"), Some("application/json"), "{response}");
    assert_eq!(response.header("cache-control"), Some("public, max-age=3600"), "{response}");
    assert_eq!(response.header("www-authenticate"), None, "{response}");
}

#[tokio::test]
async fn an_identifier_with_a_path_is_served_at_the_path_suffixed_well_known_path() {
    let server = start(publishing("https://api.example.com/mcp")).await;

    let response = server.send(Request::get("/.well-known/oauth-protected-resource/mcp")).await;
    assert_document(&response);
    assert_eq!(
        response.json(),
        json!({
            "resource": "https://api.example.com/mcp",
            "authorization_servers": [ISSUER],
            "scopes_supported": ["users:read", "users:write", "posts:read", "posts:write"],
            "bearer_methods_supported": ["header"],
        })
    );

    // Nowhere else: not at the root form, not under the resource's path.
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp/",
        "/mcp/.well-known/oauth-protected-resource",
    ] {
        let response = server.send(Request::get(path)).await;
        assert_eq!(response.status, 404, "{path}: {response}");
    }
    assert_eq!(server.calls(), 0);
}

#[tokio::test]
async fn an_identifier_without_a_path_is_served_at_the_well_known_path_itself() {
    let metadata = ResourceMetadata::new("https://api.example.com")
        .expect("a valid resource identifier")
        .name("Example API")
        .documentation("https://docs.example.com/api")
        .expect("a valid documentation URL");
    let server = start(hmac_builder().resource_metadata(metadata)).await;

    let response = server.send(Request::get("/.well-known/oauth-protected-resource")).await;
    assert_document(&response);
    assert_eq!(
        response.json(),
        json!({
            "resource": "https://api.example.com",
            "authorization_servers": [ISSUER],
            "scopes_supported": ["users:read", "users:write", "posts:read", "posts:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Example API",
            "resource_documentation": "https://docs.example.com/api",
        })
    );
}

#[tokio::test]
async fn the_document_needs_no_token_and_a_bad_one_changes_nothing() {
    let server = start(publishing("https://api.example.com/mcp")).await;
    let path = "/.well-known/oauth-protected-resource/mcp";
    let anonymous = server.send(Request::get(path)).await;
    for request in [
        Request::get(path).bearer("not.a.token"),
        Request::get(path).bearer(&token(&["viewer"], "")),
        Request::get(path).header("Authorization", "Basic dXNlcjpwYXNz"),
    ] {
        let response = server.send(request).await;
        assert_document(&response);
        assert_eq!(response.body, anonymous.body);
    }

    // The API itself is as guarded as before.
    let refused = server.send(Request::get("/viewer")).await;
    assert_eq!(refused.status, 401, "{refused}");
    let allowed = server.send(Request::get("/viewer").bearer(&token(&["viewer"], ""))).await;
    assert_eq!(allowed.status, 200, "{allowed}");
}

#[tokio::test]
async fn head_gets_the_headers_and_other_methods_are_not_allowed() {
    let server = start(publishing("https://api.example.com/mcp")).await;
    let path = "/.well-known/oauth-protected-resource/mcp";
    let head = server.send(Request::new("HEAD", path)).await;
    assert_document(&head);
    assert!(head.body.is_empty(), "{head}");
    let post = server.send(Request::post(path).body("application/json", "{}")).await;
    assert_eq!(post.status, 405, "{post}");
}

#[tokio::test]
async fn every_trusted_issuer_is_an_authorization_server() {
    let key = |issuer: &str| Issuer::new(issuer).hmac(Algorithm::HS256, SECRET).audience(AUDIENCE);
    let builder = Authenticator::<Role>::builder()
        .trust(key("https://sso.example.com/realms/acme"))
        .trust(key("http://127.0.0.1:8080/issuer"))
        .resource_metadata(ResourceMetadata::new("http://localhost:3000/api").expect("loopback"));
    let server = start(builder).await;
    let response = server.send(Request::get("/.well-known/oauth-protected-resource/api")).await;
    assert_document(&response);
    let document = response.json();
    assert_eq!(document["resource"], "http://localhost:3000/api");
    assert_eq!(
        document["authorization_servers"],
        json!(["https://sso.example.com/realms/acme", "http://127.0.0.1:8080/issuer"])
    );
}

/// A role model without scopes.
mod plain {
    rbac_axum::roles! { member }
}

#[test]
fn without_an_issuer_or_scopes_those_members_are_left_out() {
    let authenticator = Authenticator::<plain::Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .resource_metadata(ResourceMetadata::new("https://api.example.com").expect("valid"))
        .build()
        .expect("a valid configuration");
    assert_eq!(
        authenticator.resource_metadata_json(),
        Some(r#"{"resource":"https://api.example.com","bearer_methods_supported":["header"]}"#)
    );
}

#[tokio::test]
async fn every_challenge_names_the_metadata_and_a_server_error_none() {
    let server = start(publishing("https://api.example.com/mcp")).await;
    let named =
        r#"resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp""#;
    let challenge = |response: &Response| response.header("www-authenticate").unwrap().to_owned();

    // 401 without credentials and with a bad token, 400, 403.
    let none = server.refused(Request::get("/viewer")).await;
    assert_eq!(none.status, 401);
    assert_eq!(challenge(&none), format!(r#"Bearer realm="api", {named}"#));
    let forged = format!("{}x", token(&["viewer"], ""));
    let invalid = server.refused(Request::get("/viewer").bearer(&forged)).await;
    assert_eq!(invalid.status, 401);
    assert!(
        challenge(&invalid)
            .starts_with(&format!(r#"Bearer realm="api", {named}, error="invalid_token""#))
    );
    let twice = Request::get("/viewer")
        .header("Authorization", "Bearer a")
        .header("Authorization", "Bearer b");
    let malformed = server.refused(twice).await;
    assert_eq!(malformed.status, 400);
    assert!(challenge(&malformed).contains(named));
    let viewer = token(&["viewer"], "");
    let insufficient = server.refused(Request::get("/admin").bearer(&viewer)).await;
    assert_eq!(insufficient.status, 403);
    assert!(challenge(&insufficient).contains(named), "{insufficient}");

    // Keys that cannot be fetched (nothing listens on port 9 of loopback):
    // 500, and no challenge, metadata or not.
    let metadata = ResourceMetadata::new("https://api.example.com/mcp").unwrap();
    let unreachable = Authenticator::<Role>::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .jwks_url("http://127.0.0.1:9/keys")
        .resource_metadata(metadata);
    let down = start(unreachable).await;
    let failed = down.refused(Request::get("/viewer").bearer(&viewer)).await;
    assert_eq!(failed.status, 500, "{failed}");
    assert_eq!(failed.header("www-authenticate"), None, "{failed}");

    // Without metadata, the challenge is as before.
    let plain = start(hmac_builder()).await;
    let none = plain.refused(Request::get("/viewer")).await;
    assert_eq!(challenge(&none), r#"Bearer realm="api""#);
}

#[tokio::test]
async fn without_resource_metadata_nothing_is_published() {
    let authenticator = hmac_builder::<Role>().build().expect("a valid configuration");
    assert_eq!(authenticator.resource_metadata_url(), None);
    assert_eq!(authenticator.resource_metadata_json(), None);
    let server = start(hmac_builder()).await;
    let response = server.send(Request::get("/.well-known/oauth-protected-resource")).await;
    assert_eq!(response.status, 404, "{response}");
}

#[test]
fn the_metadata_url_is_the_identifier_with_the_well_known_path_inserted() {
    for (resource, url) in [
        (
            "https://api.example.com/mcp",
            "https://api.example.com/.well-known/oauth-protected-resource/mcp",
        ),
        ("https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"),
        (
            "https://api.example.com/",
            "https://api.example.com/.well-known/oauth-protected-resource",
        ),
        (
            "http://127.0.0.1:3000/tenants/acme/mcp",
            "http://127.0.0.1:3000/.well-known/oauth-protected-resource/tenants/acme/mcp",
        ),
    ] {
        let authenticator = publishing(resource).build().expect("a valid configuration");
        assert_eq!(authenticator.resource_metadata_url(), Some(url), "{resource}");
    }
}

#[test]
fn an_issuer_that_is_not_a_url_cannot_be_listed_and_fails_the_build() {
    let error = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .issuer("rbac-tests")
        .resource_metadata(ResourceMetadata::new("https://api.example.com").expect("valid"))
        .build()
        .unwrap_err();
    assert_eq!(
        format!("{error:?}"),
        "resource metadata: the issuer `rbac-tests` is not usable: it is not an absolute URL \
         (relative URL without a base); resource metadata lists each trusted issuer's `iss` as \
         an authorization server (RFC 9728 §2), which clients find the authorization server's \
         metadata from"
    );
}

#[test]
fn a_resource_identifier_that_clients_cannot_use_is_a_sentence() {
    let error = ResourceMetadata::new("https://api.example.com/mcp#tools").unwrap_err();
    assert_eq!(
        format!("{error:?}"),
        "resource metadata: the resource identifier `https://api.example.com/mcp#tools` is not \
         usable: it has a fragment (`#…`)"
    );
    let error = ResourceMetadata::new("http://api.example.com/mcp").unwrap_err();
    assert_eq!(
        error.to_string(),
        "resource metadata: the resource identifier `http://api.example.com/mcp` is not usable: \
         it must use https (plain http only on a loopback address)"
    );
}
