//! A role name with `-` must be quoted: one error, on the whole name.

rbac_axum::roles! { "super-admin": admin, admin: super-admin-ops }

fn main() {}
