rbac_axum::roles! {
    admin: viewer,
    viewer,
    admin,
}

fn main() {}
