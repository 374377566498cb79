//! What generated code calls, by absolute path (`::rbac_axum::__private`).
//! Not public API: it changes without notice.

pub use crate::guard::{Guard, Requirement};
pub use crate::guarded::{Guarded, GuardedRejection};
use crate::state::{AuthState, HasAuthenticator};
pub use rbac_core::Expr;
pub use rbac_core::suggest::ConstMessage;
use rbac_core::suggest::closest;
use rbac_core::{Coverage, RoleModel};

/// The `Authenticator<M>` of state `S`, by its `FromRef`: what
/// `roles! { state = S }` implements `AuthState` with, spanned on `S`, so
/// that a missing `FromRef` is one error there, with [`HasAuthenticator`]'s
/// message (and no second one where handlers are routed: the impl exists).
pub fn from_state<M: RoleModel, S: HasAuthenticator<M>>(state: &S) -> crate::Authenticator<M> {
    state.authenticator()
}

/// Compiles only when `S` is a router state for `R`'s roles: what
/// `#[requires(state = S)]` checks, spanned on `S`.
pub fn assert_state_of<R: Requirement, S: AuthState<Model = R::Model>>() {}

/// The index of role `name` in `M`'s declaration, or `u8::MAX` (which no
/// principal ever holds) when it is not declared: the build has already
/// failed on [`unknown_role`] then.
pub const fn role_index<M: RoleModel>(name: &str) -> u8 {
    match find(M::SCHEMA.roles(), name) {
        Some(index) => index,
        None => u8::MAX,
    }
}

/// The index of scope `name`, or `u8::MAX`; see [`role_index`].
pub const fn scope_index<M: RoleModel>(name: &str) -> u8 {
    match find(M::SCHEMA.scopes(), name) {
        Some(index) => index,
        None => u8::MAX,
    }
}

/// The compile error for role `name` when `M` does not declare it. Generated
/// code panics with it in a `const` spanned on the user's literal.
pub const fn unknown_role<M: RoleModel>(name: &str) -> Option<ConstMessage> {
    let roles = M::SCHEMA.roles();
    match find(roles, name) {
        Some(_) => None,
        None => Some(unknown("role", name, roles)),
    }
}

/// The compile error for scope `name` when `M` does not declare it.
pub const fn unknown_scope<M: RoleModel>(name: &str) -> Option<ConstMessage> {
    let scopes = M::SCHEMA.scopes();
    match find(scopes, name) {
        Some(_) => None,
        None => Some(unknown("scope", name, scopes)),
    }
}
/// The compile error for a requirement that does not guard: one that every
/// verified token meets (it protects nothing), one no token can meet, or one
/// with an empty list. `None` also when a name is not declared: the build
/// has already failed on that name.
pub const fn unguarded<M: RoleModel>(expr: &Expr) -> Option<ConstMessage> {
    let message = match expr.coverage(M::SCHEMA) {
        Coverage::Some | Coverage::Undeclared => return None,
        Coverage::Every => {
            "this requirement is met by every valid token, even one with no role and no scope, \
             so it protects nothing; require a role or a scope, e.g. `role = \"admin\"`"
        }
        Coverage::None => {
            "no token can meet this requirement (see its `not(…)` and the role hierarchy), \
             so the handler could never run"
        }
        Coverage::Empty => {
            "`#[requires]` needs a requirement, e.g. `#[requires(role = \"admin\")]`"
        }
        Coverage::TooLarge => {
            "a requirement with `not(…)` may name at most 12 distinct roles and scopes, \
             so that the compiler can check it can be both met and refused"
        }
    };
    Some(ConstMessage::new().push(message))
}

// The message above spells the limit out.
const _: () = assert!(rbac_core::MAX_DECIDED_ATOMS == 12);

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

const fn unknown(kind: &str, name: &str, declared: &[&str]) -> ConstMessage {
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
    message
}
