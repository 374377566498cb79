//! Configuration, read from environment variables only, each with a
//! documented default so that `cargo run` works with no setup. The same
//! table drives parsing and `--help`, so the two cannot drift apart.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use axum::http::Uri;
use rbac_axum::ClaimMapping;
use rbac_axum::jsonwebtoken::{Algorithm, AlgorithmFamily};

/// Every variable the service reads: name, default (empty for none) and
/// what it sets.
const VARS: &[(&str, &str, &str)] = &[
    (ADDR, "127.0.0.1:3000", "address and port to listen on"),
    (
        DATA_DIR,
        "./rbac-example-data",
        "directory for the SQLite database and the token-signing key (created 0700)",
    ),
    (TOKEN_TTL_SECS, "900", "lifetime of issued access tokens, 1 to 86400 seconds"),
    (
        PUBLIC_URL,
        "",
        "the URL clients reach the service at, an origin without path (e.g. \
         https://posts.example.com; plain http only on a loopback address): the resource \
         identifier in its protected resource metadata (RFC 9728) and, when it issues tokens, \
         their `iss` and its issuer identifier (RFC 8414). Default: http://, or https:// with \
         TLS, followed by the address listened on (required when that is 0.0.0.0 or [::]). \
         Changing it changes the tokens' issuer: tokens issued before are refused",
    ),
    (
        ISSUER,
        "",
        "with RBAC_EXAMPLE_TRUST_JWKS_URL or RBAC_EXAMPLE_TRUST_PUBLIC_KEY, the trusted \
         issuer's `iss`, required in accepted tokens: an https URL (http on a loopback address); \
         with RBAC_EXAMPLE_TRUST_ISSUER, unset or equal to it. The tokens this service issues \
         name RBAC_EXAMPLE_PUBLIC_URL",
    ),
    (
        AUDIENCE,
        "rbac-example-api",
        "`aud` of issued tokens, required in accepted ones (no default with a trusted issuer)",
    ),
    (DEMO_TOKENS, "true", "print a ready token and curl line per demo user at start"),
    (
        TLS,
        "off",
        "`on` serves HTTPS: with a generated self-signed certificate kept in the data \
         directory, or with the two files below",
    ),
    (TLS_CERT, "", "PEM certificate chain to serve (turns TLS on; needs RBAC_EXAMPLE_TLS_KEY)"),
    (TLS_KEY, "", "PEM private key of that certificate"),
    (
        TRUST_ISSUER,
        "",
        "issuer URL of an external OpenID Connect provider: resource-server mode (no /token, \
         no /users management), keys found by discovery at <url>/.well-known/openid-configuration \
         (https, or http on a loopback address); requires RBAC_EXAMPLE_AUDIENCE. Set at most one \
         of RBAC_EXAMPLE_TRUST_ISSUER, RBAC_EXAMPLE_TRUST_JWKS_URL and \
         RBAC_EXAMPLE_TRUST_PUBLIC_KEY",
    ),
    (
        TRUST_JWKS_URL,
        "",
        "JWK Set URL of an external token issuer (https, or http on a loopback address): \
         resource-server mode, keys fetched and refreshed from it; requires RBAC_EXAMPLE_ISSUER \
         and RBAC_EXAMPLE_AUDIENCE",
    ),
    (
        TRUST_PUBLIC_KEY,
        "",
        "PEM public key file of an external token issuer: resource-server mode; requires \
         RBAC_EXAMPLE_ISSUER and RBAC_EXAMPLE_AUDIENCE",
    ),
    (
        TRUST_ALGORITHM,
        "RS256",
        "with RBAC_EXAMPLE_TRUST_PUBLIC_KEY, its signing algorithm: RS256/384/512, \
         PS256/384/512, ES256/384 or EdDSA (a JWK Set names each key's own)",
    ),
    (
        TRUST_PRESET,
        "default",
        "where the trusted issuer's tokens carry roles and scopes: default (`roles`; `scope`, \
         `scp`), keycloak:<client-id>, auth0:<roles-claim>, okta or entra-id",
    ),
    (TRUST_ROLES_CLAIM, "roles", "with the default preset, the top-level claim holding the roles"),
    (
        TRUST_WAIT_SECS,
        "10",
        "with RBAC_EXAMPLE_TRUST_ISSUER or RBAC_EXAMPLE_TRUST_JWKS_URL, how long start-up waits \
         for the first keys, 0 to 300 seconds; the service starts either way, answering 500 \
         until keys arrive",
    ),
    (
        TRUST_CA,
        "",
        "with RBAC_EXAMPLE_TRUST_ISSUER or RBAC_EXAMPLE_TRUST_JWKS_URL, a PEM file of CA \
         certificates to trust besides the system's when fetching keys: for a provider behind \
         a private CA",
    ),
    (
        REDIS_URL,
        "",
        "redis://host:port[/db] of a Redis shared by several replicas of this service: \
         revocations reach every replica. Default: none, revocations are held by this process \
         alone. Replicas share the data directory (or its signing key and database) and \
         RBAC_EXAMPLE_PUBLIC_URL",
    ),
    (
        REDIS_MAX_STALENESS_SECS,
        "10",
        "with RBAC_EXAMPLE_REDIS_URL, how long a replica out of touch with Redis keeps \
         answering from its copy of the revocations, 1 to 3600 seconds; then requests with a \
         token get 503 until it is back",
    ),
    (
        MAX_CONNECTIONS,
        "1024",
        "connections served at once; more wait in the kernel's backlog until one closes (keep \
         it below the open-file limit)",
    ),
    (
        HEADER_TIMEOUT_SECS,
        "10",
        "seconds a connection has for its TLS handshake and for each request's headers, and \
         may sit idle between requests, before it is closed",
    ),
    (
        BODY_TIMEOUT_SECS,
        "10",
        "seconds a request has to send its whole body; a slower one is answered 408",
    ),
    (
        HASH_WORKERS,
        "",
        "threads hashing passwords, each holding 19 MiB of Argon2 memory once used. Default: \
         one per core, at most 8",
    ),
    (
        HASH_QUEUE,
        "256",
        "password checks waiting for a hashing thread; beyond them, logins get 503 with \
         Retry-After",
    ),
    (
        "RUST_LOG",
        DEFAULT_LOG_FILTER,
        "log filter (tracing-subscriber EnvFilter syntax); rbac_axum logs every refusal at info \
         and every allowed request at debug, with subject, handler and what was missing",
    ),
];

