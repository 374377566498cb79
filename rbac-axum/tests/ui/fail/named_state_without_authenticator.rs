//! The state is named in `roles!` but holds no authenticator: one error,
//! on the name, saying what to derive.

use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    state = AppState,
    admin: viewer,
    viewer,
}

#[derive(Clone)]
pub struct AppState {
    greeting: &'static str,
}

#[requires(role = "admin")]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {
    let state = AppState { greeting: "hello" };
    let _app: axum::Router =
        axum::Router::new().route("/", axum::routing::get(handler)).with_state(state);
}
