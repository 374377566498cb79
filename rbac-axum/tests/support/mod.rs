//! What the socket tests of rbac-axum share beyond the raw client and the
//! counting server of `rbac-test-support`: router state holding the
//! authenticator, token builders for the default test server, the
//! assertions every refused request must pass, key pairs, a listener that
//! proves nothing is fetched, and captured logs.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rbac_axum::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use rbac_axum::{Authenticator, AuthenticatorBuilder};
use rbac_test_support::{Challenge, HandlerCalls, Refused, Response, Server, now, sign_hs256};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

/// The HMAC secret of the default test server.
pub(crate) const SECRET: &[u8] = b"integration tests: a 32+ byte HS256 secret";
/// The issuer the default test server requires.
pub(crate) const ISSUER: &str = "https://issuer.test";
/// The audience the default test server requires.
pub(crate) const AUDIENCE: &str = "rbac-tests";

// ---------------------------------------------------------------- state ---

/// Router state: the authenticator (via `FromRef`) and the counter every
/// handler body hits, so a test can tell whether a handler ran.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) auth: Authenticator<crate::Role>,
    pub(crate) calls: HandlerCalls,
}

impl AppState {
    pub(crate) fn new(auth: Authenticator<crate::Role>) -> Self {
        Self { auth, calls: HandlerCalls::default() }
    }

    /// Called first thing in every handler body.
    pub(crate) fn hit(&self) {
        self.calls.hit();
    }
}

impl FromRef<AppState> for Authenticator<crate::Role> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl rbac_axum::AuthState for AppState {
    type Model = crate::Role;

    fn authenticator(&self) -> Authenticator<crate::Role> {
        self.auth.clone()
    }
}

/// Serves `router(state)` for `auth` on an ephemeral port.
pub(crate) async fn serve(
    auth: Authenticator<crate::Role>,
    router: fn(AppState) -> Router,
) -> Server {
    let state = AppState::new(auth);
    let calls = state.calls.clone();
    Server::start(router(state), calls).await
}

// ----------------------------------------------------------- assertions ---

/// What a refused request must look like: `status`; a `Bearer` challenge
/// naming `realm`, with `error="<error>"` exactly when `error` is `Some`; a
/// JSON body with `error` and `error_description` that repeats none of
/// `secrets` (the token, the key).
pub(crate) fn assert_refusal(
    response: &Response,
    status: u16,
    error: Option<&str>,
    realm: &str,
    secrets: &[&[u8]],
) -> Challenge {
    assert_eq!(response.status, status, "status: {response}");
    let challenge = response.challenge();
    assert_eq!(challenge.param("realm"), Some(realm), "realm: {response}");
    assert_eq!(challenge.param("error"), error, "error param: {response}");
    if error.is_some() {
        assert!(
            challenge.param("error_description").is_some_and(|d| !d.is_empty()),
            "error_description param: {response}"
        );
    }
    assert_json_error_body(response, error.unwrap_or("unauthorized"), secrets);
    challenge
}

/// The body is JSON with the `error` code and a non-empty
/// `error_description`, and neither body nor headers contain any of
/// `secrets`.
pub(crate) fn assert_json_error_body(response: &Response, code: &str, secrets: &[&[u8]]) {
    assert!(
        response.header("Content-Type").is_some_and(|ct| ct.starts_with("application/json")),
        "JSON content type: {response}"
    );
    let body = response.json();
    assert_eq!(body["error"], code, "body error: {response}");
    assert!(
        body["error_description"].as_str().is_some_and(|d| !d.is_empty()),
        "body error_description: {response}"
    );
    assert_no_secrets(response, secrets);
}

/// Neither the body nor any header value contains any of `secrets`.
pub(crate) fn assert_no_secrets(response: &Response, secrets: &[&[u8]]) {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(!contains(&response.body, secret), "the body repeats a secret: {response}");
        for (name, value) in &response.headers {
            assert!(!contains(value.as_bytes(), secret), "header {name} repeats a secret");
        }
    }
}

/// 401 `invalid_token` from the default realm, secrets not echoed.
pub(crate) fn assert_invalid_token(response: &Response, token: &str) {
    assert_refusal(response, 401, Some("invalid_token"), "api", &[token.as_bytes(), SECRET]);
}

/// 401 without an `error` param: no credentials.
pub(crate) fn assert_no_credentials(response: &Response, secrets: &[&[u8]]) {
    assert_refusal(response, 401, None, "api", secrets);
}

/// 400 `invalid_request`.
pub(crate) fn assert_invalid_request(response: &Response, secrets: &[&[u8]]) {
    assert_refusal(response, 400, Some("invalid_request"), "api", secrets);
}