/// The log filter when `RUST_LOG` is unset or empty: the service's own
/// lines, and every access decision `rbac_axum` makes.
pub const DEFAULT_LOG_FILTER: &str = "info,rbac_axum=debug";

const ADDR: &str = "RBAC_EXAMPLE_ADDR";
const DATA_DIR: &str = "RBAC_EXAMPLE_DATA_DIR";
const TOKEN_TTL_SECS: &str = "RBAC_EXAMPLE_TOKEN_TTL_SECS";
const PUBLIC_URL: &str = "RBAC_EXAMPLE_PUBLIC_URL";
const ISSUER: &str = "RBAC_EXAMPLE_ISSUER";
const AUDIENCE: &str = "RBAC_EXAMPLE_AUDIENCE";
const DEMO_TOKENS: &str = "RBAC_EXAMPLE_DEMO_TOKENS";
const TLS: &str = "RBAC_EXAMPLE_TLS";
const TLS_CERT: &str = "RBAC_EXAMPLE_TLS_CERT";
const TLS_KEY: &str = "RBAC_EXAMPLE_TLS_KEY";
const TRUST_ISSUER: &str = "RBAC_EXAMPLE_TRUST_ISSUER";
const TRUST_JWKS_URL: &str = "RBAC_EXAMPLE_TRUST_JWKS_URL";
const TRUST_PUBLIC_KEY: &str = "RBAC_EXAMPLE_TRUST_PUBLIC_KEY";
const TRUST_ALGORITHM: &str = "RBAC_EXAMPLE_TRUST_ALGORITHM";
const TRUST_PRESET: &str = "RBAC_EXAMPLE_TRUST_PRESET";
const TRUST_ROLES_CLAIM: &str = "RBAC_EXAMPLE_TRUST_ROLES_CLAIM";
const TRUST_WAIT_SECS: &str = "RBAC_EXAMPLE_TRUST_WAIT_SECS";
const TRUST_CA: &str = "RBAC_EXAMPLE_TRUST_CA";
const REDIS_URL: &str = "RBAC_EXAMPLE_REDIS_URL";
const REDIS_MAX_STALENESS_SECS: &str = "RBAC_EXAMPLE_REDIS_MAX_STALENESS_SECS";
const MAX_CONNECTIONS: &str = "RBAC_EXAMPLE_MAX_CONNECTIONS";
const HEADER_TIMEOUT_SECS: &str = "RBAC_EXAMPLE_HEADER_TIMEOUT_SECS";
const BODY_TIMEOUT_SECS: &str = "RBAC_EXAMPLE_BODY_TIMEOUT_SECS";
const HASH_WORKERS: &str = "RBAC_EXAMPLE_HASH_WORKERS";
const HASH_QUEUE: &str = "RBAC_EXAMPLE_HASH_QUEUE";

/// The variables that say where a trusted issuer's keys come from; at most
/// one may be set, and setting one turns resource-server mode on.
const TRUST_SOURCES: [&str; 3] = [TRUST_ISSUER, TRUST_JWKS_URL, TRUST_PUBLIC_KEY];

/// Hashing threads at most by default: 8 × 19 MiB of Argon2 memory.
const DEFAULT_MAX_HASH_WORKERS: usize = 8;

/// Longest start-up wait for a trusted issuer's first keys.
const MAX_TRUST_WAIT_SECS: u64 = 300;

/// Longest token lifetime accepted: a day. Revoked tokens are refused only
/// until a restart (revocations live in memory), and a subject's cut-off is
/// kept as long as tokens live: they should live minutes, not days.
const MAX_TOKEN_TTL_SECS: u64 = 24 * 60 * 60;

/// The service's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Where to listen (`RBAC_EXAMPLE_ADDR`).
    pub addr: SocketAddr,
    /// Where the database and the signing key live (`RBAC_EXAMPLE_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Lifetime of issued access tokens (`RBAC_EXAMPLE_TOKEN_TTL_SECS`).
    pub token_ttl: Duration,
    /// The origin clients reach the service at (`RBAC_EXAMPLE_PUBLIC_URL`),
    /// without a trailing slash; `None` to derive it from the address
    /// listened on ([`Config::public_url`]).
    pub public_url: Option<String>,
    /// `aud` of issued tokens, required in accepted ones (`RBAC_EXAMPLE_AUDIENCE`).
    pub audience: String,
    /// Whether to print demo tokens and `curl` lines at start
    /// (`RBAC_EXAMPLE_DEMO_TOKENS`).
    pub demo_tokens: bool,
    /// Plain HTTP or HTTPS (`RBAC_EXAMPLE_TLS`, `_TLS_CERT`, `_TLS_KEY`).
    pub tls: Tls,
    /// An external issuer whose tokens are trusted instead of issuing any
    /// (`RBAC_EXAMPLE_TRUST_*`).
    pub trust: Option<TrustedIssuer>,
    /// What one client, or all of them together, may hold of the server.
    pub limits: Limits,
    /// A Redis shared with other replicas, for revocations
    /// (`RBAC_EXAMPLE_REDIS_*`).
    pub redis: Option<SharedRedis>,
}

/// A Redis the replicas of the service share their revocations through.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedRedis {
    /// `redis://…` (it may hold a password: never logged).
    pub url: String,
    /// How long a replica out of touch with it serves from its copy.
    pub max_staleness: Duration,
}

impl std::fmt::Debug for SharedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis")
            .field("max_staleness", &self.max_staleness)
            .finish_non_exhaustive()
    }
}

