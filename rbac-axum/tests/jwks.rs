//! Keys from identity providers, over real sockets: a local provider serves
//! a JWK Set and an OpenID Connect discovery document, and each fault of the
//! matrix (down at start-up, down mid-run, 5xx, slow past the timeout,
//! garbage, rotation, removal) is checked for which requests pass, which
//! are refused and how many fetches were made. The `case_NN_…` tests are
//! the remote parts of those cases of `SECURITY.md`.
//!
//! Most tests use `rbac-axum-test`'s `LocalProvider`, whose faults are
//! switched from the test, with tokens its `TestAuth` signs. A small
//! provider of this file's own serves what that one does not: https with a
//! private CA, a key set or a body of the test's choosing (an unusable key,
//! 2 MiB, JSON that is no key set), an issuer under a path or a discovery
//! document naming another issuer, and the trap for URLs named in a token.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::get;
use rbac_axum::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use rbac_axum::{
    Authenticator, AuthenticatorBuilder, ConfigError, Issuer, RemoteSettings, requires,
};
use rbac_axum_test::{Fault, LocalProvider, TestAuth};
use rbac_test_support::{Request, Response, Server, now};
use rustls::pki_types::PrivateKeyDer;
use serde_json::{Value, json};
use support::{AppState, SigningKey, assert_invalid_token, b64, serve};
use tokio_rustls::TlsAcceptor;

rbac_axum::roles! {
    admin: viewer,
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

// ------------------------------------------------------ LocalProvider ---

/// A viewer's token, signed with the provider's current key.
fn viewer_token(auth: &TestAuth<Role>) -> String {
    auth.token().role(Role::Viewer).sign()
}

/// An authenticator fetching its keys from `provider`'s JWK Set with the
/// provider's short timings, its first fetch done, and the tokens it
/// accepts (signed with the provider's current key).
async fn fetching_from(provider: &LocalProvider) -> TestAuth<Role> {
    let builder = Authenticator::<Role>::builder().jwks_url(provider.jwks_url());
    let auth = TestAuth::with_provider(builder, provider).unwrap();
    ready(&auth.authenticator()).await;
    auth
}

/// Checks `condition` every 50 ms until it holds or five seconds have
/// passed; whether it held.
async fn eventually<F>(condition: impl FnMut() -> F) -> bool
where
    F: Future<Output = bool>,
{
    rbac_test_support::eventually(Duration::from_secs(5), condition).await
}

// -------------------------------------------------- this file's provider ---

/// What the raw provider's JWKS endpoint answers.
#[derive(Clone)]
enum Mode {
    /// This document: a key set, or JSON that is none.
    Keys(Value),
    /// A body far larger than any key set (2 MiB).
    Huge,
}

struct ProviderState {
    mode: Mutex<Mode>,
    /// The `issuer` its discovery document names.
    issuer: Mutex<String>,
    jwks_hits: AtomicUsize,
    discovery_hits: AtomicUsize,
    other_hits: AtomicUsize,
}

/// A local identity provider on 127.0.0.1 serving what the test gives it,
/// for what `LocalProvider` does not serve: https, an issuer under a path
/// (`/realms/acme`), any JWKS body, and a count of requests to any other
/// path.
struct Provider {
    addr: SocketAddr,
    /// `http://127.0.0.1:port`, or `https://localhost:port`.
    base: String,
    state: Arc<ProviderState>,
}

impl Provider {
    async fn start(mode: Mode) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        Self::serve(mode, listener, format!("http://{addr}"))
    }

    /// The same provider over https as `localhost`, with a self-signed
    /// certificate (returned as PEM) that no system trusts.
    async fn start_tls(mode: Mode) -> (Self, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        let listener = TlsListener { tcp, acceptor: TlsAcceptor::from(Arc::new(config)) };
        (Self::serve(mode, listener, format!("https://localhost:{port}")), certified.cert.pem())
    }

    fn serve<L>(mode: Mode, listener: L, base: String) -> Self
    where
        L: axum::serve::Listener<Addr = SocketAddr>,
    {
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ProviderState {
            mode: Mutex::new(mode),
            issuer: Mutex::new(format!("{base}/realms/acme")),
            jwks_hits: AtomicUsize::new(0),
            discovery_hits: AtomicUsize::new(0),
            other_hits: AtomicUsize::new(0),
        });
        let router = Router::new()
            .route("/jwks", get(jwks))
            .route("/realms/acme/.well-known/openid-configuration", get(discovery))
            .fallback(other)
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { addr, base, state }
    }

    fn jwks_url(&self) -> String {
        format!("{}/jwks", self.base)
    }

    fn issuer(&self) -> String {
        self.state.issuer.lock().unwrap().clone()
    }

    fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }
}

