//! The HS256 access tokens this service issues: [`TokenIssuer`] signs them
//! with the key from `signing_key.rs`, naming the configured issuer and
//! audience, for the password grant (`token.rs`) and the demo banner.

use std::fmt;
use std::time::Duration;

use rbac_axum::ScopeSet;
use rbac_axum::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::config::Config;
use crate::grants::schema;
use crate::signing_key::SigningKey;
use crate::{Role, db};

/// Signs access tokens for this service's users.
pub(crate) struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("TokenIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A signed token and what the client is told about it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct IssuedToken {
    /// The JWT.
    pub(crate) access_token: String,
    /// Always `bearer` (RFC 6750).
    pub(crate) token_type: &'static str,
    /// Seconds until it expires.
    pub(crate) expires_in: u64,
    /// The granted scopes, space-separated.
    pub(crate) scope: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: String,
    roles: Vec<&'static str>,
    scope: String,
    iat: i64,
    exp: i64,
    iss: &'a str,
    aud: &'a str,
    jti: String,
}

impl TokenIssuer {
    /// An issuer signing with `key`, naming `config`'s issuer (the
    /// service's public URL) and audience.
    pub(crate) fn new(key: &SigningKey, config: &Config) -> TokenIssuer {
        TokenIssuer {
            key: EncodingKey::from_secret(key.bytes()),
            issuer: config.issuer(),
            audience: config.audience.clone(),
            ttl: config.token_ttl,
        }
    }

    /// The `iss` of the tokens issued: the service's public URL.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Lifetime of the tokens issued, in seconds.
    pub(crate) fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// A token for user `user_id` holding `roles`, granted `scopes`, with
    /// a fresh `jti`, issued at `issued_at` (seconds since the epoch): no
    /// later than `roles` were read, so that a revocation of the user
    /// after that reading refuses it (see `token.rs`).
    pub(crate) fn issue(
        &self,
        user_id: i64,
        roles: &[Role],
        scopes: ScopeSet,
        issued_at: i64,
    ) -> Result<IssuedToken, IssueError> {
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| IssueError::Random)?;
        let ttl = self.ttl.as_secs();
        let exp = issued_at.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
        let scope = schema().scope_names(scopes).collect::<Vec<_>>().join(" ");
        let claims = Claims {
            sub: user_id.to_string(),
            roles: roles.iter().map(|role| role.name()).collect(),
            scope: scope.clone(),
            iat: issued_at,
            exp,
            iss: &self.issuer,
            aud: &self.audience,
            jti: hex(&jti),
        };
        let access_token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(|error| IssueError::Sign(error.to_string()))?;
        // The roles were read a moment ago: the token lives a little less.
        let expires_in = exp.saturating_sub(db::unix_now()).max(0).unsigned_abs().min(ttl);
        Ok(IssuedToken { access_token, token_type: "bearer", expires_in, scope })
    }
}

/// Signing a token failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IssueError {
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// `jsonwebtoken` could not sign.
    #[error("signing the token failed: {0}")]
    Sign(String),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
