//! Validation of a parsed `roles!`: one function per rule, run in turn on
//! the declaration; every problem is collected, each on the token that
//! causes it, before failing.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;
use syn::{Attribute, Ident};

use super::ast::{Name, RoleDecl, RolesDecl, ScopeDecl, ScopesDecl};
use crate::ctxt::Ctxt;
use crate::suggest::did_you_mean;

/// A validated declaration, ready to expand.
pub(crate) struct Model {
    pub(crate) roles: Vec<Role>,
    pub(crate) scopes: Vec<String>,
    /// Each scope's doc comment, in the order of `scopes`.
    pub(crate) scope_docs: Vec<String>,
    pub(crate) krate: Option<syn::Path>,
    pub(crate) state: Option<syn::Type>,
    /// The generated type: `Role` unless named with `type = …`.
    pub(crate) type_name: Ident,
}

pub(crate) struct Role {
    pub(crate) attrs: Vec<Attribute>,
    /// The role's doc comment.
    pub(crate) doc: String,
    pub(crate) name: String,
    pub(crate) variant: Ident,
    /// Transitive closure, itself included, as declaration indices.
    pub(crate) implies: Vec<usize>,
    /// Scopes the role may be granted directly (not through inheritance).
    pub(crate) grantable: Vec<usize>,
}

/// Runs every check on `decl`, then builds the model from what passed.
pub(crate) fn validate(decl: &RolesDecl) -> syn::Result<Model> {
    let cx = Ctxt::new();
    at_least_one_role(&cx, &decl.roles);
    let (scopes, scope_docs) = scopes(&cx, &decl.scopes);
    let krate = facade(&cx, &decl.krate);
    let state = router_state(&cx, &decl.state);
    let type_name = type_name(&cx, &decl.type_name);
    let roles = roles(&cx, &decl.roles, &type_name);
    let names: Vec<&str> = roles.iter().map(|role| role.decl.name.value.as_str()).collect();
    // Role by role, so that errors come in the order they are written.
    let mut parents = Vec::new();
    let mut grantable = Vec::new();
    for role in &roles {
        parents.push(declared_parents(&cx, role.decl, &names));
        grantable.push(declared_grants(&cx, role.decl, &scopes));
    }
    acyclic(&cx, &names, &parents);
    cx.check()?;

    let roles = roles
        .into_iter()
        .zip(grantable)
        .enumerate()
        .map(|(index, (role, grantable))| Role {
            attrs: role.decl.attrs.clone(),
            doc: doc_text(&role.decl.attrs),
            name: role.decl.name.value.clone(),
            variant: role.variant,
            implies: closure(index, &parents),
            grantable,
        })
        .collect();
    Ok(Model { roles, scopes, scope_docs, krate, state, type_name })
}

/// A role that passed [`roles`]: its declaration and its enum variant.
struct Declared<'a> {
    decl: &'a RoleDecl,
    variant: Ident,
}

/// A role's parents, as indices of [`Declared`] roles, each with the name
/// that refers to it.
type Parents<'a> = Vec<(usize, &'a Name)>;

/// An empty declaration is a mistake, not an application without roles.
fn at_least_one_role(cx: &Ctxt, roles: &[RoleDecl]) {
    if roles.is_empty() {
        cx.error(
            Span::call_site(),
            "declare at least one role, e.g. `roles! { admin: viewer, viewer }`",
        );
    }
}

/// The declared scopes: one list, valid RFC 6749 scope tokens, no
/// duplicates, at most `MAX_NAMES`; with each one's doc comment, the only
/// attribute a scope takes.
fn scopes(cx: &Ctxt, lists: &[ScopesDecl]) -> (Vec<String>, Vec<String>) {
    let (mut scopes, mut docs): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let Some((first, others)) = lists.split_first() else {
        return (scopes, docs);
    };
    for ScopeDecl { attrs, name: lit } in &first.names {
        for attr in attrs.iter().filter(|attr| !attr.path().is_ident("doc")) {
            cx.push(syn::Error::new_spanned(
                attr,
                "a scope takes doc comments only (`/// what it grants`), which describe it",
            ));
        }
        let value = lit.value();
        if !rbac_core::is_scope_token(&value) {
            cx.error(
                lit.span(),
                format!(
                    "`{value}` is not a valid OAuth 2.0 scope: use printable ASCII without spaces, `\"` or `\\` (RFC 6749 §3.3)"
                ),
            );
        } else if scopes.contains(&value) {
            cx.error(lit.span(), format!("scope `{value}` is declared twice"));
        } else {
            scopes.push(value);
            docs.push(doc_text(attrs));
        }
    }
    for list in others {
        cx.error(
            list.keyword.span,
            "`scopes` is declared twice; list every scope in one `scopes: [...]`",
        );
    }
    if scopes.len() > rbac_core::MAX_NAMES {
        cx.error(
            Span::call_site(),
            format!("at most {} scopes can be declared", rbac_core::MAX_NAMES),
        );
    }
    (scopes, docs)
}

