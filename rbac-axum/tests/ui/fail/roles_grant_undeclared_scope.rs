rbac_axum::roles! {
    admin => ["users:wirte"],
    scopes: ["users:read", "users:write"],
}

fn main() {}
