//! A requirement seen from the scopes alone: the sets of scopes, any one
//! of which lets a token through, as far as scopes decide. OAuth 2.0
//! clients ask for scopes, not roles, and OpenAPI's `security` lists
//! exactly this ("any of these alternatives, each needing all of its
//! scopes").

use crate::bits::ScopeSet;
use crate::expr::Expr;

/// The most alternatives [`Expr::scope_alternatives`] lists; a requirement
/// needing more is summed up as "any token" (not exact).
pub const MAX_SCOPE_ALTERNATIVES: usize = 8;

/// What scopes a requirement needs, as alternatives: see
/// [`Expr::scope_alternatives`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeAlternatives {
    sets: [ScopeSet; MAX_SCOPE_ALTERNATIVES],
    len: usize,
    exact: bool,
}

impl ScopeAlternatives {
    /// Needs these scopes, and nothing else.
    const fn single(scopes: ScopeSet, exact: bool) -> Self {
        let mut sets = [ScopeSet::EMPTY; MAX_SCOPE_ALTERNATIVES];
        sets[0] = scopes;
        Self { sets, len: 1, exact }
    }

    /// No alternative: nothing passes.
    const NONE: Self =
        Self { sets: [ScopeSet::EMPTY; MAX_SCOPE_ALTERNATIVES], len: 0, exact: true };

    /// The alternatives, in the order the requirement names them, none a
    /// superset of another. A single empty set: no scope is needed.
    pub fn sets(&self) -> &[ScopeSet] {
        &self.sets[..self.len]
    }

    /// Whether the alternatives say exactly which tokens pass: a token
    /// passes if and only if its scopes include one of them. Not exact when
    /// the requirement also names roles (which scopes cannot express) or
    /// forbids something (`not(…)`), or needs more than
    /// [`MAX_SCOPE_ALTERNATIVES`]; the alternatives are then what a token
    /// needs at least (every token that passes has one of them).
    pub const fn is_exact(&self) -> bool {
        self.exact
    }

    /// Adds `scopes` as an alternative unless one it includes is already
    /// there; drops those that include it. `false` when full.
    fn push(&mut self, scopes: ScopeSet) -> bool {
        if self.sets().iter().any(|kept| kept.is_subset(scopes)) {
            return true;
        }
        let mut kept = 0;
        for index in 0..self.len {
            let set = self.sets[index];
            if !scopes.is_subset(set) {
                self.sets[kept] = set;
                kept += 1;
            }
        }
        self.len = kept;
        if self.len == MAX_SCOPE_ALTERNATIVES {
            return false;
        }
        self.sets[self.len] = scopes;
        self.len += 1;
        true
    }

    /// Either of two requirements.
    fn or(mut self, other: Self) -> Self {
        for &scopes in other.sets() {
            if !self.push(scopes) {
                return Self::too_many();
            }
        }
        self.exact &= other.exact;
        self
    }

    /// What two requirements that must both hold need: every pair of
    /// alternatives, united (exact when both are).
    ///
    /// ```
    /// use rbac_core::{Expr, ScopeSet};
    ///
    /// let router = Expr::Scope(0).scope_alternatives();
    /// let handler = Expr::Any(&[Expr::Scope(1), Expr::Scope(2)]).scope_alternatives();
    /// let both = router.both(handler);
    /// assert_eq!(both.sets(), [ScopeSet::from_bits(0b011), ScopeSet::from_bits(0b101)]);
    /// ```
    #[must_use]
    pub fn both(self, other: Self) -> Self {
        let mut both = Self { exact: self.exact && other.exact, ..Self::NONE };
        for &left in self.sets() {
            for &right in other.sets() {
                if !both.push(left.union(right)) {
                    return Self::too_many();
                }
            }
        }
        both
    }

    /// More alternatives than are listed: "any token", not exact.
    const fn too_many() -> Self {
        Self::single(ScopeSet::EMPTY, false)
    }
}

