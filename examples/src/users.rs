//! The `/users` endpoints: who am I, list, create, delete, set roles.
//!
//! `#[requires]` decides who may call each one from the token alone.
//! Changing roles needs more than the token: the handlers re-read the
//! caller from the database inside the same transaction as the change and
//! apply [`rules`], so a refused change never half-happens.
//!
//! Changing a user's roles or deleting them revokes their tokens (a cut-off
//! for their `sub`, set once the change is committed), so a demoted or
//! deleted user's token is refused everywhere from then on. The re-read of
//! the caller stays: revocations live in memory and a restart forgets
//! them, while the tokens live on until they expire; the database does
//! not forget, so a token outliving its user's demotion or deletion is
//! still worth nothing here.

pub(crate) mod rules;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use rbac_axum::{Auth, Authenticator, RoleModel as _, RoleSet, requires};
use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use self::rules::RoleChange;
use crate::Role;
use crate::db::{self, users::User};
use crate::error::ApiError;
use crate::extract::{Id, JsonBody};
use crate::grants::role_set;
use crate::state::AppState;

/// What `GET /users/me` answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Me {
    /// The token's `sub`.
    subject: String,
    /// The local user's name (absent for an external issuer's subject).
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// The roles the token grants, inheritance applied.
    roles: Vec<&'static str>,
    /// The scopes the token carries.
    scopes: Vec<String>,
}

/// `GET /users/me`: the caller as the token and the database see them.
#[requires(role = "viewer")]
pub(crate) async fn me(State(state): State<AppState>, auth: Auth) -> Result<Json<Me>, ApiError> {
    let subject = auth.subject().unwrap_or_default().to_owned();
    let username = if state.issues_tokens() {
        let authenticator = state.authenticator.clone();
        let sub = subject.clone();
        let user = state.db.call(move |conn| local_user(conn, &sub, &authenticator)).await?;
        Some(user.username)
    } else {
        None
    };
    Ok(Json(Me { subject, username, roles: auth.role_names(), scopes: auth.scopes().to_vec() }))
}

/// `GET /users`: every user with their roles.
#[requires(any(role = "admin", scope = "users:read"))]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(state.db.call(|conn| db::users::list(conn).map_err(ApiError::from)).await?))
}

/// The body of `POST /users`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    username: String,
    password: String,
    roles: Vec<String>,
}

/// `POST /users`: creates a user with roles the caller holds.
#[requires(role = "admin", scope = "users:write")]
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    JsonBody(new): JsonBody<NewUser>,
) -> Result<(StatusCode, [(axum::http::HeaderName, String); 1], Json<User>), ApiError> {
    check_username(&new.username)?;
    check_password(&new.password)?;
    let roles = parse_roles(&new.roles)?;
    // Hash before taking the database: Argon2 is slow on purpose.
    let hash = state.passwords.hash(new.password).await?;

    let caller = Caller::of(&auth, &state);
    let username = new.username;
    let user = state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (actor, actor_holds) = caller.resolve(&tx)?;
            rules::decide(
                concat!(module_path!(), "::create"),
                &RoleChange {
                    actor,
                    actor_holds,
                    target: None,
                    before: &[],
                    after: &roles,
                    admins: db::users::count_holding(&tx, Role::Admin)?,
                },
            )?;
            if db::users::find_by_name(&tx, &username)?.is_some() {
                return Err(ApiError::conflict("username_taken", "this username is taken"));
            }
            let id = db::users::insert(&tx, &username, &hash, &roles)?;
            tx.commit()?;
            Ok(User { id, username, roles })
        })
        .await?;
    tracing::info!(user = user.id, roles = ?user.roles, "user created");
    Ok((StatusCode::CREATED, [(LOCATION, format!("/users/{}", user.id))], Json(user)))
}

/// `DELETE /users/{id}`: deletes a user who holds no role the caller lacks.
#[requires(role = "admin", scope = "users:write")]
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&auth, &state);
    let revocations = state.revocations.clone();
    state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (actor, actor_holds) = caller.resolve(&tx)?;
            let target = db::users::find(&tx, id)?.ok_or_else(no_such_user)?;
            rules::decide(
                concat!(module_path!(), "::delete"),
                &RoleChange {
                    actor,
                    actor_holds,
                    target: Some(id),
                    before: &target.roles,
                    after: &[],
                    admins: db::users::count_holding(&tx, Role::Admin)?,
                },
            )?;
            db::users::delete(&tx, id)?;
            tx.commit()?;
            // Right after the commit, in this closure: it runs to its end
            // even when the request is dropped meanwhile. A login reading
            // the user after the cut-off finds them gone (see `token.rs`).
            revocations.revoke_subject(&id.to_string());
            Ok::<_, ApiError>(())
        })
        .await?;
    tracing::info!(user = id, "user deleted, their tokens revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `PUT /users/{id}/roles`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Roles {
    roles: Vec<String>,
}

