//! Why the service could not start: [`StartError`], with a variant for
//! each kind of failure and conversions from the errors of the modules that
//! start-up runs (database, passwords, keys, token signing).

use std::error::Error;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::db::DbError;
use crate::password::PasswordError;
use crate::signing_key::KeyError;
use crate::token_issuer::IssueError;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A file or directory could not be created or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// What failed.
        source: io::Error,
    },
    /// The database could not be opened, migrated or seeded.
    #[error("database: {0}")]
    Database(Box<dyn Error + Send + Sync>),
    /// A key could not be loaded or created, or a token not signed.
    #[error("keys: {0}")]
    Keys(Box<dyn Error + Send + Sync>),
    /// The TLS certificate or key is unusable.
    #[error("TLS: {}: {message}", path.display())]
    Tls {
        /// The certificate or key file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Accepting connections failed.
    #[error("serving failed: {0}")]
    Serve(io::Error),
    /// Token verification is misconfigured.
    #[error("token verification: {0}")]
    Auth(#[from] rbac_axum::ConfigError),
    /// The shared revocation store could not be set up.
    #[error(transparent)]
    SharedRevocations(#[from] crate::revocation::SharedStoreError),
    /// The URL the service is reached at cannot identify its API: one
    /// derived from a non-loopback address over plain http (or any other
    /// identifier `rbac_axum::ResourceMetadata` refuses).
    #[error(
        "the public URL {url} cannot identify the API ({source}); set RBAC_EXAMPLE_PUBLIC_URL \
         to the https URL clients reach the service at"
    )]
    PublicUrl {
        /// The URL.
        url: String,
        /// Why it cannot.
        source: rbac_axum::ConfigError,
    },
    /// A start-up task on the blocking pool did not complete.
    #[error("a start-up task failed: {0}")]
    Task(String),
}

impl From<DbError> for StartError {
    fn from(error: DbError) -> Self {
        StartError::Database(Box::new(error))
    }
}

impl From<rusqlite::Error> for StartError {
    fn from(error: rusqlite::Error) -> Self {
        StartError::Database(Box::new(error))
    }
}

impl From<PasswordError> for StartError {
    fn from(error: PasswordError) -> Self {
        StartError::Keys(Box::new(error))
    }
}

impl From<KeyError> for StartError {
    fn from(error: KeyError) -> Self {
        StartError::Keys(Box::new(error))
    }
}

impl From<IssueError> for StartError {
    fn from(error: IssueError) -> Self {
        StartError::Keys(Box::new(error))
    }
}
