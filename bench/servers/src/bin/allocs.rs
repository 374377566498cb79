//! Heap allocations per request in the guard `#[requires]` inserts (issue
//! 5), counted by a counting global allocator, single-threaded:
//!
//! ```text
//! cargo run --release --manifest-path bench/servers/Cargo.toml --bin allocs [--trace]
//! ```
//!
//! For HS256 and RS256, without and with the verified-token cache, it
//! counts the allocations of one warm call of: the bearer header parse,
//! `Authenticator::verify`, the decision, and the whole guard, on fresh
//! request parts: for a handler that does not take the principal, and for
//! one that does (the guard then stores it in the request's extensions).
//! `--trace` prints, for each allocation of a guard call, the first frames
//! of this workspace that made it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::Cell;
use std::future::Future as _;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use aws_lc_rs::{hmac, rsa};
use axum::extract::FromRequestParts as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use http::request::Parts;
use rbac_axum::__private::{Guard, Requirement};
use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Auth, Authenticator, Expr, RoleModel as _};

rbac_axum::roles! {
    admin: editor => ["users:read", "users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "orders-api";
const SECRET: &str = "a benchmark HS256 secret of 32+ bytes";

/// `#[requires(any(role = "admin", all(role = "editor", scope = "posts:write")), scope = "posts:read")]`
const REQUIREMENT: Expr = Expr::All(&[
    Expr::Any(&[Expr::Role(0), Expr::All(&[Expr::Role(1), Expr::Scope(3)])]),
    Expr::Scope(2),
]);

struct Typical;

impl Requirement for Typical {
    type Model = Role;
    const HANDLER: &'static str = "allocs::typical";
    const EXPR: Expr = REQUIREMENT;
}

/// The same requirement on a handler whose arguments do not read the
/// principal (`#[requires]` emits `SHARES_PRINCIPAL = false` for it).
struct KeepsPrincipal;

impl Requirement for KeepsPrincipal {
    type Model = Role;
    const HANDLER: &'static str = "allocs::keeps_principal";
    const EXPR: Expr = REQUIREMENT;
    const SHARES_PRINCIPAL: bool = false;
}

// ------------------------------------------------------------ allocator

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated and not yet freed.
static LIVE: AtomicI64 = AtomicI64::new(0);
static TRACE: AtomicBool = AtomicBool::new(false);
static SITES: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

fn record(size: usize) {
    // Allocations made while recording (the backtrace) are not counted.
    if INSIDE.with(Cell::get) {
        return;
    }
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
    if TRACE.load(Ordering::Relaxed) {
        INSIDE.with(|inside| inside.set(true));
        let trace = Backtrace::force_capture().to_string();
        let frames: Vec<&str> = trace
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("at ") && l.contains("::"))
            .filter(|l| {
                !l.contains("alloc::") && !l.contains("allocs::record") && !l.contains("Counting")
            })
            .take(4)
            .collect();
        if let Ok(mut sites) = SITES.lock() {
            sites.push(format!("{size:>6} B  {}", frames.join("  <  ")));
        }
        INSIDE.with(|inside| inside.set(false));
    }
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (count, bytes) made by `f`, on its warm second call.
fn count<T>(mut f: impl FnMut() -> T) -> (u64, u64) {
    drop(f());
    let (a, b) = (ALLOCATIONS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    let out = f();
    let counted = (ALLOCATIONS.load(Ordering::SeqCst) - a, BYTES.load(Ordering::SeqCst) - b);
    drop(out);
    counted
}

// --------------------------------------------------------------- tokens

fn claims() -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    serde_json::json!({
        "iss": ISSUER, "sub": "user-4711", "aud": AUDIENCE,
        "exp": now + 3600, "nbf": now - 60, "iat": now - 60,
        "jti": "6f1c2a9e-54b1-4f4a-9d0e-2f0b9a7c3d11", "client_id": "web-frontend",
        "name": "Ada Lovelace", "email": "ada@example.com",
        "roles": ["editor"], "scope": "openid posts:read posts:write profile",
    })
}

fn sign_token(alg: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).expect("claims"));
    let message = format!("{header}.{payload}");
    let signature = sign(message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn cases() -> Vec<(&'static str, String, [Authenticator<Role>; 2])> {
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    let hs256 = sign_token("HS256", |m| hmac::sign(&hmac_key, m).as_ref().to_vec());
    let pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("RSA-2048");
    let rs256 = sign_token("RS256", |m| {
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), m, &mut signature)
            .expect("RSA signing");
        signature
    });
    let spki = pair.public_key().as_der().expect("SPKI");
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in STANDARD.encode(spki.as_ref()).as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    let build = |alg: &str, cache: usize| {
        let builder = Authenticator::<Role>::builder().issuer(ISSUER).audience(AUDIENCE);
        match alg {
            "HS256" => builder.hmac(Algorithm::HS256, SECRET),
            _ => builder.rsa_pem(Algorithm::RS256, &pem),
        }
        .cache_verified_tokens(cache)
        .build()
        .expect("authenticator")
    };
    vec![
        ("HS256", hs256, [build("HS256", 0), build("HS256", 64)]),
        ("RS256", rs256, [build("RS256", 0), build("RS256", 64)]),
    ]
}

