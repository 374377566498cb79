//! The in-process cost of authorization: bearer header parsing,
//! claim mapping and the decision, full token verification for HS256, RS256,
//! ES256 and EdDSA, and two floors for the same tokens:
//! `jsonwebtoken::decode` into a typed struct, and the signature check
//! alone with aws-lc-rs.
//!
//! Run with short settings on a small machine, e.g.
//! `cargo bench -p rbac-axum --bench verify -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey,
};
use aws_lc_rs::{hmac, rsa};
use axum::extract::FromRequestParts as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use rbac_axum::__private::{Guard, Requirement};
use rbac_axum::jsonwebtoken::{self, Algorithm, DecodingKey, Validation};
use rbac_axum::{
    Auth, Authenticator, Expr, InMemoryRevocations, RevocationStore as _, RoleModel as _, TokenId,
};
use serde::Deserialize;
use serde_json::json;

rbac_axum::roles! {
    admin: editor => ["users:read", "users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "orders-api";
const SECRET: &[u8] = b"a benchmark HS256 secret of 32+ bytes";
/// Capacity of the verified-token cache in the `cache hit` benchmarks.
const CACHED_TOKENS: usize = 1024;

/// The typical requirement: 3 roles, 4 scopes, nested `any`/`all`, as
/// `#[requires(any(role = "admin", all(role = "editor", scope = "posts:write")),
/// scope = "posts:read")]` compiles it.
const REQUIREMENT: Expr = Expr::All(&[
    Expr::Any(&[Expr::Role(0), Expr::All(&[Expr::Role(1), Expr::Scope(3)])]),
    Expr::Scope(2),
]);

/// The token's rights as the verifier reads them.
const TOKEN_ROLES: [&str; 1] = ["editor"];
const TOKEN_SCOPE: &str = "openid posts:read posts:write profile";

/// What a minimal hand-written `jsonwebtoken` extractor would deserialize.
#[derive(Deserialize)]
#[allow(dead_code)] // deserialized to be measured, not read
struct FloorClaims {
    sub: String,
    exp: u64,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scope: String,
}

/// One algorithm's keys and token.
struct Case {
    name: &'static str,
    token: String,
    authenticator: Authenticator<Role>,
    /// The same configuration with the verified-token cache.
    cached: Authenticator<Role>,
    decoding_key: DecodingKey,
    /// The signature check alone, the signature already base64-decoded.
    signature_only: Box<dyn Fn() -> bool>,
    /// The same with the public key parsed beforehand (asymmetric only).
    signature_preparsed: Option<Box<dyn Fn() -> bool>>,
}

fn claims() -> serde_json::Value {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs();
    // A typical access token of 12 claims.
    json!({
        "iss": ISSUER,
        "sub": "user-4711",
        "aud": AUDIENCE,
        "exp": now + 365 * 24 * 3600,
        "nbf": now - 60,
        "iat": now - 60,
        "jti": "6f1c2a9e-54b1-4f4a-9d0e-2f0b9a7c3d11",
        "client_id": "web-frontend",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "roles": TOKEN_ROLES,
        "scope": TOKEN_SCOPE,
    })
}

/// An HS256 authenticator for the bench token, with a verified-token cache
/// of `cache` tokens (0: none).
fn hs256_authenticator(cache: usize) -> Authenticator<Role> {
    Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .cache_verified_tokens(cache)
        .build()
        .expect("HS256 authenticator")
}

fn sign_token(alg: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> (String, Vec<u8>) {
    sign_claims(alg, &claims(), sign)
}

fn sign_claims(
    alg: &str,
    claims: &serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> (String, Vec<u8>) {
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let message = format!("{header}.{payload}");
    let signature = sign(message.as_bytes());
    (format!("{message}.{}", URL_SAFE_NO_PAD.encode(&signature)), signature)
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

fn message_of(token: &str) -> Vec<u8> {
    let end = token.rfind('.').expect("a JWT has dots");
    token.as_bytes()[..end].to_vec()
}

fn hs256() -> Case {
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
    let (token, signature) = sign_token("HS256", |m| hmac::sign(&key, m).as_ref().to_vec());
    let message = message_of(&token);
    Case {
        name: "HS256",
        token,
        authenticator: hs256_authenticator(0),
        cached: hs256_authenticator(CACHED_TOKENS),
        decoding_key: DecodingKey::from_secret(SECRET),
        signature_only: Box::new(move || {
            hmac::verify(&key, black_box(&message), black_box(&signature)).is_ok()
        }),
        signature_preparsed: None,
    }
}

fn rs256() -> Case {
    let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("generate RSA-2048");
    let rng = SystemRandom::new();
    let (token, signature) = sign_token("RS256", |m| {
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(&sig::RSA_PKCS1_SHA256, &rng, m, &mut signature).expect("RSA signing");
        signature
    });
    let spki = pair.public_key().as_der().expect("SPKI DER").as_ref().to_vec();
    // PKCS#1 RSAPublicKey DER: what jsonwebtoken keeps and verifies with.
    let pkcs1 = pair.public_key().as_ref().to_vec();
    let build = |cache| {
        Authenticator::<Role>::builder()
            .rsa_pem(Algorithm::RS256, pem(&spki))
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .cache_verified_tokens(cache)
            .build()
            .expect("RS256 authenticator")
    };
    asymmetric(
        "RS256",
        token,
        signature,
        [build(0), build(CACHED_TOKENS)],
        DecodingKey::from_rsa_der(&pkcs1),
        &sig::RSA_PKCS1_2048_8192_SHA256,
        pkcs1,
    )
}

fn es256() -> Case {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("P-256");
    let pair = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .expect("read back the P-256 key");
    let (token, signature) =
        sign_token("ES256", |m| pair.sign(&rng, m).expect("ECDSA signing").as_ref().to_vec());
    let spki = pair.public_key().as_der().expect("SPKI DER").as_ref().to_vec();
    let point = pair.public_key().as_ref().to_vec();
    let build = |cache| {
        Authenticator::<Role>::builder()
            .ec_pem(Algorithm::ES256, pem(&spki))
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .cache_verified_tokens(cache)
            .build()
            .expect("ES256 authenticator")
    };
    asymmetric(
        "ES256",
        token,
        signature,
        [build(0), build(CACHED_TOKENS)],
        DecodingKey::from_ec_der(&point),
        &sig::ECDSA_P256_SHA256_FIXED,
        point,
    )
}

fn eddsa() -> Case {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("Ed25519");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read back the Ed25519 key");
    let (token, signature) = sign_token("EdDSA", |m| pair.sign(m).as_ref().to_vec());
    let spki = pair.public_key().as_der().expect("SPKI DER").as_ref().to_vec();
    let raw = pair.public_key().as_ref().to_vec();
    let build = |cache| {
        Authenticator::<Role>::builder()
            .ed_pem(pem(&spki))
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .cache_verified_tokens(cache)
            .build()
            .expect("EdDSA authenticator")
    };
    asymmetric(
        "EdDSA",
        token,
        signature,
        [build(0), build(CACHED_TOKENS)],
        DecodingKey::from_ed_der(&raw),
        &sig::ED25519,
        raw,
    )
}

fn asymmetric(
    name: &'static str,
    token: String,
    signature: Vec<u8>,
    [authenticator, cached]: [Authenticator<Role>; 2],
    decoding_key: DecodingKey,
    algorithm: &'static dyn sig::VerificationAlgorithm,
    public_key: Vec<u8>,
) -> Case {
    let message = message_of(&token);
    let parsed = UnparsedPublicKey::new(algorithm, public_key.clone())
        .parse()
        .expect("parse the public key");
    let (message2, signature2) = (message.clone(), signature.clone());
    Case {
        name,
        token,
        authenticator,
        cached,
        decoding_key,
        // What jsonwebtoken's aws-lc-rs verifier does: parse, then verify.
        signature_only: Box::new(move || {
            UnparsedPublicKey::new(algorithm, &public_key)
                .verify(black_box(&message), black_box(&signature))
                .is_ok()
        }),
        signature_preparsed: Some(Box::new(move || {
            parsed.verify_sig(black_box(&message2), black_box(&signature2)).is_ok()
        })),
    }
}

fn cases() -> Vec<Case> {
    vec![hs256(), rs256(), es256(), eddsa()]
}

fn bearer(c: &mut Criterion) {
    let token = hs256().token;
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("a valid header value"),
    );
    c.bench_function("bearer/bearer_token", |b| {
        b.iter(|| rbac_axum::bearer::bearer_token(black_box(&headers), black_box(None)))
    });
}

fn decision(c: &mut Criterion) {
    let schema = Role::SCHEMA;
    let granted = schema.grant(TOKEN_ROLES, TOKEN_SCOPE.split(' '));
    assert!(REQUIREMENT.allows(&granted), "the benchmark token must be allowed");
    let viewer = schema.grant(["viewer"], ["posts:read"]);
    assert!(!REQUIREMENT.allows(&viewer), "the viewer must be refused");

    let mut group = c.benchmark_group("decision");
    group.bench_function("evaluate/allowed", |b| {
        b.iter(|| black_box(&REQUIREMENT).evaluate(black_box(&granted)))
    });
    group.bench_function("evaluate/denied", |b| {
        b.iter(|| black_box(&REQUIREMENT).evaluate(black_box(&viewer)))
    });
    // Claim mapping: the token's role and scope names to bitsets, roles
    // closed under inheritance (the lookups the verifier makes while it
    // reads the claims), then the decision.
    group.bench_function("mapping", |b| {
        b.iter(|| schema.grant(black_box(TOKEN_ROLES), black_box(TOKEN_SCOPE).split(' ')))
    });
    group.bench_function("mapping+evaluate", |b| {
        b.iter(|| {
            let granted = schema.grant(black_box(TOKEN_ROLES), black_box(TOKEN_SCOPE).split(' '));
            REQUIREMENT.evaluate(&granted)
        })
    });
    group.finish();
}

fn verification(c: &mut Criterion) {
    for case in cases() {
        let principal = case.authenticator.verify(&case.token).expect("the token verifies");
        assert!(REQUIREMENT.allows(principal.granted()), "{}: the token is allowed", case.name);

        let mut validation = Validation::new(match case.name {
            "HS256" => Algorithm::HS256,
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            _ => Algorithm::EdDSA,
        });
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        jsonwebtoken::decode::<FloorClaims>(&case.token, &case.decoding_key, &validation)
            .expect("jsonwebtoken::decode accepts the token");
        assert!((case.signature_only)(), "{}: the signature verifies", case.name);

        let mut group = c.benchmark_group(format!("jwt/{}", case.name));
        group.bench_function("Authenticator::verify", |b| {
            b.iter(|| case.authenticator.verify(black_box(&case.token)))
        });
        // The verified-token cache: the same token every time, so every
        // call after the first is a hit (the public `verify` clones the
        // cached principal; the guard below shares it).
        group.bench_function("Authenticator::verify/cache-hit", |b| {
            b.iter(|| case.cached.verify(black_box(&case.token)))
        });
        group.bench_function("Authenticator::verify+evaluate", |b| {
            b.iter(|| {
                let principal = case.authenticator.verify(black_box(&case.token));
                principal.map(|p| REQUIREMENT.evaluate(p.granted()))
            })
        });
        group.bench_function("jsonwebtoken::decode", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<FloorClaims>(
                    black_box(&case.token),
                    &case.decoding_key,
                    &validation,
                )
            })
        });
        group.bench_function("signature", |b| b.iter(|| (case.signature_only)()));
        if let Some(preparsed) = &case.signature_preparsed {
            group.bench_function("signature/preparsed-key", |b| b.iter(preparsed));
        }
        group.finish();

        // The whole guard `#[requires]` runs (around the handler's first
        // argument, or as its only one): bearer header, verification,
        // decision; for a handler that takes `Auth`, also the principal
        // stored in the request's extensions.
        let mut group = c.benchmark_group(format!("guard/{}", case.name));
        let header = HeaderValue::from_str(&format!("Bearer {}", case.token)).expect("header");
        for (name, authenticator, shares) in [
            ("guard", &case.authenticator, false),
            ("guard/cache-hit", &case.cached, false),
            ("guard/handler-takes-auth", &case.authenticator, true),
        ] {
            let mut parts = request_parts(&header);
            assert!(run_guard(&mut parts, authenticator, shares), "{}: allowed", case.name);
            group.bench_function(name, |b| {
                b.iter(|| run_guard(black_box(&mut parts), authenticator, shares))
            });
        }
        group.finish();
    }
}

/// The guard with revocation on against the same guard without it, in one
/// group, uncached and on a cache hit. The store holds what a busy service
/// would: 1,000 revoked tokens and 100 subject cut-offs, none of them this
/// token's, so each lookup takes the lock and searches both maps.
fn revocation(c: &mut Criterion) {
    let case = hs256();
    let store = std::sync::Arc::new(InMemoryRevocations::new(Duration::from_secs(400 * 24 * 3600)));
    let far = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() + 3600;
    for i in 0..1_000 {
        store.revoke_token(ISSUER, &format!("revoked-{i}"), far);
    }
    for i in 0..100 {
        store.revoke_subject(ISSUER, &format!("user-{i}"), SystemTime::now());
    }
    let revoking = |cache: usize| {
        Authenticator::<Role>::builder()
            .hmac(Algorithm::HS256, SECRET)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .cache_verified_tokens(cache)
            .revocation(store.clone())
            .build()
            .expect("HS256 authenticator with revocation")
    };
    let (with, with_cached) = (revoking(0), revoking(64));
    let header = HeaderValue::from_str(&format!("Bearer {}", case.token)).expect("header");
    let mut group = c.benchmark_group("revocation/HS256");
    for (name, authenticator) in [
        ("guard", &case.authenticator),
        ("guard/revocation", &with),
        ("guard/cache-hit", &case.cached),
        ("guard/cache-hit/revocation", &with_cached),
    ] {
        let mut parts = request_parts(&header);
        assert!(run_guard(&mut parts, authenticator, false), "{name}: allowed");
        group.bench_function(name, |b| {
            b.iter(|| run_guard(black_box(&mut parts), authenticator, false))
        });
    }
    // The lookup alone, as the uncached path makes it: what revocation
    // adds there, without the noise of two whole verifications.
    let token = TokenId::new(ISSUER, "5d1c0a6e2b7f4e3d9a8c1b0f2e3d4c5b", "user-1000", 0);
    assert!(!store.is_revoked(token));
    group.bench_function("InMemoryRevocations::is_revoked", |b| {
        b.iter(|| store.is_revoked(black_box(token)))
    });
    group.finish();
}

/// The verified-token cache when every token is new: HS256 tokens that
/// differ in `jti`, eight times as many as the cache holds, in turn, so
/// each call verifies, hashes and inserts (evicting another entry).
fn cache_misses(c: &mut Criterion) {
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
    let tokens: Vec<String> = (0..8 * CACHED_TOKENS)
        .map(|n| {
            let mut claims = claims();
            claims["jti"] = json!(format!("token-{n:08}"));
            sign_claims("HS256", &claims, |m| hmac::sign(&key, m).as_ref().to_vec()).0
        })
        .collect();
    let mut group = c.benchmark_group("jwt/HS256/distinct-tokens");
    for (name, authenticator) in [
        ("Authenticator::verify", hs256_authenticator(0)),
        ("Authenticator::verify/cache-miss", hs256_authenticator(CACHED_TOKENS)),
    ] {
        let mut next = tokens.iter().cycle();
        group.bench_function(name, |b| {
            b.iter(|| {
                next.next().is_some_and(|token| authenticator.verify(black_box(token)).is_ok())
            })
        });
    }
    group.finish();
}

/// The requirement, as `#[requires]` implements it on its marker type, for
/// a handler whose arguments take `Auth`.
struct Typical;

impl Requirement for Typical {
    type Model = Role;
    const HANDLER: &'static str = "bench::typical";
    const EXPR: Expr = REQUIREMENT;
}

/// The same for a handler that does not take the principal.
struct TypicalKept;

impl Requirement for TypicalKept {
    type Model = Role;
    const HANDLER: &'static str = "bench::typical_kept";
    const EXPR: Expr = REQUIREMENT;
    const SHARES_PRINCIPAL: bool = false;
}

fn request_parts(authorization: &HeaderValue) -> Parts {
    let request = http::Request::get("/posts/1")
        .header(AUTHORIZATION, authorization.clone())
        .body(())
        .expect("a request");
    request.into_parts().0
}

/// Runs the guard once on `parts` (its future is ready at once: no key is
/// fetched) and forgets any principal it stored, so the next run verifies
/// again.
fn run_guard(parts: &mut Parts, authenticator: &Authenticator<Role>, shares: bool) -> bool {
    let allowed = match shares {
        true => poll_once(Guard::<Typical>::from_request_parts(parts, authenticator)),
        false => poll_once(Guard::<TypicalKept>::from_request_parts(parts, authenticator)),
    };
    parts.extensions.remove::<Auth>();
    allowed
}

fn poll_once<T, E>(future: impl Future<Output = Result<T, E>>) -> bool {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result.is_ok(),
        Poll::Pending => false,
    }
}

criterion_group! {
    name = benches;
    // Short by default: a 2-core machine shared with builds. Command-line
    // flags (`--warm-up-time`, `--measurement-time`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bearer, decision, verification, cache_misses, revocation
}
criterion_main!(benches);
