//! Validation of a parsed `roles!`: every problem is collected, each on the
//! token that causes it, before failing.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::{Attribute, Ident};

use super::ast::RolesDecl;
use crate::ctxt::Ctxt;
use crate::name::{Name, did_you_mean};

/// A validated declaration, ready to expand.
pub(crate) struct Model {
    pub(crate) roles: Vec<Role>,
    pub(crate) scopes: Vec<String>,
    pub(crate) krate: Option<syn::Path>,
}

pub(crate) struct Role {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: String,
    pub(crate) variant: Ident,
    /// Transitive closure, itself included, as declaration indices.
    pub(crate) implies: Vec<usize>,
    /// Scopes the role may be granted directly (not through inheritance).
    pub(crate) grantable: Vec<usize>,
}

pub(crate) fn validate(decl: RolesDecl) -> syn::Result<Model> {
    let cx = Ctxt::new();

    if decl.roles.is_empty() {
        cx.error(
            Span::call_site(),
            "declare at least one role, e.g. `roles! { admin: viewer, viewer }`",
        );
    }

    // Scopes: one list, valid RFC 6749 scope tokens, no duplicates.
    let mut scopes: Vec<String> = Vec::new();
    for (i, list) in decl.scopes.iter().enumerate() {
        if i > 0 {
            cx.error(
                list.keyword.span,
                "`scopes` is declared twice; list every scope in one `scopes: [...]`",
            );
            continue;
        }
        for lit in &list.names {
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
            }
        }
    }
    if scopes.len() > rbac_core::MAX_NAMES {
        cx.error(
            Span::call_site(),
            format!("at most {} scopes can be declared", rbac_core::MAX_NAMES),
        );
    }

    let mut krate = None;
    for (i, (key, path)) in decl.krate.iter().enumerate() {
        if i > 0 {
            cx.error(key.span, "`crate` is given twice");
        } else {
            krate = Some(path.clone());
        }
    }

    // Roles: unique names, unique variant identifiers.
    let mut index_of: HashMap<String, usize> = HashMap::new();
    let mut variants: HashMap<String, String> = HashMap::new();
    let mut kept = Vec::new();
    for role in &decl.roles {
        let name = &role.name;
        if name.value.is_empty() || name.value.chars().any(char::is_whitespace) {
            cx.error(name.span, "a role name cannot be empty or contain white space");
            continue;
        }
        if index_of.contains_key(&name.value) {
            cx.error(name.span, format!("role `{}` is declared twice", name.value));
            continue;
        }
        let variant = variant_name(&name.value);
        if let Some(other) = variants.get(&variant) {
            cx.error(
                name.span,
                format!(
                    "role `{}` and role `{other}` would both become `Role::{variant}`; rename one",
                    name.value
                ),
            );
            continue;
        }
        variants.insert(variant.clone(), name.value.clone());
        index_of.insert(name.value.clone(), kept.len());
        kept.push((role, Ident::new(&variant, name.span)));
    }
    if kept.len() > rbac_core::MAX_NAMES {
        cx.error(
            Span::call_site(),
            format!("at most {} roles can be declared", rbac_core::MAX_NAMES),
        );
    }

    // Parents must be declared; grantable scopes must be declared.
    let declared: Vec<&str> = kept.iter().map(|(r, _)| r.name.value.as_str()).collect();
    let mut parents: Vec<Vec<(usize, &Name)>> = Vec::new();
    let mut grantable: Vec<Vec<usize>> = Vec::new();
    for (role, _) in &kept {
        let mut own = Vec::new();
        for parent in &role.parents {
            match index_of.get(&parent.value) {
                Some(&index) => own.push((index, parent)),
                None => cx.error(
                    parent.span,
                    format!(
                        "`{}` inherits from `{}`, which is not a declared role{}",
                        role.name.value,
                        parent.value,
                        did_you_mean(declared.iter().copied(), &parent.value)
                    ),
                ),
            }
        }
        parents.push(own);
        let mut own = Vec::new();
        for lit in &role.grantable {
            let value = lit.value();
            match scopes.iter().position(|s| *s == value) {
                Some(index) => own.push(index),
                None => cx.error(
                    lit.span(),
                    format!(
                        "`{value}` is not listed in `scopes: [...]`{}",
                        did_you_mean(scopes.iter().map(String::as_str), &value)
                    ),
                ),
            }
        }
        grantable.push(own);
    }

    // Inheritance must be acyclic: report each back edge once, on the
    // parent name that closes the cycle.
    let mut state = vec![Visit::New; kept.len()];
    let mut stack = Vec::new();
    for start in 0..kept.len() {
        find_cycles(start, &parents, &declared, &mut state, &mut stack, &cx);
    }

    cx.check()?;

    let roles = kept
        .into_iter()
        .enumerate()
        .map(|(index, (role, variant))| Role {
            attrs: role.attrs.clone(),
            name: role.name.value.clone(),
            variant,
            implies: closure(index, &parents),
            grantable: grantable[index].clone(),
        })
        .collect();
    Ok(Model { roles, scopes, krate })
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    OnStack,
    Done,
}

fn find_cycles(
    node: usize,
    parents: &[Vec<(usize, &Name)>],
    declared: &[&str],
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
                    .map(|&n| declared[n])
                    .collect();
                cx.error(
                    name.span,
                    format!(
                        "role inheritance cycle: {}; inheritance must go one way",
                        path.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" → ")
                    ),
                );
            }
            Visit::New => find_cycles(parent, parents, declared, state, stack, cx),
            Visit::Done => {}
        }
    }
    stack.pop();
    state[node] = Visit::Done;
}

fn closure(start: usize, parents: &[Vec<(usize, &Name)>]) -> Vec<usize> {
    let mut seen = vec![false; parents.len()];
    let mut todo = vec![start];
    while let Some(node) = todo.pop() {
        if !std::mem::replace(&mut seen[node], true) {
            todo.extend(parents[node].iter().map(|&(p, _)| p));
        }
    }
    (0..parents.len()).filter(|&n| seen[n]).collect()
}

/// `super-admin` → `SuperAdmin`, `read_only` → `ReadOnly`, `2fa` → `R2fa`.
fn variant_name(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'R');
    }
    out
}
