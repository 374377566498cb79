//! `model =` names a type that `roles!` did not generate: one error, on it.

use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! { admin: viewer, viewer }

pub struct Account;

#[requires(model = Account, role = "admin")]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
