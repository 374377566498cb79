//! `#[handlers]` on a trait impl whose method has a `#[requires]`: one
//! error, on the trait, not one more per method.

use rbac_axum::{handlers, requires};

rbac_axum::roles! { admin: viewer, viewer }

pub trait Listing {
    fn list() -> &'static str;
}

pub struct Api;

#[handlers]
impl Listing for Api {
    #[requires(role = "admin")]
    fn list() -> &'static str {
        "list"
    }
}

fn main() {}
