use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

// A syntax error in the body is rustc's to report, once.
#[requires(role = "admin")]
async fn handler() -> StatusCode {
    let status = ;
    status
}

fn main() {}
