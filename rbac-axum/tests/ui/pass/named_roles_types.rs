//! Two `roles!` in one module, the second named with `type =`, and role
//! names that are not Rust identifiers, quoted.

use axum::{Router, http::StatusCode, routing::get};
use rbac_axum::{Authenticator, requires};

rbac_axum::roles! { admin: viewer, viewer }

rbac_axum::roles! {
    type = StaffRole,
    "super-admin": manager,
    manager: "self",
    "self",
    "type",
}

#[requires(role = "admin")]
async fn site() -> StatusCode {
    StatusCode::OK
}

#[requires(model = StaffRole, role = "self")]
async fn own_profile() -> StatusCode {
    StatusCode::OK
}

fn main() {
    assert_eq!(StaffRole::RSelf.name(), "self");
    assert_eq!(StaffRole::SuperAdmin.name(), "super-admin");
    assert_eq!(StaffRole::Type.name(), "type");
    assert!(StaffRole::SuperAdmin.implies(StaffRole::RSelf));
    let _: Router<Authenticator<Role>> = Router::new().route("/", get(site));
    let _: Router<Authenticator<StaffRole>> = Router::new().route("/me", get(own_profile));
}
