rbac_axum::roles! {
    admin,
    scopes: ["users:read", "users write", "say\"hi\""],
}

fn main() {}