/// 403 `insufficient_scope`; `scope` is the expected `scope` auth-param.
pub(crate) fn assert_insufficient(response: &Response, scope: Option<&str>, token: &str) {
    let challenge = assert_refusal(
        response,
        403,
        Some("insufficient_scope"),
        "api",
        &[token.as_bytes(), SECRET],
    );
    assert_eq!(challenge.param("scope"), scope, "scope param: {response}");
}

/// An access-table refusal: 403 with `error="insufficient_scope"`.
pub(crate) fn insufficient_scope(refused: &Refused<'_>) {
    let response = &refused.response;
    assert_eq!(response.status, 403, "{:?} {:?}: {response}", refused.roles, refused.scope);
    assert_eq!(response.challenge().param("error"), Some("insufficient_scope"));
}

/// An access-table refusal: [`assert_insufficient`] with no `scope`
/// auth-param.
pub(crate) fn insufficient_without_scope_param(refused: &Refused<'_>) {
    assert_insufficient(&refused.response, None, refused.token);
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

// --------------------------------------------------------------- tokens ---

/// The builder of the default test server: HS256 with [`SECRET`],
/// [`ISSUER`], [`AUDIENCE`].
pub(crate) fn hmac_builder<R: rbac_axum::RoleModel>() -> AuthenticatorBuilder<R> {
    Authenticator::<R>::builder().hmac(Algorithm::HS256, SECRET).issuer(ISSUER).audience(AUDIENCE)
}

/// Claims the default server accepts: `sub`, `iss`, `aud`, `exp` in ten
/// minutes, plus `roles` and (when not empty) `scope`.
pub(crate) fn claims(roles: &[&str], scope: &str) -> Value {
    let mut claims = json!({
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now(),
        "exp": now() + 600,
        "roles": roles,
    });
    if !scope.is_empty() {
        claims["scope"] = json!(scope);
    }
    claims
}

/// `claims` with `key` set to `value`.
pub(crate) fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

/// `claims` without `key`.
pub(crate) fn without(mut claims: Value, key: &str) -> Value {
    if let Some(map) = claims.as_object_mut() {
        map.remove(key);
    }
    claims
}

/// An HS256 token over `claims` with [`SECRET`], by `jsonwebtoken::encode`.
pub(crate) fn hs256(claims: &Value) -> String {
    sign_hs256(SECRET, claims)
}

/// A token for the default server with these roles and space-separated
/// scopes.
pub(crate) fn token(roles: &[&str], scope: &str) -> String {
    hs256(&claims(roles, scope))
}

/// base64url without padding of a JSON value's compact text.
pub(crate) fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON serializes"))
}

/// base64url without padding.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token assembled by hand: `header` and `payload` as given (any JSON,
/// any `alg` spelling), signed over `header.payload` by `sign`.
pub(crate) fn raw_token(
    header: &Value,
    payload: &Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let message = format!("{}.{}", b64_json(header), b64_json(payload));
    let signature = sign(message.as_bytes());
    format!("{message}.{}", b64(signature))
}

/// HMAC-SHA-256/384/512 of `message` under `secret`, by aws-lc-rs directly.
pub(crate) fn hmac(algorithm: Algorithm, secret: &[u8]) -> impl Fn(&[u8]) -> Vec<u8> + use<> {
    use aws_lc_rs::hmac;
    let algorithm = match algorithm {
        Algorithm::HS256 => hmac::HMAC_SHA256,
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        other => panic!("{other:?} is not HMAC"),
    };
    let key = hmac::Key::new(algorithm, secret);
    move |message| hmac::sign(&key, message).as_ref().to_vec()
}

/// `header.payload` signed with HS256 and [`SECRET`], header as given.
pub(crate) fn hs256_raw(header: &Value, payload: &Value) -> String {
    raw_token(header, payload, hmac(Algorithm::HS256, SECRET))
}

/// Wraps DER in PEM armour.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let text = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A claims object from a `json!` value.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

// ----------------------------------------------------------------- keys ---

/// A freshly generated ES256 (P-256) key pair.
pub(crate) struct EcKey {
    pair: aws_lc_rs::signature::EcdsaKeyPair,
    pkcs8: Vec<u8>,
}

impl EcKey {
    pub(crate) fn generate() -> Self {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .expect("generate a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("read back the generated key");
        Self { pair, pkcs8: pkcs8.as_ref().to_vec() }
    }

    /// The public key as an uncompressed point (what `from_ec_der` takes).
    pub(crate) fn public_point(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair as _;
        self.pair.public_key().as_ref().to_vec()
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub(crate) fn public_spki_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        self.pair.public_key().as_der().expect("SPKI DER of a P-256 key").as_ref().to_vec()
    }

    /// The public key in PEM (`PUBLIC KEY`).
    pub(crate) fn public_pem(&self) -> String {
        pem("PUBLIC KEY", &self.public_spki_der())
    }

    /// An ES256 token by `jsonwebtoken::encode`.
    pub(crate) fn sign(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_ec_der(&self.pkcs8))
            .expect("encode an ES256 token")
    }

