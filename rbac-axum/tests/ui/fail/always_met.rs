use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

// Every token either holds `posts:read` or does not: this protects nothing.
#[requires(any(scope = "posts:read", not(scope = "posts:read")))]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {}
