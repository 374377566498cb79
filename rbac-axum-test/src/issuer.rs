//! What a token needs to pass one issuer's checks, read from production's
//! configuration: the tokens of a [`TestAuth`](crate::TestAuth) are
//! written from it.

use std::sync::Arc;

use rbac_axum::ClaimPath;

use crate::key::KeyRing;

/// One issuer of production's configuration, as tokens must meet it.
#[derive(Debug, Clone)]
pub(crate) struct TestIssuer {
    pub(crate) iss: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) leeway: u64,
    pub(crate) roles_at: ClaimPath,
    pub(crate) at_jwt_typ: bool,
    /// The keys this issuer's tokens are signed with.
    pub(crate) keys: Arc<KeyRing>,
}
