//! How the service verifies access tokens: the `AuthenticatorBuilder` it
//! builds from the [`Config`]. Public so that tests verify with
//! production's settings and keys of their own (`rbac-axum-test` swaps
//! the keys; see `tests/with_test_toolkit.rs`).

use rbac_axum::jsonwebtoken::AlgorithmFamily;
use rbac_axum::{Authenticator, AuthenticatorBuilder, ResourceMetadata};

use crate::Role;
use crate::config::{Config, TrustedKeys};
use crate::revocation::{self, Revocations};
use crate::start_error::StartError;

/// The protection space named in `WWW-Authenticate` challenges, and the
/// API's name in its protected resource metadata.
pub(crate) const REALM: &str = "rbac-example";

/// The authenticator's configuration for `config`, before `build()`:
/// accepted tokens carry `config`'s `iss` ([`Config::issuer`]) and `aud`
/// and a `sub`, challenges name the realm `rbac-example`, and the
/// protected resource metadata (RFC 9728) identifies the API by the
/// service's [public URL](Config::public_url), with the issuer as its
/// authorization server, and tokens are checked against `revocations`
/// (which requires their `jti` and `iat`, and bounds their lifetime: see
/// [`Revocations::new`]). The state must hold the same `revocations`
/// ([`AppState::open_with`](crate::AppState::open_with)), or what its
/// routes revoke is never refused.
///
/// In resource-server mode it is complete: the trusted issuer's claim
/// mapping and its keys (a public key file, read here, or a JWK Set that
/// the built authenticator fetches, with the private CA if one is
/// configured). When the service issues its own tokens, it lacks the key:
/// [`AppState::open`](crate::AppState::open) adds the signing key of the
/// data directory.
///
/// # Errors
/// [`StartError::Io`] when the public key or CA file cannot be read;
/// [`StartError::PublicUrl`] when the public URL cannot identify the API.
pub fn authenticator_builder(
    config: &Config,
    revocations: &Revocations,
) -> Result<AuthenticatorBuilder<Role>, StartError> {
    let url = config.public_url();
    let metadata = ResourceMetadata::new(url.as_str())
        .map_err(|source| StartError::PublicUrl { url, source })?
        .name(REALM);
    let builder = Authenticator::<Role>::builder()
        .issuer(config.issuer())
        .audience(config.audience.clone())
        .require_subject(true)
        .realm(REALM)
        .resource_metadata(metadata)
        .revocation(revocations.store())
        .leeway(revocation::leeway(config));
    let Some(trusted) = &config.trust else {
        return Ok(builder);
    };
    let read = |path: &std::path::PathBuf| {
        std::fs::read(path).map_err(|source| StartError::Io { path: path.clone(), source })
    };
    let mut builder = builder.claims(trusted.claims.mapping());
    if let Some(path) = &trusted.ca {
        builder = builder.provider_ca_pem(read(path)?);
    }
    Ok(match &trusted.keys {
        TrustedKeys::PublicKey { path, algorithm } => {
            let pem = read(path)?;
            match algorithm.family() {
                AlgorithmFamily::Rsa => builder.rsa_pem(*algorithm, pem),
                AlgorithmFamily::Ec => builder.ec_pem(*algorithm, pem),
                _ => builder.ed_pem(pem),
            }
        }
        // Fetched once built (inside the runtime, where the fetching task
        // is spawned) and refreshed in the background.
        TrustedKeys::JwksUrl(url) => builder.jwks_url(url.clone()),
        TrustedKeys::Discovery => builder.discovery(),
    })
}
