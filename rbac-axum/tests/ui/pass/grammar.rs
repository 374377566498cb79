//! Every form of the `#[requires]` grammar compiles and routes.

// Correct code must not warn: the expansion adds no lint of its own.
#![deny(warnings)]

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use rbac_axum::{Authenticator, requires};

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

#[requires(role = "admin")]
async fn one_role() -> StatusCode {
    StatusCode::OK
}

#[requires(scope = "users:read")]
async fn one_scope() -> StatusCode {
    StatusCode::OK
}

#[requires(role = "admin", scope = "users:write",)]
async fn several_keys() -> StatusCode {
    StatusCode::OK
}

#[requires(all(role = "editor", scope = "posts:write"))]
async fn all_of() -> StatusCode {
    StatusCode::OK
}

#[requires(any(role = "editor", scope = "posts:write"))]
async fn any_of() -> StatusCode {
    StatusCode::OK
}

#[requires(not(role = "admin"))]
async fn not_of() -> StatusCode {
    StatusCode::OK
}

#[requires(any(all(role = "editor", not(scope = "users:write")), any(role = "admin", not(not(scope = "posts:read")))))]
async fn nested() -> StatusCode {
    StatusCode::OK
}

#[requires(role = "viewer")]
#[rbac_axum::requires(scope = "posts:read")]
async fn two_attributes() -> StatusCode {
    StatusCode::OK
}

#[requires(model = crate::Role, role = "viewer")]
async fn explicit_model() -> StatusCode {
    StatusCode::OK
}

fn main() {
    let authenticator = Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let _app: Router = Router::new()
        .route("/a", get(one_role))
        .route("/b", get(one_scope))
        .route("/c", get(several_keys))
        .route("/d", get(all_of))
        .route("/e", get(any_of))
        .route("/f", get(not_of))
        .route("/g", get(nested))
        .route("/h", get(two_attributes))
        .route("/i", get(explicit_model))
        .with_state(authenticator);
}
