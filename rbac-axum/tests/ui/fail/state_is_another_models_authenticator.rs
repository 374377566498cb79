//! `roles!` names as the state an authenticator of other roles: one error,
//! on it.

pub mod staff {
    rbac_axum::roles! { manager, clerk }
}

rbac_axum::roles! {
    state = rbac_axum::Authenticator<staff::Role>,
    admin: viewer,
    viewer,
}

fn main() {}
