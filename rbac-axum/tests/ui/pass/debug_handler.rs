//! `#[axum::debug_handler]` above and below `#[requires]`, with and without
//! `state = …`: the guard keeps the handler's number of arguments, and
//! gives a `debug_handler` below it that names no state the one named on
//! `#[requires]`.

#![deny(warnings)]

use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::routing::get;
use rbac_axum::{Auth, Authenticator, requires};

rbac_axum::roles! {
    state = AppState,
    admin: viewer,
    viewer,
}

#[derive(Clone, FromRef)]
pub struct AppState {
    authenticator: Authenticator<Role>,
    name: &'static str,
}

#[axum::debug_handler]
#[requires(role = "viewer")]
async fn above(Path(id): Path<u64>, State(state): State<AppState>) -> String {
    format!("{id} {}", state.name)
}

#[axum::debug_handler(state = AppState)]
#[requires(role = "viewer")]
async fn above_with_state(auth: Auth, Path(id): Path<u64>) -> String {
    format!("{id} {:?}", auth.subject())
}

#[requires(role = "admin", state = AppState)]
#[axum::debug_handler]
async fn below(Path(id): Path<u64>) -> String {
    id.to_string()
}

#[requires(role = "admin")]
#[axum::debug_handler(state = AppState)]
async fn below_with_state(State(state): State<AppState>, auth: Auth) -> String {
    format!("{} {:?}", state.name, auth.subject())
}

#[requires(role = "admin", state = AppState)]
#[axum::debug_handler]
async fn without_arguments() -> &'static str {
    "ok"
}

#[requires(role = "viewer", state = AppState)]
#[axum::debug_handler]
async fn state_on_the_handler(body: String) -> String {
    body
}

/// Below, without a state named: axum infers it from the `State` argument.
#[requires(role = "viewer")]
#[axum::debug_handler]
async fn below_inferring_state(Path(id): Path<u64>, State(state): State<AppState>) -> String {
    format!("{id} {}", state.name)
}

fn main() {
    let authenticator = Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let state = AppState { authenticator, name: "app" };
    let _app: Router = Router::new()
        .route("/above/{id}", get(above))
        .route("/above-with-state/{id}", get(above_with_state))
        .route("/below/{id}", get(below))
        .route("/below-with-state", get(below_with_state))
        .route("/none", get(without_arguments))
        .route("/echo", axum::routing::post(state_on_the_handler))
        .route("/inferring/{id}", get(below_inferring_state))
        .with_state(state);
}
