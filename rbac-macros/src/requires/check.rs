//! Validation of `#[requires]`: the item must be an async fn, the
//! arguments a non-empty requirement. Names are checked later, by `const`
//! evaluation against the `roles!` declaration, since only rustc can see it.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, ItemFn, LitStr, Path};

use super::ast::{Args, Term};
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

/// What a handler requires: the condition of every `#[requires]` on it
/// together, and where its roles are declared.
pub(crate) struct HandlerRule {
    pub(crate) condition: Condition,
    pub(crate) model: Option<Path>,
    /// Path of the facade crate, when renamed.
    pub(crate) krate: Option<Path>,
}

const USAGE: &str = "e.g. `#[requires(role = \"admin\")]` or `#[requires(any(role = \"editor\", scope = \"posts:write\"))]`";

pub(crate) fn handler(item: syn::Item) -> syn::Result<ItemFn> {
    let function = match item {
        syn::Item::Fn(function) => function,
        other => {
            let span = item_keyword_span(&other);
            return Err(syn::Error::new(
                span,
                "`#[requires]` goes on an async handler function, e.g. `async fn delete_user(...)`",
            ));
        }
    };
    if function.sig.asyncness.is_none() {
        return Err(syn::Error::new(
            function.sig.fn_token.span,
            "`#[requires]` handlers must be async: write `async fn`",
        ));
    }
    if let Some(receiver) = function.sig.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            "`#[requires]` handlers are free functions, not methods: remove `self`",
        ));
    }
    Ok(function)
}

/// Parses this attribute's arguments and those of any further `#[requires]`
/// on the same function (all must hold), removing the latter.
pub(crate) fn rule(args: TokenStream, mut function: ItemFn) -> syn::Result<(ItemFn, HandlerRule)> {
    let mut lists = vec![(Span::call_site(), args)];
    let mut kept: Vec<Attribute> = Vec::new();
    for attr in std::mem::take(&mut function.attrs) {
        if is_requires(attr.path()) {
            let tokens = match &attr.meta {
                syn::Meta::Path(_) => TokenStream::new(),
                syn::Meta::List(list) => list.tokens.clone(),
                syn::Meta::NameValue(nv) => {
                    return Err(syn::Error::new_spanned(
                        &nv.value,
                        format!("write `#[requires(...)]`, {USAGE}"),
                    ));
                }
            };
            lists.push((attr.path().span(), tokens));
        } else {
            kept.push(attr);
        }
    }
    function.attrs = kept;

    let cx = Ctxt::new();
    let mut parts = Vec::new();
    let mut model: Option<Path> = None;
    let mut krate: Option<Path> = None;
    for (span, tokens) in lists {
        let args: Args = match syn::parse2(tokens) {
            Ok(args) => args,
            Err(error) => {
                cx.push(error);
                continue;
            }
        };
        if args.terms.is_empty() {
            cx.error(span, format!("`#[requires]` needs a requirement, {USAGE}"));
            continue;
        }
        for term in args.terms {
            if let Term::Crate(key, path) = term {
                if krate.is_some() {
                    cx.error(key.span, "`crate` is given twice");
                } else {
                    krate = Some(path);
                }
                continue;
            }
            if let Term::Model(key, path) = term {
                if model.is_some() {
                    cx.error(key.span, "`model` is given twice");
                } else {
                    model = Some(path);
                }
                continue;
            }
            if let Some(condition) = lower(&cx, term) {
                parts.push(condition);
            }
        }
    }
    cx.check()?;
    // `model` and `crate` say where names are found, not what is required:
    // the attributes together must still name a role or a scope.
    let condition = match parts.len() {
        0 => {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`#[requires]` needs a requirement, {USAGE}"),
            ));
        }
        1 => parts.swap_remove(0),
        _ => Condition::All(parts),
    };
    Ok((function, HandlerRule { condition, model, krate }))
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
    }
}

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

/// `requires`, `rbac_axum::requires` or `::rbac_axum::requires`.
pub(crate) fn is_requires(path: &Path) -> bool {
    path.segments.last().is_some_and(|last| last.ident == "requires")
}

fn item_keyword_span(item: &syn::Item) -> Span {
    match item {
        syn::Item::Struct(s) => s.struct_token.span,
        syn::Item::Enum(e) => e.enum_token.span,
        syn::Item::Const(c) => c.const_token.span,
        syn::Item::Static(s) => s.static_token.span,
        syn::Item::Mod(m) => m.mod_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Type(t) => t.type_token.span,
        syn::Item::Use(u) => u.use_token.span,
        other => other.to_token_stream().into_iter().next().map_or(Span::call_site(), |t| t.span()),
    }
}
