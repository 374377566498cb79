//! The guard composes with axum's extractors and return types, and the
//! handler keeps its docs, attributes and visibility.

// Correct code must not warn: the expansion adds no lint of its own.
#![deny(warnings)]

use std::collections::HashMap;

use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use rbac_axum::{Auth, Authenticator, requires};

rbac_axum::roles! {
    state = AppState,
    admin: editor,
    editor: viewer,
    viewer,
    scopes: ["posts:read", "posts:write"],
}

#[derive(Clone)]
pub struct AppState {
    authenticator: Authenticator<Role>,
    name: &'static str,
}

impl FromRef<AppState> for Authenticator<Role> {
    fn from_ref(state: &AppState) -> Self {
        state.authenticator.clone()
    }
}

/// Documented handler: the doc comment stays.
#[requires(role = "editor")]
#[must_use = "kept attribute"]
pub async fn with_everything(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<serde_json::Value>,
) -> impl IntoResponse {
    let _ = (state.name, auth.subject(), id, query, body);
    StatusCode::NO_CONTENT
}

#[requires(scope = "posts:read")]
pub(crate) async fn fallible(Path(id): Path<u64>) -> Result<Json<u64>, (StatusCode, String)> {
    if id == 0 { Err((StatusCode::NOT_FOUND, "no post 0".to_owned())) } else { Ok(Json(id)) }
}

#[requires(role = "viewer")]
async fn with_body_string(body: String) -> String {
    body
}

#[requires(role = "viewer")]
async fn r#async() -> &'static str {
    "raw identifiers work"
}

fn main() {
    let authenticator = Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let state = AppState { authenticator, name: "app" };
    let _app: Router = Router::new()
        .route("/posts/{id}", post(with_everything).get(fallible))
        .route("/echo", post(with_body_string))
        .route("/raw", get(r#async))
        .with_state(state);
}
