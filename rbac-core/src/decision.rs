//! A principal's rights and the reason a requirement refused them.

use crate::bits::{RoleSet, ScopeSet};

/// What a principal holds: its roles (already closed under inheritance) and
/// its declared scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Granted {
    roles: RoleSet,
    scopes: ScopeSet,
}

impl Granted {
    /// Rights from role and scope sets. `roles` is taken as it is: use
    /// [`Schema::grant`](crate::Schema::grant) or
    /// [`Schema::close`](crate::Schema::close) to apply inheritance.
    pub const fn new(roles: RoleSet, scopes: ScopeSet) -> Self {
        Self { roles, scopes }
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
