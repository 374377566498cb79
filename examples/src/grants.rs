//! What roles grant, from the `roles!` declaration: a user's roles as a
//! [`RoleSet`], and the scopes holders of those roles may be granted
//! (`roles!`'s `=> [...]`, inherited).

use rbac_axum::{RoleModel, RoleSet, ScopeSet};

use crate::Role;

/// The schema `roles!` generated: role names, inheritance and scopes.
pub(crate) fn schema() -> &'static rbac_axum::Schema {
    <Role as RoleModel>::SCHEMA
}

/// The set of `roles`, by declaration index.
pub(crate) fn role_set(roles: &[Role]) -> RoleSet {
    roles.iter().fold(RoleSet::EMPTY, |set, role| set.with(role.index()))
}

/// Every scope holders of `roles` may be granted.
pub(crate) fn grantable(roles: &[Role]) -> ScopeSet {
    schema().grantable(role_set(roles))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: ScopeSet) -> Vec<&'static str> {
        schema().scope_names(set).collect()
    }

    #[test]
    fn each_role_may_be_granted_its_own_and_inherited_scopes() {
        assert_eq!(names(grantable(&[Role::Viewer])), ["posts:read"]);
        assert_eq!(names(grantable(&[Role::Editor])), ["users:read", "posts:read", "posts:write"]);
        assert_eq!(
            names(grantable(&[Role::Admin])),
            ["users:read", "users:write", "posts:read", "posts:write"]
        );
        assert!(grantable(&[]).is_empty());
    }
}
