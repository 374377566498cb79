//! Resource-server mode over a real socket: the service trusts an external
//! issuer's public key, issues no tokens and manages no users, and guards
//! its endpoints with that issuer's tokens alone.

mod common;

use common::{Request, TestServer, now};
use rbac_axum::jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const ISSUER: &str = "https://id.example.test";
const AUDIENCE: &str = "posts-api";

/// An ES256 issuer: its private key signs, its public key is configured.
struct Issuer {
    private_pem: String,
    public_pem: String,
}

impl Issuer {
    fn new() -> Issuer {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key pair");
        Issuer { private_pem: key.serialize_pem(), public_pem: key.public_key_pem() }
    }

    fn sign(&self, claims: &Value) -> String {
        let key = EncodingKey::from_ec_pem(self.private_pem.as_bytes()).expect("an EC key");
        encode(&Header::new(Algorithm::ES256), claims, &key).expect("signed")
    }
}

fn claims(sub: &str, roles: &[&str], scope: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "roles": roles, "scope": scope,
        "iat": now(), "exp": now() + 300,
    })
}

async fn start(issuer: &Issuer, dir: &tempfile::TempDir) -> TestServer {
    let key_path = dir.path().join("issuer.pem");
    std::fs::write(&key_path, &issuer.public_pem).expect("written");
    let key_path = key_path.to_str().expect("UTF-8").to_owned();
    TestServer::start_with(&[
        ("RBAC_EXAMPLE_TRUST_PUBLIC_KEY", &key_path),
        ("RBAC_EXAMPLE_TRUST_ALGORITHM", "ES256"),
        ("RBAC_EXAMPLE_ISSUER", ISSUER),
        ("RBAC_EXAMPLE_AUDIENCE", AUDIENCE),
    ])
    .await
}

#[tokio::test]
async fn resource_server_accepts_the_trusted_issuers_tokens() {
    let issuer = Issuer::new();
    let keys = tempfile::tempdir().expect("temporary directory");
    let server = start(&issuer, &keys).await;

    let editor = issuer.sign(&claims("ext|42", &["editor"], "posts:read posts:write"));
    let me = server.get("/users/me", Some(&editor)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(
        me.json(),
        json!({
            "subject": "ext|42", "roles": ["editor", "viewer"], "scopes": ["posts:read", "posts:write"],
        })
    );

    let created =
        server.json("POST", "/posts", &editor, json!({"title": "From afar", "body": ""})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["author"], "ext|42");

    let viewer = issuer.sign(&claims("ext|7", &["viewer"], "posts:read"));
    let posts = server.get("/posts", Some(&viewer)).await;
    assert_eq!(posts.status, 200);
    assert_eq!(posts.json().as_array().map(Vec::len), Some(1), "no demo post in this mode");
    let refused = server.json("POST", "/posts", &viewer, json!({"title": "x", "body": ""})).await;
    assert_eq!(refused.status, 403);
    server.stop().await;
}

#[tokio::test]
async fn resource_server_refuses_tokens_not_from_the_trusted_issuer() {
    let issuer = Issuer::new();
    let keys = tempfile::tempdir().expect("temporary directory");
    let server = start(&issuer, &keys).await;
    let good = claims("ext|42", &["admin"], "posts:read");

    let mut wrong_issuer = good.clone();
    wrong_issuer["iss"] = json!("https://evil.example");
    let mut wrong_audience = good.clone();
    wrong_audience["aud"] = json!("another-api");
    let impostor = Issuer::new();
    // Algorithm confusion: HS256 keyed with the (public) PEM text.
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(issuer.public_pem.as_bytes()),
    )
    .expect("signed");

    for (what, token) in [
        ("another issuer", issuer.sign(&wrong_issuer)),
        ("another audience", issuer.sign(&wrong_audience)),
        ("another key", impostor.sign(&good)),
        ("HS256 with the public key", confused),
    ] {
        let response = server.get("/posts", Some(&token)).await;
        assert_eq!(response.status, 401, "{what}: {}", response.text());
        assert_eq!(response.error_code(), "invalid_token", "{what}");
    }
    assert_eq!(server.get("/posts", Some(&issuer.sign(&good))).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn resource_server_issues_no_tokens_and_manages_no_users() {
    let issuer = Issuer::new();
    let keys = tempfile::tempdir().expect("temporary directory");
    let server = start(&issuer, &keys).await;
    let admin = issuer.sign(&claims("ext|1", &["admin"], "users:read users:write"));

    let token = server
        .token_request(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-demo"),
        ])
        .await;
    assert_eq!(token.status, 404);
    for (method, path) in
        [("GET", "/users"), ("POST", "/users"), ("DELETE", "/users/1"), ("PUT", "/users/1/roles")]
    {
        let response =
            server.send(Request::new(method, path).bearer(Some(&admin)).json(&json!({}))).await;
        assert_eq!(response.status, 404, "{method} {path}");
    }
    assert!(!server.data_dir.join("signing-key.bin").exists(), "no signing key is generated");
    server.stop().await;
}
