use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

// `model` says where the roles are, not what is required.
#[requires(model = crate::Role)]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