/// Bounds on connections and on password hashing: what keeps the service
/// answering, in bounded memory, under a flood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections served at once (`RBAC_EXAMPLE_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Time for the TLS handshake and for each request's headers, and the
    /// longest idle time between requests (`RBAC_EXAMPLE_HEADER_TIMEOUT_SECS`).
    pub header_timeout: Duration,
    /// Time for a request's whole body (`RBAC_EXAMPLE_BODY_TIMEOUT_SECS`).
    pub body_timeout: Duration,
    /// Threads hashing passwords (`RBAC_EXAMPLE_HASH_WORKERS`).
    pub hash_workers: usize,
    /// Password checks waiting for a thread (`RBAC_EXAMPLE_HASH_QUEUE`).
    pub hash_queue: usize,
}

/// How connections are served.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tls {
    /// Plain HTTP, the default: for a service behind a TLS-terminating
    /// proxy, or on a developer's machine.
    Off,
    /// HTTPS with a self-signed certificate generated on first start and
    /// kept in the data directory.
    SelfSigned,
    /// HTTPS with these PEM files.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The leaf's private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// An external token issuer trusted in resource-server mode; the `aud` its
/// tokens must name is [`Config::audience`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedIssuer {
    /// The `iss` its tokens carry: `RBAC_EXAMPLE_TRUST_ISSUER`, or
    /// `RBAC_EXAMPLE_ISSUER` with the other key sources.
    pub issuer: String,
    /// Where its keys come from.
    pub keys: TrustedKeys,
    /// Where its tokens carry roles and scopes.
    pub claims: ClaimsPreset,
    /// How long start-up waits for the first fetched keys (remote keys
    /// only).
    pub wait_for_keys: Duration,
    /// A PEM file of CA certificates trusted, besides the system's, when
    /// fetching the keys (remote keys only).
    pub ca: Option<PathBuf>,
}

/// Where a trusted issuer's keys come from: exactly one of
/// `RBAC_EXAMPLE_TRUST_ISSUER`, `_TRUST_JWKS_URL` and `_TRUST_PUBLIC_KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustedKeys {
    /// OpenID Connect discovery from the issuer URL ([`TrustedIssuer::issuer`]):
    /// the `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    Discovery,
    /// A JWK Set fetched from this URL.
    JwksUrl(String),
    /// A PEM public key file.
    PublicKey {
        /// The file.
        path: PathBuf,
        /// The algorithm tokens are signed with.
        algorithm: Algorithm,
    },
}

impl TrustedKeys {
    /// Whether the keys are fetched over the network (and may be late).
    pub fn is_remote(&self) -> bool {
        !matches!(self, TrustedKeys::PublicKey { .. })
    }
}

impl std::fmt::Display for TrustedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustedKeys::Discovery => f.write_str("OpenID Connect discovery"),
            TrustedKeys::JwksUrl(url) => write!(f, "JWK Set {url}"),
            TrustedKeys::PublicKey { path, algorithm } => {
                write!(f, "{algorithm:?} public key {}", path.display())
            }
        }
    }
}

/// Where a trusted issuer's tokens carry roles and scopes
/// (`RBAC_EXAMPLE_TRUST_PRESET`); each is one of `rbac_axum`'s
/// [`ClaimMapping`] presets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimsPreset {
    /// `default`: roles from a top-level claim (`RBAC_EXAMPLE_TRUST_ROLES_CLAIM`,
    /// `roles` by default), scopes from `scope` and `scp`.
    Default {
        /// The claim holding the roles.
        roles_claim: String,
    },
    /// `keycloak:<client-id>`: realm roles and this client's roles.
    Keycloak {
        /// The client whose roles count.
        client_id: String,
    },
    /// `auth0:<roles-claim>`: roles from the namespaced claim an Action
    /// adds, RBAC permissions as scopes.
    Auth0 {
        /// The namespaced claim, e.g. `https://example.com/roles`.
        roles_claim: String,
    },
    /// `okta`: groups as roles, `scp` as scopes.
    Okta,
    /// `entra-id`: app roles in `roles`, delegated scopes in `scp`.
    EntraId,
}

impl ClaimsPreset {
    /// The claim mapping the authenticator is built with.
    pub fn mapping(&self) -> ClaimMapping {
        match self {
            ClaimsPreset::Default { roles_claim } => {
                ClaimMapping::default().roles_at(roles_claim.as_str())
            }
            ClaimsPreset::Keycloak { client_id } => ClaimMapping::keycloak(client_id),
            ClaimsPreset::Auth0 { roles_claim } => ClaimMapping::auth0(roles_claim),
            ClaimsPreset::Okta => ClaimMapping::okta(),
            ClaimsPreset::EntraId => ClaimMapping::entra_id(),
        }
    }
}

impl std::fmt::Display for ClaimsPreset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimsPreset::Default { roles_claim } => {
                write!(f, "default (roles in `{roles_claim}`)")
            }
            ClaimsPreset::Keycloak { client_id } => write!(f, "keycloak:{client_id}"),
            ClaimsPreset::Auth0 { roles_claim } => write!(f, "auth0:{roles_claim}"),
            ClaimsPreset::Okta => f.write_str("okta"),
            ClaimsPreset::EntraId => f.write_str("entra-id"),
        }
    }
}

/// A variable that is set but unusable. The message names the variable and
/// says what it expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

impl ConfigError {
    fn new(name: &'static str, message: impl Into<String>) -> Self {
        Self { name, message: message.into() }
    }
}

