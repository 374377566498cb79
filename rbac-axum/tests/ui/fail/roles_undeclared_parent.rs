rbac_axum::roles! {
    admin: editr,
    editor: viewer,
    viewer,
}

fn main() {}
