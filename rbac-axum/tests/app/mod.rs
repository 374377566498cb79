//! The role model and handlers `http.rs` and `security.rs` share: each test
//! crate includes this module (`mod app;`) and re-exports its `Role` at the
//! crate root, where `#[requires]` looks for it.

use axum::extract::State;
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use rbac_axum::{Auth, requires};
use serde_json::{Value, json};

use crate::support::AppState;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

#[requires(role = "viewer")]
async fn viewer_only(State(state): State<AppState>) -> &'static str {
    state.hit();
    "viewer"
}

#[requires(role = "editor")]
async fn editor_only(State(state): State<AppState>) -> &'static str {
    state.hit();
    "editor"
}

#[requires(role = "admin")]
async fn admin_only(State(state): State<AppState>) -> &'static str {
    state.hit();
    "admin"
}

#[requires(scope = "posts:write")]
async fn write_posts(State(state): State<AppState>) -> &'static str {
    state.hit();
    "written"
}

#[requires(role = "admin", scope = "users:write")]
async fn create_user(State(state): State<AppState>, Json(body): Json<Value>) -> Json<Value> {
    state.hit();
    Json(json!({ "created": body }))
}

#[requires(role = "editor")]
#[requires(scope = "posts:write")]
async fn publish(State(state): State<AppState>) -> &'static str {
    state.hit();
    "published"
}

/// Any valid token, no requirement: `Auth` authenticates on its own.
async fn whoami(State(state): State<AppState>, auth: Auth) -> Json<Value> {
    state.hit();
    Json(json!({
        "subject": auth.subject(),
        "roles": auth.role_names(),
        "scopes": auth.scopes(),
    }))
}

/// The shared routes, plus each test crate's `own` ones.
pub(crate) fn routes(
    state: AppState,
    own: impl IntoIterator<Item = (&'static str, MethodRouter<AppState>)>,
) -> Router {
    let shared = [
        ("/viewer", get(viewer_only)),
        ("/editor", get(editor_only)),
        ("/admin", get(admin_only)),
        ("/posts/write", get(write_posts)),
        ("/users", post(create_user)),
        ("/publish", get(publish)),
        ("/whoami", get(whoami)),
    ];
    shared
        .into_iter()
        .chain(own)
        .fold(Router::new(), |r, (path, route)| r.route(path, route))
        .with_state(state)
}
