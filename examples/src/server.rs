//! Starting and stopping: [`Server::bind`] prepares everything that can
//! fail (data directory, database, keys, the listening socket) before a
//! single request is accepted; [`Server::run`] serves (`accept.rs`, with
//! connection limits and timeouts) until the shutdown future completes,
//! letting requests in flight finish.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{Config, Limits};
use crate::revocation::Revocations;
use crate::start_error::StartError;
use crate::state::AppState;
use crate::tls::{self, TlsSetup};
use crate::{accept, app, demo};

/// A service ready to accept connections.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    state: AppState,
    tls: Option<TlsSetup>,
    limits: Limits,
    demo_tokens: bool,
    /// With a trusted issuer whose keys are fetched: whether they had
    /// arrived when [`Server::bind`] stopped waiting.
    trusted_keys_ready: Option<bool>,
}

impl Server {
    /// Binds `config.addr` (port 0 picks a free port, which
    /// [`Server::local_addr`] tells), opens the state for the address
    /// bound (see [`AppState::open`]; the public URL derives from it
    /// unless `RBAC_EXAMPLE_PUBLIC_URL` is set), and loads or generates the
    /// TLS certificate when TLS is on. In resource-server mode with
    /// fetched keys it then waits, at most `RBAC_EXAMPLE_TRUST_WAIT_SECS`,
    /// for the issuer's first key set ([`Server::trusted_keys_ready`]).
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind { addr: config.addr, source })?;
        let mut config = config.clone();
        config.addr = listener.local_addr().map_err(StartError::Serve)?;
        let state = AppState::open(&config).await?;
        let (tls_config, data_dir, addr) =
            (config.tls.clone(), config.data_dir.clone(), config.addr);
        let tls = tokio::task::spawn_blocking(move || tls::load(&tls_config, &data_dir, addr))
            .await
            .map_err(|error| StartError::Task(error.to_string()))??;
        let trusted_keys_ready = wait_for_trusted_keys(&config, &state).await;
        wait_for_shared_revocations(&state).await;
        Ok(Server {
            listener,
            state,
            tls,
            limits: config.limits,
            demo_tokens: config.demo_tokens,
            trusted_keys_ready,
        })
    }

    /// With a trusted issuer whose keys are fetched (`RBAC_EXAMPLE_TRUST_ISSUER`
    /// or `_TRUST_JWKS_URL`): whether its keys had arrived when start-up
    /// stopped waiting for them. `None` otherwise.
    pub fn trusted_keys_ready(&self) -> Option<bool> {
        self.trusted_keys_ready
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
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{addr}"))
    }

    /// The SHA-256 fingerprint of the served certificate, when TLS is on.
    pub fn tls_fingerprint(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.fingerprint.as_str())
    }

    /// The router's state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What to print at start: the URL, how to get a token, and the demo
    /// tokens with `curl` lines unless `RBAC_EXAMPLE_DEMO_TOKENS` is off.
    pub async fn banner(&self) -> Result<String, StartError> {
        let base_url = self.base_url().map_err(StartError::Serve)?;
        let mut curl = "curl -s".to_owned();
        let mut text = String::new();
        if let Some(tls) = &self.tls {
            text.push_str(&format!(
                "\nTLS certificate {}\n  SHA-256 fingerprint {}\n",
                tls.cert_path.display(),
                tls.fingerprint
            ));
            if tls.self_signed {
                // Trust exactly this certificate, never `curl -k`.
                curl.push_str(&format!(" --cacert '{}'", tls.cert_path.display()));
            }
        }
        let (db, issuer) = (&self.state.db, self.state.issuer.as_deref());
        text.push_str(&demo::banner(db, issuer, &base_url, &curl, self.demo_tokens).await?);
        if self.trusted_keys_ready == Some(false) {
            text.push_str(
                "The trusted issuer's keys have not arrived yet: requests get 500 until they do.\n",
            );
        }
        Ok(text)
    }

    /// Serves until `shutdown` completes, then waits for requests in
    /// flight, at most 10 seconds, and with Redis for the revocations not
    /// yet published, at most [`PUBLISH_WAIT`].
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let acceptor = self.tls.map(|tls| tls.acceptor);
        let revocations = self.state.revocations.clone();
        let served =
            accept::serve(self.listener, acceptor, app(self.state), self.limits, shutdown).await;
        wait_for_publishing(&revocations).await;
        served
    }
}

/// In resource-server mode with fetched keys, waits up to
/// `RBAC_EXAMPLE_TRUST_WAIT_SECS` for the issuer's first key set and logs
/// whether it arrived. The service starts either way: until keys arrive,
/// `rbac_axum` refuses every request with 500, never lets one through, and
/// keeps fetching (in the background, and when a request needs them).
async fn wait_for_trusted_keys(config: &Config, state: &AppState) -> Option<bool> {
    let trust = config.trust.as_ref().filter(|trust| trust.keys.is_remote())?;
    let started = std::time::Instant::now();
    let ready = state.authenticator.wait_for_keys(trust.wait_for_keys).await;
    if ready {
        tracing::info!(
            issuer = trust.issuer,
            keys = %trust.keys,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "the trusted issuer's keys arrived: its tokens can be verified"
        );
    } else {
        tracing::warn!(
            issuer = trust.issuer,
            keys = %trust.keys,
            waited_secs = trust.wait_for_keys.as_secs(),
            "no keys from the trusted issuer yet; starting anyway: every request is refused with \
             500 until they arrive (rbac_axum keeps fetching and logs why a fetch fails)"
        );
    }
    Some(ready)
}

/// How long start-up waits for the shared revocations' first load.
const SHARED_REVOCATIONS_WAIT: Duration = Duration::from_secs(10);

/// With `RBAC_EXAMPLE_REDIS_URL`, waits up to [`SHARED_REVOCATIONS_WAIT`]
/// for the revocations' first load from Redis, and logs whether it came.
/// The service starts either way: until it has loaded, every request with
/// a token is refused with 503 (never accepted unchecked).
async fn wait_for_shared_revocations(state: &AppState) {
    match state.revocations.wait_until_loaded(SHARED_REVOCATIONS_WAIT).await {
        None => {}
        Some(true) => tracing::info!("revocations loaded from Redis, shared with other replicas"),
        Some(false) => tracing::warn!(
            waited_secs = SHARED_REVOCATIONS_WAIT.as_secs(),
            "Redis not reached yet; starting anyway: requests with a token get 503 until the \
             revocations are loaded"
        ),
    }
}

/// How long shutting down waits for revocations Redis does not hold yet.
const PUBLISH_WAIT: Duration = Duration::from_secs(5);

/// With `RBAC_EXAMPLE_REDIS_URL`, waits up to [`PUBLISH_WAIT`] until Redis
/// holds every revocation made here: what it does not by then, only this
/// process refused, and the store logs it as an error when dropped.
async fn wait_for_publishing(revocations: &Revocations) {
    if revocations.wait_until_published(PUBLISH_WAIT).await == Some(false) {
        tracing::error!(
            waited_secs = PUBLISH_WAIT.as_secs(),
            "stopping with revocations Redis does not hold: other replicas accept those tokens"
        );
    }
}

/// Starts the service for `config`, prints the banner, and serves until
/// Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let server = Server::bind(&config).await?;
    println!("{}", server.banner().await?);
    let addr = server.local_addr().map_err(StartError::Serve)?;
    let tls = server.tls_fingerprint().unwrap_or("off");
    tracing::info!(%addr, tls, data_dir = %config.data_dir.display(), "listening");
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
