//! A state that derives `FromRef` and is named in `roles!`: the guard,
//! `Auth` and `TokenClaims` find the authenticator in it.

#![deny(warnings)]

use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::Router;
use rbac_axum::{Auth, Authenticator, TokenClaims, requires};

rbac_axum::roles! {
    state = AppState,
    admin: viewer,
    viewer,
    scopes: ["posts:read"],
}

#[derive(Clone, FromRef)]
pub struct AppState {
    authenticator: Authenticator<Role>,
    greeting: &'static str,
}

#[derive(serde::Deserialize)]
struct Tenant {
    tenant: String,
}

#[requires(role = "viewer")]
async fn greet(State(greeting): State<&'static str>, auth: Auth) -> String {
    format!("{greeting}, {}", auth.subject().unwrap_or("?"))
}

/// No guard: `Auth` authenticates with the state's model.
async fn whoami(auth: Auth, TokenClaims(claims): TokenClaims<Tenant>) -> String {
    format!("{} of {}", auth.subject().unwrap_or("?"), claims.tenant)
}

fn main() {
    let authenticator = Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let state = AppState { authenticator, greeting: "hello" };
    let _app: Router = Router::new()
        .route("/greet", get(greet))
        .route("/whoami", get(whoami))
        .with_state(state);
}
