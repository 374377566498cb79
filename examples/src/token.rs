//! `POST /token`: the OAuth 2.0 resource owner password credentials grant
//! (RFC 6749 §4.3). The tokens it hands out are signed by `token_issuer.rs`.
//!
//! * The request is a form (`application/x-www-form-urlencoded`) with
//!   `grant_type=password`, `username`, `password` and optionally `scope`;
//!   a parameter given twice, or a missing one, is `invalid_request`
//!   (§3.1, §3.2), another grant type `unsupported_grant_type`.
//! * Granted scopes are the requested ones that the user's roles allow
//!   (`roles!`'s `=> [...]`, inherited), or all that they allow when none
//!   is requested; the answer's `scope` says what was granted (§3.3). A
//!   scope that is not declared, or a request of which nothing can be
//!   granted, is `invalid_scope`.
//! * An unknown user and a wrong password get the same `invalid_grant`,
//!   after the same amount of work (see `password.rs`).
//! * Every answer carries `Cache-Control: no-store` and `Pragma: no-cache`
//!   (§5.1); errors are 400 with `{"error", "error_description"}` (§5.2).
//! * Failed logins are throttled per username and client address
//!   (`throttle.rs`): past the limit, 429 `too_many_failed_logins` with
//!   `Retry-After`, before the password is checked.
//! * When every password hashing thread is busy and the queue is full,
//!   503 `temporarily_unavailable` with `Retry-After` (`password.rs`).
//! * A token's `iat` is the second its user's roles were read, never later:
//!   a role change or a revocation after that reading refuses it. Right
//!   after one, the user's cut-off is the next second, and a token read
//!   before it would be refused: the grant waits for that second (at most
//!   one) and reads the user again, so that logging in again right after a
//!   role change works, with the new roles.
//!
//! The password grant suits first-party clients such as this demo's `curl`
//! lines; OAuth 2.0 Security BCP (RFC 9700) advises the authorization code
//! flow for anything else.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rbac_axum::ScopeSet;

use crate::db::{self, users::User};
use crate::error::retry_after_value;
use crate::grants::{grantable, schema};
use crate::password::PasswordError;
use crate::state::AppState;
use crate::throttle::ClientKey;
use crate::token_issuer::IssuedToken;

/// An RFC 6749 §5.2 error response.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: Cow<'static, str>,
    /// For 429 and 503: when to try again.
    retry_after: Option<Duration>,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    /// 503: every password hashing thread is busy and the queue is full.
    fn busy(retry_after: Duration) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "temporarily_unavailable",
            description: "the server is busy; try again after Retry-After seconds".into(),
            retry_after: Some(retry_after),
        }
    }

    /// 429: too many failed logins for this username or address.
    fn throttled(retry_after: Duration) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_failed_logins",
            description: "too many failed logins; try again after Retry-After seconds".into(),
            retry_after: Some(retry_after),
        }
    }

    /// A password check that could not run: 503 when at capacity, else 500.
    fn password(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy { retry_after } => Self::busy(retry_after),
            error => Self::server_error(error),
        }
    }

    fn server_error(message: impl fmt::Display) -> Self {
        tracing::error!(error = %message, "token request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: "the server failed to handle the request".into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(RETRY_AFTER, retry_after_value(wait));
        }
        no_store(response)
    }
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The parameters of a password grant request.
struct PasswordRequest {
    username: String,
    password: String,
    scope: Option<ScopeSet>,
}

/// `POST /token`.
pub(crate) async fn password_grant(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let client = ClientKey::of(peer.map(|Extension(ConnectInfo(addr))| addr));
    match grant(&state, client, &headers, body).await {
        Ok(token) => no_store(Json(token).into_response()),
        Err(error) => error.into_response(),
    }
}

async fn grant(
    state: &AppState,
    client: ClientKey,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<IssuedToken, OAuthError> {
    let Some(issuer) = state.issuer.clone() else {
        return Err(OAuthError::new("unsupported_grant_type", "this server issues no tokens"));
    };
    let request = parse_request(headers, body)?;
    // Before any work: a throttled attempt costs no hash and is not
    // counted; any other is counted now, as a failure until it succeeds.
    state.login_throttle.begin(&request.username, client).map_err(|throttled| {
        tracing::info!(
            %client,
            limit = throttled.limit.name(),
            "token refused: too many failed logins"
        );
        OAuthError::throttled(throttled.retry_after)
    })?;

    // Before the reading: the token's `iat` is never later than its roles.
    let read_at = db::unix_now();
    let username = request.username.clone();
    let account = state
        .db
        .call(move |conn| db::users::credentials(conn, &username).map_err(db::DbError::from))
        .await
        .map_err(|error| {
            state.login_throttle.not_judged(&request.username, client);
            OAuthError::server_error(error)
        })?;
    let (user, stored_hash) = match account {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let matches = state.passwords.verify(request.password, stored_hash).await.map_err(|error| {
        state.login_throttle.not_judged(&request.username, client);
        OAuthError::password(error)
    })?;
    let user = match (user, matches) {
        (Some(user), true) => {
            state.login_throttle.succeeded(&request.username, client);
            user
        }
        // One answer for both: which user names exist is nobody's business.
        _ => {
            tracing::info!(%client, "token refused: invalid credentials");
            return Err(OAuthError::new("invalid_grant", "the username or password is incorrect"));
        }
    };

    let (user, read_at) = after_cutoff(state, user, read_at).await?;
    let allowed = grantable(&user.roles);
    let granted = match request.scope {
        None => allowed,
        Some(requested) => {
            let granted = requested.intersection(allowed);
            if granted.is_empty() {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "none of the requested scopes can be granted to this user",
                ));
            }
            granted
        }
    };
    let token =
        issuer.issue(user.id, &user.roles, granted, read_at).map_err(OAuthError::server_error)?;
    tracing::info!(user = user.id, scope = token.scope, "token issued");
    Ok(token)
}

