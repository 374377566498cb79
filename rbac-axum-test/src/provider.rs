//! [`LocalProvider`]: an OpenID provider on `127.0.0.1` for integration
//! tests: a discovery document and a JWK Set over loopback http (which
//! rbac-axum fetches from loopback only), key rotation, faults switched
//! from the test, and counts of what was fetched.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rbac_axum::RemoteSettings;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::key::KeyRing;

/// What the provider does instead of answering normally, switched with
/// [`LocalProvider::set_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Fault {
    /// Answers normally.
    #[default]
    None,
    /// Closes each new connection before reading it, as a provider that
    /// is down (the fetch fails at once). The authenticator's key fetches
    /// open a connection each.
    Down,
    /// Answers after this delay: a fetch fails when the delay is longer
    /// than its timeout (each request of a discovery counts apart).
    Slow(Duration),
    /// Answers `503 Service Unavailable`.
    ServerError,
    /// Answers `200` with a body that is not JSON.
    GarbageJson,
}

/// An OpenID provider on `127.0.0.1:<free port>`, started in-process:
///
/// * `GET /.well-known/openid-configuration`: `issuer` and `jwks_uri`;
/// * `GET /jwks.json`: the JWK Set of the published keys.
///
/// Tokens come from a [`TestAuth`](crate::TestAuth) made
/// [`with_provider`](crate::TestAuth::with_provider), signed with the
/// provider's current key. It stops accepting connections when dropped.
///
/// ```
/// use std::time::Duration;
///
/// use rbac_axum::Authenticator;
/// use rbac_axum_test::{Fault, LocalProvider, TestAuth};
///
/// rbac_axum::roles! { admin, viewer }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = LocalProvider::start().await;
/// let production = Authenticator::<Role>::builder().oidc("https://sso.example.com").audience("api");
/// let auth = TestAuth::with_provider(production, &provider)?;
/// let authenticator = auth.authenticator();
/// assert!(authenticator.wait_for_keys(Duration::from_secs(5)).await);
/// assert!(authenticator.verify(&auth.token().role(Role::Admin).sign()).is_ok());
///
/// // A new key, and the provider down: the new key cannot be fetched.
/// provider.rotate_keys();
/// provider.set_fault(Fault::Down);
/// let token = auth.token().role(Role::Admin).sign();
/// assert!(authenticator.verify_fresh(&token).await.is_err());
///
/// // Back up: an unknown `kid` is fetched again once `min_refetch` (1 s)
/// // has passed since the failed attempt.
/// provider.set_fault(Fault::None);
/// let mut attempts = 0;
/// while authenticator.verify_fresh(&token).await.is_err() {
///     attempts += 1;
///     assert!(attempts < 50, "the new key is fetched within 5 s");
///     tokio::time::sleep(Duration::from_millis(100)).await;
/// }
/// assert_eq!(provider.fetches(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LocalProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    keys: Arc<KeyRing>,
    fault: Mutex<Fault>,
    issuer: String,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    /// The JWK Set's `Cache-Control: max-age`, if any.
    max_age: Mutex<Option<Duration>>,
}

impl Shared {
    fn fault(&self) -> Fault {
        *self.fault.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LocalProvider {
    /// Starts the provider on a free loopback port, with one signing key.
    ///
    /// # Panics
    /// If no loopback port can be bound, or outside a tokio runtime.
    pub async fn start() -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").await.expect("bind a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let shared = Arc::new(Shared {
            keys: Arc::new(KeyRing::new()),
            fault: Mutex::new(Fault::None),
            issuer: format!("http://{addr}"),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            max_age: Mutex::new(None),
        });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwk_set))
            .with_state(Arc::clone(&shared));
        let listener = FaultyListener { inner: listener, shared: Arc::clone(&shared) };
        let task = tokio::spawn(async move {
            // Ends only when the task is aborted (on drop).
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:<port>`: the `issuer` of its discovery document,
    /// for an authenticator that trusts this provider itself
    /// (`.oidc(provider.issuer())`).
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// The JWK Set's URL.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fetch timings short enough for tests: a 1 s timeout, an unknown
    /// `kid` refetched after 1 s at most, a failed background fetch (the
    /// first one, at start-up) retried after 1 s, and no background
    /// refresh during a test once a fetch has succeeded.
    /// [`TestAuth::with_provider`](crate::TestAuth::with_provider) uses
    /// them.
    pub fn remote_settings(&self) -> RemoteSettings {
        let mut settings = RemoteSettings::default();
        settings.min_refetch = Duration::from_secs(1);
        settings.timeout = Duration::from_secs(1);
        settings.refresh = Duration::from_secs(3600);
        settings.retry = Duration::from_secs(1);
        settings.max_age_bounds = (Duration::from_secs(1), Duration::from_secs(3600));
        settings
    }

    /// Publishes a new signing key beside the old ones: tokens signed
    /// before still verify, new ones name the new `kid` (which an
    /// authenticator that fetched before does not know yet).
    pub fn rotate_keys(&self) {
        self.shared.keys.rotate(true);
    }

    /// Publishes a new signing key and retires the old ones: tokens they
    /// signed no longer verify once the authenticator fetches again.
    pub fn replace_keys(&self) {
        self.shared.keys.rotate(false);
    }

    /// The `Cache-Control: max-age` the JWK Set is served with from now on
    /// (none by default): an authenticator refreshes its keys in the
    /// background after it, within its `max_age_bounds` (at least 1 s with
    /// [`remote_settings`](Self::remote_settings)).
    pub fn set_max_age(&self, max_age: Option<Duration>) {
        *self.shared.max_age.lock().unwrap_or_else(PoisonError::into_inner) = max_age;
    }

    /// What the provider does from now on.
    pub fn set_fault(&self, fault: Fault) {
        *self.shared.fault.lock().unwrap_or_else(PoisonError::into_inner) = fault;
    }

    /// How many times the JWK Set was requested (refused connections of
    /// [`Fault::Down`] not counted).
    pub fn fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many times the discovery document was requested.
    pub fn discovery_fetches(&self) -> usize {
        self.shared.discovery_fetches.load(Ordering::SeqCst)
    }

    pub(crate) fn key_ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.shared.keys)
    }
}

impl Drop for LocalProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The provider's answer under the current fault, or `None` to answer
/// normally.
async fn faulty(shared: &Shared) -> Option<Response> {
    match shared.fault() {
        Fault::None | Fault::Down => None,
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        Fault::ServerError => Some(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        Fault::GarbageJson => {
            Some(([(header::CONTENT_TYPE, "application/json")], "{\"keys\": [").into_response())
        }
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    if let Some(response) = faulty(&shared).await {
        return response;
    }
    let jwks_uri = format!("{}/jwks.json", shared.issuer);
    Json(json!({
        "issuer": shared.issuer,
        "jwks_uri": jwks_uri,
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
    .into_response()
}

async fn jwk_set(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if let Some(response) = faulty(&shared).await {
        return response;
    }
    let keys: Vec<_> = shared.keys.published().iter().map(|key| key.jwk()).collect();
    let max_age = *shared.max_age.lock().unwrap_or_else(PoisonError::into_inner);
    let mut response = Json(json!({ "keys": keys })).into_response();
    if let Some(max_age) = max_age {
        let value = format!("max-age={}", max_age.as_secs());
        let value = header::HeaderValue::try_from(value).expect("digits are a valid header value");
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// The listener, closing each connection at once while the provider is
/// [`Fault::Down`].
struct FaultyListener {
    inner: TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for FaultyListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            if self.shared.fault() != Fault::Down {
                return (stream, addr);
            }
            drop(stream);
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}
