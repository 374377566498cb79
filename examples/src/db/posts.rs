//! The posts in SQLite. Functions take a `&Connection`, as in `users.rs`,
//! so that callers compose them inside one transaction.

use rusqlite::{Connection, OptionalExtension as _, Row, params};
use serde::Serialize;

use crate::db::unix_now;

/// A post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Post {
    /// Its id.
    pub(crate) id: i64,
    /// The `sub` of the token that wrote it.
    pub(crate) author: String,
    /// One line.
    pub(crate) title: String,
    /// The text.
    pub(crate) body: String,
    /// Seconds since the Unix epoch.
    pub(crate) created_at: i64,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        id: row.get(0)?,
        author: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
        created_at: row.get(4)?,
    })
}

/// Every post, newest first.
pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<Post>> {
    let mut statement = conn.prepare(
        "SELECT id, author, title, body, created_at FROM posts ORDER BY created_at DESC, id DESC",
    )?;
    statement.query_map([], from_row)?.collect()
}

/// The post with `id`.
pub(crate) fn find(conn: &Connection, id: i64) -> rusqlite::Result<Option<Post>> {
    conn.query_row(
        "SELECT id, author, title, body, created_at FROM posts WHERE id = ?1",
        params![id],
        from_row,
    )
    .optional()
}

/// Stores a new post by `author` (a token's `sub`); also used to seed
/// the demo.
pub(crate) fn insert(
    conn: &Connection,
    author: &str,
    title: &str,
    body: &str,
) -> rusqlite::Result<Post> {
    let created_at = unix_now();
    conn.execute(
        "INSERT INTO posts (author, title, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![author, title, body, created_at],
    )?;
    let id = conn.last_insert_rowid();
    Ok(Post {
        id,
        author: author.to_owned(),
        title: title.to_owned(),
        body: body.to_owned(),
        created_at,
    })
}

/// Deletes post `id`.
pub(crate) fn delete(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM posts WHERE id = ?1", params![id])?;
    Ok(())
}
