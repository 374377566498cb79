//! The service described to OAuth clients, over a real socket: its API as
//! a protected resource (RFC 9728) in both modes, and, when it issues
//! tokens, its token endpoint as an authorization server (RFC 8414); and a
//! client that knows only the API's URL following both to a token.

mod common;

use common::{BOB, TestServer};
use rbac_test_support::{Request, Response, claims_of};
use serde_json::{Value, json};

const SCOPES: [&str; 4] = ["users:read", "users:write", "posts:read", "posts:write"];
const RESOURCE_METADATA: &str = "/.well-known/oauth-protected-resource";
const SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";

/// A metadata answer: 200, JSON that anyone may cache, with the headers
/// every answer of the service carries; its body.
fn metadata(response: &Response) -> Value {
    assert_eq!(response.status, 200, "{response}");
    assert_eq!(response.header("content-type"), Some("application/json"), "{response}");
    assert_eq!(response.header("cache-control"), Some("public, max-age=3600"), "{response}");
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"), "{response}");
    response.json()
}

/// The URL the test server is reached at.
fn base_url(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

#[tokio::test]
async fn the_token_endpoint_is_described_at_the_authorization_server_well_known_path() {
    let server = TestServer::start().await;
    let base = base_url(&server);

    let response = server.get(SERVER_METADATA, None).await;
    assert_eq!(
        metadata(&response),
        json!({
            "issuer": base,
            "token_endpoint": format!("{base}/token"),
            "grant_types_supported": ["password"],
            "token_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": [],
            "scopes_supported": SCOPES,
            "protected_resources": [base],
        })
    );
    // Required by RFC 8414 §2: present, though no response type exists
    // without an authorization endpoint.
    assert!(response.text().contains(r#""response_types_supported":[]"#), "{response}");
    assert!(!response.text().contains("authorization_endpoint"), "{response}");

    let post = server.send(Request::post(SERVER_METADATA).body("application/json", "{}")).await;
    assert_eq!(post.status, 405, "{post}");
    server.stop().await;
}

#[tokio::test]
async fn the_api_is_described_with_the_service_as_its_authorization_server() {
    let server = TestServer::start().await;
    let base = base_url(&server);

    let response = server.get(RESOURCE_METADATA, None).await;
    assert_eq!(
        metadata(&response),
        json!({
            "resource": base,
            "authorization_servers": [base],
            "scopes_supported": SCOPES,
            "bearer_methods_supported": ["header"],
            "resource_name": "rbac-example",
        })
    );
    // No token needed, and a bad one changes nothing.
    let with_token = server.get(RESOURCE_METADATA, Some("not.a.token")).await;
    assert_eq!(with_token.body, response.body);
    server.stop().await;
}

#[tokio::test]
async fn a_client_follows_the_metadata_from_the_api_to_a_token() {
    let server = TestServer::start().await;
    let api = base_url(&server);
    // The request a client starts with, without a token: its challenge
    // says where the API's metadata is (RFC 9728 §5.1).
    let refused = server.get("/posts", None).await;
    assert_eq!(refused.status, 401, "{refused}");
    let challenge = refused.challenge();
    let metadata_url = challenge.param("resource_metadata").expect("a pointer");
    // §3.1: the well-known path inserted after the API's host.
    assert_eq!(metadata_url, format!("{api}{RESOURCE_METADATA}"));
    let metadata_path = metadata_url.strip_prefix(&api).expect("on the service");
    // The document names the API by its origin (which §3.3 compares with
    // the URL requested: exactly so for the origin itself).
    let resource = metadata(&server.get(metadata_path, None).await);
    assert_eq!(resource["resource"], api);
    let issuer = resource["authorization_servers"][0].as_str().expect("an authorization server");

    // RFC 8414 §3: likewise after the issuer's host; §3.3: its `issuer`
    // must be the one the document was found from.
    let issuer_path = issuer.strip_prefix(&api).expect("the service is the issuer");
    let server_metadata =
        metadata(&server.get(&format!("{SERVER_METADATA}{issuer_path}"), None).await);
    assert_eq!(server_metadata["issuer"], issuer);
    assert!(
        server_metadata["grant_types_supported"]
            .as_array()
            .expect("a list")
            .contains(&"password".into())
    );
    let token_endpoint = server_metadata["token_endpoint"].as_str().expect("a token endpoint");
    let token_path = token_endpoint.strip_prefix(&api).expect("on the service");

    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "password")
        .append_pair("username", BOB.0)
        .append_pair("password", BOB.1)
        .append_pair("scope", "posts:read")
        .finish();
    let granted = server
        .send(Request::post(token_path).body("application/x-www-form-urlencoded", form))
        .await;
    assert_eq!(granted.status, 200, "{granted}");
    let token = granted.json()["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(claims_of(&token)["iss"], issuer);

    let posts = server.get("/posts", Some(&token)).await;
    assert_eq!(posts.status, 200, "{posts}");
    server.stop().await;
}

#[tokio::test]
async fn a_public_url_identifies_the_api_and_the_issuer() {
    let url = "https://posts.example.com";
    let server = TestServer::start_with(&[("RBAC_EXAMPLE_PUBLIC_URL", url)]).await;

    let resource = metadata(&server.get(RESOURCE_METADATA, None).await);
    assert_eq!(resource["resource"], url);
    assert_eq!(resource["authorization_servers"], json!([url]));
    let server_metadata = metadata(&server.get(SERVER_METADATA, None).await);
    assert_eq!(server_metadata["issuer"], url);
    assert_eq!(server_metadata["token_endpoint"], format!("{url}/token"));
    assert_eq!(server_metadata["protected_resources"], json!([url]));

    // Its tokens name it, and are accepted.
    let token = server.login(BOB, Some("posts:read")).await;
    assert_eq!(claims_of(&token)["iss"], url);
    let me = server.get("/users/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{me}");
    server.stop().await;
}

#[tokio::test]
async fn a_resource_server_names_the_trusted_issuer_and_describes_no_token_endpoint() {
    let issuer = "https://id.example.test";
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key pair");
    let keys = tempfile::tempdir().expect("a temporary directory");
    let key_path = keys.path().join("issuer.pem");
    std::fs::write(&key_path, key.public_key_pem()).expect("written");
    let server = TestServer::start_with(&[
        ("RBAC_EXAMPLE_TRUST_PUBLIC_KEY", key_path.to_str().expect("a UTF-8 path")),
        ("RBAC_EXAMPLE_TRUST_ALGORITHM", "ES256"),
        ("RBAC_EXAMPLE_ISSUER", issuer),
        ("RBAC_EXAMPLE_AUDIENCE", "posts-api"),
    ])
    .await;
    let base = base_url(&server);

    let response = server.get(RESOURCE_METADATA, None).await;
    assert_eq!(
        metadata(&response),
        json!({
            "resource": base,
            "authorization_servers": [issuer],
            "scopes_supported": SCOPES,
            "bearer_methods_supported": ["header"],
            "resource_name": "rbac-example",
        })
    );
    let none = server.get(SERVER_METADATA, None).await;
    assert_eq!(none.status, 404, "{none}");
    server.stop().await;
}

#[test]
fn plain_http_to_another_host_cannot_identify_the_api() {
    // Listening on a network address without TLS and without a public
    // URL: the derived `http://192.0.2.7:3000` is refused, saying what to set.
    let config = rbac_example::Config::from_lookup(|name| {
        (name == "RBAC_EXAMPLE_ADDR").then(|| "192.0.2.7:3000".to_owned())
    })
    .expect("a valid configuration");
    let error = rbac_example::authenticator_builder(
        &config,
        &rbac_example::Revocations::new(&config).expect("in-memory revocations"),
    )
    .map(drop)
    .expect_err("plain http");
    let message = error.to_string();
    assert!(message.starts_with("the public URL http://192.0.2.7:3000 cannot identify the API"));
    assert!(message.contains("set RBAC_EXAMPLE_PUBLIC_URL"), "{message}");
}