/// `PUT /users/{id}/roles`: replaces another user's roles.
#[requires(role = "admin", scope = "users:write")]
pub(crate) async fn set_roles(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    JsonBody(body): JsonBody<Roles>,
) -> Result<Json<User>, ApiError> {
    let roles = parse_roles(&body.roles)?;
    let caller = Caller::of(&auth, &state);
    let revocations = state.revocations.clone();
    let user = state
        .db
        .call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (actor, actor_holds) = caller.resolve(&tx)?;
            let target = db::users::find(&tx, id)?.ok_or_else(no_such_user)?;
            rules::decide(
                concat!(module_path!(), "::set_roles"),
                &RoleChange {
                    actor,
                    actor_holds,
                    target: Some(id),
                    before: &target.roles,
                    after: &roles,
                    admins: db::users::count_holding(&tx, Role::Admin)?,
                },
            )?;
            db::users::set_roles(&tx, id, &roles)?;
            tx.commit()?;
            // Right after the commit, in this closure: it runs to its end
            // even when the request is dropped meanwhile. A login reading
            // the user after the cut-off gets the new roles (see `token.rs`).
            revocations.revoke_subject(&id.to_string());
            Ok::<_, ApiError>(User { roles, ..target })
        })
        .await?;
    tracing::info!(user = user.id, roles = ?user.roles, "roles changed, tokens revoked");
    Ok(Json(user))
}

/// `POST /users/{id}/revoke`: refuses every token of the user issued so
/// far ("log out everywhere"); they may log in again at once.
#[requires(role = "admin", scope = "users:write")]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&auth, &state);
    let actor = state
        .db
        .call(move |conn| {
            let (actor, actor_holds) = caller.resolve(conn)?;
            if !actor_holds.contains(Role::Admin.index()) {
                return Err(rules::Refusal::NotHeld(Role::Admin).into());
            }
            db::users::find(conn, id)?.ok_or_else(no_such_user)?;
            Ok::<_, ApiError>(actor)
        })
        .await?;
    state.revocations.revoke_subject(&id.to_string());
    tracing::info!(user = id, by = actor, "tokens revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// The caller of a user-management request, as the token describes them;
/// [`Caller::resolve`] checks that against the database.
struct Caller {
    subject: String,
    token_roles: RoleSet,
    authenticator: Authenticator<Role>,
}

impl Caller {
    fn of(auth: &Auth, state: &AppState) -> Caller {
        Caller {
            subject: auth.subject().unwrap_or_default().to_owned(),
            // Already closed under inheritance by the authenticator.
            token_roles: auth.granted().roles(),
            authenticator: state.authenticator.clone(),
        }
    }

    /// The caller's id and the roles they hold: those of the token that
    /// the database still grants, inheritance applied.
    fn resolve(&self, conn: &Connection) -> Result<(i64, RoleSet), ApiError> {
        let user = local_user(conn, &self.subject, &self.authenticator)?;
        let schema = <Role as rbac_axum::RoleModel>::SCHEMA;
        let current = schema.close(role_set(&user.roles));
        Ok((user.id, current.intersection(self.token_roles)))
    }
}

/// The local user a token's `sub` names; 401 `invalid_token` when the user
/// is gone, since the token then speaks for nobody.
fn local_user(
    conn: &Connection,
    subject: &str,
    authenticator: &Authenticator<Role>,
) -> Result<User, ApiError> {
    let gone = || ApiError::invalid_token(authenticator, "the token's user no longer exists");
    let id = subject.parse::<i64>().map_err(|_| gone())?;
    db::users::find(conn, id)?.ok_or_else(gone)
}

fn no_such_user() -> ApiError {
    ApiError::not_found("no user has this id")
}

/// Declared role names to roles, in declaration order, without repeats.
fn parse_roles(names: &[String]) -> Result<Vec<Role>, ApiError> {
    let mut roles = Vec::with_capacity(names.len());
    for name in names {
        let Some(role) = Role::from_name(name) else {
            let declared: Vec<&str> = Role::ALL.iter().map(|role| role.name()).collect();
            return Err(ApiError::bad_request(format!(
                "unknown role `{}`; the roles are {}",
                name.chars().take(64).collect::<String>(),
                declared.join(", ")
            )));
        };
        roles.push(role);
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// 3 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit: names that
/// are safe in URLs, logs and shells, and cannot imitate one another with
/// look-alike Unicode or case.
fn check_username(name: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    let starts_well = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=32).contains(&name.len()) && starts_well && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a username is 3 to 32 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
        ))
    }
}

/// At least 8 characters (NIST SP 800-63B), at most 1024 bytes.
fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() >= 8 && password.len() <= 1024 {
        Ok(())
    } else {
        Err(ApiError::bad_request("a password is 8 characters to 1024 bytes long"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_parsed_sorted_and_deduplicated() {
        let names = ["viewer", "admin", "viewer"].map(String::from);
        assert_eq!(parse_roles(&names).expect("declared"), [Role::Admin, Role::Viewer]);
        assert!(parse_roles(&["Admin".to_owned()]).is_err());
        assert_eq!(parse_roles(&[]).expect("no roles"), []);
    }

    #[test]
    fn usernames_are_plain() {
        for good in ["bob", "a.b-c_d", "x2y", "007"] {
            assert!(check_username(good).is_ok(), "{good}");
        }
        for bad in ["", "ab", "Bob", "-bob", "bob smith", "böb", "b/ob", &"a".repeat(33)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_minimum_and_a_maximum() {
        assert!(check_password("12345678").is_ok());
        assert!(check_password("1234567").is_err());
        assert!(check_password(&"x".repeat(1025)).is_err());
    }
}
