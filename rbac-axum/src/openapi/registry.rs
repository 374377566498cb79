//! The requirements documented so far, by role model, handler and rule:
//! how the policy inventory finds the requirement behind an operation's
//! `x-rbac` entry, to decide it for a principal.

use std::sync::{Mutex, PoisonError};

use rbac_core::{Expr, RoleModel};

use crate::guard::Requirement;

/// What decides a documented requirement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Registered {
    pub(crate) expr: &'static Expr,
}

/// A documented requirement's key: its role model's type name, its
/// handler, its rule in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key<'a> {
    pub(crate) model: &'a str,
    pub(crate) handler: &'a str,
    pub(crate) rule: &'a str,
}

/// Every requirement documented in this process. Two markers with the
/// same model, handler and rule (`impl Api<A>` and `impl Api<B>` with the
/// same method and attribute) name the same roles and scopes the same
/// way: the same requirement, whichever is found.
static REGISTERED: Mutex<Vec<(&'static str, &'static str, String, Registered)>> =
    Mutex::new(Vec::new());

/// `R`'s requirement, kept `'static` as a constant of its own.
struct Constant<R>(std::marker::PhantomData<R>);

impl<R: Requirement> Constant<R> {
    const EXPR: &'static Expr = &R::EXPR;
}

/// The type name that identifies `M` in `x-rbac` entries.
pub(crate) fn model_name<M: RoleModel>() -> &'static str {
    std::any::type_name::<M>()
}

/// Records `R`; returns its rule in words.
pub(crate) fn register<R: Requirement>() -> String {
    let schema = <R::Model as RoleModel>::SCHEMA;
    let rule = R::EXPR.written(schema).to_string();
    let model = model_name::<R::Model>();
    let key = Key { model, handler: R::HANDLER, rule: &rule };
    if find(&key).is_none() {
        let entry = Registered { expr: Constant::<R>::EXPR };
        let mut registered = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
        registered.push((model, R::HANDLER, rule.clone(), entry));
    }
    rule
}

/// The requirement documented under `key`.
pub(crate) fn find(key: &Key<'_>) -> Option<Registered> {
    let registered = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    registered
        .iter()
        .find(|(model, handler, rule, _)| {
            *model == key.model && *handler == key.handler && rule == key.rule
        })
        .map(|(_, _, _, entry)| *entry)
}