impl Config {
    /// The URL clients reach the service at: `RBAC_EXAMPLE_PUBLIC_URL`, or
    /// else `http://` (`https://` with TLS) and [`addr`](Self::addr), the
    /// scheme's default port left out (an address listening on every
    /// interface needs `RBAC_EXAMPLE_PUBLIC_URL`). It identifies the API in
    /// its protected resource metadata, and is the issuer of the tokens the
    /// service issues.
    pub fn public_url(&self) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let (scheme, default_port) =
            if self.tls == Tls::Off { ("http", 80) } else { ("https", 443) };
        let addr = self.addr;
        if addr.port() == default_port {
            let host = match addr {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            };
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{addr}")
        }
    }

    /// The `iss` of accepted tokens: the trusted issuer's in
    /// resource-server mode, else this service's [public URL](Self::public_url),
    /// which its own tokens name.
    pub fn issuer(&self) -> String {
        match &self.trust {
            Some(trusted) => trusted.issuer.clone(),
            None => self.public_url(),
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut values = Vec::new();
        for &(name, _, _) in VARS {
            match std::env::var(name) {
                Ok(value) => values.push((name, value)),
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(ConfigError::new(name, "the value is not valid UTF-8"));
                }
            }
        }
        Config::from_lookup(|name| {
            values.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone())
        })
    }

    /// Reads settings through `lookup` (a variable's value, or `None` when
    /// unset); what tests use to configure a server without touching the
    /// process environment. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| -> String {
            match lookup(name) {
                Some(value) if !value.trim().is_empty() => value.trim().to_owned(),
                _ => default_of(name).to_owned(),
            }
        };

        let addr = get(ADDR).parse::<SocketAddr>().map_err(|_| {
            ConfigError::new(
                ADDR,
                "expected an address and port, e.g. 127.0.0.1:3000 or [::1]:3000",
            )
        })?;
        let token_ttl = match get(TOKEN_TTL_SECS).parse::<u64>() {
            Ok(secs @ 1..=MAX_TOKEN_TTL_SECS) => Duration::from_secs(secs),
            _ => {
                return Err(ConfigError::new(
                    TOKEN_TTL_SECS,
                    format!("expected a whole number of seconds from 1 to {MAX_TOKEN_TTL_SECS}"),
                ));
            }
        };
        let demo_tokens = parse_bool(DEMO_TOKENS, &get(DEMO_TOKENS))?;
        let tls = match (parse_bool(TLS, &get(TLS))?, get(TLS_CERT), get(TLS_KEY)) {
            (_, cert, key) if !cert.is_empty() && !key.is_empty() => {
                Tls::Files { cert: cert.into(), key: key.into() }
            }
            (_, cert, key) if !cert.is_empty() || !key.is_empty() => {
                let missing = if cert.is_empty() { TLS_CERT } else { TLS_KEY };
                return Err(ConfigError::new(
                    missing,
                    "RBAC_EXAMPLE_TLS_CERT and RBAC_EXAMPLE_TLS_KEY go together; set both",
                ));
            }
            (true, _, _) => Tls::SelfSigned,
            (false, _, _) => Tls::Off,
        };

        let is_set = |name: &str| lookup(name).is_some_and(|value| !value.trim().is_empty());
        let sources: Vec<&'static str> =
            TRUST_SOURCES.into_iter().filter(|name| is_set(name)).collect();
        let trust = match sources.as_slice() {
            [] => {
                if is_set(ISSUER) {
                    return Err(ConfigError::new(
                        ISSUER,
                        "applies to a trusted issuer only: the tokens this service issues name \
                         its public URL (RBAC_EXAMPLE_PUBLIC_URL) as their issuer",
                    ));
                }
                for name in
                    [TRUST_ALGORITHM, TRUST_PRESET, TRUST_ROLES_CLAIM, TRUST_WAIT_SECS, TRUST_CA]
                {
                    if is_set(name) {
                        return Err(ConfigError::new(
                            name,
                            "applies to a trusted issuer only; set RBAC_EXAMPLE_TRUST_ISSUER, \
                             RBAC_EXAMPLE_TRUST_JWKS_URL or RBAC_EXAMPLE_TRUST_PUBLIC_KEY",
                        ));
                    }
                }
                None
            }
            &[source] => Some(trusted_issuer(source, &get, &is_set)?),
            &[first, second, ..] => {
                return Err(ConfigError::new(
                    second,
                    format!(
                        "{first} is set too; set only one of RBAC_EXAMPLE_TRUST_ISSUER, \
                         RBAC_EXAMPLE_TRUST_JWKS_URL and RBAC_EXAMPLE_TRUST_PUBLIC_KEY \
                         (where the trusted issuer's keys come from)"
                    ),
                ));
            }
        };

        let public_url = match lookup(PUBLIC_URL) {
            Some(value) if !value.trim().is_empty() => Some(public_url(value.trim())?),
            _ => None,
        };
        if public_url.is_none() && addr.ip().is_unspecified() {
            // Every interface: no address to derive the URL clients use.
            return Err(ConfigError::new(
                PUBLIC_URL,
                format!(
                    "{ADDR} {addr} listens on every interface, so the URL clients reach the \
                     service at cannot be derived from it: set RBAC_EXAMPLE_PUBLIC_URL (it is \
                     the tokens' issuer and the API's identifier), e.g. https://posts.example.com"
                ),
            ));
        }

        Ok(Config {
            addr,
            data_dir: PathBuf::from(get(DATA_DIR)),
            token_ttl,
            public_url,
            audience: get(AUDIENCE),
            demo_tokens,
            tls,
            trust,
            limits: limits(&get)?,
            redis: shared_redis(&get, &is_set)?,
        })
    }

    /// The `--help` text: usage and every variable with its default.
    pub fn help() -> String {
        let mut text = String::from(
            "rbac-example: an example service for rbac-axum (users, posts, OAuth 2.0 password grant)\n\
             \n\
             Usage: rbac-example [--help | routes]\n\
             \n\
             `routes` prints every documented route, its requirement, and which demo role may\n\
             call it, then exits.\n\
             \n\
             Configured by environment variables (unset or empty means the default):\n",
        );
        let width = VARS.iter().map(|(name, _, _)| name.len()).max().unwrap_or(0);
        // Two spaces, the name column, two spaces, then the description.
        let text_width = HELP_WIDTH.saturating_sub(width + 4).max(40);
        for (name, default, what) in VARS {
            for (i, line) in wrap(what, text_width).into_iter().enumerate() {
                let name = if i == 0 { name } else { "" };
                let _ = writeln!(text, "  {name:<width$}  {line}");
            }
            if !default.is_empty() {
                let _ = writeln!(text, "  {:<width$}  [default: {default}]", "");
            }
        }
        text.push_str(
            "\nDemo users, created on first start (local demo credentials, not secrets):\n",
        );
        for user in crate::demo_users::USERS {
            let _ = writeln!(
                text,
                "  {:<8} password {:<12} role {}",
                user.username, user.password, user.role
            );
        }
        text
    }
}

/// Columns of `--help` at most: the variables' names, then their
/// descriptions, wrapped to what is left.
const HELP_WIDTH: usize = 100;

