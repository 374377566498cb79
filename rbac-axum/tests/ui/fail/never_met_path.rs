//! A requirement no token can meet because of a chain of inheritance: the
//! error shows the chain.

use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor,
    editor: viewer,
    viewer,
}

#[requires(role = "admin", not(role = "viewer"))]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
