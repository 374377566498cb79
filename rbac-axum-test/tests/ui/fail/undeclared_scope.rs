rbac_axum::roles! {
    editor => ["posts:write"],
    scopes: ["posts:read", "posts:write"],
}

fn main() {
    let _write = rbac_axum_test::scope!("posts:wirte");
}
