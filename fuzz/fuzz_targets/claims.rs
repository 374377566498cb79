//! The claim reader on arbitrary payloads under a valid signature: never
//! panics, and grants exactly the roles and scopes a plain `serde_json`
//! reading of the same payload names (the reference the streaming reader
//! must agree with).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use rbac_axum::jsonwebtoken::{Algorithm, EncodingKey, crypto};
use rbac_axum::{Authenticator, RoleModel};
use serde_json::Value;

rbac_axum::roles! {
    admin: editor,
    editor: viewer,
    viewer,
    scopes: ["posts:read", "posts:write"],
}

const SECRET: [u8; 32] = [7u8; 32];

fuzz_target!(|payload: &[u8]| {
    thread_local! {
        static AUTH: Authenticator<Role> = Authenticator::<Role>::builder()
            .hmac(Algorithm::HS256, SECRET)
            .leeway(std::time::Duration::from_secs(u32::MAX as u64))
            .build()
            .expect("a valid configuration");
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let Ok(signature) =
        crypto::sign(message.as_bytes(), &EncodingKey::from_secret(&SECRET), Algorithm::HS256)
    else {
        return;
    };
    let token = format!("{message}.{signature}");
    let verdict = AUTH.with(|auth| auth.verify(&token));
    let reference = serde_json::from_slice::<Value>(payload).ok();
    let Ok(principal) = verdict else { return };
    // Accepted: the payload must be a JSON object with a numeric `exp`.
    let Some(Value::Object(claims)) = reference else {
        panic!("accepted a payload serde_json does not read as an object");
    };
    assert!(claims.get("exp").is_some_and(Value::is_number), "accepted without a numeric exp");
    let named: Vec<Role> = match claims.get("roles") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter_map(Role::from_name).collect()
        }
        _ => Vec::new(),
    };
    let expected: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| named.iter().any(|n| n.implies(*r)))
        .map(Role::name)
        .collect();
    assert_eq!(principal.role_names(), expected);
    let schema = Role::SCHEMA;
    let mut scopes: Vec<&str> = Vec::new();
    if let Some(Value::String(s)) = claims.get("scope") {
        scopes.extend(s.split(' ').filter(|p| !p.is_empty()));
    }
    match claims.get("scp") {
        Some(Value::String(s)) => scopes.extend(s.split(' ').filter(|p| !p.is_empty())),
        Some(Value::Array(items)) => scopes
            .extend(items.iter().filter_map(Value::as_str).filter(|s| !s.trim().is_empty())),
        _ => {}
    }
    let declared: Vec<&str> = schema.scope_names(principal.granted().scopes()).collect();
    for name in schema.scopes() {
        assert_eq!(declared.contains(name), scopes.contains(name), "scope {name}");
    }
    assert_eq!(principal.claims(), &claims);
});
