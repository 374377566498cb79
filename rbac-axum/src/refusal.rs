//! What a refused request gets back: RFC 6750 §3 status, `WWW-Authenticate`
//! challenge and a JSON body a client developer can act on. Nothing here
//! ever holds the token or a key.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use rbac_core::{Denial, Schema};
use serde::Serialize;

use crate::bearer::BearerError;
use crate::token_error::{TokenError, TokenErrorKind};

/// Why a request was refused. New kinds of refusal may be added: match
/// with a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No bearer credentials at all: 401 with a bare challenge.
    #[error("the request has no bearer token")]
    MissingCredentials,
    /// The request is malformed: 400 `invalid_request`.
    #[error("{0}")]
    InvalidRequest(Cow<'static, str>),
    /// A token is present but not acceptable: 401 `invalid_token`.
    #[error("{0}")]
    InvalidToken(Cow<'static, str>),
    /// The token is valid but lacks rights: 403 `insufficient_scope`.
    #[error("{}", insufficient_message(.missing_roles, .missing_scopes, .forbidden))]
    InsufficientScope {
        /// Roles that would have satisfied the requirement.
        missing_roles: Vec<&'static str>,
        /// Scopes that would have satisfied the requirement.
        missing_scopes: Vec<&'static str>,
        /// Roles or scopes held that a `not(...)` excludes.
        forbidden: Vec<&'static str>,
    },
    /// The server cannot verify tokens now (no keys fetched from the
    /// identity provider yet, or a claims mapper failed): 500. Refused.
    #[error("{0}")]
    Unavailable(Cow<'static, str>),
    /// The server is misconfigured: 500. The request is refused. (This
    /// crate's own guard meets no such case at run time any more: a
    /// handler's roles not being its state's is a compile error; it stays
    /// for handlers that refuse with [`Authenticator::reject`](crate::Authenticator::reject).)
    #[error("authorization is not configured correctly on the server")]
    Misconfigured,
}

fn insufficient_message(roles: &[&str], scopes: &[&str], forbidden: &[&str]) -> String {
    // Neutral wording: the requirement may be `all(...)` or `any(...)`, and
    // the lists are what would satisfy (part of) it.
    let mut missing = Vec::new();
    missing.extend(roles.iter().map(|role| format!("role {role}")));
    missing.extend(scopes.iter().map(|scope| format!("scope {scope}")));
    let mut message = if missing.is_empty() {
        "the token does not grant access to this resource".to_owned()
    } else {
        format!(
            "the token does not meet this resource's requirement; missing: {}",
            missing.join(", ")
        )
    };
    if !forbidden.is_empty() {
        message.push_str(&format!("; access is refused to holders of {}", forbidden.join(", ")));
    }
    message
}

impl AuthError {
    /// The refusal for a request whose bearer credentials are unusable.
    pub(crate) fn of_bearer(error: BearerError) -> Self {
        match error {
            BearerError::Missing => AuthError::MissingCredentials,
            BearerError::InvalidRequest(reason) => AuthError::InvalidRequest(reason.into()),
            BearerError::InvalidToken(reason) => AuthError::InvalidToken(reason.into()),
        }
    }

    /// The refusal for a token verification refused: 500 when the server
    /// is at fault, else 401 `invalid_token`.
    pub(crate) fn of_token(error: TokenError) -> Self {
        match error.kind() {
            TokenErrorKind::Server => AuthError::Unavailable(error.into_message()),
            _ => AuthError::InvalidToken(error.into_message()),
        }
    }

    /// The refusal for a principal that `denial` refused, naming what was
    /// missing or forbidden as `schema` declares it.
    pub(crate) fn insufficient(schema: &'static Schema, denial: &Denial) -> Self {
        AuthError::InsufficientScope {
            missing_roles: schema.role_names(denial.missing_roles()).collect(),
            missing_scopes: schema.scope_names(denial.missing_scopes()).collect(),
            forbidden: schema
                .role_names(denial.forbidden_roles())
                .chain(schema.scope_names(denial.forbidden_scopes()))
                .collect(),
        }
    }

    /// The HTTP status this refusal gets.
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::MissingCredentials | AuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            AuthError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AuthError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            AuthError::Misconfigured | AuthError::Unavailable(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The RFC 6750 error code, if any.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingCredentials => None,
            AuthError::InvalidRequest(_) => Some("invalid_request"),
            AuthError::InvalidToken(_) => Some("invalid_token"),
            AuthError::InsufficientScope { .. } => Some("insufficient_scope"),
            AuthError::Misconfigured | AuthError::Unavailable(_) => Some("server_error"),
        }
    }

    /// The response for this refusal, challenging for `realm`.
    pub fn into_response_with_realm(self, realm: &str) -> Response {
        Rejection { error: self, realm: Arc::from(realm) }.into_response()
    }
}

/// A refusal together with the realm to name in the challenge; what the
/// extractors return as their rejection.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// Why the request was refused.
    pub error: AuthError,
    /// The protection space named in `WWW-Authenticate`.
    pub realm: Arc<str>,
}

impl Rejection {
    pub(crate) fn new(error: AuthError, realm: &Arc<str>) -> Self {
        Self { error, realm: Arc::clone(realm) }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    error_description: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing_roles: &'a [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing_scopes: &'a [&'static str],
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let error = &self.error;
        let description = error.to_string();
        let mut challenge = format!("Bearer realm=\"{}\"", quoted(&self.realm));
        if let Some(code) = error
            .code()
            .filter(|_| !matches!(error, AuthError::Misconfigured | AuthError::Unavailable(_)))
        {
            challenge.push_str(&format!(
                ", error=\"{code}\", error_description=\"{}\"",
                quoted(&description)
            ));
        }
        let (missing_roles, missing_scopes): (&[&'static str], &[&'static str]) = match error {
            AuthError::InsufficientScope { missing_roles, missing_scopes, .. } => {
                if !missing_scopes.is_empty() {
                    challenge
                        .push_str(&format!(", scope=\"{}\"", quoted(&missing_scopes.join(" "))));
                }
                (missing_roles, missing_scopes)
            }
            _ => (&[], &[]),
        };
        let body = Body {
            error: error.code().unwrap_or("unauthorized"),
            error_description: description,
            missing_roles,
            missing_scopes,
        };
        let mut response = (error.status(), Json(body)).into_response();
        if let (false, Ok(value)) = (
            matches!(error, AuthError::Misconfigured | AuthError::Unavailable(_)),
            HeaderValue::from_str(&challenge),
        ) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Text safe inside an RFC 6750 quoted string (`%x20-21 / %x23-5B / %x5D-7E`).
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) && c != '"' && c != '\\' { c } else { '\'' })
        .collect()
}
