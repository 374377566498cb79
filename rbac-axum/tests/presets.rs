//! Claim mapping presets against token layouts as each identity provider
//! issues them: which roles and scopes they grant, and that roles meant
//! for another client or spelled otherwise grant nothing. Also the
//! user-provided role mapper, which fails closed.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use rbac_axum::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use rbac_axum::{Authenticator, ClaimMapping, ClaimPath, TokenErrorKind};
use serde_json::{Value, json};

rbac_axum::roles! {
    admin: editor,
    editor: viewer,
    viewer,
    scopes: ["orders:read", "orders:write", "read:users"],
}

const SECRET: [u8; 32] = [5u8; 32];

/// Roles held, every scope the token carries, the declared scopes held.
type Mapped = (Vec<&'static str>, Vec<String>, Vec<&'static str>);

fn verify(mapping: ClaimMapping, mut claims: Value) -> Result<Mapped, rbac_axum::TokenError> {
    let exp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 300;
    claims["exp"] = json!(exp);
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&SECRET),
    )
    .unwrap();
    let auth = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .claims(mapping)
        .build()
        .unwrap();
    let principal = auth.verify(&token)?;
    let declared = auth.schema().scope_names(principal.granted().scopes()).collect();
    Ok((principal.role_names(), principal.scopes().to_vec(), declared))
}

#[test]
fn keycloak_realm_and_own_client_roles_count_other_clients_do_not() {
    let claims = json!({
        "iss": "https://sso.example.com/realms/acme",
        "realm_access": { "roles": ["viewer", "offline_access"] },
        "resource_access": {
            "orders-api": { "roles": ["editor"] },
            "billing-api": { "roles": ["admin"] },
        },
        "scope": "openid orders:read",
    });
    let (roles, scopes, declared) = verify(ClaimMapping::keycloak("orders-api"), claims).unwrap();
    assert_eq!(roles, ["editor", "viewer"], "billing-api's admin grants nothing");
    assert_eq!(scopes, ["openid", "orders:read"]);
    assert_eq!(declared, ["orders:read"]);
}

#[test]
fn keycloak_client_roles_of_another_client_alone_grant_nothing() {
    let claims = json!({ "resource_access": { "billing-api": { "roles": ["admin"] } } });
    let (roles, _, _) = verify(ClaimMapping::keycloak("orders-api"), claims).unwrap();
    assert!(roles.is_empty());
}

#[test]
fn auth0_namespaced_roles_and_permissions() {
    let claims = json!({
        "https://example.com/roles": ["admin"],
        "roles": ["viewer"],
        "permissions": ["read:users", "orders:write"],
        "scope": "openid profile",
    });
    let (roles, scopes, declared) =
        verify(ClaimMapping::auth0("https://example.com/roles"), claims).unwrap();
    assert_eq!(roles, ["admin", "editor", "viewer"]);
    assert_eq!(scopes, ["openid", "profile", "read:users", "orders:write"]);
    assert_eq!(declared, ["orders:write", "read:users"]);
}

#[test]
fn okta_groups_and_scp_array() {
    let claims =
        json!({ "groups": ["Everyone", "editor"], "scp": ["orders:read", "offline_access"] });
    let (roles, _, declared) = verify(ClaimMapping::okta(), claims).unwrap();
    assert_eq!(roles, ["editor", "viewer"]);
    assert_eq!(declared, ["orders:read"]);
}

#[test]
fn entra_id_app_roles_and_scp_string() {
    let claims =
        json!({ "roles": ["admin"], "scp": "orders:read orders:write", "groups": ["admin"] });
    let (roles, _, declared) = verify(ClaimMapping::entra_id(), claims).unwrap();
    assert_eq!(roles, ["admin", "editor", "viewer"]);
    assert_eq!(declared, ["orders:read", "orders:write"]);
}

#[test]
fn keys_with_dots_and_slashes_are_single_keys() {
    let claims = json!({ "https://example": { "com/roles": ["admin"] }, "https://example.com/roles": ["viewer"] });
    let mapping = ClaimMapping::default().roles_at("https://example.com/roles");
    assert_eq!(verify(mapping, claims).unwrap().0, ["viewer"]);
    let nested =
        ClaimMapping::default().roles_at(ClaimPath::nested(["https://example", "com/roles"]));
    let claims = json!({ "https://example": { "com/roles": ["admin"] } });
    assert_eq!(verify(nested, claims).unwrap().0, ["admin", "editor", "viewer"]);
}

#[test]
fn role_mapper_adds_roles_and_its_names_are_exact() {
    let mapping = ClaimMapping::default().map_roles(|claims| {
        Ok(match claims.get("tier").and_then(Value::as_str) {
            Some("gold") => vec!["editor".to_owned(), "Admin".to_owned()],
            _ => Vec::new(),
        })
    });
    assert_eq!(verify(mapping.clone(), json!({ "tier": "gold" })).unwrap().0, ["editor", "viewer"]);
    assert!(verify(mapping, json!({ "tier": "tin" })).unwrap().0.is_empty());
}

#[test]
fn a_failing_or_panicking_role_mapper_refuses_as_a_server_error() {
    let failing = ClaimMapping::default().map_roles(|_| Err("directory unavailable".to_owned()));
    let error = verify(failing, json!({ "roles": ["admin"] })).unwrap_err();
    assert_eq!(error.kind(), TokenErrorKind::Server);
    let panicking = ClaimMapping::default().map_roles(|_| panic!("bug in the mapper"));
    let error = verify(panicking, json!({ "roles": ["admin"] })).unwrap_err();
    assert_eq!(error.kind(), TokenErrorKind::Server);
}
