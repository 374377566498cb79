//! HTTP benchmark server for jwt-authorizer (axum 0.7), with the handler
//! body, token and requirement of `bench/servers`:
//!
//! ```text
//! rbac-bench-peers serve jwt-authorizer-{hs256,rs256} <addr> <dir>
//! ```
//!
//! jwt-authorizer's layer verifies the token (`iss`, `aud`, `exp`) and
//! stores the claims; a small extractor makes the same decision as the
//! other servers.

use std::path::Path;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use jwt_authorizer::{Authorizer, IntoLayer as _, JwtAuthorizer, JwtClaims, Validation};
use serde::Deserialize;

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "orders-api";
const SECRET: &str = "a benchmark HS256 secret of 32+ bytes";

/// What the other servers' floor deserializes.
#[derive(Clone, Deserialize)]
struct Claims {
    #[allow(dead_code)] // read by a real handler; deserialized here all the same
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scope: String,
}

fn allowed(roles: &[String], scope: &str) -> bool {
    let role = |name: &str| roles.iter().any(|r| r == name);
    let scope = |name: &str| scope.split(' ').any(|s| s == name);
    (role("admin") || (role("editor") && scope("posts:write"))) && scope("posts:read")
}

struct Allowed;

#[axum::async_trait]
impl<S: Send + Sync> FromRequestParts<S> for Allowed {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, StatusCode> {
        let JwtClaims(claims) = JwtClaims::<Claims>::from_request_parts(parts, state)
            .await
            .map_err(|_| StatusCode::UNAUTHORIZED)?;
        if allowed(&claims.roles, &claims.scope) { Ok(Allowed) } else { Err(StatusCode::FORBIDDEN) }
    }
}

async fn handler(_: Allowed) -> &'static str {
    "ok"
}

async fn router(variant: &str, dir: &Path) -> Router {
    let builder = match variant {
        "jwt-authorizer-hs256" => JwtAuthorizer::from_secret(SECRET),
        "jwt-authorizer-rs256" => {
            let pem = std::fs::read_to_string(dir.join("rs256.pem")).expect("rs256.pem");
            JwtAuthorizer::from_rsa_pem_text(&pem)
        }
        _ => panic!("unknown variant {variant}"),
    };
    let authorizer: Authorizer<Claims> = builder
        .validation(Validation::new().iss(&[ISSUER]).aud(&[AUDIENCE]))
        .build()
        .await
        .expect("jwt-authorizer");
    Router::new().route("/", get(handler)).layer(authorizer.into_layer())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 || args[1] != "serve" {
        eprintln!("usage: rbac-bench-peers serve <variant> <addr> <dir>");
        std::process::exit(2);
    }
    let (variant, addr, dir) = (&args[2], &args[3], Path::new(&args[4]));
    let workers = std::env::var("WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let app = router(variant, dir).await;
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await.expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}
