//! A typo in a method handler's `#[requires]` is caught as in a free
//! function's: one error, on the literal.

use axum::http::StatusCode;
use rbac_axum::{handlers, requires};

rbac_axum::roles! { admin: viewer, viewer }

pub struct Api;

#[handlers]
impl Api {
    #[requires(role = "admn")]
    async fn list() -> StatusCode {
        StatusCode::OK
    }
}

fn main() {}
