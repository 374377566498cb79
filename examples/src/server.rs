//! Starting and stopping: [`Server::bind`] prepares everything that can
//! fail (data directory, database, keys, the listening socket) before a
//! single request is accepted; [`Server::run`] serves until the shutdown
//! future completes, letting requests in flight finish.

use std::error::Error;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::db::DbError;
use crate::password::PasswordError;
use crate::signing_key::KeyError;
use crate::state::AppState;
use crate::token::IssueError;
use crate::{app, demo};

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
    /// Accepting connections failed.
    #[error("serving failed: {0}")]
    Serve(io::Error),
    /// Token verification is misconfigured.
    #[error("token verification: {0}")]
    Auth(#[from] rbac_axum::ConfigError),
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

/// A service ready to accept connections.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    state: AppState,
    demo_tokens: bool,
}

impl Server {
    /// Opens the state (see [`AppState::open`]) and binds `config.addr`;
    /// port 0 picks a free port, which [`Server::local_addr`] tells.
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        let state = AppState::open(config).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind { addr: config.addr, source })?;
        Ok(Server { listener, state, demo_tokens: config.demo_tokens })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The URL clients reach the service at; an unspecified address
    /// (`0.0.0.0`, `[::]`) is shown as the matching loopback address.
    pub fn base_url(&self) -> io::Result<String> {
        let mut addr = self.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        Ok(format!("http://{addr}"))
    }

    /// The router's state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What to print at start: the URL, how to get a token, and the demo
    /// tokens with `curl` lines unless `RBAC_EXAMPLE_DEMO_TOKENS` is off.
    pub async fn banner(&self) -> Result<String, StartError> {
        let base_url = self.base_url().map_err(StartError::Serve)?;
        demo::banner(&self.state, &base_url, "curl -s", self.demo_tokens).await
    }

    /// Serves until `shutdown` completes, then waits for requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        axum::serve(self.listener, app(self.state)).with_graceful_shutdown(shutdown).await
    }
}

/// Starts the service for `config`, prints the banner, and serves until
/// Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let server = Server::bind(&config).await?;
    println!("{}", server.banner().await?);
    let addr = server.local_addr().map_err(StartError::Serve)?;
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "listening");
    server.run(shutdown_signal()).await.map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM where there are signals.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
