//! Errors the API handlers answer with, as JSON shaped like the guard's own
//! refusals (`{"error": …, "error_description": …}`), so a client reads
//! every refusal the same way. Internal failures are logged in full and
//! answered with a bare 500.

use std::borrow::Cow;
use std::time::Duration;

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rbac_axum::{AuthError, Authenticator, Rejection};
use serde_json::json;

use crate::Role;
use crate::db::DbError;
use crate::password::PasswordError;

/// A handler's refusal or failure.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// A refusal with a status, a machine-readable code and a description.
    Refused {
        /// The HTTP status.
        status: StatusCode,
        /// A stable code clients can match on.
        code: &'static str,
        /// What went wrong, for the client developer.
        description: Cow<'static, str>,
    },
    /// The token was valid but is no longer usable here (its user has been
    /// deleted): 401 with an RFC 6750 challenge, as the guard would answer.
    Unauthenticated(Rejection),
    /// The body is over the API's limit: 413.
    TooLarge,
    /// The server is at capacity for this work: 503 with `Retry-After`.
    Unavailable {
        /// When to try again.
        retry_after: Duration,
    },
    /// Something failed on the server; the message is logged, not sent.
    Internal(String),
}

impl ApiError {
    /// 400 `invalid_request`.
    pub(crate) fn bad_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::refused(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 404 `not_found`.
    pub(crate) fn not_found(description: impl Into<Cow<'static, str>>) -> Self {
        Self::refused(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 403 with `code`: the token's rights pass the guard, but this
    /// resource or this change is not allowed to its holder.
    pub(crate) fn forbidden(code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self::refused(StatusCode::FORBIDDEN, code, description)
    }

    /// 409 with `code`: the change would break an invariant of the data.
    pub(crate) fn conflict(code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self::refused(StatusCode::CONFLICT, code, description)
    }

    /// 401 `invalid_token`, answered as `authenticator`'s guard would
    /// (its challenge, its body).
    pub(crate) fn invalid_token(
        authenticator: &Authenticator<Role>,
        description: &'static str,
    ) -> Self {
        Self::Unauthenticated(
            authenticator.reject(AuthError::InvalidToken(Cow::Borrowed(description))),
        )
    }

    fn refused(
        status: StatusCode,
        code: &'static str,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Refused { status, code, description: description.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Refused { status, code, description } => {
                (status, Json(json!({ "error": code, "error_description": description })))
                    .into_response()
            }
            ApiError::Unauthenticated(rejection) => rejection.into_response(),
            ApiError::TooLarge => crate::body_limit::too_large(crate::JSON_BODY_LIMIT),
            ApiError::Unavailable { retry_after } => {
                let body = json!({
                    "error": "temporarily_unavailable",
                    "error_description": "the server is busy; try again after Retry-After seconds",
                });
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                response.headers_mut().insert(RETRY_AFTER, retry_after_value(retry_after));
                response
            }
            ApiError::Internal(message) => {
                tracing::error!(error = %message, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({
                        "error": "server_error",
                        "error_description": "the server failed to handle the request",
                    })),
                )
                    .into_response()
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        ApiError::Internal(format!("database: {error}"))
    }
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy { retry_after } => ApiError::Unavailable { retry_after },
            error => ApiError::Internal(error.to_string()),
        }
    }
}

/// A `Retry-After` value: whole seconds, rounded up, at least one.
pub(crate) fn retry_after_value(wait: Duration) -> HeaderValue {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    HeaderValue::from(seconds.max(1))
}
