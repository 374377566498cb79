//! What a configuration mistake says at start-up, where `main` returning
//! `Result<(), Box<dyn Error>>` prints it with `Debug`: a sentence that
//! names the mistake and what to write, never a struct dump or an error
//! kind's name.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Authenticator, ConfigError, Issuer};

rbac_axum::roles! { admin: viewer, viewer }

fn shown(error: ConfigError) -> String {
    let debug = format!("{error:?}");
    assert_eq!(debug, error.to_string(), "Debug is the message");
    debug
}

#[test]
fn a_short_secret_is_a_sentence() {
    let error = Authenticator::<Role>::builder().hmac(Algorithm::HS256, "secret").build();
    assert_eq!(
        shown(error.unwrap_err()),
        "the HS256 secret is 6 bytes; it must be at least 32 bytes (RFC 7518 §3.2)"
    );
}

#[test]
fn an_unreadable_pem_says_what_was_expected() {
    for (algorithm, build) in [
        (Algorithm::RS256, Authenticator::<Role>::builder().rsa_pem(Algorithm::RS256, "not a PEM")),
        (Algorithm::ES256, Authenticator::<Role>::builder().ec_pem(Algorithm::ES256, "not a PEM")),
        (Algorithm::EdDSA, Authenticator::<Role>::builder().ed_pem("not a PEM")),
    ] {
        let message = shown(build.build().unwrap_err());
        assert!(
            message.starts_with(&format!("the key for {algorithm:?} is not usable: it is not")),
            "{message}"
        );
        assert!(!message.contains("InvalidKeyFormat"), "{message}");
    }
}

#[test]
fn static_and_remote_keys_name_the_issuer_or_none() {
    let named = Authenticator::<Role>::builder()
        .issuer("https://sso.example")
        .hmac(Algorithm::HS256, [1u8; 32])
        .jwks_url("https://sso.example/jwks")
        .build();
    assert_eq!(
        shown(named.unwrap_err()),
        "issuer `https://sso.example`: give either static keys or a JWKS URL / discovery, not both"
    );
    let unnamed = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, [1u8; 32])
        .jwks_url("https://sso.example/jwks")
        .build();
    assert_eq!(
        shown(unnamed.unwrap_err()),
        "give either static keys or a JWKS URL / discovery, not both"
    );
}

#[test]
fn an_empty_issuer_or_audience_is_refused_at_build() {
    let issuer =
        Authenticator::<Role>::builder().hmac(Algorithm::HS256, [1u8; 32]).issuer("").build();
    assert_eq!(issuer.unwrap_err(), ConfigError::EmptyIssuer);
    let audience = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, [1u8; 32])
        .audience("api")
        .audience("")
        .build();
    assert_eq!(audience.unwrap_err(), ConfigError::EmptyAudience);
    let trusted = Authenticator::<Role>::builder()
        .trust(Issuer::new("").hmac(Algorithm::HS256, [1u8; 32]))
        .build();
    assert_eq!(trusted.unwrap_err(), ConfigError::EmptyIssuer);
    assert!(shown(ConfigError::EmptyIssuer).starts_with("the issuer is empty"));
}

#[test]
fn builder_settings_with_only_trusted_issuers_are_refused() {
    let trusted = || Issuer::new("https://a.example").hmac(Algorithm::HS256, [7u8; 32]);
    let error = Authenticator::<Role>::builder()
        .limit_scopes_to_roles(true)
        .trust(trusted())
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::SettingsWithoutIssuer), "{error}");
    assert!(shown(error).contains("give those settings on each `Issuer`"));

    let error = Authenticator::<Role>::builder().audience("api").trust(trusted()).build();
    assert!(matches!(error, Err(ConfigError::SettingsWithoutIssuer)));

    // The builder's own issuer, named, is kept beside the trusted one.
    let both = Authenticator::<Role>::builder()
        .issuer("https://b.example")
        .hmac(Algorithm::HS256, [8u8; 32])
        .audience("api")
        .trust(trusted())
        .build();
    assert!(both.is_ok());
}
