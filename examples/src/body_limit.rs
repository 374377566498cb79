//! Request bodies: over a limit, or too slow.
//!
//! * Over a route's limit: 413 at once when `Content-Length` says so
//!   (before a byte of the body is read, so a client announcing an absurd
//!   length waits for nothing), and when a body without a length grows
//!   past it.
//! * Too slow: every body is read whole within the body timeout before the
//!   handler runs; a client that stops halfway is answered 408 and its
//!   connection closed, instead of holding a handler (and a connection)
//!   as long as it likes.

use std::time::Duration;

use axum::Json;
use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde_json::json;

/// The largest body accepted, and the time to receive it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit {
    /// Bytes at most.
    pub(crate) max: usize,
    /// Time to receive all of it.
    pub(crate) timeout: Duration,
}

/// Middleware: reads the body whole, at most `limit.max` bytes within
/// `limit.timeout`, then hands it to the route: 413 past the size, 408
/// past the time.
pub(crate) async fn read_whole(
    State(limit): State<BodyLimit>,
    request: Request,
    next: Next,
) -> Response {
    if announced_over(&request, limit.max) {
        return too_large(limit.max);
    }
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let read = tokio::time::timeout(limit.timeout, Limited::new(body, limit.max).collect());
    match read.await {
        Ok(Ok(collected)) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes()))).await
        }
        Ok(Err(error)) if error.is::<LengthLimitError>() => too_large(limit.max),
        Ok(Err(error)) => {
            // The client reset or sent a malformed chunk: nobody to answer.
            tracing::debug!(%error, "request body unreadable");
            let body = json!({
                "error": "invalid_request",
                "error_description": "the request body could not be read",
            });
            let mut response = (StatusCode::BAD_REQUEST, Json(body)).into_response();
            response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
            response
        }
        Err(_) => request_timeout(limit.timeout),
    }
}

/// 408: the body did not arrive in time. The connection is closed: what
/// is left of the body would be read as the next request.
fn request_timeout(timeout: Duration) -> Response {
    let description = format!("the request body did not arrive within {} s", timeout.as_secs());
    let body = json!({ "error": "request_timeout", "error_description": description });
    let mut response = (StatusCode::REQUEST_TIMEOUT, Json(body)).into_response();
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The answer to a body over `limit` bytes. It says `Connection: close`:
/// the rest of the body is never read, so the connection cannot carry
/// another request, and the server closes it after this answer.
pub(crate) fn too_large(limit: usize) -> Response {
    let description = format!("the request body is over {limit} bytes");
    let body = json!({ "error": "payload_too_large", "error_description": description });
    let mut response = (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response();
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Middleware: 413 for a request whose `Content-Length` is over `limit`,
/// for a route with a limit below the app's.
pub(crate) async fn refuse_announced(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    if announced_over(&request, limit) {
        return too_large(limit);
    }
    next.run(request).await
}

/// Whether `Content-Length` announces more than `limit` bytes. A length
/// that is not a number is left to the server, which refuses it.
fn announced_over(request: &Request, limit: usize) -> bool {
    request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u128>().ok())
        .is_some_and(|length| length > limit as u128)
}
