//! What generated code calls, by absolute path (`::rbac_axum::__private`).
//! Not public API: it changes without notice.

pub use crate::guard::{Guard, Requirement};
pub use rbac_core::Expr;
use rbac_core::RoleModel;
use rbac_core::suggest::{ConstMessage, closest};

/// The index of role `name` in `M`'s declaration; fails compile-time
/// evaluation, naming the closest declared role, when there is none.
pub const fn role_index<M: RoleModel>(name: &str) -> u8 {
    let roles = M::SCHEMA.roles();
    match find(roles, name) {
        Some(index) => index,
        None => unknown("role", name, roles),
    }
}

/// The index of scope `name` in `M`'s declaration; fails compile-time
/// evaluation, naming the closest declared scope, when there is none.
pub const fn scope_index<M: RoleModel>(name: &str) -> u8 {
    let scopes = M::SCHEMA.scopes();
    match find(scopes, name) {
        Some(index) => index,
        None => unknown("scope", name, scopes),
    }
}

const fn find(declared: &[&str], name: &str) -> Option<u8> {
    let mut i = 0;
    while i < declared.len() {
        if str_eq(declared[i], name) {
            return Some(i as u8);
        }
        i += 1;
    }
    None
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[track_caller]
const fn unknown(kind: &str, name: &str, declared: &[&str]) -> ! {
    let mut message =
        ConstMessage::new().push("unknown ").push(kind).push(" `").push(name).push("`");
    match closest(declared, name) {
        Some(index) => {
            message = message.push("; did you mean `").push(declared[index]).push("`?");
        }
        None => {
            message = message.push("; declared ").push(kind).push("s: ");
            let mut i = 0;
            while i < declared.len() {
                if i > 0 {
                    message = message.push(", ");
                }
                message = message.push("`").push(declared[i]).push("`");
                i += 1;
            }
            if declared.is_empty() {
                message = message.push("none (add them to `roles!`)");
            }
        }
    }
    panic!("{}", message.as_str())
}
