//! The body of a refusal, in the application's format: [`Refusal`], what a
//! renderer set with
//! [`AuthenticatorBuilder::refusal_body`](crate::AuthenticatorBuilder::refusal_body)
//! sees of a refused request (never the token or a key), and the two bodies
//! this crate offers ready-made, [`Refusal::oauth_json`] (the default) and
//! [`Refusal::problem_json`] (RFC 9457). The status and the
//! `WWW-Authenticate` challenge are not the renderer's to choose: `refusal`
//! sets them on whatever it returns.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;

/// The RFC 6750 §3.1 outcomes a refusal can have. New kinds may be added:
/// match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalKind {
    /// No bearer credentials at all: 401, a bare challenge, no error code.
    MissingCredentials,
    /// A malformed request: 400 `invalid_request`.
    InvalidRequest,
    /// A token that is not acceptable: 401 `invalid_token`.
    InvalidToken,
    /// A valid token without the rights the resource needs: 403
    /// `insufficient_scope`.
    InsufficientScope,
    /// The server cannot decide now (keys not fetched yet, a claims mapper
    /// failed, a misconfiguration): 500 `server_error`, no challenge.
    ServerError,
    /// The server cannot decide now but will soon (the revocation store
    /// lost touch with its source): 503 `temporarily_unavailable`, with
    /// `Retry-After` ([`Refusal::retry_after`]), no challenge.
    TemporarilyUnavailable,
}

/// A refused request as the body's renderer sees it: what the client is
/// told, in parts. It never holds the token, a part of it, or a key.
///
/// ```
/// use rbac_axum::{AuthError, Refusal, RefusalKind};
///
/// let refusal = Refusal::new(AuthError::InvalidToken("the token has expired".into()), "api");
/// assert_eq!(refusal.kind(), RefusalKind::InvalidToken);
/// assert_eq!(refusal.status(), 401);
/// assert_eq!(refusal.code(), Some("invalid_token"));
/// assert_eq!(refusal.description(), "the token has expired");
/// ```
#[derive(Debug, Clone)]
pub struct Refusal {
    pub(crate) kind: RefusalKind,
    pub(crate) status: StatusCode,
    pub(crate) code: Option<&'static str>,
    pub(crate) description: String,
    pub(crate) missing_roles: Vec<&'static str>,
    pub(crate) missing_scopes: Vec<&'static str>,
    pub(crate) forbidden: Vec<&'static str>,
    pub(crate) realm: Arc<str>,
    pub(crate) retry_after: Option<Duration>,
}

impl Refusal {
    /// Which RFC 6750 outcome this is.
    pub fn kind(&self) -> RefusalKind {
        self.kind
    }