/// `text` in lines of at most `width` characters, broken at spaces (a
/// longer word stands alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// The connection and hashing limits; `get` reads a variable or its
/// default.
fn limits(get: &dyn Fn(&'static str) -> String) -> Result<Limits, ConfigError> {
    let number =
        |name: &'static str, range: std::ops::RangeInclusive<u64>, what: &str| match get(name)
            .parse::<u64>()
        {
            Ok(value) if range.contains(&value) => Ok(value),
            _ => Err(ConfigError::new(
                name,
                format!("expected {what} from {} to {}", range.start(), range.end()),
            )),
        };
    let seconds =
        |name| number(name, 1..=3600, "a whole number of seconds").map(Duration::from_secs);
    let count = |name, max| {
        number(name, 1..=max, "a whole number")
            .map(|value| usize::try_from(value).unwrap_or(usize::MAX))
    };
    let hash_workers = if get(HASH_WORKERS).is_empty() {
        std::thread::available_parallelism().map_or(1, usize::from).min(DEFAULT_MAX_HASH_WORKERS)
    } else {
        count(HASH_WORKERS, 256)?
    };
    Ok(Limits {
        max_connections: count(MAX_CONNECTIONS, 1 << 20)?,
        header_timeout: seconds(HEADER_TIMEOUT_SECS)?,
        body_timeout: seconds(BODY_TIMEOUT_SECS)?,
        hash_workers,
        hash_queue: count(HASH_QUEUE, 1 << 16)?,
    })
}

/// The shared Redis, when `RBAC_EXAMPLE_REDIS_URL` is set.
fn shared_redis(
    get: &dyn Fn(&'static str) -> String,
    is_set: &dyn Fn(&str) -> bool,
) -> Result<Option<SharedRedis>, ConfigError> {
    if !is_set(REDIS_URL) {
        if is_set(REDIS_MAX_STALENESS_SECS) {
            return Err(ConfigError::new(
                REDIS_MAX_STALENESS_SECS,
                "applies with RBAC_EXAMPLE_REDIS_URL only",
            ));
        }
        return Ok(None);
    }
    let url = get(REDIS_URL);
    if !url.starts_with("redis://") {
        return Err(ConfigError::new(
            REDIS_URL,
            "expected redis://host:port or redis://host:port/db (TLS is not supported)",
        ));
    }
    let max_staleness = match get(REDIS_MAX_STALENESS_SECS).parse::<u64>() {
        Ok(secs @ 1..=3600) => Duration::from_secs(secs),
        _ => {
            return Err(ConfigError::new(
                REDIS_MAX_STALENESS_SECS,
                "expected a whole number of seconds from 1 to 3600",
            ));
        }
    };
    Ok(Some(SharedRedis { url, max_staleness }))
}

fn default_of(name: &str) -> &'static str {
    VARS.iter().find(|(key, _, _)| *key == name).map_or("", |(_, default, _)| default)
}

/// The trusted issuer configured by `source` (one of [`TRUST_SOURCES`]).
/// `get` reads a variable or its default, `is_set` tells whether it was
/// given.
fn trusted_issuer(
    source: &'static str,
    get: &dyn Fn(&'static str) -> String,
    is_set: &dyn Fn(&str) -> bool,
) -> Result<TrustedIssuer, ConfigError> {
    let value = get(source);
    // An external issuer's name and audience are facts about that issuer:
    // a default here would be a silent mismatch.
    let mut required = vec![AUDIENCE];
    let issuer = if source == TRUST_ISSUER {
        fetchable_url(TRUST_ISSUER, &value)?;
        if is_set(ISSUER) && get(ISSUER) != value {
            return Err(ConfigError::new(
                ISSUER,
                "differs from RBAC_EXAMPLE_TRUST_ISSUER, which is the issuer (its discovery \
                 document must name it exactly); leave RBAC_EXAMPLE_ISSUER unset",
            ));
        }
        value.clone()
    } else {
        required.insert(0, ISSUER);
        get(ISSUER)
    };
    for name in required {
        if !is_set(name) {
            return Err(ConfigError::new(name, format!("must be set when {source} is")));
        }
    }
    // The protected resource metadata names the issuer as the
    // authorization server, which clients find by its URL.
    fetchable_url(ISSUER, &issuer)?;

    let keys = match source {
        TRUST_ISSUER => TrustedKeys::Discovery,
        TRUST_JWKS_URL => {
            fetchable_url(TRUST_JWKS_URL, &value)?;
            TrustedKeys::JwksUrl(value)
        }
        _ => TrustedKeys::PublicKey {
            path: value.into(),
            algorithm: parse_algorithm(&get(TRUST_ALGORITHM))?,
        },
    };
    if keys.is_remote() && is_set(TRUST_ALGORITHM) {
        return Err(ConfigError::new(
            TRUST_ALGORITHM,
            "applies to RBAC_EXAMPLE_TRUST_PUBLIC_KEY only; a JWK Set names each key's algorithm",
        ));
    }
    for name in [TRUST_WAIT_SECS, TRUST_CA] {
        if !keys.is_remote() && is_set(name) {
            return Err(ConfigError::new(
                name,
                "applies to RBAC_EXAMPLE_TRUST_ISSUER and RBAC_EXAMPLE_TRUST_JWKS_URL only; a \
                 public key file is read before the service starts",
            ));
        }
    }
    let ca = is_set(TRUST_CA).then(|| PathBuf::from(get(TRUST_CA)));
    let wait_for_keys = match get(TRUST_WAIT_SECS).parse::<u64>() {
        Ok(secs @ 0..=MAX_TRUST_WAIT_SECS) => Duration::from_secs(secs),
        _ => {
            return Err(ConfigError::new(
                TRUST_WAIT_SECS,
                format!("expected a whole number of seconds from 0 to {MAX_TRUST_WAIT_SECS}"),
            ));
        }
    };

    let claims = parse_preset(&get(TRUST_PRESET), get(TRUST_ROLES_CLAIM))?;
    if is_set(TRUST_ROLES_CLAIM) && !matches!(claims, ClaimsPreset::Default { .. }) {
        return Err(ConfigError::new(
            TRUST_ROLES_CLAIM,
            "applies to the default preset only; RBAC_EXAMPLE_TRUST_PRESET says where roles are",
        ));
    }
    Ok(TrustedIssuer { issuer, keys, claims, wait_for_keys, ca })
}

/// `RBAC_EXAMPLE_PUBLIC_URL` checked as `rbac_axum` checks a resource
/// identifier, and to be an origin: the routes are at its root. Trailing
/// slashes are dropped.
fn public_url(value: &str) -> Result<String, ConfigError> {
    let url = value.trim_end_matches('/');
    let metadata = rbac_axum::ResourceMetadata::new(url)
        .map_err(|error| ConfigError::new(PUBLIC_URL, error.to_string()))?;
    if metadata.path() != "/.well-known/oauth-protected-resource" {
        return Err(ConfigError::new(
            PUBLIC_URL,
            "expected an origin without a path, e.g. https://posts.example.com: the service's \
             routes are at its root",
        ));
    }
    Ok(url.to_owned())
}

/// Checks that `url` may be fetched from, or named as an issuer: https,
/// or plain http on a loopback address (`rbac_axum` refuses anything else
/// too; this names the variable).
fn fetchable_url(name: &'static str, url: &str) -> Result<(), ConfigError> {
    let uri = url.parse::<Uri>().ok();
    let host = uri.as_ref().and_then(Uri::host).unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.as_ref().and_then(Uri::scheme_str) {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(ConfigError::new(
            name,
            "expected an https URL (plain http only on a loopback address such as 127.0.0.1), \
             e.g. https://sso.example.com/realms/acme",
        )),
    }
}

/// `default`, `keycloak:<client-id>`, `auth0:<roles-claim>`, `okta` or
/// `entra-id`; `roles_claim` is the default preset's roles claim.
fn parse_preset(value: &str, roles_claim: String) -> Result<ClaimsPreset, ConfigError> {
    let (name, argument) = match value.split_once(':') {
        Some((name, argument)) => (name, Some(argument.trim())),
        None => (value, None),
    };
    let missing = |example: &str| {
        ConfigError::new(TRUST_PRESET, format!("{name} needs its argument: {example}"))
    };
    Ok(match (name.to_ascii_lowercase().as_str(), argument) {
        ("default", None) => ClaimsPreset::Default { roles_claim },
        ("okta", None) => ClaimsPreset::Okta,
        ("entra-id", None) => ClaimsPreset::EntraId,
        ("keycloak", Some(client_id)) if !client_id.is_empty() => {
            ClaimsPreset::Keycloak { client_id: client_id.to_owned() }
        }
        ("keycloak", _) => return Err(missing("keycloak:<client-id>, e.g. keycloak:posts-api")),
        ("auth0", Some(claim)) if !claim.is_empty() => {
            ClaimsPreset::Auth0 { roles_claim: claim.to_owned() }
        }
        ("auth0", _) => {
            return Err(missing("auth0:<roles-claim>, e.g. auth0:https://example.com/roles"));
        }
        _ => {
            return Err(ConfigError::new(
                TRUST_PRESET,
                "expected default, keycloak:<client-id>, auth0:<roles-claim>, okta or entra-id",
            ));
        }
    })
}

/// The asymmetric algorithms an external issuer may sign with; HMAC would
/// need a secret shared with it, which a public key file is not.
fn parse_algorithm(value: &str) -> Result<Algorithm, ConfigError> {
    match value.parse::<Algorithm>() {
        Ok(algorithm) if algorithm.family() != AlgorithmFamily::Hmac => Ok(algorithm),
        _ => Err(ConfigError::new(
            TRUST_ALGORITHM,
            "expected RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA",
        )),
    }
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(name, "expected true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.addr, "127.0.0.1:3000".parse().expect("literal address"));
        assert_eq!(config.data_dir, PathBuf::from("./rbac-example-data"));
        assert_eq!(config.token_ttl, Duration::from_secs(900));
        assert_eq!(config.public_url, None);
        assert_eq!(config.public_url(), "http://127.0.0.1:3000");
        assert_eq!(config.issuer(), "http://127.0.0.1:3000");
        assert_eq!(config.audience, "rbac-example-api");
        assert!(config.demo_tokens);
        assert_eq!(config.tls, Tls::Off);
        assert_eq!(config.trust, None);
    }

    #[test]
    fn tls_is_off_self_signed_or_from_files() {
        assert_eq!(config(&[(TLS, "on")]).expect("valid").tls, Tls::SelfSigned);
        let files = config(&[(TLS_CERT, "c.pem"), (TLS_KEY, "k.pem")]).expect("valid");
        assert_eq!(files.tls, Tls::Files { cert: "c.pem".into(), key: "k.pem".into() });
        assert_eq!(config(&[(TLS_CERT, "c.pem")]).expect_err("no key").name, TLS_KEY);
        assert_eq!(config(&[(TLS_KEY, "k.pem")]).expect_err("no cert").name, TLS_CERT);
    }

    #[test]
    fn a_trusted_issuer_needs_its_issuer_and_audience_spelt_out() {
        let key = (TRUST_PUBLIC_KEY, "issuer.pem");
        let iss = (ISSUER, "https://id.example");
        let aud = (AUDIENCE, "posts-api");
        assert_eq!(config(&[key, aud]).expect_err("no issuer").name, ISSUER);
        assert_eq!(config(&[key, iss]).expect_err("no audience").name, AUDIENCE);
        let trusted = config(&[key, iss, aud, (TRUST_ALGORITHM, "ES256")]).expect("valid");
        assert_eq!(trusted.issuer(), "https://id.example");
        let trust = trusted.trust.expect("resource-server mode");
        assert_eq!(
            trust.keys,
            TrustedKeys::PublicKey { path: "issuer.pem".into(), algorithm: Algorithm::ES256 }
        );
        assert_eq!(trust.claims, ClaimsPreset::Default { roles_claim: "roles".into() });
        assert_eq!(trust.issuer, "https://id.example");
        let hmac = config(&[key, iss, aud, (TRUST_ALGORITHM, "HS256")]);
        assert_eq!(hmac.expect_err("no shared secrets").name, TRUST_ALGORITHM);

        let jwks = (TRUST_JWKS_URL, "https://id.example/keys.json");
        assert_eq!(config(&[jwks, aud]).expect_err("no issuer").name, ISSUER);
        assert_eq!(config(&[jwks, iss]).expect_err("no audience").name, AUDIENCE);
        let trusted = config(&[jwks, iss, aud]).expect("valid");
        let trust = trusted.trust.expect("resource-server mode");
        assert_eq!(trust.keys, TrustedKeys::JwksUrl("https://id.example/keys.json".into()));
        assert_eq!(trust.wait_for_keys, Duration::from_secs(10));
        assert_eq!(trust.issuer, "https://id.example");

        // Named as the authorization server in the resource metadata: a URL.
        for name in ["id-example", "http://id.example"] {
            let named = config(&[jwks, aud, (ISSUER, name)]);
            assert_eq!(named.expect_err(name).name, ISSUER);
        }
    }

    #[test]
    fn a_private_ca_applies_to_fetched_keys_only() {
        let ca = (TRUST_CA, "corp-ca.pem");
        let (iss, aud) = ((ISSUER, "https://id.example"), (AUDIENCE, "posts-api"));
        let jwks = (TRUST_JWKS_URL, "https://id.example/keys.json");
        let trust = config(&[jwks, iss, aud, ca]).expect("valid").trust.expect("trusted");
        assert_eq!(trust.ca, Some(PathBuf::from("corp-ca.pem")));
        let by_url = (TRUST_ISSUER, "https://id.example");
        let trust = config(&[by_url, aud, ca]).expect("valid").trust.expect("trusted");
        assert_eq!(trust.ca, Some(PathBuf::from("corp-ca.pem")));
        assert_eq!(config(&[jwks, iss, aud]).expect("valid").trust.expect("trusted").ca, None);
        let key = (TRUST_PUBLIC_KEY, "issuer.pem");
        assert_eq!(config(&[key, iss, aud, ca]).expect_err("a key file").name, TRUST_CA);
        assert_eq!(config(&[ca]).expect_err("no trusted issuer").name, TRUST_CA);
    }

    #[test]
    fn a_trusted_issuer_url_alone_names_the_issuer_and_finds_the_keys() {
        let url = "https://sso.example.com/realms/acme";
        let by_url = (TRUST_ISSUER, url);
        let aud = (AUDIENCE, "posts-api");
        assert_eq!(config(&[by_url]).expect_err("no audience").name, AUDIENCE);
        let trusted = config(&[by_url, aud]).expect("valid");
        assert_eq!(trusted.issuer(), url);
        assert_eq!(trusted.audience, "posts-api");
        assert_eq!(trusted.trust.expect("resource-server mode").keys, TrustedKeys::Discovery);
        assert_eq!(config(&[by_url, aud, (ISSUER, url)]).expect("the same").issuer(), url);
        let other = config(&[by_url, aud, (ISSUER, "https://other.example")]);
        assert_eq!(other.expect_err("two issuers").name, ISSUER);
    }

    #[test]
    fn exactly_one_key_source_is_allowed() {
        let (iss, aud) = ((ISSUER, "https://id.example"), (AUDIENCE, "posts-api"));
        let by_url = (TRUST_ISSUER, "https://id.example");
        let jwks = (TRUST_JWKS_URL, "https://id.example/keys.json");
        let key = (TRUST_PUBLIC_KEY, "issuer.pem");
        for (sources, named) in [
            (vec![by_url, jwks], TRUST_JWKS_URL),
            (vec![by_url, key], TRUST_PUBLIC_KEY),
            (vec![jwks, key], TRUST_PUBLIC_KEY),
            (vec![by_url, jwks, key], TRUST_JWKS_URL),
        ] {
            let mut vars = sources.clone();
            vars.extend([iss, aud]);
            let error = config(&vars).expect_err("two key sources");
            assert_eq!(error.name, named, "{sources:?}");
            assert!(error.message.contains("set only one of"), "{}", error.message);
        }
    }

    #[test]
    fn keys_are_fetched_over_https_or_from_loopback_only() {
        let (iss, aud) = ((ISSUER, "https://id.example"), (AUDIENCE, "posts-api"));
        for url in [
            "https://id.example/keys",
            "http://127.0.0.1:8080/keys",
            "http://localhost:8080/keys",
            "http://[::1]:8080/keys",
        ] {
            assert!(config(&[(TRUST_JWKS_URL, url), iss, aud]).is_ok(), "{url}");
            assert!(config(&[(TRUST_ISSUER, url), aud]).is_ok(), "{url}");
        }
        for url in ["http://id.example/keys", "http://10.0.0.1/keys", "ftp://id.example", "keys"] {
            let error = config(&[(TRUST_JWKS_URL, url), iss, aud]).expect_err(url);
            assert_eq!(error.name, TRUST_JWKS_URL, "{url}");
            let error = config(&[(TRUST_ISSUER, url), aud]).expect_err(url);
            assert_eq!(error.name, TRUST_ISSUER, "{url}");
        }
    }

    #[test]
    fn presets_map_to_rbac_axum_claim_mappings() {
        let base = [(TRUST_ISSUER, "https://id.example"), (AUDIENCE, "posts-api")];
        let preset = |value: &str| {
            let mut vars = base.to_vec();
            vars.push((TRUST_PRESET, value));
            config(&vars).map(|config| config.trust.expect("resource-server mode").claims)
        };
        for (value, expected, mapping) in [
            (
                "default",
                ClaimsPreset::Default { roles_claim: "roles".into() },
                ClaimMapping::default(),
            ),
            (
                "keycloak:posts-api",
                ClaimsPreset::Keycloak { client_id: "posts-api".into() },
                ClaimMapping::keycloak("posts-api"),
            ),
            (
                "auth0:https://example.com/roles",
                ClaimsPreset::Auth0 { roles_claim: "https://example.com/roles".into() },
                ClaimMapping::auth0("https://example.com/roles"),
            ),
            ("okta", ClaimsPreset::Okta, ClaimMapping::okta()),
            ("entra-id", ClaimsPreset::EntraId, ClaimMapping::entra_id()),
        ] {
            let claims = preset(value).expect(value);
            assert_eq!(claims, expected, "{value}");
            assert_eq!(format!("{:?}", claims.mapping()), format!("{mapping:?}"), "{value}");
        }
        for value in ["keycloak", "keycloak:", "auth0", "okta:x", "cognito", "entra_id"] {
            assert_eq!(preset(value).expect_err(value).name, TRUST_PRESET, "{value}");
        }

        let mut vars = base.to_vec();
        vars.push((TRUST_ROLES_CLAIM, "groups"));
        let custom = config(&vars).expect("valid").trust.expect("resource-server mode");
        assert_eq!(custom.claims, ClaimsPreset::Default { roles_claim: "groups".into() });
        let expected = ClaimMapping::default().roles_at("groups");
        assert_eq!(format!("{:?}", custom.claims.mapping()), format!("{expected:?}"));
        vars.push((TRUST_PRESET, "okta"));
        assert_eq!(config(&vars).expect_err("two role claims").name, TRUST_ROLES_CLAIM);
    }

    #[test]
    fn trust_settings_need_a_trusted_issuer_and_the_right_key_source() {
        for name in [TRUST_ALGORITHM, TRUST_PRESET, TRUST_ROLES_CLAIM, TRUST_WAIT_SECS] {
            let value = if name == TRUST_WAIT_SECS { "5" } else { "okta" };
            assert_eq!(config(&[(name, value)]).expect_err(name).name, name);
        }
        let (iss, aud) = ((ISSUER, "https://id.example"), (AUDIENCE, "posts-api"));
        let jwks = (TRUST_JWKS_URL, "https://id.example/keys.json");
        let key = (TRUST_PUBLIC_KEY, "issuer.pem");
        let algorithm = config(&[jwks, iss, aud, (TRUST_ALGORITHM, "ES256")]);
        assert_eq!(algorithm.expect_err("JWKs name theirs").name, TRUST_ALGORITHM);
        let wait = config(&[key, iss, aud, (TRUST_WAIT_SECS, "5")]);
        assert_eq!(wait.expect_err("nothing to wait for").name, TRUST_WAIT_SECS);
        for (value, secs) in [("0", Some(0)), ("300", Some(300)), ("301", None), ("5s", None)] {
            let result = config(&[jwks, iss, aud, (TRUST_WAIT_SECS, value)]);
            match secs {
                Some(secs) => assert_eq!(
                    result.expect(value).trust.expect("trusted").wait_for_keys,
                    Duration::from_secs(secs)
                ),
                None => assert_eq!(result.expect_err(value).name, TRUST_WAIT_SECS),
            }
        }
    }

    #[test]
    fn the_public_url_is_derived_from_the_address_unless_given() {
        for (vars, url) in [
            (vec![(ADDR, "127.0.0.1:8080")], "http://127.0.0.1:8080"),
            (vec![(ADDR, "[::1]:8080")], "http://[::1]:8080"),
            (vec![(ADDR, "192.0.2.7:443"), (TLS, "on")], "https://192.0.2.7"),
            (vec![(ADDR, "[2001:db8::7]:443"), (TLS, "on")], "https://[2001:db8::7]"),
            (
                vec![(ADDR, "0.0.0.0:8080"), (PUBLIC_URL, "https://posts.example.com//")],
                "https://posts.example.com",
            ),
            (vec![(PUBLIC_URL, "https://posts.example.com")], "https://posts.example.com"),
            (vec![(PUBLIC_URL, "https://posts.example.com/")], "https://posts.example.com"),
            (vec![(PUBLIC_URL, "http://localhost:3000")], "http://localhost:3000"),
        ] {
            let config = config(&vars).expect(url);
            assert_eq!(config.public_url(), url, "{vars:?}");
            assert_eq!(config.issuer(), url, "this service issues the tokens: {vars:?}");
            // What the API's metadata is built from: a valid identifier.
            let _ = rbac_axum::ResourceMetadata::new(config.public_url()).expect(url);
        }
        // Every interface: the URL must be given.
        for addr in ["0.0.0.0:8080", "[::]:8080"] {
            let error = config(&[(ADDR, addr)]).expect_err(addr);
            assert_eq!(error.name, PUBLIC_URL, "{addr}");
            assert!(error.message.contains("listens on every interface"), "{}", error.message);
        }
        for url in [
            "posts.example.com",
            "http://posts.example.com",
            "https://posts.example.com/api",
            "https://posts.example.com#top",
            "https://Posts.example.com",
        ] {
            assert_eq!(config(&[(PUBLIC_URL, url)]).expect_err(url).name, PUBLIC_URL, "{url}");
        }
        // Its own tokens name it: another issuer is for a trusted one only.
        let issuer = config(&[(ISSUER, "https://id.example")]);
        assert_eq!(issuer.expect_err("no trusted issuer").name, ISSUER);
    }

    #[test]
    fn empty_values_mean_the_default() {
        let config = config(&[(ADDR, ""), (TOKEN_TTL_SECS, "  ")]).expect("empty is unset");
        assert_eq!(config.addr.port(), 3000);
        assert_eq!(config.token_ttl, Duration::from_secs(900));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            (ADDR, "localhost"),
            (TOKEN_TTL_SECS, "0"),
            (TOKEN_TTL_SECS, "86401"),
            (TOKEN_TTL_SECS, "15m"),
            (DEMO_TOKENS, "maybe"),
            (TLS, "sometimes"),
        ] {
            let error = config(&[(name, value)]).expect_err(value);
            assert_eq!(error.name, name, "{value}");
        }
    }

    #[test]
    fn help_lists_every_variable_and_its_default() {
        let help = Config::help();
        for (name, default, _) in VARS {
            assert!(help.contains(&format!("\n  {name} ")), "{name} starts a line");
            if !default.is_empty() {
                assert!(help.contains(&format!("[default: {default}]")), "{name}");
            }
        }
        assert!(help.contains("[default: info,rbac_axum=debug]"), "decisions are logged");
        assert!(help.lines().all(|line| line.chars().count() <= 100), "{help}");
    }
}
