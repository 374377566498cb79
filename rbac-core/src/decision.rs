//! A principal's rights and the reason a requirement refused them.

use crate::bits::{RoleSet, ScopeSet};

/// What a principal holds: its roles (already closed under inheritance) and
/// its declared scopes.
///
/// Scopes can be limited ([`limit_scopes`](Self::limit_scopes)): those
/// beyond the limit then meet no requirement, but a `not(scope = …)` still
/// sees every scope the token carries, so that a limit never lets through a
/// token that a `not(…)` refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Granted {
    roles: RoleSet,
    scopes: ScopeSet,
    /// Every declared scope the token carries: `scopes`, and what a limit
    /// took away.
    carried: ScopeSet,
}

impl Granted {
    /// Rights from role and scope sets. `roles` is taken as it is: use
    /// [`Schema::grant`](crate::Schema::grant) or
    /// [`Schema::close`](crate::Schema::close) to apply inheritance.
    pub const fn new(roles: RoleSet, scopes: ScopeSet) -> Self {
        Self { roles, scopes, carried: scopes }
    }

    /// These rights with only the scopes in `allowed` meeting requirements;
    /// the others still count as carried for `not(scope = …)`.
    #[must_use]
    pub const fn limit_scopes(self, allowed: ScopeSet) -> Self {
        Self { scopes: self.scopes.intersection(allowed), ..self }
    }

    /// Every declared scope the token carries, limited or not.
    pub const fn carried_scopes(&self) -> ScopeSet {
        self.carried
    }

    /// The rights a negated requirement is decided on: a scope counts when
    /// the token carries it (and, under a second negation, only when it
    /// meets requirements again), so each polarity takes the strict side.
    pub(crate) const fn negated(&self) -> Self {
        Self { roles: self.roles, scopes: self.carried, carried: self.scopes }
    }

    /// The roles held, inheritance applied.
    pub const fn roles(&self) -> RoleSet {
        self.roles
    }

    /// The declared scopes held.
    pub const fn scopes(&self) -> ScopeSet {
        self.scopes
    }
}

/// Why a requirement refused: what was missing and what was present but
/// forbidden by a `not(...)`. For an `any(...)` every alternative's missing
/// atoms are listed, since any one of them would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Denial {
    pub(crate) missing_roles: RoleSet,
    pub(crate) missing_scopes: ScopeSet,
    pub(crate) forbidden_roles: RoleSet,
    pub(crate) forbidden_scopes: ScopeSet,
}

impl Denial {
    /// Roles that would have satisfied (part of) the requirement.
    pub const fn missing_roles(&self) -> RoleSet {
        self.missing_roles
    }

    /// Scopes that would have satisfied (part of) the requirement.
    pub const fn missing_scopes(&self) -> ScopeSet {
        self.missing_scopes
    }

    /// Roles held that a `not(...)` excludes.
    pub const fn forbidden_roles(&self) -> RoleSet {
        self.forbidden_roles
    }

    /// Scopes held that a `not(...)` excludes.
    pub const fn forbidden_scopes(&self) -> ScopeSet {
        self.forbidden_scopes
    }

    pub(crate) fn merge(&mut self, other: Denial) {
        self.missing_roles = self.missing_roles.union(other.missing_roles);
        self.missing_scopes = self.missing_scopes.union(other.missing_scopes);
        self.forbidden_roles = self.forbidden_roles.union(other.forbidden_roles);
        self.forbidden_scopes = self.forbidden_scopes.union(other.forbidden_scopes);
    }
}
