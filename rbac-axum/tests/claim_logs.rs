//! Why a role or scope claim granted nothing, in the `debug` log of an
//! accepted token: a claim of the wrong JSON type, a path through a value
//! that is not an object, names none of which is declared, array elements
//! that are not strings. Each line names the claim by its configured path
//! and what was found, never the token, the claim's values or other claims;
//! a well-formed claim logs nothing, and neither does a refused token.
//!
//! Tests take turns (`SERIAL`) so that each reads only its own lines of
//! the process-wide log.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Mutex, PoisonError};

use rbac_axum::{Authenticator, ClaimMapping};
use rbac_test_support::now;
use serde_json::{Value, json};

use support::{captured_logs, claims, hmac_builder, hs256, with, without};

rbac_axum::roles! {
    admin: viewer => ["orders:write"],
    viewer => ["orders:read"],
    scopes: ["orders:read", "orders:write"],
}

static SERIAL: Mutex<()> = Mutex::new(());

/// A claim no log line may repeat.
const PRIVATE: &str = "private-claim-value";

/// What verifying a token over `claims` (plus a private claim) logs, each
/// line checked to hold neither the token, any of its segments, nor the
/// private claim.
fn logged(authenticator: &Authenticator<Role>, claims: Value) -> Vec<String> {
    let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let before = captured_logs().len();
    let token = hs256(&with(claims, "email", json!(PRIVATE)));
    let _ = authenticator.verify(&token);
    let logs = captured_logs()[before..].to_owned();
    for secret in token.split('.').chain([token.as_str(), PRIVATE]) {
        assert!(!logs.contains(secret), "the log repeats a secret:\n{logs}");
    }
    logs.lines().map(str::to_owned).collect()
}

fn default_server() -> Authenticator<Role> {
    hmac_builder::<Role>().build().unwrap()
}

/// A viewer's claims with a `scope`, `key` set to `value`.
fn viewer_with(key: &str, value: Value) -> Value {
    with(claims(&["viewer"], "orders:read"), key, value)
}

/// The line for a claim of the wrong JSON type.
fn wrong_type(claim: &str, found: &str, expected: &str) -> String {
    format!(
        "DEBUG rbac_axum::mapping::shape: message=claim ignored: wrong JSON type \
         claim={claim} found=\"{found}\" expected=\"{expected}\""
    )
}

#[test]
fn a_roles_claim_that_is_not_an_array_is_logged_with_the_type_found() {
    let authenticator = default_server();
    let array = "an array of strings";
    for (value, found) in [
        (json!("admin"), "string"),
        (json!(1), "number"),
        (json!(true), "boolean"),
        (json!(null), "null"),
        (json!({ "admin": true }), "object"),
    ] {
        let logs = logged(&authenticator, viewer_with("roles", value));
        assert_eq!(logs, [wrong_type("roles", found, array)]);
    }
}

#[test]
fn a_scope_claim_that_is_not_a_string_is_logged_with_the_type_found() {
    let authenticator = default_server();
    let string = "a space-delimited string";
    for (value, found) in [
        (json!(["orders:read"]), "array"),
        (json!(7), "number"),
        (json!({ "orders:read": true }), "object"),
    ] {
        let logs = logged(&authenticator, viewer_with("scope", value));
        assert_eq!(logs, [wrong_type("scope", found, string)]);
    }
    let string_or_array = "a space-delimited string or an array of strings";
    let logs = logged(&authenticator, viewer_with("scp", json!({ "orders:read": true })));
    assert_eq!(logs, [wrong_type("scp", "object", string_or_array)]);
}

#[test]
fn a_nested_roles_claim_is_named_by_its_configured_path() {
    let authenticator = hmac_builder::<Role>().claims(ClaimMapping::keycloak("orders-api")).build();
    let authenticator = authenticator.unwrap();
    let base = without(claims(&[], "orders:read"), "roles");

    let string = with(base.clone(), "realm_access", json!({ "roles": "admin" }));
    let logs = logged(&authenticator, string);
    assert_eq!(logs, [wrong_type("realm_access.roles", "string", "an array of strings")]);

    // A step of the path that is not an object.
    let array = with(base.clone(), "realm_access", json!(["admin"]));
    let logs = logged(&authenticator, array);
    let expected = "DEBUG rbac_axum::mapping::shape: message=claim ignored: a value on its path \
                    is not an object claim=realm_access.roles at=\"realm_access\" \
                    found=\"array\" expected=\"an object\"";
    assert_eq!(logs, [expected]);

    // The client's roles, an extra path read from the full claims.
    let client = json!({ "orders-api": { "roles": "admin" } });
    let logs = logged(&authenticator, with(base, "resource_access", client));
    let claim = "resource_access.orders-api.roles";
    assert_eq!(logs, [wrong_type(claim, "string", "an array of strings")]);
}

#[test]
fn claims_naming_only_undeclared_names_log_how_many_were_ignored() {
    let authenticator = default_server();
    let logs = logged(&authenticator, claims(&["Admin", "superuser"], "openid profile email"));
    assert_eq!(
        logs,
        [
            "DEBUG rbac_axum::mapping::shape: message=claim ignored: it names no declared role \
             claim=roles ignored=2",
            "DEBUG rbac_axum::mapping::shape: message=claim ignored: it names no declared scope \
             claim=scope ignored=3",
        ]
    );
    // Undeclared names beside a declared one: the claim grants, nothing said.
    let logs = logged(&authenticator, claims(&["viewer", "offline_access"], "openid orders:read"));
    assert_eq!(logs, Vec::<String>::new());
}

#[test]
fn array_elements_that_are_not_strings_are_counted() {
    let authenticator = default_server();
    let roles = json!([{ "name": "admin" }, 3, "viewer"]);
    let logs = logged(&authenticator, viewer_with("roles", roles));
    assert_eq!(
        logs,
        ["DEBUG rbac_axum::mapping::shape: message=claim values ignored: not strings \
          claim=roles ignored=2"]
    );
    let mapping = ClaimMapping::default().also_scopes_at("permissions");
    let authenticator = hmac_builder::<Role>().claims(mapping).build().unwrap();
    let logs = logged(&authenticator, viewer_with("permissions", json!([["orders:write"]])));
    assert_eq!(
        logs,
        ["DEBUG rbac_axum::mapping::shape: message=claim values ignored: not strings \
          claim=permissions ignored=1"]
    );
}

#[test]
fn well_formed_claims_and_refused_tokens_log_nothing_about_claims() {
    let authenticator = default_server();
    let good = with(claims(&["admin"], "orders:read orders:write"), "scp", json!(["orders:read"]));
    assert_eq!(logged(&authenticator, good), Vec::<String>::new());
    // No roles and no scopes at all: nothing wrong with their shape.
    let bare = without(without(claims(&[], ""), "roles"), "scope");
    assert_eq!(logged(&authenticator, bare), Vec::<String>::new());
    // Expired: refused before its claims are looked at for the log.
    let expired = with(viewer_with("roles", json!("admin")), "exp", json!(now() - 10));
    let logs = logged(&authenticator, expired);
    assert!(logs.iter().all(|line| !line.contains("claim")), "{logs:?}");
}
