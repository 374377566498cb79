//! Keys fetched from an identity provider: a JWKS URL, or an issuer whose
//! OpenID Connect discovery document names the JWKS URL.
//!
//! * One fetch at a time ([`tokio::sync::Mutex`]): requests that miss a
//!   `kid` while a fetch is running wait for it and then look again, so a
//!   burst of tokens with a new `kid` costs one fetch, not one each.
//! * A miss triggers at most one fetch per `min_refetch` interval (10 s by
//!   default), so a stream of forged `kid`s cannot hammer the provider.
//! * A background task refreshes the set every `Cache-Control: max-age`
//!   (clamped to bounds) or every `refresh` interval, and retries sooner after
//!   a failure. It holds only a weak reference and ends with the last
//!   authenticator clone.
//! * A failed fetch (unreachable, timeout, non-2xx, not a JWK Set) keeps the
//!   keys already known and is logged with its cause, at most once per
//!   `log_every`.
//! * Only `https` URLs are fetched, except on loopback addresses (tests,
//!   sidecars).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use http::header::CACHE_CONTROL;
use serde::Deserialize;

use crate::jwks::{JwkKey, keys_from_jwk_set};

/// Largest discovery document or key set read from a provider.
const MAX_BODY: usize = 1024 * 1024;

/// Where remote keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A JWK Set document at this URL.
    JwksUrl(String),
    /// The `jwks_uri` of this issuer's OpenID Connect discovery document
    /// (`{issuer}/.well-known/openid-configuration`), whose `issuer` must
    /// equal this one.
    Discovery(String),
}

/// Timings of remote key fetching; the defaults suit hosted identity
/// providers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteSettings {
    /// Least time between two fetches caused by unknown `kid`s (10 s).
    pub min_refetch: Duration,
    /// A fetch that takes longer fails (5 s).
    pub timeout: Duration,
    /// Background refresh interval when the response has no `max-age` (5 min).
    pub refresh: Duration,
    /// Bounds applied to a response's `max-age` (1 min to 24 h).
    pub max_age_bounds: (Duration, Duration),
    /// Retry interval after a failed background fetch (30 s).
    pub retry: Duration,
    /// Least time between two failure logs at `warn` level (60 s).
    pub log_every: Duration,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        Self {
            min_refetch: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            refresh: Duration::from_secs(300),
            max_age_bounds: (Duration::from_secs(60), Duration::from_secs(24 * 3600)),
            retry: Duration::from_secs(30),
            log_every: Duration::from_secs(60),
        }
    }
}

/// Why a fetch failed; logged, never shown to clients.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("{url} is not fetched: only https URLs (or http on a loopback address) are allowed")]
    InsecureUrl { url: String },
    #[error("request to {url} failed: {source}")]
    Request { url: String, source: reqwest::Error },
    #[error("{url} answered {status}")]
    Status { url: String, status: http::StatusCode },
    #[error("{url} did not answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("discovery document of {issuer} is not usable: {reason}")]
    Discovery { issuer: String, reason: String },
    #[error("{url}: {reason}")]
    JwkSet { url: String, reason: String },
    #[error("{url} sent more than {MAX_BODY} bytes")]
    TooLarge { url: String },
}

/// A key set fetched from a provider, converted by the authenticator into
/// its own form `T` once per fetch.
pub(crate) struct RemoteKeys<T> {
    source: KeySource,
    settings: RemoteSettings,
    client: reqwest::Client,
    convert: Box<dyn Fn(Vec<JwkKey>) -> Result<T, String> + Send + Sync>,
    current: RwLock<Option<Arc<T>>>,
    generation: AtomicU64,
    fetches: AtomicU64,
    /// Held during every fetch; holds the time of the last fetch a `kid`
    /// miss caused.
    fetch_lock: tokio::sync::Mutex<Option<Instant>>,
    last_warning: Mutex<Option<Instant>>,
}

