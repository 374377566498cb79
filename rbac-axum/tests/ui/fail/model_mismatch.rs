//! The state holds an authenticator for other roles than the handlers':
//! one error, on the state's name, naming both.

use axum::extract::FromRef;
use axum::http::StatusCode;
use rbac_axum::{Authenticator, requires};

pub mod staff {
    rbac_axum::roles! { manager, clerk }
}

rbac_axum::roles! {
    state = AppState,
    admin: viewer,
    viewer,
}

#[derive(Clone, FromRef)]
pub struct AppState {
    authenticator: Authenticator<staff::Role>,
}

#[requires(role = "admin")]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
