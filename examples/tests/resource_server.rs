//! Resource-server mode over a real socket: the service trusts an external
//! issuer (by a PEM public key, by a JWKS URL, or by its issuer URL through
//! OpenID Connect discovery), issues no tokens and manages no users, and
//! guards its endpoints with that issuer's tokens alone. The remote cases
//! run against a local provider on 127.0.0.1:0 (plain http is fetched from
//! loopback only).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::TestServer;
use rbac_axum::jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rbac_example::TRUSTED_LEEWAY;
use rbac_test_support::{Request, now};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

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

/// A fresh token id, as issuers stamp one in each token (`jti`).
fn token_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!("t-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn claims(sub: &str, roles: &[&str], scope: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "roles": roles, "scope": scope,
        "iat": now(), "exp": now() + 300, "jti": token_id(),
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
    for (method, path) in [
        ("GET", "/users"),
        ("POST", "/users"),
        ("DELETE", "/users/1"),
        ("PUT", "/users/1/roles"),
        ("POST", "/users/1/revoke"),
    ] {
        let response =
            server.send(Request::new(method, path).bearer(&admin).json(&json!({}))).await;
        assert_eq!(response.status, 404, "{method} {path}");
    }
    assert!(!server.data_dir.join("signing-key.bin").exists(), "no signing key is generated");
    server.stop().await;
}

fn assert_revoked(response: &rbac_test_support::Response, what: &str) {
    assert_eq!(response.status, 401, "{what}: {}", response.text());
    assert_eq!(response.json()["error_description"], "the token has been revoked", "{what}");
}

#[tokio::test]
async fn resource_server_revokes_a_subjects_tokens_and_a_logged_out_token() {
    let issuer = Issuer::new();
    let keys = tempfile::tempdir().expect("temporary directory");
    let server = start(&issuer, &keys).await;
    let admin = issuer.sign(&claims("ext|1", &["admin"], "users:write posts:read"));
    let editor = || issuer.sign(&claims("ext|42", &["editor"], "posts:read posts:write"));
    let (first, second) = (editor(), editor());
    let other = issuer.sign(&claims("ext|7", &["viewer"], "posts:read"));

    // Only an admin with `users:write` revokes a subject.
    let revoke = |token: &str| Request::post("/subjects/ext%7C42/revoke").bearer(token);
    let refused = server.send(revoke(&other)).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let revoked = server.send(revoke(&admin)).await;
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    for (what, token) in [("first", &first), ("second", &second)] {
        assert_revoked(&server.get("/posts", Some(token)).await, what);
    }
    assert_eq!(server.get("/posts", Some(&other)).await.status, 200, "another subject");
    // A token the issuer stamps after the revocation's second passes, once
    // the leeway its clock may be ahead by has passed too.
    let leeway = TRUSTED_LEEWAY.as_secs();
    let stamped = |iat: u64| {
        let mut fresh = claims("ext|42", &["editor"], "posts:read posts:write");
        fresh["iat"] = json!(iat);
        issuer.sign(&fresh)
    };
    let within_leeway = stamped(now() + leeway - 1);
    assert_revoked(&server.get("/posts", Some(&within_leeway)).await, "within the leeway");
    let fresh = stamped(now() + leeway + 1);
    assert_eq!(server.get("/posts", Some(&fresh)).await.status, 200);

    // Logging out revokes the caller's own token, whoever issued it.
    let logout = server.send(Request::post("/logout").bearer(&other)).await;
    assert_eq!(logout.status, 204, "{}", logout.text());
    assert_revoked(&server.get("/posts", Some(&other)).await, "logged out");
    server.stop().await;
}

