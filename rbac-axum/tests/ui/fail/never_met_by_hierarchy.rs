use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

// Every admin is an editor: no token meets this.
#[requires(role = "admin")]
#[requires(not(role = "editor"))]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
