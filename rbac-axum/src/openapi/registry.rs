//! The requirements documented so far, by handler and rule: how the
//! policy inventory finds the requirement behind an operation's
//! `x-rbac` entry, to decide it for a principal.

use std::sync::{Mutex, PoisonError};

use rbac_core::{Expr, RoleModel};

use crate::guard::Requirement;

/// What decides a documented requirement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Registered {
    pub(crate) expr: &'static Expr,
}

/// Every requirement documented in this process, by handler and rule. Two
/// markers with the same handler and the same rule are the same
/// requirement, whichever is found.
static REGISTERED: Mutex<Vec<(&'static str, String, Registered)>> = Mutex::new(Vec::new());

/// `R`'s requirement, kept `'static` as a constant of its own.
struct Constant<R>(std::marker::PhantomData<R>);

impl<R: Requirement> Constant<R> {
    const EXPR: &'static Expr = &R::EXPR;
}

/// Records `R`; returns its rule in words.
pub(crate) fn register<R: Requirement>() -> String {
    let schema = <R::Model as RoleModel>::SCHEMA;
    let rule = R::EXPR.written(schema).to_string();
    let mut registered = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    let known =
        registered.iter().any(|(handler, written, _)| *handler == R::HANDLER && *written == rule);
    if !known {
        let entry = Registered { expr: Constant::<R>::EXPR };
        registered.push((R::HANDLER, rule.clone(), entry));
    }
    rule
}

/// The requirement documented for `handler` with `rule`.
pub(crate) fn find(handler: &str, rule: &str) -> Option<Registered> {
    let registered = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    registered
        .iter()
        .find(|(known, written, _)| *known == handler && written == rule)
        .map(|(_, _, entry)| *entry)
}
