//! A router requirement of one role model given another model's
//! authenticator as its state: one error, at `with_state`.

use rbac_axum::Authenticator;

rbac_axum::roles! { admin: viewer, viewer }

pub mod staff {
    rbac_axum::roles! { manager, clerk }
}

fn layer(staff: Authenticator<staff::Role>) {
    let _ = rbac_axum::require!(role = "admin").with_state(&staff);
}

fn main() {
    let _ = layer;
}
