//! The `/posts` endpoints (`db/posts.rs` stores the posts). Reading needs
//! `posts:read`, writing `posts:write` with the editor role; deleting also
//! needs to be the post's author or an admin, a check on the resource
//! itself that only the handler can make.

use axum::Json;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderName, StatusCode};
use rbac_axum::{Auth, requires};
use serde::Deserialize;

use crate::Role;
use crate::db::{self, posts::Post};
use crate::error::ApiError;
use crate::extract::{Id, JsonBody};
use crate::state::AppState;

/// The body of `POST /posts`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
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
    Ok(Json(state.db.call(|conn| db::posts::all(conn).map_err(ApiError::from)).await?))
}

/// `GET /posts/{id}`.
#[requires(role = "viewer", scope = "posts:read")]
pub(crate) async fn get(State(state): State<AppState>, Id(id): Id) -> Result<Json<Post>, ApiError> {
    let post = state.db.call(move |conn| db::posts::find(conn, id).map_err(ApiError::from)).await?;
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
        .call(move |conn| db::posts::insert(conn, &author, &title, &body).map_err(ApiError::from))
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
            let post = db::posts::find(conn, id)?.ok_or_else(no_such_post)?;
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
            db::posts::delete(conn, id)?;
            Ok(())
        })
        .await?;
    tracing::info!(post = id, "post deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn no_such_post() -> ApiError {
    ApiError::not_found("no post has this id")
}
