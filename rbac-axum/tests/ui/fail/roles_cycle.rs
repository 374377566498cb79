rbac_axum::roles! {
    admin: editor,
    editor: viewer,
    viewer: admin,
}

fn main() {}
