//! The declared roles, their inheritance and the declared scopes.

use crate::bits::{RoleSet, ScopeSet};
use crate::decision::Granted;

/// Everything declared once per application: role names with the roles each
/// one implies (its transitive closure, itself included), scope names, and
/// the scopes each role may be granted by a token issuer.
///
/// Indices are declaration order. The `roles!` macro builds the closure and
/// checks it for cycles at compile time; [`Schema::new`] trusts its input.
#[derive(Debug)]
pub struct Schema {
    roles: &'static [&'static str],
    implies: &'static [RoleSet],
    scopes: &'static [&'static str],
    grantable: &'static [ScopeSet],
}

impl Schema {
    /// A schema from its parts. `implies[i]` is the set of roles role `i`
    /// has (itself included); `grantable[i]` the scopes role `i` may be
    /// granted. Both slices must be as long as `roles`; a shorter one makes
    /// the missing roles imply nothing but themselves and grant no scope.
    pub const fn new(
        roles: &'static [&'static str],
        implies: &'static [RoleSet],
        scopes: &'static [&'static str],
        grantable: &'static [ScopeSet],
    ) -> Self {
        Self { roles, implies, scopes, grantable }
    }

    /// The declared role names, in declaration order.
    pub const fn roles(&self) -> &'static [&'static str] {
        self.roles
    }

    /// The declared scope names, in declaration order.
    pub const fn scopes(&self) -> &'static [&'static str] {
        self.scopes
    }

    /// The index of the role spelled exactly `name` (no case folding, no
    /// near matches).
    pub fn role_index(&self, name: &str) -> Option<usize> {
        self.roles.iter().position(|declared| *declared == name)
    }

    /// The index of the scope spelled exactly `name`.
    pub fn scope_index(&self, name: &str) -> Option<usize> {
        self.scopes.iter().position(|declared| *declared == name)
    }

    /// The roles role `index` has through inheritance, itself included.
    pub fn implied(&self, index: usize) -> RoleSet {
        match self.implies.get(index) {
            Some(set) => *set,
            None if index < self.roles.len() => RoleSet::single(index),
            None => RoleSet::EMPTY,
        }
    }

    /// `roles` closed under inheritance.
    pub fn close(&self, roles: RoleSet) -> RoleSet {
        roles.iter().fold(RoleSet::EMPTY, |acc, index| acc.union(self.implied(index)))
    }

    /// The scopes a holder of `roles` may be granted (inheritance applied).
    pub fn grantable(&self, roles: RoleSet) -> ScopeSet {
        self.close(roles)
            .iter()
            .filter_map(|index| self.grantable.get(index).copied())
            .fold(ScopeSet::EMPTY, ScopeSet::union)
    }

    /// The rights of a principal holding the named roles and scopes. Names
    /// that are not declared are ignored; roles are closed under inheritance.
    pub fn grant<'a, R, S>(&self, roles: R, scopes: S) -> Granted
    where
        R: IntoIterator<Item = &'a str>,
        S: IntoIterator<Item = &'a str>,
    {
        let roles = roles
            .into_iter()
            .filter_map(|name| self.role_index(name))
            .fold(RoleSet::EMPTY, RoleSet::with);
        let scopes = scopes
            .into_iter()
            .filter_map(|name| self.scope_index(name))
            .fold(ScopeSet::EMPTY, ScopeSet::with);
        Granted::new(self.close(roles), scopes)
    }

    /// The role names in `set`, in declaration order.
    pub fn role_names(&self, set: RoleSet) -> impl Iterator<Item = &'static str> + '_ {
        set.iter().filter_map(|index| self.roles.get(index).copied())
    }

    /// The scope names in `set`, in declaration order.
    pub fn scope_names(&self, set: ScopeSet) -> impl Iterator<Item = &'static str> + '_ {
        set.iter().filter_map(|index| self.scopes.get(index).copied())
    }
}

/// Whether `name` is a valid OAuth 2.0 scope token (RFC 6749 §3.3): one or
/// more of `%x21 / %x23-5B / %x5D-7E`, that is printable ASCII other than
/// space, `"` and `\`.
pub const fn is_scope_token(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b == 0x21 || (b >= 0x23 && b <= 0x5B) || (b >= 0x5D && b <= 0x7E)) {
            return false;
        }
        i += 1;
    }
    true
}