/// `user` as read at `read_at`, or, when a cut-off set for them since
/// refuses tokens issued then (their roles changed, or their tokens were
/// revoked, a moment ago), as read again once that cut-off's second (plus
/// the leeway) has come, and when.
async fn after_cutoff(
    state: &AppState,
    mut user: User,
    mut read_at: i64,
) -> Result<(User, i64), OAuthError> {
    // Each round waits for one cut-off: at most a second (and the leeway,
    // with replicas); a user whose roles change every second is refused
    // for now, rather than given a refused token.
    for round in 0..=3 {
        let Some(cutoff) = state.revocations.cutoff_after(&user.id.to_string(), read_at) else {
            return Ok((user, read_at));
        };
        if round == 3 {
            break;
        }
        let from = UNIX_EPOCH + Duration::from_secs(cutoff);
        let wait = from.duration_since(SystemTime::now()).unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_millis(5)).await;
        read_at = db::unix_now();
        let id = user.id;
        let found = state
            .db
            .call(move |conn| db::users::find(conn, id).map_err(db::DbError::from))
            .await
            .map_err(OAuthError::server_error)?;
        user = found.ok_or_else(|| {
            tracing::info!(user = id, "token refused: the user was deleted meanwhile");
            OAuthError::new("invalid_grant", "the username or password is incorrect")
        })?;
    }
    Err(OAuthError::server_error("the user's roles keep changing; no token issued"))
}

fn parse_request(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<PasswordRequest, OAuthError> {
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| {
            essence.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(OAuthError::new(
            "invalid_request",
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => OAuthError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            description: "the request body is too large".into(),
            retry_after: None,
        },
        _ => {
            OAuthError::new("invalid_request", format!("the request body is unusable: {rejection}"))
        }
    })?;

    let mut grant_type = None;
    let mut username = None;
    let mut password = None;
    let mut scope = None;
    for (name, value) in form_urlencoded::parse(&body) {
        let slot = match name.as_ref() {
            "grant_type" => &mut grant_type,
            "username" => &mut username,
            "password" => &mut password,
            "scope" => &mut scope,
            _ => continue, // unknown parameters are ignored (§3.2)
        };
        if slot.is_some() {
            return Err(OAuthError::new(
                "invalid_request",
                format!("the parameter `{name}` is given more than once"),
            ));
        }
        *slot = Some(value.into_owned());
    }
    // §3.1: a parameter without a value is as if omitted.
    let present = |value: Option<String>| value.filter(|v| !v.is_empty());

    match present(grant_type).as_deref() {
        Some("password") => {}
        Some(_) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "this server supports grant_type=password only",
            ));
        }
        None => return Err(OAuthError::new("invalid_request", "the grant_type is missing")),
    }
    let (Some(username), Some(password)) = (present(username), present(password)) else {
        return Err(OAuthError::new("invalid_request", "username and password are required"));
    };
    let scope = present(scope).map(|scope| parse_scope(&scope)).transpose()?;
    Ok(PasswordRequest { username, password, scope })
}

/// A `scope` parameter: declared scope names separated by spaces (§3.3).
fn parse_scope(text: &str) -> Result<ScopeSet, OAuthError> {
    let mut set = ScopeSet::EMPTY;
    for name in text.split(' ').filter(|name| !name.is_empty()) {
        match schema().scope_index(name) {
            Some(index) => set = set.with(index),
            None => {
                let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!(
                        "unknown scope `{shown}`; this server knows {}",
                        schema().scopes().join(", ")
                    ),
                ));
            }
        }
    }
    if set.is_empty() {
        return Err(OAuthError::new("invalid_scope", "the scope parameter names no scope"));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: ScopeSet) -> Vec<&'static str> {
        schema().scope_names(set).collect()
    }

    #[test]
    fn scope_parsing_accepts_declared_names_only() {
        let set = parse_scope("posts:read  posts:write").expect("declared scopes");
        assert_eq!(names(set), ["posts:read", "posts:write"]);
        for bad in ["posts:admin", "posts:read POSTS:WRITE", " "] {
            let error = parse_scope(bad).expect_err(bad);
            assert_eq!(error.code, "invalid_scope", "{bad}");
        }
    }
}