#[tokio::test]
async fn resource_server_refuses_tokens_it_could_not_revoke() {
    let issuer = Issuer::new();
    let keys = tempfile::tempdir().expect("temporary directory");
    let server = start(&issuer, &keys).await;
    let good = claims("ext|42", &["viewer"], "posts:read");
    let without = |name: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().expect("an object").remove(name);
        claims
    };
    let mut too_long = good.clone();
    let lifetime = rbac_example::TRUSTED_MAX_TOKEN_LIFETIME.as_secs();
    too_long["exp"] = json!(now() + lifetime + 60);
    let mut ahead = good.clone();
    ahead["iat"] = json!(now() + 120);

    for (what, claims, says) in [
        ("without jti", without("jti"), "`jti`"),
        ("without iat", without("iat"), "`iat`"),
        ("living longer than a day", too_long, "lives longer"),
        ("issued in the future", ahead, "in the future"),
    ] {
        let response = server.get("/posts", Some(&issuer.sign(&claims))).await;
        assert_eq!(response.status, 401, "{what}: {}", response.text());
        assert_eq!(response.error_code(), "invalid_token", "{what}");
        let description = response.json()["error_description"].as_str().unwrap_or("").to_owned();
        assert!(description.contains(says), "{what}: {description}");
    }
    assert_eq!(server.get("/posts", Some(&issuer.sign(&good))).await.status, 200);
    server.stop().await;
}

// ------------------------------------------------ a local OIDC provider ---

/// The realm path of the local provider, as Keycloak lays out issuers.
const REALM_PATH: &str = "/realms/demo";
/// The audience the example is configured with against the provider.
const API: &str = "posts-api";

/// A tiny OpenID provider on `127.0.0.1:0`: one Ed25519 key, published as a
/// JWK Set, and a discovery document naming it. While `up` is false it
/// answers 503 to everything.
struct Provider {
    /// `http://127.0.0.1:<port>/realms/demo`.
    issuer: String,
    jwks_url: String,
    kid: &'static str,
    key: EncodingKey,
    up: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

#[derive(Clone)]
struct Published {
    discovery: Value,
    jwks: Value,
    up: Arc<AtomicBool>,
}

impl Provider {
    async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("bound address");
        let issuer = format!("http://{addr}{REALM_PATH}");
        let jwks_url = format!("{issuer}/protocol/openid-connect/certs");
        let kid = "demo-ed25519";

        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("a key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("the key just made");
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        let published = Published {
            discovery: json!({
                "issuer": issuer,
                "jwks_uri": jwks_url,
                "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
                "id_token_signing_alg_values_supported": ["EdDSA"],
            }),
            jwks: json!({"keys": [
                {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"},
            ]}),
            up: Arc::new(AtomicBool::new(true)),
        };
        let up = Arc::clone(&published.up);
        let router = axum::Router::new()
            .route(
                &format!("{REALM_PATH}/.well-known/openid-configuration"),
                get(|State(p): State<Published>| async move { p.serve(p.discovery.clone()) }),
            )
            .route(
                &format!("{REALM_PATH}/protocol/openid-connect/certs"),
                get(|State(p): State<Published>| async move { p.serve(p.jwks.clone()) }),
            )
            .with_state(published);
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("the provider serves");
        });
        Provider { issuer, jwks_url, kid, key: EncodingKey::from_ed_der(pkcs8.as_ref()), up, task }
    }

    /// Makes the provider answer 503 (`false`) or serve its documents.
    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// A token signed with the provider's key, naming `kid`.
    fn sign_with_kid(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        encode(&header, claims, &self.key).expect("signed")
    }

    /// A token as the provider issues it.
    fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(self.kid, claims)
    }

    /// Claims with the provider's `iss`, the API's `aud`, and `extra`.
    fn claims(&self, sub: &str, extra: Value) -> Value {
        let mut claims = json!({
            "iss": self.issuer, "aud": API, "sub": sub, "iat": now(), "exp": now() + 300,
            "jti": token_id(),
        });
        if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
            claims.extend(extra);
        }
        claims
    }
}