    /// The status the response is sent with, whatever the renderer's body
    /// says.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The RFC 6750 error code (`invalid_request`, `invalid_token`,
    /// `insufficient_scope`), or `server_error` for a 500; `None` when the
    /// request carried no credentials (RFC 6750 §3.1: no error code then).
    pub fn code(&self) -> Option<&'static str> {
        self.code
    }

    /// What went wrong, for the client's developer: the same text as the
    /// challenge's `error_description`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// For a 403: roles that would have satisfied (part of) the
    /// requirement, as `roles!` names them. Empty otherwise.
    pub fn missing_roles(&self) -> &[&'static str] {
        &self.missing_roles
    }

    /// For a 403: scopes that would have satisfied (part of) the
    /// requirement; the challenge's `scope` lists them. Empty otherwise.
    pub fn missing_scopes(&self) -> &[&'static str] {
        &self.missing_scopes
    }

    /// For a 403: roles or scopes the token holds that a `not(…)` of the
    /// requirement excludes. Empty otherwise.
    pub fn forbidden(&self) -> &[&'static str] {
        &self.forbidden
    }

    /// The protection space the challenge names.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// For a 503: when to try again, sent as `Retry-After` whatever the
    /// renderer's headers say. `None` otherwise.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The default body: the OAuth 2.0 error object (RFC 6749 §5.2) as
    /// JSON, `application/json`, with the lists of what was missing when
    /// there are some:
    ///
    /// ```json
    /// {"error":"insufficient_scope",
    ///  "error_description":"the token does not meet this resource's requirement; missing: scope posts:write",
    ///  "missing_scopes":["posts:write"]}
    /// ```
    ///
    /// `error` is `unauthorized` when the request had no credentials.
    pub fn oauth_json(&self) -> Response {
        Json(OAuthBody {
            error: self.code.unwrap_or("unauthorized"),
            error_description: &self.description,
            missing_roles: &self.missing_roles,
            missing_scopes: &self.missing_scopes,
        })
        .into_response()
    }

    /// An RFC 9457 problem details object, `application/problem+json`:
    ///
    /// ```json
    /// {"type":"about:blank","title":"Forbidden","status":403,
    ///  "detail":"the token does not meet this resource's requirement; missing: scope posts:write",
    ///  "error":"insufficient_scope","missing_scopes":["posts:write"]}
    /// ```
    ///
    /// `type` is `about:blank` and `title` the status's reason phrase, as
    /// RFC 9457 §4.2.1 asks of a problem whose meaning is its status: no
    /// URI identifies the RFC 6750 outcomes, and a library cannot mint one
    /// on the application's domain (a bare code such as `invalid_token`
    /// would be a relative reference, resolved against the request's URL).
    /// What tells the outcomes apart is the extension member `error`, the
    /// RFC 6750 code the challenge carries too (absent when the request
    /// had no credentials, as in the challenge), and `missing_roles` and
    /// `missing_scopes` when there are some. A service with problem types
    /// of its own renders its own body (see
    /// [`refusal_body`](crate::AuthenticatorBuilder::refusal_body)).
    ///
    /// ```
    /// use axum::response::IntoResponse;
    /// use rbac_axum::{AuthError, Authenticator, Refusal, jsonwebtoken::Algorithm};
    ///
    /// rbac_axum::roles! { admin: viewer, viewer }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let authenticator = Authenticator::<Role>::builder()
    ///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
    ///     .refusal_body(Refusal::problem_json)
    ///     .build()?;
    ///
    /// // Every refusal is now a problem: the guard's, the extractors', and this one.
    /// let refused = authenticator.reject(AuthError::InvalidToken("the account was deleted".into()));
    /// let response = refused.into_response();
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.headers()["content-type"], "application/problem+json");
    /// assert_eq!(
    ///     response.headers()["www-authenticate"],
    ///     r#"Bearer realm="api", error="invalid_token", error_description="the account was deleted""#,
    /// );
    /// let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    /// assert_eq!(
    ///     body,
    ///     r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"the account was deleted","error":"invalid_token"}"#,
    /// );
    /// # Ok(()) }
    /// ```
    pub fn problem_json(&self) -> Response {
        let mut response = Json(ProblemBody {
            r#type: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.description,
            error: self.code,
            missing_roles: &self.missing_roles,
            missing_scopes: &self.missing_scopes,
        })
        .into_response();
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// RFC 9457 §3's media type.
const PROBLEM_JSON: &str = "application/problem+json";

/// What a renderer's body is, as API documentation shows it: its media
/// type and JSON Schema (set with
/// [`refusal_body_described`](crate::AuthenticatorBuilder::refusal_body_described)).
#[derive(Debug, Clone)]
pub(crate) struct BodyDescription {
    pub(crate) media_type: String,
    pub(crate) schema: serde_json::Value,
}

impl Refusal {
    /// The media type and JSON Schema of [`oauth_json`](Self::oauth_json)'s
    /// body, the default.
    pub fn oauth_json_schema() -> (&'static str, serde_json::Value) {
        let names = serde_json::json!({ "type": "array", "items": { "type": "string" } });
        let schema = serde_json::json!({
            "type": "object",
            "description": "An OAuth 2.0 error (RFC 6749 §5.2, RFC 6750 §3.1).",
            "required": ["error", "error_description"],
            "properties": {
                "error": {
                    "type": "string",
                    "description": "`invalid_request`, `invalid_token`, `insufficient_scope`, \
                        `server_error`, `temporarily_unavailable`; `unauthorized` without \
                        credentials.",
                },
                "error_description": { "type": "string" },
                "missing_roles": names,
                "missing_scopes": names,
            },
        });
        ("application/json", schema)
    }

    /// The media type and JSON Schema of
    /// [`problem_json`](Self::problem_json)'s body: give both to
    /// [`refusal_body_described`](crate::AuthenticatorBuilder::refusal_body_described)
    /// with the renderer.
    pub fn problem_json_schema() -> (&'static str, serde_json::Value) {
        let names = serde_json::json!({ "type": "array", "items": { "type": "string" } });
        let schema = serde_json::json!({
            "type": "object",
            "description": "Problem details (RFC 9457), with the RFC 6750 error code.",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": { "type": "string" },
                "title": { "type": "string" },
                "status": { "type": "integer" },
                "detail": { "type": "string" },
                "error": { "type": "string" },
                "missing_roles": names,
                "missing_scopes": names,
            },
        });
        (PROBLEM_JSON, schema)
    }
}

/// A renderer as the authenticator keeps it: any `Fn(&Refusal) -> impl
/// IntoResponse`, its result already a response.
pub(crate) type RenderBody = Arc<dyn Fn(&Refusal) -> Response + Send + Sync>;

#[derive(Serialize)]
struct OAuthBody<'a> {
    error: &'a str,
    error_description: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing_roles: &'a [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing_scopes: &'a [&'static str],
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    r#type: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing_roles: &'a [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing_scopes: &'a [&'static str],
}