async fn jwks(State(state): State<Arc<ProviderState>>) -> AxumResponse {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let mode = state.mode.lock().unwrap().clone();
    match mode {
        Mode::Keys(jwks) => axum::Json(jwks).into_response(),
        Mode::Huge => " ".repeat(2 * 1024 * 1024).into_response(),
    }
}

async fn discovery(State(state): State<Arc<ProviderState>>) -> AxumResponse {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let issuer = state.issuer.lock().unwrap().clone();
    let base = issuer.split("/realms/").next().unwrap_or_default().to_owned();
    axum::Json(json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks") })).into_response()
}

/// Accepts TCP connections and completes the TLS handshake one at a time;
/// a failed handshake (an untrusting client) is dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

async fn other(State(state): State<Arc<ProviderState>>) -> StatusCode {
    state.other_hits.fetch_add(1, Ordering::SeqCst);
    StatusCode::NOT_FOUND
}

fn key_set(keys: &[&SigningKey]) -> Mode {
    Mode::Keys(json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() }))
}

fn viewer_claims(iss: Option<&str>) -> Value {
    let mut claims = json!({ "sub": "u1", "roles": ["viewer"], "exp": now() + 600 });
    if let Some(iss) = iss {
        claims["iss"] = json!(iss);
    }
    claims
}

/// Short timings so each fault shows within a test.
fn fast() -> RemoteSettings {
    let mut settings = RemoteSettings::default();
    settings.min_refetch = Duration::from_secs(1);
    settings.timeout = Duration::from_secs(1);
    settings.refresh = Duration::from_secs(3600);
    settings.retry = Duration::from_secs(3600);
    settings.max_age_bounds = (Duration::from_millis(50), Duration::from_secs(3600));
    settings
}

fn remote(url: &str) -> AuthenticatorBuilder<Role> {
    Authenticator::<Role>::builder().jwks_url(url).remote_settings(fast())
}

fn by_discovery(issuer: &str) -> AuthenticatorBuilder<Role> {
    Authenticator::<Role>::builder().oidc(issuer).remote_settings(fast())
}

// ------------------------------------------------------------- checks ---

async fn ready(auth: &Authenticator<Role>) {
    assert!(auth.wait_for_keys(Duration::from_secs(5)).await, "the first fetch succeeds");
}

async fn get_viewer(server: &Server, token: &str) -> Response {
    server.send(Request::get("/viewer").bearer(token)).await
}

/// 500 `server_error`, no challenge, handler not run.
async fn assert_keys_unavailable(server: &Server, token: &str) {
    let response = server.refused(Request::get("/viewer").bearer(token)).await;
    assert_eq!(response.status, 500, "{response}");
    assert!(response.header("WWW-Authenticate").is_none(), "{response}");
    assert_eq!(response.json()["error"], "server_error", "{response}");
    assert!(!response.text().contains(token));
}

// ---------------------------------------------------------------- tests ---

#[tokio::test]
async fn keys_from_a_jwks_url_verify_tokens_by_kid() {
    let provider = LocalProvider::start().await;
    let auth = fetching_from(&provider).await;
    let server = serve(auth.authenticator(), app).await;
    server.allowed(Request::get("/viewer").bearer(&viewer_token(&auth))).await;
    assert_eq!(auth.authenticator().key_fetches(), 1);
    assert_eq!(provider.fetches(), 1);
}

