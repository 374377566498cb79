//! The users and their roles in SQLite. Functions take a `&Connection` so
//! that callers compose them inside one transaction (a `Transaction`
//! dereferences to a `Connection`).

use rbac_axum::RoleModel;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use crate::Role;
use crate::db::unix_now;

/// A user as the API shows it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct User {
    /// Stable, never reused; the `sub` of the user's tokens.
    pub(crate) id: i64,
    /// The login name.
    pub(crate) username: String,
    /// The roles granted directly, in declaration order (inherited ones
    /// are implied, not stored).
    #[serde(serialize_with = "role_names")]
    #[schemars(with = "Vec<String>")]
    pub(crate) roles: Vec<Role>,
}

fn role_names<S: serde::Serializer>(roles: &[Role], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(roles.iter().map(|role| role.name()))
}

/// The user named `username` and their password hash.
pub(crate) fn credentials(
    conn: &Connection,
    username: &str,
) -> rusqlite::Result<Option<(User, String)>> {
    let found = conn
        .query_row(
            "SELECT id, password_hash FROM users WHERE username = ?1",
            params![username],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((id, hash)) = found else { return Ok(None) };
    let user = User { id, username: username.to_owned(), roles: roles_of(conn, id)? };
    Ok(Some((user, hash)))
}

/// The user with `id`.
pub(crate) fn find(conn: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    let username = conn
        .query_row("SELECT username FROM users WHERE id = ?1", params![id], |row| row.get(0))
        .optional()?;
    let Some(username) = username else { return Ok(None) };
    Ok(Some(User { id, username, roles: roles_of(conn, id)? }))
}

/// The user with the name `username`, if any.
pub(crate) fn find_by_name(conn: &Connection, username: &str) -> rusqlite::Result<Option<User>> {
    Ok(credentials(conn, username)?.map(|(user, _)| user))
}

/// Every user, by id.
pub(crate) fn list(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    let mut statement = conn.prepare("SELECT id, username FROM users ORDER BY id")?;
    let rows = statement
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, username)| Ok(User { id, username, roles: roles_of(conn, id)? }))
        .collect()
}

/// Whether there is no user at all (a fresh database).
pub(crate) fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM users)", [], |row| row.get(0))
}

/// Adds a user; returns their id. The name must be free (check with
/// [`find_by_name`] in the same transaction).
pub(crate) fn insert(
    conn: &Connection,
    username: &str,
    password_hash: &str,
    roles: &[Role],
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)",
        params![username, password_hash, unix_now()],
    )?;
    let id = conn.last_insert_rowid();
    set_roles(conn, id, roles)?;
    Ok(id)
}

/// Replaces the roles of user `id`.
pub(crate) fn set_roles(conn: &Connection, id: i64, roles: &[Role]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM user_roles WHERE user_id = ?1", params![id])?;
    let mut insert = conn.prepare("INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)")?;
    for role in roles {
        insert.execute(params![id, role.name()])?;
    }
    Ok(())
}

/// Deletes user `id` (their roles go with them); whether one existed.
pub(crate) fn delete(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", params![id])? > 0)
}

/// How many users hold `role`, directly or through inheritance.
pub(crate) fn count_holding(conn: &Connection, role: Role) -> rusqlite::Result<usize> {
    let granting: Vec<&str> =
        Role::ALL.iter().filter(|r| r.implies(role)).map(|r| r.name()).collect();
    let placeholders = vec!["?"; granting.len()].join(", ");
    let sql =
        format!("SELECT COUNT(DISTINCT user_id) FROM user_roles WHERE role IN ({placeholders})");
    let count: i64 =
        conn.query_row(&sql, rusqlite::params_from_iter(granting), |row| row.get(0))?;
    Ok(usize::try_from(count).unwrap_or(0))
}

/// The declared roles stored for user `id`; a stored name that `roles!` no
/// longer declares grants nothing and is skipped.
fn roles_of(conn: &Connection, id: i64) -> rusqlite::Result<Vec<Role>> {
    let mut statement = conn.prepare("SELECT role FROM user_roles WHERE user_id = ?1")?;
    let names = statement
        .query_map(params![id], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut roles: Vec<Role> = names
        .iter()
        .filter_map(|name| {
            let role = Role::from_name(name);
            if role.is_none() {
                tracing::warn!(
                    user = id,
                    role = name,
                    "ignoring a stored role that is not declared"
                );
            }
            role
        })
        .collect();
    roles.sort_by_key(|role| role.index());
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Db, FILE_NAME};

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = Db::open(&dir.path().join(FILE_NAME)).expect("database");
        (dir, db)
    }

    #[test]
    fn roles_round_trip_and_go_with_the_user() {
        let (_dir, db) = db();
        db.call_blocking(|conn| -> rusqlite::Result<()> {
            let id = insert(conn, "zoe", "hash", &[Role::Viewer, Role::Editor])?;
            let user = find(conn, id)?.expect("inserted");
            assert_eq!(user.roles, [Role::Editor, Role::Viewer]);
            assert_eq!(count_holding(conn, Role::Viewer)?, 1);
            assert_eq!(count_holding(conn, Role::Admin)?, 0);
            assert!(delete(conn, id)?);
            let left: i64 = conn.query_row("SELECT COUNT(*) FROM user_roles", [], |r| r.get(0))?;
            assert_eq!(left, 0, "roles of a deleted user remain");
            Ok(())
        })
        .expect("the thread answers")
        .expect("queries");
    }

    #[test]
    fn an_admin_counts_as_holding_every_role_below() {
        let (_dir, db) = db();
        db.call_blocking(|conn| -> rusqlite::Result<()> {
            insert(conn, "ann", "hash", &[Role::Admin])?;
            insert(conn, "ed", "hash", &[Role::Editor])?;
            assert_eq!(count_holding(conn, Role::Admin)?, 1);
            assert_eq!(count_holding(conn, Role::Editor)?, 2);
            assert_eq!(count_holding(conn, Role::Viewer)?, 2);
            Ok(())
        })
        .expect("the thread answers")
        .expect("queries");
    }
}
