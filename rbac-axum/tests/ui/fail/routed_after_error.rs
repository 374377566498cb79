use axum::http::StatusCode;
use rbac_axum::requires;

rbac_axum::roles! {
    admin: editor => ["users:write"],
    editor: viewer => ["posts:write"],
    viewer => ["posts:read"],
    scopes: ["users:read", "users:write", "posts:read", "posts:write"],
}

// The handler is still routed after the macro's error: no second error.
#[requires(role = admin)]
async fn handler() -> StatusCode {
    StatusCode::OK
}

fn main() {
    let authenticator = rbac_axum::Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let _app: axum::Router = axum::Router::new()
        .route("/", axum::routing::get(handler))
        .with_state(authenticator);
}
