//! A constant as the value: the macro cannot see its value, and says a
//! literal is needed rather than suggesting the constant's name quoted.

use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! { admin: viewer, viewer, scopes: ["posts:read"] }

const ADMIN: &str = "admin";

mod names {
    pub const READ: &str = "posts:read";
}

#[requires(role = ADMIN)]
async fn by_constant() -> StatusCode {
    StatusCode::OK
}

#[requires(scope = names::READ)]
async fn by_path() -> StatusCode {
    let _ = ADMIN;
    StatusCode::OK
}

fn main() {}
