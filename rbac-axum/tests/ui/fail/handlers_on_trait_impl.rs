//! `#[handlers]` on a trait impl: the guard would change the methods'
//! arguments, which the trait fixes. One error, on the trait.

use rbac_axum::handlers;

rbac_axum::roles! { admin: viewer, viewer }

pub struct Api;

#[handlers]
impl Default for Api {
    fn default() -> Self {
        Api
    }
}

fn main() {}
