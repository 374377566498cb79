//! Requirement expressions and their evaluation.

use crate::bits::{RoleSet, ScopeSet};
use crate::decision::{Denial, Granted};

/// A requirement over roles and scopes, built at compile time by
/// `#[requires]`. Atoms are declaration indices into a [`Schema`](crate::Schema).
///
/// * `All(&[])` always holds and `Any(&[])` never does. `#[requires]`
///   writes neither, and no requirement that every token meets or none can:
///   see [`Expr::coverage`].
/// * A role atom holds when the role is held directly or through
///   inheritance; a scope atom when the scope is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expr {
    /// The role with this index is held.
    Role(u8),
    /// The scope with this index is held.
    Scope(u8),
    /// Every sub-requirement holds.
    All(&'static [Expr]),
    /// At least one sub-requirement holds.
    Any(&'static [Expr]),
    /// The sub-requirement does not hold.
    Not(&'static Expr),
}

impl Expr {
    /// Decide `self` for `granted`. Never allocates; the error says what was
    /// missing (or present and forbidden).
    pub fn evaluate(&self, granted: &Granted) -> Result<(), Denial> {
        match *self {
            Expr::Role(index) => {
                if granted.roles().contains(usize::from(index)) {
                    Ok(())
                } else {
                    Err(Denial {
                        missing_roles: RoleSet::single(usize::from(index)),
                        ..Denial::default()
                    })
                }
            }
            Expr::Scope(index) => {
                if granted.scopes().contains(usize::from(index)) {
                    Ok(())
                } else {
                    Err(Denial {
                        missing_scopes: ScopeSet::single(usize::from(index)),
                        ..Denial::default()
                    })
                }
            }
            Expr::All(parts) => {
                let mut denial: Option<Denial> = None;
                for part in parts {
                    if let Err(reason) = part.evaluate(granted) {
                        denial.get_or_insert_with(Denial::default).merge(reason);
                    }
                }
                denial.map_or(Ok(()), Err)
            }
            Expr::Any(parts) => {
                let mut denial = Denial::default();
                for part in parts {
                    match part.evaluate(granted) {
                        Ok(()) => return Ok(()),
                        Err(reason) => denial.merge(reason),
                    }
                }
                Err(denial)
            }
            Expr::Not(inner) => {
                let negated = granted.negated();
                match inner.evaluate(&negated) {
                    Err(_) => Ok(()),
                    Ok(()) => {
                        let (roles, scopes) = inner.atoms();
                        Err(Denial {
                            forbidden_roles: roles.intersection(negated.roles()),
                            forbidden_scopes: scopes.intersection(negated.scopes()),
                            ..Denial::default()
                        })
                    }
                }
            }
        }
    }

    /// Whether `self` holds for `granted`.
    pub fn allows(&self, granted: &Granted) -> bool {
        self.evaluate(granted).is_ok()
    }

    /// Every role and scope the expression mentions.
    pub fn atoms(&self) -> (RoleSet, ScopeSet) {
        match *self {
            Expr::Role(index) => (RoleSet::single(usize::from(index)), ScopeSet::EMPTY),
            Expr::Scope(index) => (RoleSet::EMPTY, ScopeSet::single(usize::from(index))),
            Expr::All(parts) | Expr::Any(parts) => {
                parts.iter().fold((RoleSet::EMPTY, ScopeSet::EMPTY), |(r, s), part| {
                    let (pr, ps) = part.atoms();
                    (r.union(pr), s.union(ps))
                })
            }
            Expr::Not(inner) => inner.atoms(),
        }
    }
}
