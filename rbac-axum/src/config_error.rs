//! What can be wrong with a configuration, found when an
//! [`Authenticator`](crate::Authenticator) is built.

use std::fmt;

use jsonwebtoken::Algorithm;

/// A configuration mistake found when building an [`Authenticator`](crate::Authenticator).
///
/// Its `Debug` is its message, so that `main() -> Result<(), Box<dyn Error>>`
/// prints a sentence rather than a struct.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
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
    #[error("{}give either static keys or a JWKS URL / discovery, not both", issuer_prefix(.0))]
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
    /// `issuer("")`: no token carries an empty `iss` worth trusting.
    #[error(
        "the issuer is empty; give the `iss` your identity provider writes, e.g. `https://sso.example.com/realms/acme`"
    )]
    EmptyIssuer,
    /// `audience("")`: an empty `aud` names no API.
    #[error("an audience is empty; give the `aud` your tokens are issued for, e.g. `orders-api`")]
    EmptyAudience,
    /// Settings were given on the builder (its own issuer's: `audience`,
    /// `leeway`, `claims`, `limit_scopes_to_roles`…) but that issuer has no
    /// `iss` and no keys, and the issuers come from `trust`: the settings
    /// would apply to nothing.
    #[error(
        "settings given on the builder (audience, leeway, claims, require_…, limit_scopes_to_roles…) \
         apply to its own issuer, which has no issuer and no keys; with issuers added by `trust`, \
         give those settings on each `Issuer`"
    )]
    SettingsWithoutIssuer,
    /// An issuer's leeway is longer than the revocation store remembers a
    /// revoked token after its `exp`: the token would be accepted again in
    /// between. Give the store that leeway
    /// ([`InMemoryRevocations::with_leeway`](crate::InMemoryRevocations::with_leeway)).
    #[error(
        "an issuer's leeway ({leeway} s) is longer than the revocation store remembers revoked \
         tokens after they expire ({kept} s); give the store at least that leeway"
    )]
    RevocationLeeway {
        /// The issuer's leeway, in seconds.
        leeway: u64,
        /// How long the store remembers past `exp`, in seconds.
        kept: u64,
    },
    /// Revocation is on and an issuer has no `iss` of its own: revocations
    /// are filed under a token's `iss`, so one that accepted any `iss`
    /// could let a token naming another miss its revocation.
    #[error(
        "revocation needs each issuer's `iss` (`issuer(\"https://…\")`): revocations are filed \
         under it, and an issuer accepting any `iss` could let a revoked token through under another"
    )]
    RevocationWithoutIssuer,
    /// A value of the protected resource metadata (RFC 9728) cannot be
    /// used: the resource identifier, the documentation URL, or a trusted
    /// issuer, which the metadata lists as an authorization server.
    #[error("resource metadata: the {field} `{value}` is not usable: {reason}")]
    ResourceMetadata {
        /// Which value: `resource identifier`, `documentation URL` or `issuer`.
        field: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `issuer `x`: ` when the issuer is named, else nothing.
fn issuer_prefix(issuer: &Option<String>) -> String {
    issuer.as_ref().map_or_else(String::new, |issuer| format!("issuer `{issuer}`: "))
}

/// [`ConfigError::BadKey`] for `algorithm`, saying why.
pub(crate) fn bad_key(algorithm: Algorithm, reason: impl fmt::Display) -> ConfigError {
    ConfigError::BadKey { algorithm, reason: reason.to_string() }
}

/// [`ConfigError::BadKey`] for a key `jsonwebtoken` could not read, in
/// words rather than its error kind's name (`InvalidKeyFormat`).
pub(crate) fn unreadable_key(
    algorithm: Algorithm,
    error: &jsonwebtoken::errors::Error,
) -> ConfigError {
    use jsonwebtoken::errors::ErrorKind;
    let reason = match error.kind() {
        ErrorKind::InvalidKeyFormat => {
            "it is not a PEM-encoded public key of this type (`-----BEGIN PUBLIC KEY-----`)"
                .to_owned()
        }
        ErrorKind::InvalidRsaKey(detail) => format!("it is not a usable RSA public key ({detail})"),
        ErrorKind::InvalidEcdsaKey => "it is not a usable EC public key".to_owned(),
        ErrorKind::InvalidEddsaKey => "it is not a usable Ed25519 public key".to_owned(),
        _ => error.to_string(),
    };
    bad_key(algorithm, reason)
}
