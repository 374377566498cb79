//! A role named `type` must be quoted (unquoted, `type = …` names the
//! generated type): one error saying so.

rbac_axum::roles! { type => ["posts:read"], scopes: ["posts:read"] }

fn main() {}
