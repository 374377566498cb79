//! [`TestAuth`]: production's authenticator configuration with test keys,
//! and the tokens it accepts.

use std::sync::Arc;

use rbac_axum::{Authenticator, AuthenticatorBuilder, ConfigError, RoleModel};

use crate::issuer::TestIssuer;
use crate::key::{KeyRing, SigningKey};
use crate::provider::LocalProvider;
use crate::token::TestToken;

/// An authenticator configured as production's, but for its keys, and the
/// tokens it accepts (or refuses, on purpose).
///
/// Give it the builder production uses, before `build()`: every issuer
/// keeps its `iss`, audiences, leeway, claim mapping and required claims;
/// only its keys are replaced, through [`Issuer::without_keys`], so a test
/// cannot pass with settings production would refuse.
///
/// ```
/// use rbac_axum::Authenticator;
/// use rbac_axum_test::{TestAuth, scope};
///
/// rbac_axum::roles! {
///     editor: viewer => ["posts:write"],
///     viewer => ["posts:read"],
///     scopes: ["posts:read", "posts:write"],
/// }
///
/// // What the service builds in production (keys from its identity provider).
/// fn production() -> rbac_axum::AuthenticatorBuilder<Role> {
///     Authenticator::<Role>::builder()
///         .issuer("https://sso.example.com/realms/acme")
///         .audience("posts-api")
///         .jwks_url("https://sso.example.com/realms/acme/keys")
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let auth = TestAuth::new(production())?;
/// let token = auth.token().role(Role::Editor).scope(scope!("posts:write")).sign();
/// let principal = auth.authenticator().verify(&token)?;
/// assert!(principal.has_role(Role::Viewer));
///
/// let expired = auth.token().role(Role::Editor).expired().sign();
/// assert!(auth.authenticator().verify(&expired).is_err());
/// # Ok(()) }
/// ```
///
/// [`Issuer::without_keys`]: rbac_axum::Issuer::without_keys
pub struct TestAuth<R: RoleModel> {
    authenticator: Authenticator<R>,
    issuers: Vec<TestIssuer>,
}

impl<R: RoleModel> std::fmt::Debug for TestAuth<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAuth").field("issuers", &self.issuers).finish_non_exhaustive()
    }
}

impl<R: RoleModel> TestAuth<R> {
    /// `production`'s configuration, each issuer trusting a generated ES256
    /// key of its own instead of its keys (so no network is involved, and
    /// a token signed for one issuer but naming another is refused, as in
    /// production).
    ///
    /// # Errors
    /// The configuration errors `production.build()` would give.
    pub fn new(production: AuthenticatorBuilder<R>) -> Result<Self, ConfigError> {
        // A key per issuer, as each identity provider has its own: a token
        // signed for one issuer but naming another fails its signature.
        let mut rings = Vec::new();
        let builder = production.map_issuers(|issuer| {
            let keys = Arc::new(KeyRing::new());
            let key = keys.current();
            rings.push(keys);
            issuer.without_keys().key(Some(key.kid()), SigningKey::ALGORITHM, key.decoding())
        });
        Self::built(builder, |index| Arc::clone(&rings[index]))
    }

    /// `production`'s configuration, each issuer fetching its keys from
    /// `provider` (over loopback http), as it would from its identity
    /// provider: key rotation, refetches and provider faults then go
    /// through the authenticator's real fetching. Each issuer keeps its
    /// `iss`; tokens are signed with the provider's current key.
    ///
    /// An issuer whose `iss` is [`provider.issuer()`](LocalProvider::issuer)
    /// (`.oidc(provider.issuer())`) finds the key set by OpenID Connect
    /// discovery, as production finds its provider's; any other reads the
    /// provider's JWK Set directly (its own provider's discovery document
    /// would name another issuer).
    ///
    /// Must run inside a tokio runtime, as `build()` with remote keys does.
    ///
    /// # Errors
    /// The configuration errors `production.build()` would give.
    pub fn with_provider(
        production: AuthenticatorBuilder<R>,
        provider: &LocalProvider,
    ) -> Result<Self, ConfigError> {
        let url = provider.jwks_url();
        let settings = provider.remote_settings();
        let builder = production.map_issuers(|issuer| {
            let discovered = issuer.settings().iss() == Some(provider.issuer());
            let issuer = issuer.without_keys().remote_settings(settings.clone());
            if discovered { issuer.discovery() } else { issuer.jwks_url(url.clone()) }
        });
        let keys = provider.key_ring();
        Self::built(builder, |_| Arc::clone(&keys))
    }

    /// The authenticator `builder` builds, and how to write tokens for each
    /// of its issuers (in order), signed with `keys(index)`.
    fn built(
        builder: AuthenticatorBuilder<R>,
        keys: impl Fn(usize) -> Arc<KeyRing>,
    ) -> Result<Self, ConfigError> {
        let issuers = builder
            .issuers()
            .enumerate()
            .map(|(index, settings)| TestIssuer {
                iss: settings.iss().map(str::to_owned),
                audience: settings.audiences().first().cloned(),
                leeway: settings.leeway().as_secs(),
                roles_at: settings.claims().roles_path().clone(),
                at_jwt_typ: settings.requires_at_jwt_typ(),
                keys: keys(index),
            })
            .collect();
        Ok(Self { authenticator: builder.build()?, issuers })
    }

    /// The authenticator, to put in the router's state as production does.
    pub fn authenticator(&self) -> Authenticator<R> {
        self.authenticator.clone()
    }

    /// A token from the first issuer (the primary one, if configured) that
    /// its checks accept: subject `test-user`, valid for five minutes, no
    /// role and no scope until added.
    pub fn token(&self) -> TestToken<'_, R> {
        let issuer = self.issuers.first().expect("an authenticator has at least one issuer");
        TestToken::new(issuer)
    }

    /// A token from the issuer whose `iss` is `iss`.
    ///
    /// # Panics
    /// If no issuer of the configuration has that `iss`.
    pub fn token_from(&self, iss: &str) -> TestToken<'_, R> {
        let issuer = self
            .issuers
            .iter()
            .find(|issuer| issuer.iss.as_deref() == Some(iss))
            .unwrap_or_else(|| panic!("no issuer `{iss}` in this configuration"));
        TestToken::new(issuer)
    }
}
