//! Configuration, read from environment variables only, each with a
//! documented default so that `cargo run` works with no setup. The same
//! table drives parsing and `--help`, so the two cannot drift apart.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    (ISSUER, "rbac-example", "`iss` of issued tokens, required in accepted ones"),
    (AUDIENCE, "rbac-example-api", "`aud` of issued tokens, required in accepted ones"),
    (DEMO_TOKENS, "true", "print a ready token and curl line per demo user at start"),
    ("RUST_LOG", "info", "log filter (tracing-subscriber EnvFilter syntax)"),
];

const ADDR: &str = "RBAC_EXAMPLE_ADDR";
const DATA_DIR: &str = "RBAC_EXAMPLE_DATA_DIR";
const TOKEN_TTL_SECS: &str = "RBAC_EXAMPLE_TOKEN_TTL_SECS";
const ISSUER: &str = "RBAC_EXAMPLE_ISSUER";
const AUDIENCE: &str = "RBAC_EXAMPLE_AUDIENCE";
const DEMO_TOKENS: &str = "RBAC_EXAMPLE_DEMO_TOKENS";

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

        Ok(Config {
            addr,
            data_dir: PathBuf::from(get(DATA_DIR)),
            token_ttl,
            issuer: get(ISSUER),
            audience: get(AUDIENCE),
            demo_tokens,
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
            assert!(help.contains(&format!("[default: {default}]")), "{name}");
        }
    }
}
