use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

#[requires(model = crate::Role, crate = ::rbac_axum)]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
