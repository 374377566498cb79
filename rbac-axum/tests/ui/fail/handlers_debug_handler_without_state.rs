//! `#[debug_handler]` on a method of a `#[handlers]` block checks the
//! guarded arguments, so it needs the router state: one error saying how to
//! name it.

use axum::debug_handler;
use rbac_axum::{handlers, requires};

rbac_axum::roles! { admin: viewer, viewer }

pub struct Api;

#[handlers]
impl Api {
    #[debug_handler]
    #[requires(role = "admin")]
    async fn list() -> &'static str {
        "list"
    }
}

fn main() {}
