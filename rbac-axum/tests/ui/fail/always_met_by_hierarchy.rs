use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

// Every admin is a viewer, so every token is a viewer or not an admin.
#[requires(any(role = "viewer", not(role = "admin")))]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
