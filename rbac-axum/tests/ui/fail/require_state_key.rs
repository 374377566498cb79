//! `require!` takes the router's state from `.with_state(&state)`: a
//! `state =` key is one error saying so.

use rbac_axum::Authenticator;

rbac_axum::roles! { admin: viewer, viewer }

fn main() {
    let _ = rbac_axum::require!(state = Authenticator<Role>, role = "admin");
}
