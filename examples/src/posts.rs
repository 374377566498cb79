//! The `/posts` endpoints and their storage. Reading needs `posts:read`,
//! writing `posts:write` with the editor role; deleting also needs to be
//! the post's author or an admin, a check on the resource itself that only
//! the handler can make.

use axum::Json;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderName, StatusCode};
use rbac_axum::{Auth, requires};
use rusqlite::{Connection, OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};

use crate::Role;
use crate::db;
use crate::error::ApiError;
use crate::extract::{Id, JsonBody};
use crate::state::AppState;

/// A post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The body of `POST /posts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPost {
    title: String,
    body: String,
}

const MAX_TITLE_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 20_000;

/// `GET /posts`: every post, newest first.
#[requires(role = "viewer", scope = "posts:read")]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Vec<Post>>, ApiError> {
    Ok(Json(state.db.call(|conn| all(conn).map_err(ApiError::from)).await?))
}

/// `GET /posts/{id}`.
#[requires(role = "viewer", scope = "posts:read")]
pub(crate) async fn get(State(state): State<AppState>, Id(id): Id) -> Result<Json<Post>, ApiError> {
    let post = state.db.call(move |conn| find(conn, id).map_err(ApiError::from)).await?;
    post.map(Json).ok_or_else(no_such_post)
}

/// `POST /posts`: a new post by the caller.
#[requires(role = "editor", scope = "posts:write")]
pub(crate) async fn create(
    State(state): State<AppState>,
    auth: Auth,
    JsonBody(new): JsonBody<NewPost>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<Post>), ApiError> {
    let title = new.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::bad_request(format!("a title is 1 to {MAX_TITLE_CHARS} characters")));
    }
    if new.body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::bad_request(format!(
            "a body is at most {MAX_BODY_CHARS} characters"
        )));
    }
    let author = auth.subject().unwrap_or_default().to_owned();
    let body = new.body;
    let post = state
        .db
        .call(move |conn| insert(conn, &author, &title, &body).map_err(ApiError::from))
        .await?;
    tracing::info!(post = post.id, author = post.author, "post created");
    Ok((StatusCode::CREATED, [(LOCATION, format!("/posts/{}", post.id))], Json(post)))
}

/// `DELETE /posts/{id}`: by its author, or by an admin.
#[requires(role = "editor", scope = "posts:write")]
pub(crate) async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    let caller = auth.subject().unwrap_or_default().to_owned();
    let is_admin = auth.has_role(Role::Admin);
    state
        .db
        .call(move |conn| {
            let post = find(conn, id)?.ok_or_else(no_such_post)?;
            // The guard cannot see whose post this is; the handler can.
            if post.author != caller && !is_admin {
                tracing::info!(
                    handler = concat!(module_path!(), "::delete"),
                    subject = caller,
                    post = id,
                    rule = "not_author",
                    "refused: neither the post's author nor an admin"
                );
                return Err(ApiError::forbidden(
                    "not_author",
                    "only the post's author or an admin may delete it",
                ));
            }
            conn.execute("DELETE FROM posts WHERE id = ?1", params![id])?;
            Ok(())
        })
        .await?;
    tracing::info!(post = id, "post deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn no_such_post() -> ApiError {
    ApiError::not_found("no post has this id")
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

fn all(conn: &Connection) -> rusqlite::Result<Vec<Post>> {
    let mut statement = conn.prepare(
        "SELECT id, author, title, body, created_at FROM posts ORDER BY created_at DESC, id DESC",
    )?;
    statement.query_map([], from_row)?.collect()
}

fn find(conn: &Connection, id: i64) -> rusqlite::Result<Option<Post>> {
    conn.query_row(
        "SELECT id, author, title, body, created_at FROM posts WHERE id = ?1",
        params![id],
        from_row,
    )
    .optional()
}

/// Stores a new post; also used to seed the demo.
pub(crate) fn insert(
    conn: &Connection,
    author: &str,
    title: &str,
    body: &str,
) -> rusqlite::Result<Post> {
    let created_at = db::unix_now();
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
