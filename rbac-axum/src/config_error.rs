//! What can be wrong with a configuration, found when an
//! [`Authenticator`](crate::Authenticator) is built.

use std::fmt;

use jsonwebtoken::Algorithm;

/// A configuration mistake found when building an [`Authenticator`](crate::Authenticator).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No key was configured: every token would be refused.
    #[error(
        "no verification key is configured; add one with `hmac`, `rsa_pem`, `ec_pem`, `ed_pem` or `key`"
    )]
    NoKeys,
    /// An HMAC secret is shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the {algorithm:?} secret is {len} bytes; it must be at least {min} bytes (RFC 7518 §3.2)"
    )]
    WeakSecret {
        /// The HMAC algorithm.
        algorithm: Algorithm,
        /// The secret's length.
        len: usize,
        /// The minimum length.
        min: usize,
    },
    /// HMAC secrets and public keys were both configured: a token could pick
    /// the family, which is how algorithm confusion attacks start.
    #[error("HMAC secrets and public keys cannot be configured together for one issuer")]
    MixedKeyFamilies,
    /// The key does not suit the algorithm, or could not be read.
    #[error("the key for {algorithm:?} is not usable: {reason}")]
    BadKey {
        /// The algorithm the key was given for.
        algorithm: Algorithm,
        /// What is wrong with it.
        reason: String,
    },
    /// A JWK Set could not be read or holds an unusable key.
    #[error("JWK Set: {0}")]
    JwkSet(String),
    /// Two keys share one `kid`.
    #[error("two keys have the kid `{0}`")]
    DuplicateKid(String),
    /// Static keys and a remote key source were both given for one issuer.
    #[error("issuer {0:?}: give either static keys or a JWKS URL / discovery, not both")]
    StaticAndRemoteKeys(Option<String>),
    /// Remote keys need a tokio runtime to fetch and refresh them in.
    #[error("fetching keys needs a tokio runtime: build the authenticator inside one")]
    NoRuntime,
    /// OIDC discovery was asked for without an issuer URL.
    #[error("OIDC discovery needs the issuer URL: use `oidc(issuer)` or set `issuer` first")]
    DiscoveryWithoutIssuer,
    /// A URL keys would be fetched from is not https (nor http on loopback).
    #[error("{0} is not fetched: only https URLs (or http on a loopback address) are allowed")]
    InsecureUrl(String),
    /// With several issuers each must name its `iss`, once.
    #[error("with several issuers each needs a distinct issuer string; {0}")]
    AmbiguousIssuers(String),
    /// The CA certificates given for an identity provider cannot be used.
    #[error("cannot use the identity provider's CA certificates: {0}")]
    ProviderCa(String),
    /// The HTTP client for remote keys could not be built.
    #[error("the HTTP client for fetching keys could not be built: {0}")]
    HttpClient(String),
    /// The system's random generator failed to give the verified-token
    /// cache its key.
    #[error("the verified-token cache could not draw its random key")]
    NoRandomness,
}

/// [`ConfigError::BadKey`] for `algorithm`, saying why.
pub(crate) fn bad_key(algorithm: Algorithm, reason: impl fmt::Display) -> ConfigError {
    ConfigError::BadKey { algorithm, reason: reason.to_string() }
}
