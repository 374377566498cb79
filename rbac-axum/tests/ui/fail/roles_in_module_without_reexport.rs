use axum::http::StatusCode;
use rbac_axum::requires;

mod auth {
    rbac_axum::roles! { admin: viewer, viewer }
}

#[requires(role = "admin")]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
