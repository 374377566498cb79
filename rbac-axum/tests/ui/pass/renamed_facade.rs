//! When `rbac-axum` is renamed in Cargo.toml, `crate = path` tells both
//! macros where it is.

// Correct code must not warn: the expansion adds no lint of its own.
#![deny(warnings)]

use axum::Router;
use axum::routing::get;

/// Stands for the renamed facade.
mod facade {
    pub use rbac_axum::*;
}

facade::roles! {
    crate = crate::facade,
    admin: viewer,
    viewer,
    scopes: ["posts:read"],
}

#[facade::requires(crate = crate::facade, role = "admin", scope = "posts:read")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let authenticator = facade::Authenticator::<Role>::builder()
        .hmac(facade::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let _app: Router = Router::new().route("/", get(handler)).with_state(authenticator);
}