impl<T: Send + Sync + 'static> RemoteKeys<T> {
    pub(crate) fn new(
        source: KeySource,
        settings: RemoteSettings,
        extra_roots: Vec<reqwest::Certificate>,
        convert: impl Fn(Vec<JwkKey>) -> Result<T, String> + Send + Sync + 'static,
    ) -> Result<Arc<Self>, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // Fetches are minutes apart: a fresh connection each time also
            // notices a provider that went away.
            .pool_max_idle_per_host(0)
            // Besides the system's roots, never instead of them.
            .tls_certs_merge(extra_roots)
            .build()?;
        Ok(Arc::new(Self {
            source,
            settings,
            client,
            convert: Box::new(convert),
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            fetch_lock: tokio::sync::Mutex::new(None),
            last_warning: Mutex::new(None),
        }))
    }

    /// The keys known now (none before the first successful fetch).
    pub(crate) fn snapshot(&self) -> (u64, Option<Arc<T>>) {
        let generation = self.generation.load(Ordering::Acquire);
        let current = self.current.read().map_or(None, |guard| guard.clone());
        (generation, current)
    }

    /// How many fetches of the key set have been attempted.
    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// After a token's `kid` was not found in the set of `seen_generation`:
    /// fetch again unless another request already did, or the last fetch
    /// was less than `min_refetch` ago. Returns the set to look in again,
    /// if it changed.
    pub(crate) async fn refresh_after_miss(&self, seen_generation: u64) -> Option<Arc<T>> {
        let mut last_attempt = self.fetch_lock.lock().await;
        let (generation, current) = self.snapshot();
        if generation != seen_generation {
            return current;
        }
        if last_attempt.is_some_and(|at| at.elapsed() < self.settings.min_refetch) {
            return None;
        }
        *last_attempt = Some(Instant::now());
        match self.fetch_and_store().await {
            Ok(_) => self.snapshot().1,
            Err(error) => {
                self.warn(&error);
                None
            }
        }
    }

    /// Starts the background refresh (the first fetch happens at once).
    pub(crate) fn spawn_refresher(self: &Arc<Self>, runtime: &tokio::runtime::Handle) {
        let weak: Weak<Self> = Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                let Some(this) = weak.upgrade() else { return };
                let wait = {
                    // Serialised with miss-triggered fetches, but not counted
                    // against their interval: a key published just after a
                    // refresh is still fetched when a token names it.
                    let _one_at_a_time = this.fetch_lock.lock().await;
                    match this.fetch_and_store().await {
                        Ok(max_age) => max_age.map_or(this.settings.refresh, |age| {
                            let (low, high) = this.settings.max_age_bounds;
                            age.clamp(low, high)
                        }),
                        Err(error) => {
                            this.warn(&error);
                            this.settings.retry
                        }
                    }
                };
                drop(this);
                tokio::time::sleep(wait).await;
            }
        });
    }

    async fn fetch_and_store(&self) -> Result<Option<Duration>, FetchError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let (keys, max_age, url) = self.fetch().await?;
        let count = keys.len();
        let converted =
            Arc::new((self.convert)(keys).map_err(|reason| FetchError::JwkSet { url, reason })?);
        if let Ok(mut guard) = self.current.write() {
            *guard = Some(converted);
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        tracing::debug!(source = ?self.source, keys = count, "key set refreshed");
        Ok(max_age)
    }

    async fn fetch(&self) -> Result<(Vec<JwkKey>, Option<Duration>, String), FetchError> {
        let jwks_url = match &self.source {
            KeySource::JwksUrl(url) => url.clone(),
            KeySource::Discovery(issuer) => self.discover(issuer).await?,
        };
        let (body, max_age) = self.get(&jwks_url).await?;
        let text = String::from_utf8(body).map_err(|_| FetchError::JwkSet {
            url: jwks_url.clone(),
            reason: "the body is not UTF-8".into(),
        })?;
        let keys = keys_from_jwk_set(&text)
            .map_err(|e| FetchError::JwkSet { url: jwks_url.clone(), reason: e.to_string() })?;
        Ok((keys, max_age, jwks_url))
    }

    async fn discover(&self, issuer: &str) -> Result<String, FetchError> {
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let (body, _) = self.get(&url).await?;
        let document: Discovery = serde_json::from_slice(&body).map_err(|e| {
            FetchError::Discovery { issuer: issuer.to_owned(), reason: e.to_string() }
        })?;
        if document.issuer != issuer {
            return Err(FetchError::Discovery {
                issuer: issuer.to_owned(),
                reason: format!("it names the issuer `{}`", document.issuer),
            });
        }
        Ok(document.jwks_uri)
    }

    async fn get(&self, url: &str) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
        if !is_allowed_url(url) {
            return Err(FetchError::InsecureUrl { url: url.to_owned() });
        }
        let timeout = self.settings.timeout;
        let request = async {
            let response = self
                .client
                .get(url)
                .header(http::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|source| FetchError::Request { url: url.to_owned(), source })?;
            let status = response.status();
            if !status.is_success() {
                return Err(FetchError::Status { url: url.to_owned(), status });
            }
            let max_age = response
                .headers()
                .get(CACHE_CONTROL)
                .and_then(|value| value.to_str().ok())
                .and_then(max_age);
            // A key set is a few KiB: read at most MAX_BODY, whatever the
            // provider (or something posing as it) sends.
            let mut body = Vec::new();
            let mut response = response;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|source| FetchError::Request { url: url.to_owned(), source })?
            {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(FetchError::TooLarge { url: url.to_owned() });
                }
                body.extend_from_slice(&chunk);
            }
            Ok((body, max_age))
        };
        match tokio::time::timeout(timeout, request).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout { url: url.to_owned(), timeout }),
        }
    }

    fn warn(&self, error: &FetchError) {
        let loud = match self.last_warning.lock() {
            Ok(mut last) => {
                let due = last.is_none_or(|at| at.elapsed() >= self.settings.log_every);
                if due {
                    *last = Some(Instant::now());
                }
                due
            }
            Err(_) => true,
        };
        let consequence = if self.snapshot().1.is_some() {
            "keeping the keys already known"
        } else {
            "no keys yet: requests are refused until a fetch succeeds"
        };
        if loud {
            tracing::warn!(source = ?self.source, %error, "fetching keys failed; {consequence}");
        } else {
            tracing::debug!(source = ?self.source, %error, "fetching keys failed");
        }
    }
}

/// `https://…`, or `http://` to a loopback host.
pub(crate) fn is_allowed_url(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else { return false };
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// The `max-age` directive of a `Cache-Control` value.
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|directive| {
        let (name, seconds) = directive.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("max-age") {
            seconds.trim().trim_matches('"').parse().ok().map(Duration::from_secs)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("public, max-age=600"), Some(Duration::from_secs(600)));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }

    #[test]
    fn only_https_or_loopback_http_is_fetched() {
        assert!(is_allowed_url("https://idp.example/keys"));
        assert!(is_allowed_url("http://127.0.0.1:8080/keys"));
        assert!(is_allowed_url("http://localhost/keys"));
        assert!(is_allowed_url("http://[::1]/keys"));
        assert!(!is_allowed_url("http://idp.example/keys"));
        assert!(!is_allowed_url("file:///etc/passwd"));
        assert!(!is_allowed_url("../../dev/null"));
    }
}