#[tokio::test]
async fn a_new_kid_costs_one_fetch_for_a_burst_of_requests() {
    let provider = LocalProvider::start().await;
    let auth = fetching_from(&provider).await;
    let server = Arc::new(serve(auth.authenticator(), app).await);
    provider.rotate_keys();
    let token = viewer_token(&auth);
    let burst: Vec<_> = (0..16)
        .map(|_| {
            let (server, token) = (Arc::clone(&server), token.clone());
            tokio::spawn(async move { get_viewer(&server, &token).await.status })
        })
        .collect();
    for request in burst {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(server.calls(), 16);
    assert_eq!(auth.authenticator().key_fetches(), 2, "one start-up fetch, one for the new kid");
    assert_eq!(provider.fetches(), 2);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let provider = LocalProvider::start().await;
    let auth = fetching_from(&provider).await;
    let server = serve(auth.authenticator(), app).await;
    let forged = || auth.token().role(Role::Viewer).unknown_key().sign();
    for _ in 0..10 {
        let token = forged();
        assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&token)).await, &token);
    }
    assert_eq!(
        auth.authenticator().key_fetches(),
        2,
        "ten unknown kids inside the interval: one refetch"
    );
    // What is awaited here is the interval itself.
    tokio::time::sleep(provider.remote_settings().min_refetch + Duration::from_millis(100)).await;
    let token = forged();
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&token)).await, &token);
    assert_eq!(auth.authenticator().key_fetches(), 3, "after the interval, one more");
    assert_eq!(provider.fetches(), 3);
    server.allowed(Request::get("/viewer").bearer(&viewer_token(&auth))).await;
}

#[tokio::test]
async fn case_37_provider_unreachable_at_start_up_refuses_with_500() {
    let k1 = SigningKey::generate("k1");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let auth = remote(&format!("http://{closed}/jwks")).build().unwrap();
    assert!(!auth.wait_for_keys(Duration::from_millis(300)).await);
    let server = serve(auth.clone(), app).await;
    assert_keys_unavailable(&server, &k1.token(&viewer_claims(None))).await;
    assert_keys_unavailable(&server, &k1.token(&viewer_claims(None))).await;
    assert!(auth.key_fetches() >= 1);
}

#[tokio::test]
async fn a_provider_behind_a_private_ca_is_trusted_with_its_certificate() {
    let k1 = SigningKey::generate("k1");
    let (provider, ca) = Provider::start_tls(key_set(&[&k1])).await;
    assert!(provider.jwks_url().starts_with("https://localhost:"));
    // By JWKS URL and by discovery (the issuer is the https URL).
    let by_url = remote(&provider.jwks_url()).provider_ca_pem(&ca).build().unwrap();
    let found = by_discovery(&provider.issuer()).provider_ca_pem(&ca).build().unwrap();
    for auth in [by_url, found] {
        ready(&auth).await;
        let server = serve(auth.clone(), app).await;
        let iss = provider.issuer();
        server.allowed(Request::get("/viewer").bearer(&k1.token(&viewer_claims(Some(&iss))))).await;
    }
    assert_eq!(provider.jwks_hits(), 2);
}

#[tokio::test]
async fn a_provider_certificate_nobody_trusts_gives_no_keys() {
    let k1 = SigningKey::generate("k1");
    let (provider, _) = Provider::start_tls(key_set(&[&k1])).await;
    let auth = remote(&provider.jwks_url()).build().unwrap();
    assert!(!auth.wait_for_keys(Duration::from_millis(500)).await, "the handshake must fail");
    let server = serve(auth.clone(), app).await;
    assert_keys_unavailable(&server, &k1.token(&viewer_claims(None))).await;
    assert_eq!(provider.jwks_hits(), 0, "no request got through");
}

