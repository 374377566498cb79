//! Properties of token verification on arbitrary input: any claims JSON, any
//! header JSON, any string as a token. Verification never panics, and what
//! it grants is exactly what the claims name among the declared roles.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use rbac_axum::jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rbac_axum::{Authenticator, RoleModel};
use serde_json::{Map, Value, json};

rbac_axum::roles! {
    admin: editor,
    editor: viewer,
    viewer,
    scopes: ["posts:read", "posts:write"],
}

const SECRET: &[u8] = b"property-test secret, 32 bytes or more";

fn authenticator() -> Authenticator<Role> {
    Authenticator::<Role>::builder().hmac(Algorithm::HS256, SECRET).build().unwrap()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

const KEYS: &[&str] = &["roles", "scope", "scp", "exp", "nbf", "iss", "aud", "sub", "x"];
const NAMES: &[&str] = &["admin", "editor", "viewer", "Admin", "admin2", "posts:read", ""];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop::sample::select(NAMES).prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn claims() -> impl Strategy<Value = Map<String, Value>> {
    (prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..8), any::<bool>())
        .prop_map(|(pairs, valid_exp)| {
            let mut map: Map<String, Value> =
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            if valid_exp {
                map.insert("exp".into(), json!(now() + 3600));
                map.remove("nbf");
            }
            map
        })
}

/// What the claims should grant: declared names in a `roles` array of the
/// exact spelling, closed under inheritance.
fn expected_roles(claims: &Map<String, Value>) -> Vec<&'static str> {
    let mut held: Vec<Role> = match claims.get("roles") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter_map(Role::from_name).collect()
        }
        _ => Vec::new(),
    };
    held = Role::ALL.into_iter().filter(|r| held.iter().any(|h| h.implies(*r))).collect();
    held.into_iter().map(Role::name).collect()
}

proptest! {
    #[test]
    fn arbitrary_signed_claims_never_panic_and_grant_only_named_roles(claims in claims()) {
        let auth = authenticator();
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
        match auth.verify(&token) {
            Ok(principal) => {
                let exp = claims.get("exp").and_then(Value::as_f64);
                prop_assert!(exp.is_some_and(|exp| exp > now() as f64 - 1.0), "accepted without a live exp");
                prop_assert_eq!(principal.role_names(), expected_roles(&claims));
                prop_assert!(principal.scopes().iter().all(|s| !s.trim().is_empty()));
            }
            Err(error) => prop_assert!(!error.message().contains(&token)),
        }
    }

    #[test]
    fn arbitrary_header_json_never_panics_or_verifies(header in json_value()) {
        let auth = authenticator();
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
        let payload = URL_SAFE_NO_PAD.encode(json!({ "exp": now() + 60 }).to_string());
        // The signature is not over this header, so nothing may verify.
        let token = format!("{header}.{payload}.c2lnbmF0dXJl");
        prop_assert!(auth.verify(&token).is_err());
    }

    #[test]
    fn arbitrary_strings_are_refused_without_panicking(token in ".{0,300}") {
        prop_assert!(authenticator().verify(&token).is_err());
    }

    #[test]
    fn dotted_base64_garbage_is_refused(parts in prop::collection::vec("[A-Za-z0-9_-]{0,40}", 0..5)) {
        prop_assert!(authenticator().verify(&parts.join(".")).is_err());
    }
}

#[test]
fn schema_is_the_declared_one() {
    assert_eq!(Role::SCHEMA.roles(), ["admin", "editor", "viewer"]);
}
