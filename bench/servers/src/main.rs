//! HTTP benchmark servers on axum 0.8, one variant per process,
//! all with the same handler body (`"ok"`), the same token and the same
//! requirement:
//! `all(any(role = "admin", all(role = "editor", scope = "posts:write")), scope = "posts:read")`.
//!
//! ```text
//! rbac-bench-servers keys <dir>                 # keys and tokens for a run
//! rbac-bench-servers serve <variant> <addr> <dir>
//! ```
//!
//! Variants: `bare` (and `bare-rs256`: the same server, which the script
//! drives with the RS256 token); `floor-{hs256,rs256}` (a minimal hand-written
//! extractor around `jsonwebtoken::decode`); `requires-{hs256,rs256}` and
//! `requires-{hs256,rs256}-cache` (`#[requires]`, without and with the
//! verified-token cache); `protect-{hs256,rs256}` (protect-axum's
//! `GrantsLayer` with the same `jsonwebtoken::decode` check, and its
//! `#[protect]`). jwt-authorizer (axum 0.7) lives in `bench/peers`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use aws_lc_rs::{hmac, rsa};
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rbac_axum::{Authenticator, requires};
use serde::Deserialize;

rbac_axum::roles! {
    admin: editor => ["users:read", "users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

pub const ISSUER: &str = "https://issuer.example";
pub const AUDIENCE: &str = "orders-api";
/// ASCII: jwt-authorizer takes the secret as `&str`.
pub const SECRET: &str = "a benchmark HS256 secret of 32+ bytes";

// ---------------------------------------------------------------- handlers

/// (1) No authentication.
async fn bare() -> &'static str {
    "ok"
}

/// (2) The floor: a minimal hand-written extractor.
async fn floor(_: Floor) -> &'static str {
    "ok"
}

/// (3) `#[requires]`.
#[requires(any(role = "admin", all(role = "editor", scope = "posts:write")), scope = "posts:read")]
async fn guarded() -> &'static str {
    "ok"
}

/// (4) protect-axum: authorities from `GrantsLayer`, checked by its macro.
#[protect_axum::protect(any("admin", all("editor", "posts:write")), "posts:read")]
async fn protected() -> &'static str {
    "ok"
}

// ------------------------------------------------- the hand-written floor

/// What a minimal extractor deserializes.
#[derive(Deserialize)]
struct FloorClaims {
    #[allow(dead_code)] // read by a real handler; deserialized here all the same
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scope: String,
}

/// The same decision, by hand.
fn allowed(roles: &[String], scope: &str) -> bool {
    let role = |name: &str| roles.iter().any(|r| r == name);
    let scope = |name: &str| scope.split(' ').any(|s| s == name);
    (role("admin") || (role("editor") && scope("posts:write"))) && scope("posts:read")
}

struct Jwt {
    key: DecodingKey,
    validation: Validation,
}

static JWT: OnceLock<Jwt> = OnceLock::new();

fn jwt() -> &'static Jwt {
    JWT.get().expect("the key is set before serving")
}

fn decode(parts_headers: &axum::http::HeaderMap) -> Result<FloorClaims, StatusCode> {
    let value = parts_headers.get(AUTHORIZATION).ok_or(StatusCode::UNAUTHORIZED)?;
    let value = value.to_str().map_err(|_| StatusCode::UNAUTHORIZED)?;
    let token = value.strip_prefix("Bearer ").ok_or(StatusCode::UNAUTHORIZED)?;
    let jwt = jwt();
    jsonwebtoken::decode::<FloorClaims>(token, &jwt.key, &jwt.validation)
        .map(|data| data.claims)
        .map_err(|_| StatusCode::UNAUTHORIZED)
}

struct Floor;

impl<S: Send + Sync> FromRequestParts<S> for Floor {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        let claims = decode(&parts.headers)?;
        if allowed(&claims.roles, &claims.scope) { Ok(Floor) } else { Err(StatusCode::FORBIDDEN) }
    }
}

/// protect-axum's authority extractor: the same decode, roles and scopes as
/// authorities.
async fn authorities(request: &mut Request) -> Result<HashSet<String>, Response> {
    let claims = decode(request.headers()).map_err(IntoResponse::into_response)?;
    let mut authorities: HashSet<String> = claims.roles.into_iter().collect();
    authorities.extend(claims.scope.split(' ').map(str::to_owned));
    Ok(authorities)
}