/// The text of the doc comments among `attrs`: one line each, the space
/// after `///` dropped, blank lines at either end trimmed.
fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => match &doc.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => {
                    let text = text.value();
                    Some(text.strip_prefix(' ').unwrap_or(&text).trim_end().to_owned())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

/// `crate = path`, given at most once.
fn facade(cx: &Ctxt, given: &[(syn::Token![crate], syn::Path)]) -> Option<syn::Path> {
    for (key, _) in given.iter().skip(1) {
        cx.error(key.span, "`crate` is given twice");
    }
    given.first().map(|(_, path)| path.clone())
}

/// `state = Type`, given at most once.
fn router_state(cx: &Ctxt, given: &[(super::ast::state, syn::Type)]) -> Option<syn::Type> {
    for (key, _) in given.iter().skip(1) {
        cx.error(key.span, "`state` is given twice");
    }
    given.first().map(|(_, ty)| ty.clone())
}

/// `type = Name`, given at most once; `Role` otherwise.
fn type_name(cx: &Ctxt, given: &[(syn::Token![type], Ident)]) -> Ident {
    for (key, _) in given.iter().skip(1) {
        cx.error(key.span, "`type` is given twice");
    }
    match given.first() {
        Some((_, name)) => name.clone(),
        None => Ident::new("Role", Span::call_site()),
    }
}

/// The roles that can be declared: a name without white space, not
/// declared before, and an enum variant of its own; at most `MAX_NAMES`.
fn roles<'a>(cx: &Ctxt, decls: &'a [RoleDecl], type_name: &Ident) -> Vec<Declared<'a>> {
    let mut names: HashSet<&str> = HashSet::new();
    let mut variants: HashMap<String, &str> = HashMap::new();
    let mut roles = Vec::new();
    for decl in decls {
        let name = &decl.name;
        if name.value.is_empty() || name.value.chars().any(char::is_whitespace) {
            cx.error(name.span, "a role name cannot be empty or contain white space");
            continue;
        }
        if names.contains(name.value.as_str()) {
            cx.error(name.span, format!("role `{}` is declared twice", name.value));
            continue;
        }
        let variant = variant_name(&name.value);
        if let Some(other) = variants.get(&variant) {
            cx.error(
                name.span,
                format!(
                    "role `{}` and role `{other}` would both become `{type_name}::{variant}`; rename one",
                    name.value
                ),
            );
            continue;
        }
        names.insert(&name.value);
        variants.insert(variant.clone(), &name.value);
        roles.push(Declared { decl, variant: Ident::new(&variant, name.span) });
    }
    if roles.len() > rbac_core::MAX_NAMES {
        cx.error(
            Span::call_site(),
            format!("at most {} roles can be declared", rbac_core::MAX_NAMES),
        );
    }
    roles
}

/// The role's parents, each a declared role (`names` in declaration
/// order).
fn declared_parents<'a>(cx: &Ctxt, role: &'a RoleDecl, names: &[&str]) -> Parents<'a> {
    let mut parents = Vec::new();
    for parent in &role.parents {
        match names.iter().position(|name| *name == parent.value) {
            Some(i) => parents.push((i, parent)),
            None => cx.error(
                parent.span,
                format!(
                    "`{}` inherits from `{}`, which is not a declared role{}",
                    role.name.value,
                    parent.value,
                    did_you_mean(names.iter().copied(), &parent.value)
                ),
            ),
        }
    }
    parents
}

/// The scopes the role is granted, each a declared scope, as indices.
fn declared_grants(cx: &Ctxt, role: &RoleDecl, scopes: &[String]) -> Vec<usize> {
    let mut grants = Vec::new();
    for lit in &role.grantable {
        let value = lit.value();
        match scopes.iter().position(|scope| *scope == value) {
            Some(i) => grants.push(i),
            None => cx.error(
                lit.span(),
                format!(
                    "`{value}` is not listed in `scopes: [...]`{}",
                    did_you_mean(scopes.iter().map(String::as_str), &value)
                ),
            ),
        }
    }
    grants
}

/// Inheritance goes one way: each back edge is reported once, on the
/// parent name that closes the cycle.
fn acyclic(cx: &Ctxt, names: &[&str], parents: &[Parents]) {
    let mut state = vec![Visit::New; names.len()];
    let mut stack = Vec::new();
    for start in 0..names.len() {
        find_cycles(start, parents, names, &mut state, &mut stack, cx);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnStack,
    Done,
}

fn find_cycles(
    node: usize,
    parents: &[Parents],
    names: &[&str],
    state: &mut [Visit],
    stack: &mut Vec<usize>,
    cx: &Ctxt,
) {
    if state[node] != Visit::New {
        return;
    }
    state[node] = Visit::OnStack;
    stack.push(node);
    for &(parent, name) in &parents[node] {
        match state[parent] {
            Visit::OnStack => {
                let from = stack.iter().position(|&n| n == parent).unwrap_or(0);
                let path: Vec<&str> = stack[from..]
                    .iter()
                    .chain(std::iter::once(&parent))
                    .map(|&n| names[n])
                    .collect();
                cx.error(
                    name.span,
                    format!(
                        "role inheritance cycle: {}; inheritance must go one way",
                        path.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" → ")
                    ),
                );
            }
            Visit::New => find_cycles(parent, parents, names, state, stack, cx),
            Visit::Done => {}
        }
    }
    stack.pop();
    state[node] = Visit::Done;
}

/// Every role `start` implies: itself and its ancestors, as indices.
fn closure(start: usize, parents: &[Parents]) -> Vec<usize> {
    let mut seen = vec![false; parents.len()];
    let mut todo = vec![start];
    while let Some(node) = todo.pop() {
        if !std::mem::replace(&mut seen[node], true) {
            todo.extend(parents[node].iter().map(|&(p, _)| p));
        }
    }
    (0..parents.len()).filter(|&n| seen[n]).collect()
}

/// `super-admin` → `SuperAdmin`, `read_only` → `ReadOnly`, `2fa` → `R2fa`,
/// `self` → `RSelf` (`Self` is a keyword).
fn variant_name(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out == "Self" || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'R');
    }
    out
}
