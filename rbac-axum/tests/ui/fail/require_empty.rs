//! `require!()` names nothing: one error saying what to write.

rbac_axum::roles! { admin: viewer, viewer }

fn main() {
    let _ = rbac_axum::require!();
}
