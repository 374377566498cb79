//! `require!` for a whole router: the attribute's grammar, `model =`, and
//! the layer put on with `route_layer`, with the authenticator as state and
//! with an app state.

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use rbac_axum::Authenticator;

rbac_axum::roles! {
    state = AppState,
    admin: editor => ["users:write"],
    editor: viewer,
    viewer,
    scopes: ["users:write", "users:read"],
}

pub mod staff {
    rbac_axum::roles! { manager, clerk }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    authenticator: Authenticator<Role>,
}

async fn page() -> &'static str {
    "page"
}

fn routes(
    authenticator: Authenticator<Role>,
    staff: Authenticator<staff::Role>,
) -> (Router<Authenticator<Role>>, Router<AppState>, Router<Authenticator<staff::Role>>) {
    let by_authenticator = Router::new()
        .route("/a", get(page))
        .route_layer(rbac_axum::require!(role = "admin").with_state(&authenticator))
        .route_layer(
            rbac_axum::require!(any(role = "editor", scope = "users:write"), not(role = "admin"))
                .with_state(&authenticator),
        );
    let state = AppState { authenticator };
    let by_app_state = Router::new()
        .route("/b", get(page))
        .route_layer(rbac_axum::require!(scope = "users:read").with_state(&state));
    let by_staff = Router::new()
        .route("/c", get(page))
        .route_layer(rbac_axum::require!(model = staff::Role, role = "clerk").with_state(&staff));
    (by_authenticator, by_app_state, by_staff)
}

fn main() {
    let _ = routes;
}
