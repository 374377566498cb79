//! A role named `Self` must be quoted: one error saying so.

rbac_axum::roles! { admin: Self, Self }

fn main() {}
