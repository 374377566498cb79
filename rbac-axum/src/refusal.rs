//! What a refused request gets back: RFC 6750 §3 status, `WWW-Authenticate`
//! challenge and a body a client developer can act on, in the format the
//! application chose (`refusal_body`). Nothing here ever holds the token or
//! a key.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use rbac_core::{Denial, Schema};

use crate::bearer::BearerError;
use crate::refusal_body::{Refusal, RefusalKind, RenderBody};
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
    /// The server cannot decide now but will soon (the revocation store
    /// lost touch with its source): 503 with `Retry-After`. Refused.
    #[error("{description}")]
    TemporarilyUnavailable {
        /// What is unavailable, for the client's developer.
        description: Cow<'static, str>,
        /// When to try again; sent as `Retry-After` in whole seconds.
        retry_after: Duration,
    },
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
            TokenErrorKind::Unavailable { retry_after } => {
                AuthError::TemporarilyUnavailable { description: error.into_message(), retry_after }
            }
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
            AuthError::TemporarilyUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
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
            AuthError::TemporarilyUnavailable { .. } => Some("temporarily_unavailable"),
        }
    }

    /// The response for this refusal, challenging for `realm`, with the
    /// default body ([`Refusal::oauth_json`]): no authenticator is at hand
    /// to say which body the application chose. Prefer
    /// [`Authenticator::reject`](crate::Authenticator::reject), which
    /// answers in the application's format.
    pub fn into_response_with_realm(self, realm: &str) -> Response {
        Rejection { error: self, realm: Arc::from(realm), body: None, resource_metadata: None }
            .into_response()
    }

    fn kind(&self) -> RefusalKind {
        match self {
            AuthError::MissingCredentials => RefusalKind::MissingCredentials,
            AuthError::InvalidRequest(_) => RefusalKind::InvalidRequest,
            AuthError::InvalidToken(_) => RefusalKind::InvalidToken,
            AuthError::InsufficientScope { .. } => RefusalKind::InsufficientScope,
            AuthError::Misconfigured | AuthError::Unavailable(_) => RefusalKind::ServerError,
            AuthError::TemporarilyUnavailable { .. } => RefusalKind::TemporarilyUnavailable,
        }
    }
}

impl Refusal {
    /// The view of `error`, challenged for `realm`, a renderer gets: for
    /// testing a renderer without a request.
    pub fn new(error: AuthError, realm: &str) -> Self {
        Self::of(error, Arc::from(realm))
    }

    fn of(error: AuthError, realm: Arc<str>) -> Self {
        let (kind, status, code, description) =
            (error.kind(), error.status(), error.code(), error.to_string());
        let retry_after = match error {
            AuthError::TemporarilyUnavailable { retry_after, .. } => Some(retry_after),
            _ => None,
        };
        let (missing_roles, missing_scopes, forbidden) = match error {
            AuthError::InsufficientScope { missing_roles, missing_scopes, forbidden } => {
                (missing_roles, missing_scopes, forbidden)
            }
            _ => (Vec::new(), Vec::new(), Vec::new()),
        };
        Self {
            kind,
            status,
            code,
            description,
            missing_roles,
            missing_scopes,
            forbidden,
            realm,
            retry_after,
        }
    }
}

/// A refusal together with the realm to name in the challenge and the body
/// the application chose; what the extractors return as their rejection.
/// Built by [`Authenticator::reject`](crate::Authenticator::reject) (or by
/// the guard and the extractors, which use it).
#[derive(Clone)]
pub struct Rejection {
    /// Why the request was refused.
    pub error: AuthError,
    /// The protection space named in `WWW-Authenticate`.
    pub realm: Arc<str>,
    /// The application's renderer; `None`: the default body.
    body: Option<RenderBody>,
    /// The resource's RFC 9728 metadata URL, named in the challenge.
    resource_metadata: Option<Arc<str>>,
}

impl std::fmt::Debug for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rejection")
            .field("error", &self.error)
            .field("realm", &self.realm)
            .field("custom_body", &self.body.is_some())
            .field("resource_metadata", &self.resource_metadata)
            .finish()
    }
}

impl Rejection {
    pub(crate) fn new(
        error: AuthError,
        realm: &Arc<str>,
        body: Option<&RenderBody>,
        resource_metadata: Option<&Arc<str>>,
    ) -> Self {
        Self {
            error,
            realm: Arc::clone(realm),
            body: body.cloned(),
            resource_metadata: resource_metadata.cloned(),
        }
    }
}

/// The body is the renderer's; the status and the challenge are RFC 6750's,
/// set here over whatever the renderer put in their place.
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let Rejection { error, realm, body, resource_metadata } = self;
        let refusal = Refusal::of(error, realm);
        let challenge = challenge(&refusal, resource_metadata.as_deref());
        let mut response = match body {
            None => refusal.oauth_json(),
            Some(render) => match catch_unwind(AssertUnwindSafe(|| render(&refusal))) {
                Ok(response) => response,
                Err(_) => {
                    // Still a refusal, with its status and challenge: only
                    // the body falls back.
                    tracing::error!(
                        kind = ?refusal.kind(),
                        "the refusal body renderer panicked; the default body was sent"
                    );
                    refusal.oauth_json()
                }
            },
        };
        *response.status_mut() = refusal.status();
        let headers = response.headers_mut();
        headers.remove(WWW_AUTHENTICATE);
        if let Some(challenge) = challenge {
            headers.insert(WWW_AUTHENTICATE, challenge);
        }
        headers.remove(RETRY_AFTER);
        if let Some(wait) = refusal.retry_after {
            // Whole seconds, rounded up: never "now" for a wait.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

/// The `WWW-Authenticate` value for `refusal` (RFC 6750 §3), naming the
/// resource's metadata when it has some (RFC 9728 §5.1); none for a server
/// error or a temporary unavailability, which no credentials would cure.
fn challenge(refusal: &Refusal, resource_metadata: Option<&str>) -> Option<HeaderValue> {
    if matches!(refusal.kind, RefusalKind::ServerError | RefusalKind::TemporarilyUnavailable) {
        return None;
    }
    let mut challenge = format!("Bearer realm=\"{}\"", quoted(&refusal.realm));
    if let Some(url) = resource_metadata {
        challenge.push_str(&format!(", resource_metadata=\"{}\"", quoted(url)));
    }
    if let Some(code) = refusal.code {
        challenge.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            quoted(&refusal.description)
        ));
    }
    if !refusal.missing_scopes.is_empty() {
        let scopes = refusal.missing_scopes.join(" ");
        challenge.push_str(&format!(", scope=\"{}\"", quoted(&scopes)));
    }
    HeaderValue::from_str(&challenge).ok()
}

/// Text safe inside an RFC 6750 quoted string (`%x20-21 / %x23-5B / %x5D-7E`).
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) && c != '"' && c != '\\' { c } else { '\'' })
        .collect()
}
