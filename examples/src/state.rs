//! What every handler can reach, and how it is put together from the
//! [`Config`] on start: data directory, database, demo users, signing key,
//! and the `Authenticator` that `#[requires]` takes from the state.

use std::sync::Arc;

use axum::extract::FromRef;
use rbac_axum::Authenticator;
use rbac_axum::jsonwebtoken::Algorithm;

use crate::config::Config;
use crate::db::{self, Db};
use crate::password::Passwords;
use crate::server::StartError;
use crate::token::TokenIssuer;
use crate::{Role, demo, private_file, signing_key};

/// The protection space named in `WWW-Authenticate` challenges.
pub(crate) const REALM: &str = "rbac-example";

/// The router's state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) authenticator: Authenticator,
    pub(crate) db: Db,
    pub(crate) passwords: Passwords,
    /// Present when this service issues tokens (the password grant).
    pub(crate) issuer: Option<Arc<TokenIssuer>>,
}

// `#[requires]` and `Auth` find the authenticator through this.
impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Authenticator {
        state.authenticator.clone()
    }
}

impl AppState {
    /// Creates the data directory, opens and migrates the database, seeds
    /// the demo users on first start and loads (or generates) the signing
    /// key. The file work runs on the blocking pool.
    pub async fn open(config: &Config) -> Result<AppState, StartError> {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_blocking(&config))
            .await
            .map_err(|error| StartError::Task(error.to_string()))?
    }

    /// Whether this service issues tokens and keeps users.
    pub(crate) fn issues_tokens(&self) -> bool {
        self.issuer.is_some()
    }

    /// The realm of the authenticator's challenges.
    pub(crate) fn realm(&self) -> &str {
        self.authenticator.realm()
    }
}

fn open_blocking(config: &Config) -> Result<AppState, StartError> {
    let dir = &config.data_dir;
    if !dir.exists() {
        let io_error = |source| StartError::Io { path: dir.clone(), source };
        private_file::create_dir(dir).map_err(io_error)?;
        // Keys and the database never belong in version control, even
        // when `cargo run` puts them inside a checkout.
        std::fs::write(dir.join(".gitignore"), "# Created by rbac-example.\n*\n")
            .map_err(io_error)?;
    }
    let db = Db::open(&dir.join(db::FILE_NAME))?;
    let passwords = Passwords::new()?;
    let key = signing_key::load_or_create(dir)?;
    demo::seed(&db)?;

    let authenticator = Authenticator::builder::<Role>()
        .hmac(Algorithm::HS256, key.bytes())
        .issuer(config.issuer.clone())
        .audience(config.audience.clone())
        .require_subject(true)
        .realm(REALM)
        .build()?;
    let issuer = TokenIssuer::new(&key, config);
    Ok(AppState { authenticator, db, passwords, issuer: Some(Arc::new(issuer)) })
}