fn request_parts(authorization: &HeaderValue) -> Parts {
    let request = http::Request::get("/posts/1")
        .header(AUTHORIZATION, authorization.clone())
        .body(())
        .expect("a request");
    request.into_parts().0
}

/// One guard call on `parts`.
fn guard<R: Requirement<Model = Role>>(parts: &mut Parts, authenticator: &Authenticator<Role>) -> bool {
    let future = pin!(Guard::<R>::from_request_parts(parts, authenticator));
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result.is_ok(),
        Poll::Pending => false,
    }
}

fn main() {
    let trace = std::env::args().any(|a| a == "--trace");
    println!(
        "| token | cache | bearer header | `Authenticator::verify` | decision | whole guard | whole guard, handler takes `Auth` |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, token, authenticators) in cases() {
        let header = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
        for (cached, authenticator) in ["off", "hit"].into_iter().zip(&authenticators) {
            let mut headers = http::HeaderMap::new();
            headers.insert(AUTHORIZATION, header.clone());
            let bearer = count(|| rbac_axum::bearer::bearer_token(&headers, None).is_ok());
            let verify = count(|| authenticator.verify(&token).is_ok());
            let principal = authenticator.verify(&token).expect("the token verifies");
            let decision = count(|| REQUIREMENT.evaluate(principal.granted()).is_ok());
            // Each guard call gets fresh request parts (made outside the
            // count) with empty extensions, as a request from hyper has.
            let whole = |shares: bool| {
                let call = |parts: &mut Parts| match shares {
                    true => guard::<Typical>(parts, authenticator),
                    false => guard::<KeepsPrincipal>(parts, authenticator),
                };
                // Warm: the token cache, the principals kept for reuse.
                for _ in 0..2 {
                    let mut parts = request_parts(&header);
                    assert!(call(&mut parts), "{name}: the guard allows");
                }
                let mut parts = request_parts(&header);
                let before = ALLOCATIONS.load(Ordering::SeqCst);
                let bytes = BYTES.load(Ordering::SeqCst);
                TRACE.store(trace, Ordering::SeqCst);
                assert!(call(&mut parts));
                TRACE.store(false, Ordering::SeqCst);
                let counted = (
                    ALLOCATIONS.load(Ordering::SeqCst) - before,
                    BYTES.load(Ordering::SeqCst) - bytes,
                );
                assert_eq!(parts.extensions.get::<Auth>().is_some(), shares);
                counted
            };
            let (taking, keeping) = (whole(true), whole(false));
            let fmt = |(n, b): (u64, u64)| format!("{n} ({b} B)");
            println!(
                "| {name} | {cached} | {} | {} | {} | {} | {} |",
                fmt(bearer),
                fmt(verify),
                fmt(decision),
                fmt(keeping),
                fmt(taking)
            );
            if trace && let Ok(mut sites) = SITES.lock() {
                for site in sites.drain(..) {
                    println!("    {site}");
                }
            }
        }
    }
    cache_memory();
    let _ = Role::SCHEMA;
}

/// Memory the verified-token cache holds: bytes still allocated after
/// verifying `n` distinct tokens (the same claims, each with its own `jti`)
/// through an authenticator whose cache takes `CAPACITY` tokens.
fn cache_memory() {
    const CAPACITY: usize = 1024;
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    let tokens: Vec<String> = (0..10 * CAPACITY)
        .map(|n| {
            let mut claims = claims();
            claims["jti"] = serde_json::json!(format!("token-{n:08}"));
            let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims"));
            let message = format!("{header}.{payload}");
            let signature = URL_SAFE_NO_PAD.encode(hmac::sign(&key, message.as_bytes()));
            format!("{message}.{signature}")
        })
        .collect();
    println!();
    println!("verified-token cache of {CAPACITY} tokens (HS256, {} B tokens):", tokens[0].len());
    println!();
    println!("| distinct tokens verified | bytes held after | per cached token |");
    println!("|---|---|---|");
    for n in [CAPACITY / 2, CAPACITY, 4 * CAPACITY, 10 * CAPACITY] {
        let before = LIVE.load(Ordering::SeqCst);
        let authenticator = Authenticator::<Role>::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .hmac(Algorithm::HS256, SECRET)
            .cache_verified_tokens(CAPACITY)
            .build()
            .expect("authenticator");
        let empty = LIVE.load(Ordering::SeqCst);
        for token in &tokens[..n] {
            assert!(authenticator.verify(token).is_ok());
        }
        let held = LIVE.load(Ordering::SeqCst) - empty;
        println!(
            "| {n} | {held} (authenticator itself: {}) | {} |",
            empty - before,
            held / n.min(CAPACITY) as i64
        );
        drop(authenticator);
    }
}
