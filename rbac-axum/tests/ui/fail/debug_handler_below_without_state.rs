//! `#[debug_handler]` below `#[requires]`, no state named anywhere it can
//! see: one error, ours, saying what to write.

use axum::extract::Path;
use rbac_axum::requires;

rbac_axum::roles! { admin: viewer, viewer }

#[requires(role = "admin")]
#[axum::debug_handler]
async fn handler(Path(id): Path<u64>) -> String {
    id.to_string()
}

fn main() {}