#[tokio::test]
async fn unusable_provider_ca_certificates_are_configuration_errors() {
    let garbage = remote("https://localhost:1/jwks").provider_ca_pem("not a certificate").build();
    assert!(matches!(garbage, Err(ConfigError::ProviderCa(_))), "{garbage:?}");
    let k1 = SigningKey::generate("k1");
    let (_, ca) = Provider::start_tls(key_set(&[&k1])).await;
    let without_fetching = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, [7u8; 32])
        .provider_ca_pem(&ca)
        .build();
    assert!(matches!(without_fetching, Err(ConfigError::ProviderCa(_))), "{without_fetching:?}");
}

#[tokio::test]
async fn an_unusable_key_in_a_fetched_set_is_skipped_not_fatal() {
    // A P-256 key published for ES384: this server can never verify with
    // it; the set's other key must still work.
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let p256 = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = p256.public_key().as_ref();
    let misfit = || {
        json!({
            "kty": "EC", "crv": "P-256", "alg": "ES384", "use": "sig", "kid": "misfit",
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        })
    };
    let k1 = SigningKey::generate("k1");
    let provider = Provider::start(Mode::Keys(json!({ "keys": [misfit(), k1.jwk()] }))).await;
    let auth = remote(&provider.jwks_url()).build().unwrap();
    ready(&auth).await;
    let server = serve(auth.clone(), app).await;
    server.allowed(Request::get("/viewer").bearer(&k1.token(&viewer_claims(None)))).await;
    assert_eq!(auth.key_fetches(), 1);
    // A set of nothing but unusable keys gives no keys: 500, never a pass.
    let provider = Provider::start(Mode::Keys(json!({ "keys": [misfit()] }))).await;
    let auth = remote(&provider.jwks_url()).build().unwrap();
    assert!(!auth.wait_for_keys(Duration::from_millis(300)).await);
    let server = serve(auth.clone(), app).await;
    assert_keys_unavailable(&server, &k1.token(&viewer_claims(None))).await;
}

#[tokio::test]
async fn provider_failing_at_start_up_refuses_then_recovers() {
    let provider = LocalProvider::start().await;
    provider.set_fault(Fault::ServerError);
    let builder = Authenticator::<Role>::builder().jwks_url(provider.jwks_url());
    let auth = TestAuth::with_provider(builder, &provider).unwrap();
    let server = serve(auth.authenticator(), app).await;
    let token = viewer_token(&auth);
    // Refused, never let through, while no fetch has succeeded.
    assert_keys_unavailable(&server, &token).await;
    assert!(provider.fetches() >= 1, "the provider was asked");
    provider.set_fault(Fault::None);
    let passes = || async { get_viewer(&server, &token).await.status == 200 };
    assert!(eventually(passes).await, "a later fetch gets the keys");
    server.allowed(Request::get("/viewer").bearer(&token)).await;
}

#[tokio::test]
async fn provider_down_mid_run_keeps_known_keys_working() {
    fault_keeps_known_keys(Fault::Down, 0).await;
}

/// After the first fetch, the provider misbehaves as `fault` and publishes
/// a new key: known keys keep working, a token naming the new key is
/// refused after one failed refetch, of which `reached` got to the
/// provider's handlers. Returns how long that refusal took.
async fn fault_keeps_known_keys(fault: Fault, reached: usize) -> Duration {
    let provider = LocalProvider::start().await;
    let auth = fetching_from(&provider).await;
    let server = serve(auth.authenticator(), app).await;
    let known = viewer_token(&auth);
    provider.set_fault(fault);
    provider.rotate_keys();
    server.allowed(Request::get("/viewer").bearer(&known)).await;
    let unknown = viewer_token(&auth);
    let started = Instant::now();
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&unknown)).await, &unknown);
    let took = started.elapsed();
    server.allowed(Request::get("/viewer").bearer(&known)).await;
    assert_eq!(auth.authenticator().key_fetches(), 2, "the unknown kid tried one refetch");
    assert_eq!(provider.fetches(), 1 + reached);
    took
}