impl Published {
    fn serve(&self, document: Value) -> Response {
        if self.up.load(Ordering::SeqCst) {
            Json(document).into_response()
        } else {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The example in resource-server mode against `provider`, by its issuer
/// URL (discovery) or by its JWKS URL, with `extra` settings.
async fn start_against(
    provider: &Provider,
    by_discovery: bool,
    extra: &[(&str, &str)],
) -> TestServer {
    let mut vars = vec![("RBAC_EXAMPLE_AUDIENCE", API)];
    if by_discovery {
        vars.push(("RBAC_EXAMPLE_TRUST_ISSUER", &provider.issuer));
    } else {
        vars.push(("RBAC_EXAMPLE_TRUST_JWKS_URL", &provider.jwks_url));
        vars.push(("RBAC_EXAMPLE_ISSUER", &provider.issuer));
    }
    vars.extend_from_slice(extra);
    TestServer::start_with(&vars).await
}

/// What both remote key sources must give: the provider's tokens work,
/// a wrong audience or an unknown `kid` is 401, and `/token` is absent.
async fn check_provider_tokens(server: &TestServer, provider: &Provider) {
    assert_eq!(server.trusted_keys_ready, Some(true), "keys fetched before serving");

    let editor = provider.sign(
        &provider.claims("kc|42", json!({"roles": ["editor"], "scope": "posts:read posts:write"})),
    );
    let me = server.get("/users/me", Some(&editor)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["subject"], "kc|42");
    assert_eq!(me.json()["roles"], json!(["editor", "viewer"]));
    let created =
        server.json("POST", "/posts", &editor, json!({"title": "Signed afar", "body": ""})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["author"], "kc|42");

    let mut wrong_audience =
        provider.claims("kc|42", json!({"roles": ["editor"], "scope": "posts:read"}));
    wrong_audience["aud"] = json!("another-api");
    let unknown_kid = provider.sign_with_kid(
        "rotated-away",
        &provider.claims("kc|42", json!({"roles": ["editor"], "scope": "posts:read"})),
    );
    for (what, token) in
        [("another audience", provider.sign(&wrong_audience)), ("an unknown kid", unknown_kid)]
    {
        let response = server.get("/posts", Some(&token)).await;
        assert_eq!(response.status, 401, "{what}: {}", response.text());
        assert_eq!(response.error_code(), "invalid_token", "{what}");
        let challenge = response.header("WWW-Authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer realm=\"rbac-example\""), "{what}: {challenge}");
        assert!(challenge.contains("error=\"invalid_token\""), "{what}: {challenge}");
    }

    let token = server
        .token_request(&[("grant_type", "password"), ("username", "bob"), ("password", "bob-demo")])
        .await;
    assert_eq!(token.status, 404, "no password grant in resource-server mode");
    assert_eq!(server.get("/users", Some(&editor)).await.status, 404, "no user management");
}

#[tokio::test]
async fn resource_server_by_discovery_accepts_the_providers_tokens_only() {
    let provider = Provider::start().await;
    let server = start_against(&provider, true, &[]).await;
    check_provider_tokens(&server, &provider).await;
    server.stop().await;
}

#[tokio::test]
async fn a_private_ca_file_is_read_and_checked_at_start_up() {
    let provider = Provider::start().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let bind = |ca: std::path::PathBuf| {
        let dir = dir.path().to_str().expect("UTF-8 path").to_owned();
        let (issuer, jwks_url) = (provider.issuer.clone(), provider.jwks_url.clone());
        async move {
            let config = rbac_example::Config::from_lookup(|name| {
                Some(match name {
                    "RBAC_EXAMPLE_ADDR" => "127.0.0.1:0".to_owned(),
                    "RBAC_EXAMPLE_DATA_DIR" => dir.clone(),
                    "RBAC_EXAMPLE_AUDIENCE" => API.to_owned(),
                    "RBAC_EXAMPLE_ISSUER" => issuer.clone(),
                    "RBAC_EXAMPLE_TRUST_JWKS_URL" => jwks_url.clone(),
                    "RBAC_EXAMPLE_TRUST_CA" => ca.to_str().expect("UTF-8 path").to_owned(),
                    _ => return None,
                })
            })
            .expect("a valid configuration");
            rbac_example::Server::bind(&config).await.map(|_| ()).map_err(|e| e.to_string())
        }
    };
    let missing = dir.path().join("missing-ca.pem");
    let error = bind(missing.clone()).await.expect_err("no such file");
    assert!(error.contains("missing-ca.pem"), "{error}");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("write");
    let error = bind(garbage).await.expect_err("no certificate in it");
    assert!(error.contains("CA certificates"), "{error}");
    // A real certificate is taken (the provider here is plain http on
    // loopback, so it goes unused).
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, certified.cert.pem()).expect("write");
    bind(ca).await.expect("starts with a usable CA file");
}

#[tokio::test]
async fn resource_server_by_jwks_url_accepts_the_providers_tokens_only() {
    let provider = Provider::start().await;
    let server = start_against(&provider, false, &[]).await;
    check_provider_tokens(&server, &provider).await;
    server.stop().await;
}

#[tokio::test]
async fn resource_server_reads_keycloak_roles_with_the_keycloak_preset() {
    let provider = Provider::start().await;
    let server =
        start_against(&provider, true, &[("RBAC_EXAMPLE_TRUST_PRESET", "keycloak:posts-api")])
            .await;
    // Realm roles and this client's roles count; another client's roles
    // and a top-level `roles` claim do not.
    let token = provider.sign(&provider.claims(
        "kc|7",
        json!({
            "realm_access": {"roles": ["viewer", "offline_access"]},
            "resource_access": {"posts-api": {"roles": ["editor"]}, "admin-console": {"roles": ["admin"]}},
            "roles": ["admin"],
            "scope": "openid posts:read posts:write",
        }),
    ));
    let me = server.get("/users/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["roles"], json!(["editor", "viewer"]));

    // The default layout grants nothing under this preset.
    let flat = provider.sign(
        &provider.claims("kc|8", json!({"roles": ["editor"], "scope": "posts:read posts:write"})),
    );
    let refused = server.json("POST", "/posts", &flat, json!({"title": "x", "body": ""})).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.error_code(), "insufficient_scope");
    server.stop().await;
}

#[tokio::test]
async fn resource_server_answers_500_while_the_provider_has_served_no_keys() {
    let provider = Provider::start().await;
    provider.set_up(false);
    let server = start_against(&provider, true, &[("RBAC_EXAMPLE_TRUST_WAIT_SECS", "0")]).await;
    assert_eq!(server.trusted_keys_ready, Some(false), "the provider is down");

    let editor = provider.sign(
        &provider.claims("kc|42", json!({"roles": ["editor"], "scope": "posts:read posts:write"})),
    );
    let refused = server.json("POST", "/posts", &editor, json!({"title": "x", "body": ""})).await;
    assert_eq!(refused.status, 500, "refused, never let through: {}", refused.text());
    assert_eq!(refused.error_code(), "server_error");
    server.stop().await;
}

#[tokio::test]
async fn resource_server_uses_keys_that_arrive_after_start_up() {
    let provider = Provider::start().await;
    provider.set_up(false);
    let server = start_against(&provider, false, &[("RBAC_EXAMPLE_TRUST_WAIT_SECS", "0")]).await;
    assert_eq!(server.trusted_keys_ready, Some(false), "the provider is down");

    provider.set_up(true);
    let viewer = provider
        .sign(&provider.claims("kc|9", json!({"roles": ["viewer"], "scope": "posts:read"})));
    let posts = server.get("/posts", Some(&viewer)).await;
    assert_eq!(
        posts.status,
        200,
        "keys fetched when the first request needs them: {}",
        posts.text()
    );
    server.stop().await;
}

#[tokio::test]
async fn resource_server_by_issuer_url_refuses_a_provider_naming_another_issuer() {
    // The configured issuer differs from the one the discovery document
    // names (a trailing slash): no keys are taken from it.
    let provider = Provider::start().await;
    let issuer = format!("{}/", provider.issuer);
    let server = TestServer::start_with(&[
        ("RBAC_EXAMPLE_TRUST_ISSUER", &issuer),
        ("RBAC_EXAMPLE_AUDIENCE", API),
        ("RBAC_EXAMPLE_TRUST_WAIT_SECS", "1"),
    ])
    .await;
    assert_eq!(server.trusted_keys_ready, Some(false), "the document names another issuer");
    let mut claims = provider.claims("kc|1", json!({"roles": ["viewer"], "scope": "posts:read"}));
    claims["iss"] = json!(issuer);
    let response = server.get("/posts", Some(&provider.sign(&claims))).await;
    assert_eq!(response.status, 500, "{}", response.text());
    server.stop().await;
}
