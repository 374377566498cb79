//! What every handler can reach, and how it is put together from the
//! [`Config`] on start: data directory, database, demo users, signing key,
//! and the `Authenticator` that `#[requires]` takes from the state.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::HeaderValue;
use rbac_axum::Authenticator;
use rbac_axum::jsonwebtoken::Algorithm;

use crate::authenticator::authenticator_builder;
use crate::config::{Config, Tls};
use crate::db::{self, Db};
use crate::password::{HashingCapacity, Passwords};
use crate::revocation::Revocations;
use crate::start_error::StartError;
use crate::throttle::LoginThrottle;
use crate::token_issuer::TokenIssuer;
use crate::{Role, demo, private_file, signing_key};

/// The router's state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) authenticator: Authenticator<Role>,
    pub(crate) db: Db,
    pub(crate) passwords: Passwords,
    /// The revocations the authenticator checks every token against.
    pub(crate) revocations: Arc<Revocations>,
    /// Present when this service issues tokens (the password grant).
    pub(crate) issuer: Option<Arc<TokenIssuer>>,
    /// The `Strict-Transport-Security` value, when serving over TLS.
    pub(crate) hsts: Option<HeaderValue>,
    /// Time a request has to send its whole body.
    pub(crate) body_timeout: Duration,
    /// Failed logins, counted to slow password guessing.
    pub(crate) login_throttle: Arc<LoginThrottle>,
}

// `#[requires]` and `Auth` find the authenticator through this; `roles!`
// (`state = AppState`) checks it is here and names `Role` as the model.
impl FromRef<AppState> for Authenticator<Role> {
    fn from_ref(state: &AppState) -> Authenticator<Role> {
        state.authenticator.clone()
    }
}

impl AppState {
    /// Creates the data directory, opens and migrates the database, and
    /// either (issuing tokens) seeds the demo users on first start and
    /// loads or generates the signing key, or (resource-server mode) reads
    /// the trusted issuer's public key or starts fetching its keys. The
    /// file work runs on the blocking pool.
    pub async fn open(config: &Config) -> Result<AppState, StartError> {
        AppState::opened(config, None).await
    }

    /// Opens the state as [`open`](Self::open) does, but tokens are
    /// verified by `authenticator` instead of the one `config` describes:
    /// for tests, which build it from
    /// [`authenticator_builder`](crate::authenticator_builder) with keys
    /// they sign with (as `rbac_axum_test::TestAuth` does), given the
    /// same `revocations`. The rest is as `open` makes it; when the service
    /// issues tokens, it still signs them with the data directory's key,
    /// which `authenticator` trusts only if the test made it so.
    pub async fn open_with(
        config: &Config,
        authenticator: Authenticator<Role>,
        revocations: Revocations,
    ) -> Result<AppState, StartError> {
        AppState::opened(config, Some((authenticator, revocations))).await
    }

    async fn opened(
        config: &Config,
        authenticator: Option<(Authenticator<Role>, Revocations)>,
    ) -> Result<AppState, StartError> {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_blocking(&config, authenticator))
            .await
            .map_err(|error| StartError::Task(error.to_string()))?
    }

    /// Whether this service issues tokens and keeps users.
    pub(crate) fn issues_tokens(&self) -> bool {
        self.issuer.is_some()
    }
}

/// `authenticator`, when given with the revocations it checks, replaces
/// the one `config` describes.
fn open_blocking(
    config: &Config,
    authenticator: Option<(Authenticator<Role>, Revocations)>,
) -> Result<AppState, StartError> {
    let (authenticator, revocations) = match authenticator {
        Some((authenticator, revocations)) => (Some(authenticator), revocations),
        None => (None, Revocations::new(config)?),
    };
    let dir = &config.data_dir;
    if !dir.exists() {
        let io_error = |source| StartError::Io { path: dir.clone(), source };
        private_file::create_dir(dir).map_err(io_error)?;
        // Keys and the database never belong in version control, even
        // when `cargo run` puts them inside a checkout.
        std::fs::write(dir.join(".gitignore"), "# Created by rbac-example.\n*\n")
            .map_err(io_error)?;
    }
    warn_if_shared(dir);
    let db = Db::open(&dir.join(db::FILE_NAME))?;
    let passwords = Passwords::start(HashingCapacity {
        workers: config.limits.hash_workers,
        queue: config.limits.hash_queue,
    })?;

    let (authenticator, issuer) = match &config.trust {
        // Resource-server mode: verify the external issuer's tokens; no
        // signing key, no users, no demo.
        Some(trusted) => {
            let authenticator = match authenticator {
                Some(authenticator) => authenticator,
                None => {
                    // Built on the blocking pool, which runs in the
                    // runtime's context: remote keys start being fetched
                    // there.
                    let authenticator = authenticator_builder(config, &revocations)?.build()?;
                    tracing::info!(
                        issuer = trusted.issuer,
                        audience = config.audience,
                        keys = %trusted.keys,
                        claims = %trusted.claims,
                        "resource-server mode: trusting an external issuer"
                    );
                    authenticator
                }
            };
            (authenticator, None)
        }
        None => {
            let key = signing_key::load_or_create(dir)?;
            demo::seed(&db)?;
            let authenticator = match authenticator {
                Some(authenticator) => authenticator,
                None => authenticator_builder(config, &revocations)?
                    .hmac(Algorithm::HS256, key.bytes())
                    .build()?,
            };
            (authenticator, Some(Arc::new(TokenIssuer::new(&key, config))))
        }
    };

    let hsts = match config.tls {
        Tls::Off => None,
        Tls::Files { .. } => Some(HeaderValue::from_static("max-age=31536000")),
        // HSTS pins a host name, every port of it: a year on `localhost`
        // would force HTTPS on every other local development server.
        Tls::SelfSigned => Some(HeaderValue::from_static("max-age=3600")),
    };
    let revocations = Arc::new(revocations);
    let login_throttle = Arc::new(LoginThrottle::new());
    Ok(AppState {
        authenticator,
        db,
        passwords,
        revocations,
        issuer,
        hsts,
        body_timeout: config.limits.body_timeout,
        login_throttle,
    })
}

/// The database holds password hashes: say so when a data directory made
/// by someone else lets other users in.
fn warn_if_shared(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(dir)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %dir.display(),
                mode = format!("{:o}", metadata.permissions().mode() & 0o777),
                "the data directory is accessible to other users; consider `chmod 700`"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}
