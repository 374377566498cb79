//! Revocation endpoints of both modes: `POST /logout` revokes the caller's
//! own token, `POST /subjects/{sub}/revoke` every token of a subject (in
//! resource-server mode, where subjects are the external issuer's; with
//! users here, `POST /users/{id}/revoke` in `users.rs`). `revocation.rs`
//! holds the store.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use rbac_axum::{Auth, requires};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

/// Longest subject accepted in a path: a provider's `sub` is far shorter.
const MAX_SUBJECT_BYTES: usize = 255;

/// `POST /logout`: revokes the token that authenticates the request (by
/// its `jti`, until its `exp`); any valid token may log itself out.
pub(crate) async fn logout(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<StatusCode, ApiError> {
    // Verification required it (a revocable token has a `jti`); refuse
    // rather than answer 204 for a no-op.
    let Some(jti) = auth.token_id() else {
        return Err(ApiError::Internal("a verified token lacks a `jti`".to_owned()));
    };
    state.revocations.revoke_token(jti, auth.expires_at());
    tracing::info!(subject = auth.subject().unwrap_or_default(), "logged out: token revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// The path of `POST /subjects/{sub}/revoke`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct SubjectPath {
    /// The external issuer's `sub` of the user.
    sub: String,
}

/// `POST /subjects/{sub}/revoke`: refuses every token of the subject issued
/// so far ("log out everywhere", a compromised account), until the issuer
/// issues new ones.
#[requires(role = "admin", scope = "users:write")]
pub(crate) async fn revoke_subject(
    State(state): State<AppState>,
    auth: Auth,
    Path(SubjectPath { sub: subject }): Path<SubjectPath>,
) -> Result<StatusCode, ApiError> {
    if subject.is_empty() || subject.len() > MAX_SUBJECT_BYTES {
        return Err(ApiError::bad_request(format!(
            "a subject is 1 to {MAX_SUBJECT_BYTES} bytes long"
        )));
    }
    state.revocations.revoke_subject(&subject);
    tracing::info!(
        subject = subject.as_str(),
        by = auth.subject().unwrap_or_default(),
        "tokens of a subject revoked"
    );
    Ok(StatusCode::NO_CONTENT)
}
