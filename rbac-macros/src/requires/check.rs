//! Validation of `#[requires]`: the handler must be an async free
//! function, the arguments of its `#[requires]` together a non-empty
//! requirement, every error collected before failing. Names are checked
//! later, by `const` evaluation against the `roles!` declaration, since only
//! rustc can see it.

use proc_macro2::Span;
use syn::{LitStr, Path};

use super::ast::{Handler, ROUTER_USAGE, RequiresAttr, Term, USAGE};
use crate::ctxt::Ctxt;

/// What a token must hold for the handler to run: a tree whose shape is
/// valid, its role and scope names still unchecked.
pub(crate) enum Condition {
    Role(LitStr),
    Scope(LitStr),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// Whether a `not(…)` appears anywhere in it.
    pub(crate) fn has_not(&self) -> bool {
        match self {
            Condition::Role(_) | Condition::Scope(_) => false,
            Condition::All(parts) | Condition::Any(parts) => parts.iter().any(Condition::has_not),
            Condition::Not(_) => true,
        }
    }
}

/// What a handler requires: the condition of every `#[requires]` on it
/// together, and where its roles are declared.
pub(crate) struct HandlerRule {
    pub(crate) condition: Condition,
    pub(crate) model: Option<Path>,
    /// Path of the facade crate, when renamed.
    pub(crate) krate: Option<Path>,
    /// The router state, when named on the handler.
    pub(crate) state: Option<syn::Type>,
}

/// Validates the handler and the arguments of its `#[requires]`, and
/// combines them into one rule.
pub(crate) fn check(handler: &Handler, attrs: Vec<RequiresAttr>) -> syn::Result<HandlerRule> {
    let cx = Ctxt::new();
    async_free_fn(&cx, handler);
    rule_of(cx, attrs, "`#[requires]`", USAGE)
}

/// Validates the arguments of `require!` (as one attribute's), for a whole
/// router: `state` is not one of them, the router's state is given with
/// `.with_state(&state)`.
pub(crate) fn check_router_requirement(args: RequiresAttr) -> syn::Result<HandlerRule> {
    let rule = rule_of(Ctxt::new(), vec![args], "`require!`", ROUTER_USAGE)?;
    match &rule.state {
        Some(state) => Err(syn::Error::new_spanned(
            state,
            "`require!` takes the router's state from `.with_state(&state)`: remove `state = …`",
        )),
        None => Ok(rule),
    }
}

/// The arguments of `attrs` combined into one rule, every error in `cx`
/// reported. `what` names the macro in messages, `usage` shows it used.
fn rule_of(
    cx: Ctxt,
    attrs: Vec<RequiresAttr>,
    what: &str,
    usage: &str,
) -> syn::Result<HandlerRule> {
    let mut parts = Vec::new();
    let mut model: Option<Path> = None;
    let mut krate: Option<Path> = None;
    let mut state: Option<syn::Type> = None;
    for attr in attrs {
        let args = match attr.args {
            Ok(args) => args,
            Err(error) => {
                cx.push(error);
                continue;
            }
        };
        if args.terms.is_empty() {
            cx.error(attr.span, format!("{what} needs a requirement, {usage}"));
            continue;
        }
        for term in args.terms {
            match term {
                Term::Crate(key, _) if krate.is_some() => {
                    cx.error(key.span, "`crate` is given twice");
                }
                Term::Crate(_, path) => krate = Some(path),
                Term::Model(key, _) if model.is_some() => {
                    cx.error(key.span, "`model` is given twice");
                }
                Term::Model(_, path) => model = Some(path),
                Term::State(key, _) if state.is_some() => {
                    cx.error(key.span, "`state` is given twice");
                }
                Term::State(_, ty) => state = Some(ty),
                term => parts.extend(lower(&cx, term)),
            }
        }
    }
    cx.check()?;
    // `model`, `crate` and `state` say where things are, not what is required:
    // the attributes together must still name a role or a scope.
    let condition = match parts.len() {
        0 => {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("{what} needs a requirement, {usage}"),
            ));
        }
        1 => parts.swap_remove(0),
        _ => Condition::All(parts),
    };
    Ok(HandlerRule { condition, model, krate, state })
}

/// axum calls a handler as a free function and awaits it.
fn async_free_fn(cx: &Ctxt, handler: &Handler) {
    if handler.sig.asyncness.is_none() {
        cx.error(
            handler.sig.fn_token.span,
            "`#[requires]` handlers must be async: write `async fn`",
        );
    }
    if let Some(receiver) = handler.sig.receiver() {
        cx.push(syn::Error::new_spanned(
            receiver,
            "`#[requires]` handlers are free functions, not methods: remove `self`",
        ));
    }
}

/// The condition `term` states, or `None` with its errors in `cx`.
fn lower(cx: &Ctxt, term: Term) -> Option<Condition> {
    match term {
        Term::Role(lit) => Some(Condition::Role(lit)),
        Term::Scope(lit) => Some(Condition::Scope(lit)),
        Term::All(key, terms) if terms.is_empty() => {
            cx.error(key.span, empty("all"));
            None
        }
        Term::Any(key, terms) if terms.is_empty() => {
            cx.error(key.span, empty("any"));
            None
        }
        Term::All(_, terms) => lower_all(cx, terms).map(Condition::All),
        Term::Any(_, terms) => lower_all(cx, terms).map(Condition::Any),
        Term::Not(key, mut terms) => {
            if terms.len() != 1 {
                cx.error(
                    key.span,
                    "`not(…)` takes exactly one requirement; combine several with `not(any(…))` or `not(all(…))`",
                );
                return None;
            }
            let inner = terms.swap_remove(0);
            lower(cx, inner).map(|inner| Condition::Not(Box::new(inner)))
        }
        Term::Model(key, _) => {
            cx.error(key.span, "`model = …` belongs at the top level of `#[requires(...)]`");
            None
        }
        Term::Crate(key, _) => {
            cx.error(key.span, "`crate = …` belongs at the top level of `#[requires(...)]`");
            None
        }
        Term::State(key, _) => {
            cx.error(key.span, "`state = …` belongs at the top level of `#[requires(...)]`");
            None
        }
    }
}

/// For an empty `all()` or `any()`.
fn empty(key: &str) -> String {
    format!("`{key}()` is empty; list at least one requirement: `{key}(role = \"…\", …)`")
}

/// Every term lowered, each error reported, or `None` if any had one.
fn lower_all(cx: &Ctxt, terms: Vec<Term>) -> Option<Vec<Condition>> {
    let mut out = Vec::new();
    let mut complete = true;
    for term in terms {
        match lower(cx, term) {
            Some(condition) => out.push(condition),
            None => complete = false,
        }
    }
    complete.then_some(out)
}
