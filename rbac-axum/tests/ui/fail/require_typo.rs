//! A misspelt role in `require!`: one error, on the literal, with the
//! closest declared name (a `const` in the expression's block, which
//! `cargo check` evaluates).

use axum::Router;
use axum::routing::get;
use rbac_axum::Authenticator;

rbac_axum::roles! { admin: viewer, viewer }

fn routes(authenticator: Authenticator<Role>) -> Router<Authenticator<Role>> {
    Router::new()
        .route("/", get(|| async { "page" }))
        .route_layer(rbac_axum::require!(role = "admn").with_state(&authenticator))
}

fn main() {
    let _ = routes;
}
