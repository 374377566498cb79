//! A handler without `async`, routed: the macro's error, and no second
//! one where it is routed.

use axum::http::StatusCode;
use rbac_axum::{Authenticator, requires};

rbac_axum::roles! { admin: viewer, viewer }

#[requires(role = "admin")]
fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {
    let authenticator = Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let _app: axum::Router =
        axum::Router::new().route("/", axum::routing::get(handler)).with_state(authenticator);
}
