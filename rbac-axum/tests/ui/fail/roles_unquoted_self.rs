//! A role named `self` must be quoted: one error saying so.

rbac_axum::roles! { admin, self }

fn main() {}