// ------------------------------------------------------------------- keys

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs()
}

/// The 12-claim access token of `rbac-axum/benches/verify.rs`.
fn claims() -> serde_json::Value {
    let now = now();
    serde_json::json!({
        "iss": ISSUER,
        "sub": "user-4711",
        "aud": AUDIENCE,
        "exp": now + 7 * 24 * 3600,
        "nbf": now - 60,
        "iat": now - 60,
        "jti": "6f1c2a9e-54b1-4f4a-9d0e-2f0b9a7c3d11",
        "client_id": "web-frontend",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "roles": ["editor"],
        "scope": "openid posts:read posts:write profile",
    })
}

pub fn sign_token(
    alg: &str,
    claims: &serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let message = format!("{header}.{payload}");
    let signature = sign(message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn pem(der: &[u8]) -> String {
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in STANDARD.encode(der).as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

fn write_keys(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the key directory");
    let claims = claims();
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    let hs256 = sign_token("HS256", &claims, |m| hmac::sign(&hmac_key, m).as_ref().to_vec());
    let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("generate RSA-2048");
    let rng = SystemRandom::new();
    let rs256 = sign_token("RS256", &claims, |m| {
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(&sig::RSA_PKCS1_SHA256, &rng, m, &mut signature).expect("RSA signing");
        signature
    });
    let spki = pair.public_key().as_der().expect("SPKI DER");
    std::fs::write(dir.join("hs256.token"), hs256).expect("write");
    std::fs::write(dir.join("rs256.token"), rs256).expect("write");
    std::fs::write(dir.join("rs256.pem"), pem(spki.as_ref())).expect("write");
    std::fs::write(dir.join("hs256.secret"), SECRET).expect("write");
}

// ---------------------------------------------------------------- serving

fn authenticator(alg: &str, dir: &Path, cache: bool) -> Authenticator<Role> {
    let builder = Authenticator::<Role>::builder().issuer(ISSUER).audience(AUDIENCE);
    let builder = match alg {
        "hs256" => builder.hmac(Algorithm::HS256, SECRET),
        _ => builder.rsa_pem(Algorithm::RS256, read(dir, "rs256.pem")),
    };
    let builder = if cache { enable_cache(builder) } else { builder };
    builder.build().expect("a valid configuration")
}

fn enable_cache(builder: rbac_axum::AuthenticatorBuilder<Role>) -> rbac_axum::AuthenticatorBuilder<Role> {
    builder.cache_verified_tokens(10_000)
}

fn set_jwt(alg: &str, dir: &Path) {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let (algorithm, key) = match alg {
        "hs256" => (Algorithm::HS256, DecodingKey::from_secret(SECRET.as_bytes())),
        _ => (
            Algorithm::RS256,
            DecodingKey::from_rsa_pem(read(dir, "rs256.pem").as_bytes()).expect("RSA PEM"),
        ),
    };
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    let _ = JWT.set(Jwt { key, validation });
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn router(variant: &str, dir: &Path) -> Router {
    let (kind, rest) = variant.split_once('-').unwrap_or((variant, ""));
    let (alg, cache) = match rest.strip_suffix("-cache") {
        Some(alg) => (alg, true),
        None => (rest, false),
    };
    match kind {
        // `bare-rs256`: the same, driven with the longer RS256 token, as the
        // baseline of the RS256 servers.
        "bare" => Router::new().route("/", get(bare)),
        "floor" => {
            set_jwt(alg, dir);
            Router::new().route("/", get(floor))
        }
        "requires" => {
            Router::new().route("/", get(guarded)).with_state(authenticator(alg, dir, cache))
        }
        "protect" => {
            set_jwt(alg, dir);
            Router::new()
                .route("/", get(protected))
                .layer(protect_axum::GrantsLayer::with_extractor(authorities))
        }
        _ => panic!("unknown variant {variant}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("keys") => write_keys(Path::new(&args[2])),
        Some("serve") => {
            let (variant, addr, dir) = (&args[2], &args[3], Path::new(&args[4]));
            let workers = std::env::var("WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(1);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let app = router(variant, dir);
                let listener = tokio::net::TcpListener::bind(addr.as_str()).await.expect("bind");
                axum::serve(listener, app).await.expect("serve");
            });
        }
        _ => {
            eprintln!("usage: rbac-bench-servers keys <dir> | serve <variant> <addr> <dir>");
            std::process::exit(2);
        }
    }
}
