//! What generated code calls, by absolute path (`::rbac_axum::__private`).
//! Not public API: it changes without notice.

pub use crate::guard::{Guard, Requirement};
pub use crate::guarded::{Guarded, GuardedRejection};
use crate::require::Require;
use crate::state::{AuthState, HasAuthenticator};
pub use rbac_core::Expr;
pub use rbac_core::suggest::ConstMessage;
use rbac_core::suggest::closest;
use rbac_core::{Coverage, RoleModel, RoleSet, Schema};

/// The `Authenticator<M>` of state `S`, by its `FromRef`: what
/// `roles! { state = S }` implements `AuthState` with, spanned on `S`, so
/// that a missing `FromRef` is one error there, with [`HasAuthenticator`]'s
/// message (and no second one where handlers are routed: the impl exists).
pub fn from_state<M: RoleModel, S: HasAuthenticator<M>>(state: &S) -> crate::Authenticator<M> {
    state.authenticator()
}

/// The requirement `require!` makes, for marker `R`.
pub const fn require<R: Requirement>() -> Require<R> {
    Require::new()
}

/// Compiles only when `S` is a router state for `R`'s roles: what
/// `#[requires(state = S)]` checks, spanned on `S`.
pub fn assert_state_of<R: Requirement, S: AuthState<Model = R::Model>>() {}

/// The index of role `name` in the declaration of `R`'s roles, or
/// `u8::MAX` (which no principal ever holds) when it is not declared: the
/// build has already failed on [`unknown_role`] then. Generic code takes the
/// handler's marker `R`, never its model: a `model = …` that is not a
/// `roles!` type is then one error, where the marker names it.
pub const fn role_index<R: Requirement>(name: &str) -> u8 {
    match find(R::Model::SCHEMA.roles(), name) {
        Some(index) => index,
        None => u8::MAX,
    }
}

/// The index of scope `name`, or `u8::MAX`; see [`role_index`].
pub const fn scope_index<R: Requirement>(name: &str) -> u8 {
    match find(R::Model::SCHEMA.scopes(), name) {
        Some(index) => index,
        None => u8::MAX,
    }
}

/// The compile error for role `name` when `R`'s roles do not declare it.
/// Generated code panics with it in a `const` spanned on the user's literal.
pub const fn unknown_role<R: Requirement>(name: &str) -> Option<ConstMessage> {
    let roles = R::Model::SCHEMA.roles();
    match find(roles, name) {
        Some(_) => None,
        None => Some(unknown("role", name, roles)),
    }
}

/// The compile error for scope `name` when `R`'s roles do not declare it.
pub const fn unknown_scope<R: Requirement>(name: &str) -> Option<ConstMessage> {
    unknown_scope_of::<R::Model>(name)
}

/// The compile error for scope `name` when model `M` does not declare it:
/// what the test toolkit's `scope!` checks a name with.
pub const fn unknown_scope_of<M: RoleModel>(name: &str) -> Option<ConstMessage> {
    let scopes = M::SCHEMA.scopes();
    match find(scopes, name) {
        Some(_) => None,
        None => Some(unknown("scope", name, scopes)),
    }
}

/// The compile error for a requirement that does not guard: one that every
/// verified token meets (it protects nothing), one no token can meet, or one
/// with an empty list. `None` also when a name is not declared: the build
/// has already failed on that name. Where the hierarchy decides it, the
/// message shows how the requirement's roles inherit one another.
pub const fn unguarded<R: Requirement>() -> Option<ConstMessage> {
    let schema = R::Model::SCHEMA;
    let (problem, advice) =
        match R::EXPR.coverage(schema) {
            Coverage::Some | Coverage::Undeclared => return None,
            Coverage::Every => (
                "this requirement is met by every valid token, even one with no role and no scope, \
             so it protects nothing",
                "; require a role or a scope, e.g. `role = \"admin\"`",
            ),
            Coverage::None => (
                "no token can meet this requirement, so the handler could never run",
                "; check its `not(…)` against the role hierarchy",
            ),
            Coverage::Empty => {
                return Some(ConstMessage::new().push(
                    "`#[requires]` needs a requirement, e.g. `#[requires(role = \"admin\")]`",
                ));
            }
            Coverage::TooLarge => {
                return Some(ConstMessage::new().push(
                    "a requirement with `not(…)` may name at most 12 distinct roles and scopes, \
                 so that the compiler can check it can be both met and refused",
                ));
            }
        };
    let mentioned = mentioned_roles(&R::EXPR, RoleSet::EMPTY);
    let message = explain_inheritance(ConstMessage::new().push(problem), schema, mentioned);
    Some(message.push(advice))
}

// The message above spells the limit out.
const _: () = assert!(rbac_core::MAX_DECIDED_ATOMS == 12);

/// The roles `expr` names, anywhere in it, added to `found`.
const fn mentioned_roles(expr: &Expr, found: RoleSet) -> RoleSet {
    match *expr {
        Expr::Role(index) => found.with(index as usize),
        Expr::Scope(_) => found,
        Expr::All(parts) | Expr::Any(parts) => {
            let mut found = found;
            let mut i = 0;
            while i < parts.len() {
                found = mentioned_roles(&parts[i], found);
                i += 1;
            }
            found
        }
        Expr::Not(inner) => mentioned_roles(inner, found),
    }
}

/// At most this many inheritance paths are shown in one message.
const MAX_PATHS_SHOWN: usize = 3;

/// `message`, followed by how the roles in `mentioned` inherit one another
/// (`admin` → `editor` → `viewer`), when some do.
const fn explain_inheritance(
    mut message: ConstMessage,
    schema: &Schema,
    mentioned: RoleSet,
) -> ConstMessage {
    let names = schema.roles();
    let mut shown = 0;
    let mut from = 0;
    while from < names.len() && shown < MAX_PATHS_SHOWN {
        let mut to = 0;
        while to < names.len() && shown < MAX_PATHS_SHOWN {
            if from != to
                && mentioned.contains(from)
                && mentioned.contains(to)
                && schema.implied(from).contains(to)
            {
                message = message.push(if shown == 0 { ": in `roles!`, " } else { ", and " });
                message = inheritance_path(message, schema, from, to);
                shown += 1;
            }
            to += 1;
        }
        from += 1;
    }
    message
}

/// `` `from` inherits `to` `` and, through other roles, the steps between
/// them: each step goes to the role nearest `from` (the one with the most
/// inherited roles) among those that still inherit `to`.
const fn inheritance_path(
    mut message: ConstMessage,
    schema: &Schema,
    from: usize,
    to: usize,
) -> ConstMessage {
    let names = schema.roles();
    message = message.push("`").push(names[from]).push("` inherits `").push(names[to]).push("`");
    let mut step = from;
    let mut path = ConstMessage::new().push("`").push(names[from]).push("`");
    let mut hops = 0;
    // At most one hop per role: a hand-written cyclic schema cannot loop.
    while step != to && hops < names.len() {
        let mut next = to;
        let mut i = 0;
        while i < names.len() {
            if i != step
                && schema.implied(step).contains(i)
                && schema.implied(i).contains(to)
                && schema.implied(i).len() > schema.implied(next).len()
            {
                next = i;
            }
            i += 1;
        }
        path = path.push(" → `").push(names[next]).push("`");
        step = next;
        hops += 1;
    }
    if hops > 1 {
        message = message.push(" (").push(path.as_str()).push(")");
    }
    message
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