    /// A raw signer for [`raw_token`].
    pub(crate) fn signer(&self) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
        |message| {
            self.pair
                .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec()
        }
    }
}

/// A freshly generated Ed25519 key pair.
pub(crate) struct EdKey {
    pair: aws_lc_rs::signature::Ed25519KeyPair,
    pkcs8: Vec<u8>,
}

impl EdKey {
    pub(crate) fn generate() -> Self {
        use aws_lc_rs::signature::Ed25519KeyPair;
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .expect("generate an Ed25519 key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read back the key");
        Self { pair, pkcs8: pkcs8.as_ref().to_vec() }
    }

    /// The raw 32-byte public key (what `from_ed_der` takes).
    pub(crate) fn public_raw(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair as _;
        self.pair.public_key().as_ref().to_vec()
    }

    /// The public key in PEM (`PUBLIC KEY`).
    pub(crate) fn public_pem(&self) -> String {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let der = self.pair.public_key().as_der().expect("SPKI DER of an Ed25519 key");
        pem("PUBLIC KEY", der.as_ref())
    }

    /// An EdDSA token by `jsonwebtoken::encode`.
    pub(crate) fn sign(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_ed_der(&self.pkcs8))
            .expect("encode an EdDSA token")
    }
}

/// An Ed25519 key published under a `kid`, as an identity provider's JWK
/// Set lists it.
pub(crate) struct SigningKey {
    pub(crate) kid: &'static str,
    key: EdKey,
}

impl SigningKey {
    pub(crate) fn generate(kid: &'static str) -> Self {
        Self { kid, key: EdKey::generate() }
    }

    /// Its JWK, as a provider's key set holds it.
    pub(crate) fn jwk(&self) -> Value {
        json!({ "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": self.kid, "x": b64(self.key.public_raw()) })
    }

    /// A token with this header (whatever its `kid`).
    pub(crate) fn token_with(&self, header: Header, claims: &Value) -> String {
        self.key.sign(&header, claims)
    }

    /// An EdDSA token naming this key's `kid`.
    pub(crate) fn token(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.to_owned());
        self.token_with(header, claims)
    }
}

/// A freshly generated RSA-2048 key pair.
pub(crate) struct RsaKey {
    pair: aws_lc_rs::rsa::KeyPair,
}

impl RsaKey {
    pub(crate) fn generate() -> Self {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .expect("generate an RSA-2048 key");
        Self { pair }
    }

    /// The public key as PKCS#1 `RSAPublicKey` DER (what `from_rsa_der`
    /// takes).
    pub(crate) fn public_pkcs1_der(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair as _;
        self.pair.public_key().as_ref().to_vec()
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub(crate) fn public_spki_der(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        self.pair.public_key().as_der().expect("SPKI DER of an RSA key").as_ref().to_vec()
    }

    /// The public key in PEM (`PUBLIC KEY`).
    pub(crate) fn public_pem(&self) -> String {
        pem("PUBLIC KEY", &self.public_spki_der())
    }

    /// An RS256 signer for [`raw_token`] (jsonwebtoken wants PKCS#1
    /// private DER, which aws-lc-rs does not export).
    pub(crate) fn rs256(&self) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
        |message| {
            let mut signature = vec![0; self.pair.public_modulus_len()];
            self.pair
                .sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .expect("RSA signing");
            signature
        }
    }
}

// ----------------------------------------------------------------- trap ---

/// A listener that only counts connections: point a token's `jku`, `x5u`
/// or `kid` at it to prove nothing is fetched.
pub(crate) struct Trap {
    pub(crate) addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Trap {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the trap listener");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        tokio::spawn(async move {
            while listener.accept().await.is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        Self { addr, hits }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far, after giving any stray fetch a moment.
    pub(crate) async fn hits(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.hits.load(Ordering::SeqCst)
    }
}

// ----------------------------------------------------------------- logs ---

/// Every `tracing` event of this test process, one line each, from the
/// first call on (a process-wide subscriber, so requests served on any
/// thread are seen).
pub(crate) fn captured_logs() -> String {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Capture)
            .expect("no other global subscriber in the test process");
    });
    LOGS.lock().expect("log buffer lock").clone()
}

static LOGS: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// A minimal subscriber writing events and their fields into [`LOGS`]
/// (no new dependency for `tracing-subscriber`).
struct Capture;

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let metadata = event.metadata();
        let mut line = format!("{} {}:", metadata.level(), metadata.target());
        event.record(&mut FieldWriter(&mut line));
        line.push('\n');
        LOGS.lock().expect("log buffer lock").push_str(&line);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

struct FieldWriter<'a>(&'a mut String);

impl tracing::field::Visit for FieldWriter<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}
