//! Bodies over a route's limit: 413 at once when `Content-Length` says so
//! (before a byte of the body is read, so a client announcing an absurd
//! length waits for nothing), and when a body without a length grows past
//! it (axum's `DefaultBodyLimit`, turned into 413 by the extractors).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The answer to a body over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> Response {
    let description = format!("the request body is over {limit} bytes");
    let body = json!({ "error": "payload_too_large", "error_description": description });
    (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response()
}

/// Middleware: 413 for a request whose `Content-Length` is over `limit`.
/// A length that is not a number is left to the server, which refuses it.
pub(crate) async fn refuse_announced(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u128>().ok());
    if announced.is_some_and(|length| length > limit as u128) {
        return too_large(limit);
    }
    next.run(request).await
}
