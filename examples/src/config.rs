//! Configuration, read from environment variables only, each with a
//! documented default so that `cargo run` works with no setup. The same
//! table drives parsing and `--help`, so the two cannot drift apart.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rbac_axum::jsonwebtoken::Algorithm;

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
        ISSUER,
        "rbac-example",
        "`iss` of issued tokens, required in accepted ones (no default with a trusted issuer)",
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
        TRUST_PUBLIC_KEY,
        "",
        "PEM public key of an external token issuer: resource-server mode, no /token and no \
         /users management; requires RBAC_EXAMPLE_ISSUER and RBAC_EXAMPLE_AUDIENCE",
    ),
    (
        TRUST_ALGORITHM,
        "RS256",
        "its signing algorithm: RS256/384/512, PS256/384/512, ES256/384 or EdDSA",
    ),
    (TRUST_ROLES_CLAIM, "roles", "top-level claim holding the roles in its tokens"),
    ("RUST_LOG", "info", "log filter (tracing-subscriber EnvFilter syntax)"),
];

const ADDR: &str = "RBAC_EXAMPLE_ADDR";
const DATA_DIR: &str = "RBAC_EXAMPLE_DATA_DIR";
const TOKEN_TTL_SECS: &str = "RBAC_EXAMPLE_TOKEN_TTL_SECS";
const ISSUER: &str = "RBAC_EXAMPLE_ISSUER";
const AUDIENCE: &str = "RBAC_EXAMPLE_AUDIENCE";
const DEMO_TOKENS: &str = "RBAC_EXAMPLE_DEMO_TOKENS";
const TLS: &str = "RBAC_EXAMPLE_TLS";
const TLS_CERT: &str = "RBAC_EXAMPLE_TLS_CERT";
const TLS_KEY: &str = "RBAC_EXAMPLE_TLS_KEY";
const TRUST_PUBLIC_KEY: &str = "RBAC_EXAMPLE_TRUST_PUBLIC_KEY";
const TRUST_ALGORITHM: &str = "RBAC_EXAMPLE_TRUST_ALGORITHM";
const TRUST_ROLES_CLAIM: &str = "RBAC_EXAMPLE_TRUST_ROLES_CLAIM";

/// Longest token lifetime accepted: a day. Access tokens cannot be revoked
/// here, so they should live minutes, not days.
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
    /// `iss` of issued tokens, required in accepted ones (`RBAC_EXAMPLE_ISSUER`).
    pub issuer: String,
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

/// An external token issuer trusted in resource-server mode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedIssuer {
    /// Its PEM public key file.
    pub public_key: PathBuf,
    /// The algorithm its tokens are signed with.
    pub algorithm: Algorithm,
    /// The top-level claim its tokens carry roles in.
    pub roles_claim: String,
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

        let trust = match get(TRUST_PUBLIC_KEY) {
            key if key.is_empty() => None,
            key => {
                // An external issuer's name and audience are facts about
                // that issuer: a default here would be a silent mismatch.
                for name in [ISSUER, AUDIENCE] {
                    if lookup(name).is_none_or(|value| value.trim().is_empty()) {
                        return Err(ConfigError::new(
                            name,
                            "must be set when RBAC_EXAMPLE_TRUST_PUBLIC_KEY is",
                        ));
                    }
                }
                Some(TrustedIssuer {
                    public_key: key.into(),
                    algorithm: parse_algorithm(&get(TRUST_ALGORITHM))?,
                    roles_claim: get(TRUST_ROLES_CLAIM),
                })
            }
        };

        Ok(Config {
            addr,
            data_dir: PathBuf::from(get(DATA_DIR)),
            token_ttl,
            issuer: get(ISSUER),
            audience: get(AUDIENCE),
            demo_tokens,
            tls,
            trust,
        })
    }

    /// The `--help` text: usage and every variable with its default.
    pub fn help() -> String {
        let mut text = String::from(
            "rbac-example: an example service for rbac-axum (users, posts, OAuth 2.0 password grant)\n\
             \n\
             Usage: rbac-example [--help]\n\
             \n\
             Configured by environment variables (unset or empty means the default):\n",
        );
        let width = VARS.iter().map(|(name, _, _)| name.len()).max().unwrap_or(0);
        for (name, default, what) in VARS {
            let _ = writeln!(text, "  {name:<width$}  {what}");
            if !default.is_empty() {
                let _ = writeln!(text, "  {:<width$}  [default: {default}]", "");
            }
        }
        text.push_str(
            "\nDemo users, created on first start (local demo credentials, not secrets):\n",
        );
        for user in crate::demo::USERS {
            let _ = writeln!(
                text,
                "  {:<8} password {:<12} role {}",
                user.username, user.password, user.role
            );
        }
        text
    }
}

fn default_of(name: &str) -> &'static str {
    VARS.iter().find(|(key, _, _)| *key == name).map_or("", |(_, default, _)| default)
}

/// The asymmetric algorithms an external issuer may sign with; HMAC would
/// need a secret shared with it, which a public key file is not.
fn parse_algorithm(value: &str) -> Result<Algorithm, ConfigError> {
    Ok(match value {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => {
            return Err(ConfigError::new(
                TRUST_ALGORITHM,
                "expected RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA",
            ));
        }
    })
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
        assert_eq!(config.issuer, "rbac-example");
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
        let trust = trusted.trust.expect("resource-server mode");
        assert_eq!(trust.algorithm, Algorithm::ES256);
        assert_eq!(trust.roles_claim, "roles");
        assert_eq!(trusted.issuer, "https://id.example");
        let hmac = config(&[key, iss, aud, (TRUST_ALGORITHM, "HS256")]);
        assert_eq!(hmac.expect_err("no shared secrets").name, TRUST_ALGORITHM);
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
            assert!(help.contains(name), "{name}");
            if !default.is_empty() {
                assert!(help.contains(&format!("[default: {default}]")), "{name}");
            }
        }
    }
}
