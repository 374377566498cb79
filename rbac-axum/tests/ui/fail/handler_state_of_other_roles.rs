//! The state named on the handler is for other roles than the handler's:
//! one error, on the state, naming both role types.

use axum::http::StatusCode;
use rbac_axum::{Authenticator, requires};

pub mod staff {
    rbac_axum::roles! { manager, clerk }
}

rbac_axum::roles! { admin: viewer, viewer }

#[requires(role = "admin", state = Authenticator<staff::Role>)]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