/// After the first fetch, the provider answers `answer` instead of a key
/// set: known keys keep working, an unknown `kid` is refused after one
/// failed refetch.
async fn unusable_answer_keeps_known_keys(answer: Mode) {
    let (k1, k2) = (SigningKey::generate("k1"), SigningKey::generate("k2"));
    let provider = Provider::start(key_set(&[&k1])).await;
    let auth = remote(&provider.jwks_url()).build().unwrap();
    ready(&auth).await;
    let server = serve(auth.clone(), app).await;
    provider.set(answer);
    let unknown = k2.token(&viewer_claims(None));
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&unknown)).await, &unknown);
    server.allowed(Request::get("/viewer").bearer(&k1.token(&viewer_claims(None)))).await;
    assert_eq!(auth.key_fetches(), 2);
    assert_eq!(provider.jwks_hits(), 2);
}

#[tokio::test]
async fn provider_5xx_keeps_known_keys() {
    fault_keeps_known_keys(Fault::ServerError, 1).await;
}

#[tokio::test]
async fn provider_slower_than_the_timeout_keeps_known_keys() {
    let took = fault_keeps_known_keys(Fault::Slow(Duration::from_secs(5)), 1).await;
    assert!(took < Duration::from_secs(4), "the refetch gave up at the timeout: {took:?}");
}

#[tokio::test]
async fn provider_garbage_keeps_known_keys() {
    fault_keeps_known_keys(Fault::GarbageJson, 1).await;
}

#[tokio::test]
async fn provider_sending_a_huge_body_keeps_known_keys() {
    unusable_answer_keeps_known_keys(Mode::Huge).await;
}

#[tokio::test]
async fn provider_invalid_json_keeps_known_keys() {
    unusable_answer_keeps_known_keys(Mode::Keys(json!({ "keys": "nope" }))).await;
}

#[tokio::test]
async fn rotated_and_removed_keys_follow_the_refresh() {
    let provider = LocalProvider::start().await;
    let auth = fetching_from(&provider).await;
    let server = serve(auth.authenticator(), app).await;
    let old = viewer_token(&auth);
    server.allowed(Request::get("/viewer").bearer(&old)).await;
    // A new key replaces the old one; a request naming the new key makes
    // the authenticator fetch the new set at once, without the old key.
    provider.replace_keys();
    server.allowed(Request::get("/viewer").bearer(&viewer_token(&auth))).await;
    assert_eq!(provider.fetches(), 2);
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&old)).await, &old);
    server.allowed(Request::get("/viewer").bearer(&viewer_token(&auth))).await;
}

#[tokio::test]
async fn a_short_max_age_refreshes_the_keys_in_the_background() {
    let provider = LocalProvider::start().await;
    // `max-age=0`, raised to the 1 s lower bound of the test settings.
    provider.set_max_age(Some(Duration::ZERO));
    let auth = fetching_from(&provider).await;
    let server = serve(auth.authenticator(), app).await;
    let old = viewer_token(&auth);
    server.allowed(Request::get("/viewer").bearer(&old)).await;
    // The old key is retired and no token names the new one: only the
    // background refresh can learn that the old key is gone.
    provider.replace_keys();
    let refused = eventually(|| async {
        server.send(Request::get("/viewer").bearer(&old)).await.status == 401
    })
    .await;
    assert!(refused, "the background refresh drops the retired key");
    assert!(provider.fetches() >= 2, "{} fetches", provider.fetches());
    server.allowed(Request::get("/viewer").bearer(&viewer_token(&auth))).await;
}

