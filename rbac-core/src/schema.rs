//! The declared roles, their inheritance and the declared scopes.

use crate::bits::{RoleSet, ScopeSet};
use crate::decision::Granted;

/// Everything declared once per application: role names with the roles each
/// one implies (its transitive closure, itself included), scope names, and
/// the scopes each role may be granted by a token issuer.
///
/// Indices are declaration order. The `roles!` macro builds the closure and
/// checks it for cycles at compile time; [`Schema::new`] trusts its input.
///
/// # Grantable scopes
///
/// A role's grantable scopes (`roles!`'s `viewer => ["posts:read"]`) are
/// what an issuer that grants scopes through roles may put in the token of
/// a holder of the role; a role may also be granted its inherited roles'
/// ([`grantable`](Self::grantable) applies inheritance). They are a rule for
/// issuing tokens, not for reading them: a principal's scopes are the ones
/// its token carries ([`grant`](Self::grant) ignores grantable scopes), so
/// a viewer whose token carries `posts:write` holds `posts:write`. A
/// resource server that wants them as a ceiling on what tokens carry keeps
/// only the scopes in [`grantable`](Self::grantable) of the roles held, as
/// `rbac-axum`'s `limit_scopes_to_roles` setting does.
#[derive(Debug)]
pub struct Schema {
    roles: &'static [&'static str],
    implies: &'static [RoleSet],
    scopes: &'static [&'static str],
    grantable: &'static [ScopeSet],
    role_descriptions: &'static [&'static str],
    scope_descriptions: &'static [&'static str],
}

impl Schema {
    /// A schema from its parts. `implies[i]` is the set of roles role `i`
    /// has (itself included); `grantable[i]` the scopes role `i` itself may
    /// be granted (its `=> [...]`, without those of the roles it inherits).
    /// Both slices must be as long as `roles`; a shorter one makes the
    /// missing roles imply nothing but themselves and grant no scope.
    pub const fn new(
        roles: &'static [&'static str],
        implies: &'static [RoleSet],
        scopes: &'static [&'static str],
        grantable: &'static [ScopeSet],
    ) -> Self {
        Self { roles, implies, scopes, grantable, role_descriptions: &[], scope_descriptions: &[] }
    }

    /// The schema with a description of each role and scope, in
    /// declaration order (`roles!` takes them from doc comments); an empty
    /// or missing one is no description. What API documentation shows.
    ///
    /// ```
    /// use rbac_core::{RoleSet, Schema, ScopeSet};
    ///
    /// static SCHEMA: Schema = Schema::new(
    ///     &["admin", "viewer"],
    ///     &[RoleSet::from_bits(0b11), RoleSet::from_bits(0b10)],
    ///     &["posts:read"],
    ///     &[ScopeSet::EMPTY, ScopeSet::from_bits(0b1)],
    /// )
    /// .describe(&["Runs the site.", ""], &["Read every post."]);
    ///
    /// assert_eq!(SCHEMA.role_description(0), Some("Runs the site."));
    /// assert_eq!(SCHEMA.role_description(1), None);
    /// assert_eq!(SCHEMA.scope_description(0), Some("Read every post."));
    /// ```
    #[must_use]
    pub const fn describe(
        self,
        roles: &'static [&'static str],
        scopes: &'static [&'static str],
    ) -> Self {
        Self { role_descriptions: roles, scope_descriptions: scopes, ..self }
    }

    /// The description of role `index`, if it has one.
    pub fn role_description(&self, index: usize) -> Option<&'static str> {
        self.role_descriptions.get(index).copied().filter(|text| !text.is_empty())
    }

    /// The description of scope `index`, if it has one.
    pub fn scope_description(&self, index: usize) -> Option<&'static str> {
        self.scope_descriptions.get(index).copied().filter(|text| !text.is_empty())
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
    pub const fn implied(&self, index: usize) -> RoleSet {
        if index < self.implies.len() {
            self.implies[index]
        } else if index < self.roles.len() {
            RoleSet::single(index)
        } else {
            RoleSet::EMPTY
        }
    }

    /// `roles` closed under inheritance.
    pub fn close(&self, roles: RoleSet) -> RoleSet {
        roles.iter().fold(RoleSet::EMPTY, |acc, index| acc.union(self.implied(index)))
    }

    /// The scopes a holder of `roles` may be granted: the union of the
    /// grantable scopes of `roles` and of every role they inherit (see
    /// [Grantable scopes](Self#grantable-scopes)). Allocates nothing.
    pub fn grantable(&self, roles: RoleSet) -> ScopeSet {
        self.close(roles)
            .iter()
            .filter_map(|index| self.grantable.get(index).copied())
            .fold(ScopeSet::EMPTY, ScopeSet::union)
    }

    /// The rights of a principal holding the named roles and scopes. Names
    /// that are not declared are ignored; roles are closed under inheritance.
    /// Scopes are taken as named, whatever the roles' grantable scopes.
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

/// A role type generated by `roles!`: an enum whose variants are the declared
/// roles, tied to the [`Schema`] it was declared with.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a role type generated by `roles!`",
    label = "not declared with `roles!`",
    note = "`model = …` names the type `roles!` generates: `Role`, or the name given with `roles! {{ type = …, … }}`"
)]
pub trait RoleModel: Copy + Eq + core::fmt::Debug + Send + Sync + 'static {
    /// The declared roles, inheritance and scopes.
    const SCHEMA: &'static Schema;

    /// The role's declaration index.
    fn index(self) -> usize;

    /// The role with this declaration index.
    fn from_index(index: usize) -> Option<Self>;
}

/// A role name that is not declared (from `Role::from_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnknownRole;

impl core::fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("not a declared role")
    }
}

impl core::error::Error for UnknownRole {}

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
