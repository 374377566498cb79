//! The rules that keep user management from handing out rights: decided
//! on plain values, so each one is tested on its own here and over HTTP in
//! `tests/escalation.rs`.
//!
//! Every change to a user's roles (creating, re-roling, deleting) is
//! checked in this order, the first broken rule refusing:
//! 1. nobody changes their own roles (or deletes themselves): a mistake
//!    there cannot be undone by the same person;
//! 2. the last admin is neither demoted nor deleted: someone must be able
//!    to manage users;
//! 3. nobody grants, removes or touches a role they do not hold
//!    themselves: what an actor holds is what their token says *and* what
//!    the database says now, so a demoted admin's unexpired token grants
//!    nothing.

use rbac_axum::{RoleModel, RoleSet};

use crate::Role;
use crate::error::ApiError;

/// A proposed change to one user's roles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoleChange<'a> {
    /// Who asks.
    pub(crate) actor: i64,
    /// The roles the actor holds, inheritance applied.
    pub(crate) actor_holds: RoleSet,
    /// The user changed; `None` for a user being created.
    pub(crate) target: Option<i64>,
    /// The target's roles now (empty for a new user).
    pub(crate) before: &'a [Role],
    /// The target's roles after the change (empty for a deletion).
    pub(crate) after: &'a [Role],
    /// How many users hold `admin` now.
    pub(crate) admins: usize,
}

/// Which rule a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The actor is the target.
    OwnRoles,
    /// The target is the only admin and would stop being one.
    LastAdmin,
    /// The change grants or removes a role the actor does not hold.
    NotHeld(Role),
}

/// Decides `change`.
pub(crate) fn check(change: &RoleChange<'_>) -> Result<(), Refusal> {
    if change.target == Some(change.actor) {
        return Err(Refusal::OwnRoles);
    }
    let is_admin = |roles: &[Role]| roles.iter().any(|role| role.implies(Role::Admin));
    if is_admin(change.before) && !is_admin(change.after) && change.admins <= 1 {
        return Err(Refusal::LastAdmin);
    }
    if let Some(role) = change
        .before
        .iter()
        .chain(change.after)
        .find(|role| !change.actor_holds.contains(role.index()))
    {
        return Err(Refusal::NotHeld(*role));
    }
    Ok(())
}

/// Decides `change` for `handler` (its path, as `rbac_axum` names handlers
/// in its logs) and logs a refusal the way `rbac_axum` logs its own:
/// handler, subject, and the rule that refused.
pub(crate) fn decide(handler: &'static str, change: &RoleChange<'_>) -> Result<(), Refusal> {
    check(change).inspect_err(|refusal| {
        tracing::info!(
            handler,
            subject = change.actor,
            target = change.target,
            rule = refusal.code(),
            "refused: user-management rule"
        );
    })
}

impl Refusal {
    /// The `error` code of the response.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Refusal::OwnRoles => "own_roles",
            Refusal::LastAdmin => "last_admin",
            Refusal::NotHeld(_) => "role_not_held",
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        let code = refusal.code();
        match refusal {
            Refusal::OwnRoles => ApiError::forbidden(
                code,
                "nobody changes their own roles or deletes themselves; ask another admin",
            ),
            Refusal::LastAdmin => {
                ApiError::conflict(code, "this is the last admin: make another user admin first")
            }
            Refusal::NotHeld(role) => ApiError::forbidden(
                code,
                format!("only a holder of the role `{role}` may grant or remove it"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: RoleSet = RoleSet::from_bits(0b111);
    const EDITOR: RoleSet = RoleSet::from_bits(0b110);

    fn change<'a>(before: &'a [Role], after: &'a [Role]) -> RoleChange<'a> {
        RoleChange { actor: 1, actor_holds: ADMIN, target: Some(2), before, after, admins: 2 }
    }

    #[test]
    fn the_closures_match_the_declaration() {
        let schema = <Role as RoleModel>::SCHEMA;
        assert_eq!(schema.implied(Role::Admin.index()), ADMIN);
        assert_eq!(schema.implied(Role::Editor.index()), EDITOR);
    }

    #[test]
    fn an_admin_may_promote_and_demote_others() {
        assert_eq!(check(&change(&[Role::Viewer], &[Role::Admin])), Ok(()));
        assert_eq!(check(&change(&[Role::Admin], &[Role::Viewer])), Ok(()));
        assert_eq!(check(&RoleChange { target: None, ..change(&[], &[Role::Admin]) }), Ok(()));
    }

    #[test]
    fn changing_ones_own_roles_is_refused() {
        let own = RoleChange { target: Some(1), ..change(&[Role::Admin], &[Role::Admin]) };
        assert_eq!(check(&own), Err(Refusal::OwnRoles));
        let delete_self = RoleChange { target: Some(1), ..change(&[Role::Viewer], &[]) };
        assert_eq!(check(&delete_self), Err(Refusal::OwnRoles));
    }

    #[test]
    fn the_last_admin_is_neither_demoted_nor_deleted() {
        let last = |after| RoleChange { admins: 1, ..change(&[Role::Admin], after) };
        assert_eq!(check(&last(&[Role::Editor])), Err(Refusal::LastAdmin));
        assert_eq!(check(&last(&[])), Err(Refusal::LastAdmin));
        assert_eq!(check(&last(&[Role::Admin, Role::Viewer])), Ok(()));
    }

    #[test]
    fn a_role_not_held_is_neither_granted_nor_removed() {
        let by_editor = |before, after| RoleChange { actor_holds: EDITOR, ..change(before, after) };
        assert_eq!(
            check(&by_editor(&[Role::Viewer], &[Role::Admin])),
            Err(Refusal::NotHeld(Role::Admin))
        );
        assert_eq!(
            check(&by_editor(&[Role::Admin], &[Role::Viewer])),
            Err(Refusal::NotHeld(Role::Admin))
        );
        assert_eq!(check(&by_editor(&[Role::Viewer], &[Role::Editor])), Ok(()));
        let nothing = RoleChange { actor_holds: RoleSet::EMPTY, ..change(&[], &[Role::Viewer]) };
        assert_eq!(check(&nothing), Err(Refusal::NotHeld(Role::Viewer)));
    }
}