#[tokio::test]
async fn discovery_finds_the_jwks_of_an_issuer_under_a_path() {
    let k1 = SigningKey::generate("k1");
    let provider = Provider::start(key_set(&[&k1])).await;
    let issuer = provider.issuer();
    let auth = by_discovery(&issuer).build().unwrap();
    ready(&auth).await;
    let server = serve(auth.clone(), app).await;
    server.allowed(Request::get("/viewer").bearer(&k1.token(&viewer_claims(Some(&issuer))))).await;
    assert_eq!(provider.state.discovery_hits.load(Ordering::SeqCst), 1);
    let other = k1.token(&viewer_claims(Some("http://other.test")));
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&other)).await, &other);
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_not_trusted() {
    let k1 = SigningKey::generate("k1");
    let provider = Provider::start(key_set(&[&k1])).await;
    let issuer = provider.issuer();
    *provider.state.issuer.lock().unwrap() = format!("{issuer}-impostor");
    let auth = by_discovery(&issuer).build().unwrap();
    assert!(!auth.wait_for_keys(Duration::from_millis(300)).await);
    let server = serve(auth.clone(), app).await;
    assert_keys_unavailable(&server, &k1.token(&viewer_claims(Some(&issuer)))).await;
    assert_eq!(provider.jwks_hits(), 0, "the key set of a mismatched document is never fetched");
}

#[tokio::test]
async fn several_issuers_the_tokens_iss_selects_the_keys() {
    let k1 = SigningKey::generate("k1");
    let provider = Provider::start(key_set(&[&k1])).await;
    let secret = [42u8; 32];
    let auth = Authenticator::<Role>::builder()
        .trust(Issuer::new("https://a.test").jwks_url(provider.jwks_url()).remote_settings(fast()))
        .trust(Issuer::new("https://b.test").hmac(Algorithm::HS256, secret))
        .build()
        .unwrap();
    ready(&auth).await;
    let server = serve(auth.clone(), app).await;
    server
        .allowed(Request::get("/viewer").bearer(&k1.token(&viewer_claims(Some("https://a.test")))))
        .await;
    let hs = |claims: &Value| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(&secret),
        )
        .unwrap()
    };
    server
        .allowed(Request::get("/viewer").bearer(&hs(&viewer_claims(Some("https://b.test")))))
        .await;
    // B's secret cannot speak for A, nor A's key for B.
    for token in [
        hs(&viewer_claims(Some("https://a.test"))),
        k1.token(&viewer_claims(Some("https://b.test"))),
        k1.token(&viewer_claims(Some("https://c.test"))),
        k1.token(&viewer_claims(None)),
    ] {
        assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&token)).await, &token);
    }
}

#[tokio::test]
async fn case_17_keys_named_in_a_token_are_never_fetched_from_a_jwks_issuer() {
    let (k1, evil) = (SigningKey::generate("k1"), SigningKey::generate("evil"));
    let provider = Provider::start(key_set(&[&k1])).await;
    let auth = remote(&provider.jwks_url()).build().unwrap();
    ready(&auth).await;
    let server = serve(auth.clone(), app).await;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("evil".into());
    header.jku = Some(format!("http://{}/evil-jwks", provider.addr));
    header.x5u = Some(format!("http://{}/evil-cert", provider.addr));
    let token = evil.token_with(header, &viewer_claims(None));
    assert_invalid_token(&server.refused(Request::get("/viewer").bearer(&token)).await, &token);
    assert_eq!(provider.state.other_hits.load(Ordering::SeqCst), 0, "jku/x5u never fetched");
}

#[tokio::test]
async fn insecure_or_conflicting_remote_configuration_is_refused_at_start_up() {
    let insecure = remote("http://idp.example/jwks").build();
    assert!(matches!(insecure, Err(ConfigError::InsecureUrl(_))), "{insecure:?}");
    let both = remote("https://idp.example/jwks").hmac(Algorithm::HS256, [1u8; 32]).build();
    assert!(matches!(both, Err(ConfigError::StaticAndRemoteKeys(_))), "{both:?}");
    let unnamed = Authenticator::<Role>::builder()
        .trust(Issuer::new("https://a.test").hmac(Algorithm::HS256, [1u8; 32]))
        .trust(Issuer::new("https://a.test").hmac(Algorithm::HS256, [2u8; 32]))
        .build();
    assert!(matches!(unnamed, Err(ConfigError::AmbiguousIssuers(_))), "{unnamed:?}");
}

#[test]
fn remote_keys_need_a_runtime() {
    let outside = remote("https://idp.example/jwks").build();
    assert!(matches!(outside, Err(ConfigError::NoRuntime)), "{outside:?}");
}
