//! `roles!` inside a module: re-export `Role` at the root, or name it with
//! `model = ...`. Quoted names with dashes become CamelCase variants.

// Correct code must not warn: the expansion adds no lint of its own.
#![deny(warnings)]

use axum::Router;
use axum::routing::get;
use rbac_axum::{Authenticator, requires};

mod auth {
    rbac_axum::roles! {
        /// May do everything.
        "super-admin": support,
        support: r#type,
        r#type,
        scopes: ["tickets:read"],
    }
}

mod other {
    rbac_axum::roles! { owner: guest, guest }
}

pub use auth::Role;

#[requires(role = "super-admin")]
async fn through_reexport() -> &'static str {
    "ok"
}

#[requires(model = crate::other::Role, role = "guest")]
async fn through_model_path() -> &'static str {
    "ok"
}

fn main() {
    assert!(Role::SuperAdmin.implies(Role::Type));
    assert_eq!(Role::from_name("type"), Some(Role::Type));
    let hs256 = rbac_axum::jsonwebtoken::Algorithm::HS256;
    let authenticator = Authenticator::<Role>::builder()
        .hmac(hs256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let others = Authenticator::<other::Role>::builder()
        .hmac(hs256, [8u8; 32])
        .build()
        .expect("valid configuration");
    // Each role model with its own authenticator, merged once set.
    let _app: Router = Router::new()
        .route("/a", get(through_reexport))
        .with_state(authenticator)
        .merge(Router::new().route("/b", get(through_model_path)).with_state(others));
}