impl Expr {
    /// The scopes a token needs to pass `self`, as alternatives: what an
    /// OAuth 2.0 client must ask for. Roles and `not(…)` are not scopes:
    /// they count as met (the result is then not
    /// [exact](ScopeAlternatives::is_exact)).
    ///
    /// ```
    /// use rbac_core::{Expr, ScopeSet};
    ///
    /// // any(all(scope 0, scope 1), scope 2)
    /// const NEED: Expr = Expr::Any(&[Expr::All(&[Expr::Scope(0), Expr::Scope(1)]), Expr::Scope(2)]);
    /// let alternatives = NEED.scope_alternatives();
    /// assert_eq!(alternatives.sets(), [ScopeSet::from_bits(0b011), ScopeSet::from_bits(0b100)]);
    /// assert!(alternatives.is_exact());
    ///
    /// // all(role 0, scope 1): any token with scope 1, as far as scopes go.
    /// const ADMIN_WRITES: Expr = Expr::All(&[Expr::Role(0), Expr::Scope(1)]);
    /// let alternatives = ADMIN_WRITES.scope_alternatives();
    /// assert_eq!(alternatives.sets(), [ScopeSet::from_bits(0b10)]);
    /// assert!(!alternatives.is_exact());
    /// ```
    pub fn scope_alternatives(&self) -> ScopeAlternatives {
        match *self {
            Expr::Scope(index) => {
                ScopeAlternatives::single(ScopeSet::single(usize::from(index)), true)
            }
            Expr::Role(_) | Expr::Not(_) => ScopeAlternatives::single(ScopeSet::EMPTY, false),
            Expr::All(parts) => {
                parts.iter().fold(ScopeAlternatives::single(ScopeSet::EMPTY, true), |all, part| {
                    all.both(part.scope_alternatives())
                })
            }
            Expr::Any(parts) => parts
                .iter()
                .fold(ScopeAlternatives::NONE, |any, part| any.or(part.scope_alternatives())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn scopes(bits: u128) -> ScopeSet {
        ScopeSet::from_bits(bits)
    }

    #[test]
    fn a_superset_alternative_is_dropped_whichever_comes_first() {
        // any(all(s0, s1), s0) and any(s0, all(s0, s1)): s0 suffices.
        const WIDE_FIRST: Expr =
            Expr::Any(&[Expr::All(&[Expr::Scope(0), Expr::Scope(1)]), Expr::Scope(0)]);
        const NARROW_FIRST: Expr =
            Expr::Any(&[Expr::Scope(0), Expr::All(&[Expr::Scope(0), Expr::Scope(1)])]);
        for expr in [WIDE_FIRST, NARROW_FIRST] {
            assert_eq!(expr.scope_alternatives().sets(), [scopes(0b1)], "{expr:?}");
        }
    }

    #[test]
    fn all_of_alternatives_is_every_pair_united() {
        // all(any(s0, s1), any(s2, s3))
        const NEED: Expr = Expr::All(&[
            Expr::Any(&[Expr::Scope(0), Expr::Scope(1)]),
            Expr::Any(&[Expr::Scope(2), Expr::Scope(3)]),
        ]);
        let alternatives = NEED.scope_alternatives();
        assert_eq!(
            alternatives.sets(),
            [scopes(0b0101), scopes(0b1001), scopes(0b0110), scopes(0b1010)]
        );
        assert!(alternatives.is_exact());
    }

    #[test]
    fn more_alternatives_than_listed_is_any_token_not_exact() {
        // all(any(s0, s1), any(s2, s3), any(s4, s5), any(s6, s7)): 16.
        const NEED: Expr = Expr::All(&[
            Expr::Any(&[Expr::Scope(0), Expr::Scope(1)]),
            Expr::Any(&[Expr::Scope(2), Expr::Scope(3)]),
            Expr::Any(&[Expr::Scope(4), Expr::Scope(5)]),
            Expr::Any(&[Expr::Scope(6), Expr::Scope(7)]),
        ]);
        let alternatives = NEED.scope_alternatives();
        assert_eq!(alternatives.sets(), [ScopeSet::EMPTY]);
        assert!(!alternatives.is_exact());
    }

    #[test]
    fn roles_and_not_count_as_met_and_make_it_inexact() {
        const ROLE_OR_SCOPE: Expr = Expr::Any(&[Expr::Role(0), Expr::Scope(1)]);
        let alternatives = ROLE_OR_SCOPE.scope_alternatives();
        assert_eq!(alternatives.sets(), [ScopeSet::EMPTY], "the role alone may suffice");
        assert!(!alternatives.is_exact());
        const SCOPE_NOT_OTHER: Expr = Expr::All(&[Expr::Scope(1), Expr::Not(&Expr::Scope(2))]);
        let alternatives = SCOPE_NOT_OTHER.scope_alternatives();
        assert_eq!(alternatives.sets(), [scopes(0b10)]);
        assert!(!alternatives.is_exact());
    }
}
