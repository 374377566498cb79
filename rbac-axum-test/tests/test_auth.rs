//! The tokens [`TestAuth`] writes, sent over a socket to a router guarded
//! with `#[requires]`, get the answer production gives them: a token with
//! the role or scope passes, one without gets 403, and each bad token 401
//! `invalid_token` for the very reason it was made bad. Production's
//! settings (claim mapping, RFC 9068 `typ`, required subject, several
//! issuers, scopes limited to roles, leeway) shape the tokens.

mod app;

pub(crate) use app::Role;

use std::time::Duration;

use app::{assert_insufficient, assert_invalid_token, header_of, serve};
use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Authenticator, AuthenticatorBuilder, ClaimMapping, ConfigError, Issuer};
use rbac_axum_test::{TestAuth, scope};
use rbac_test_support::{Request, Server, claims_of, now};
use serde_json::{Value, json};

const ISSUER: &str = "https://sso.example.com/realms/acme";

/// What the service builds in production: its keys come from an identity
/// provider these tests never reach.
fn production() -> AuthenticatorBuilder<Role> {
    Authenticator::<Role>::builder()
        .issuer(ISSUER)
        .audience("posts-api")
        .jwks_url("https://sso.example.com/realms/acme/protocol/openid-connect/certs")
}

/// `production` with test keys, and the router it guards.
async fn started(production: AuthenticatorBuilder<Role>) -> (TestAuth<Role>, Server) {
    let auth = TestAuth::new(production).expect("production's configuration is valid");
    let server = serve(auth.authenticator()).await;
    (auth, server)
}

// ------------------------------------------------------- roles, scopes ---

#[tokio::test]
async fn a_role_token_passes_requires_role() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Viewer).sign();
    let response = server.allowed(Request::get("/viewer").bearer(&token)).await;
    assert_eq!(
        response.json(),
        json!({ "subject": "test-user", "roles": ["viewer"], "scopes": [] })
    );
    // An inherited role need not be written; the subject can be set; the
    // `Authorization` value comes ready.
    let editor = auth.token().role(Role::Editor).subject("alice").bearer();
    let response = server.allowed(Request::get("/viewer").header("Authorization", editor)).await;
    assert_eq!(
        response.json(),
        json!({ "subject": "alice", "roles": ["editor", "viewer"], "scopes": [] })
    );
    let admin = auth.token().roles([Role::Viewer, Role::Admin]).sign();
    server.allowed(Request::get("/admin").bearer(&admin)).await;
}

#[tokio::test]
async fn a_token_without_the_role_is_403_insufficient_scope() {
    let (auth, server) = started(production()).await;
    let editor = auth.token().role(Role::Editor).scope(scope!("users:write")).sign();
    // A role requirement names no scope in the challenge.
    assert_insufficient(&server, "/admin", &editor, &["admin"], &[]).await;
    let nobody = auth.token().sign();
    assert_insufficient(&server, "/viewer", &nobody, &["viewer"], &[]).await;
}

#[tokio::test]
async fn a_token_without_the_scope_is_403_naming_the_scope() {
    let (auth, server) = started(production()).await;
    let reader = auth.token().role(Role::Viewer).scope(scope!("posts:read")).sign();
    assert_insufficient(&server, "/posts/write", &reader, &[], &["posts:write"]).await;
    let writer = auth.token().scope(scope!("posts:write")).sign();
    server.allowed(Request::get("/posts/write").bearer(&writer)).await;
}

#[tokio::test]
async fn scopes_from_the_scope_macro_reach_the_handler() {
    let (auth, server) = started(production()).await;
    let (read, write) = (scope!("posts:read"), scope!(Role, "posts:write"));
    assert_eq!((read.name(), write.name()), ("posts:read", "posts:write"));
    let token = auth.token().role(Role::Viewer).scope(read).scope(write).sign();
    assert_eq!(claims_of(&token)["scope"], "posts:read posts:write");
    let response = server.allowed(Request::get("/viewer").bearer(&token)).await;
    assert_eq!(response.json()["scopes"], json!(["posts:read", "posts:write"]));
    server.allowed(Request::get("/posts/write").bearer(&token)).await;
}

// ---------------------------------------------------------- bad tokens ---

#[tokio::test]
async fn an_expired_token_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).expired().sign();
    assert_invalid_token(&server, &token, "has expired").await;
}

#[tokio::test]
async fn a_not_yet_valid_token_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).not_yet_valid().sign();
    assert_invalid_token(&server, &token, "not valid yet (`nbf`)").await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).audience("another-api").sign();
    assert_invalid_token(&server, &token, "audience (`aud`) is not accepted").await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).issuer("https://evil.example").sign();
    assert_invalid_token(&server, &token, "issuer (`iss`) is not accepted").await;
}

#[tokio::test]
async fn a_token_signed_with_an_unknown_key_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).unknown_key().sign();
    let trusted = auth.token().sign();
    assert_ne!(header_of(&token)["kid"], header_of(&trusted)["kid"]);
    assert_invalid_token(&server, &token, "matches the token's `kid`").await;
}

#[tokio::test]
async fn a_tampered_token_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).tampered().sign();
    assert_invalid_token(&server, &token, "signature is invalid").await;
}

#[tokio::test]
async fn an_alg_none_token_is_401_invalid_token() {
    let (auth, server) = started(production()).await;
    let token = auth.token().role(Role::Admin).alg_none().sign();
    assert_eq!(header_of(&token)["alg"], "none");
    assert!(token.ends_with('.'), "no signature: {token}");
    assert_invalid_token(&server, &token, "algorithm is not accepted").await;
}

#[tokio::test]
async fn expired_and_not_yet_valid_lie_beyond_the_production_leeway() {
    let (auth, server) = started(production().leeway(Duration::from_secs(600))).await;
    let expired = auth.token().role(Role::Viewer).expired().sign();
    assert!(claims_of(&expired)["exp"].as_u64().is_some_and(|exp| exp + 600 < now()));
    assert_invalid_token(&server, &expired, "has expired").await;
    let early = auth.token().role(Role::Viewer).not_yet_valid().sign();
    assert!(claims_of(&early)["nbf"].as_u64().is_some_and(|nbf| nbf > now() + 600));
    assert_invalid_token(&server, &early, "not valid yet (`nbf`)").await;
    // Within the leeway, production lets a token through.
    let lately = auth.token().role(Role::Viewer).claim("exp", json!(now() - 300)).sign();
    server.allowed(Request::get("/viewer").bearer(&lately)).await;
}

// ------------------------------------------------- production settings ---

#[tokio::test]
async fn a_keycloak_mapping_gets_roles_at_realm_access_roles() {
    let production = production().claims(ClaimMapping::keycloak("client"));
    let (auth, server) = started(production).await;
    let token = auth.token().role(Role::Editor).sign();
    let claims = claims_of(&token);
    assert_eq!(claims["realm_access"], json!({ "roles": ["editor"] }), "{claims}");
    assert_eq!(claims.get("roles"), None, "{claims}");
    let response = server.allowed(Request::get("/viewer").bearer(&token)).await;
    assert_eq!(response.json()["roles"], json!(["editor", "viewer"]));
    // The test's authenticator reads roles where production does: not at
    // the default `roles`.
    let elsewhere = auth.token().claim("roles", json!(["admin"])).sign();
    assert_insufficient(&server, "/admin", &elsewhere, &["admin"], &[]).await;
}

#[tokio::test]
async fn require_at_jwt_typ_gets_typ_at_jwt() {
    let (auth, server) = started(production().require_at_jwt_typ(true)).await;
    let token = auth.token().role(Role::Viewer).sign();
    assert_eq!(header_of(&token)["typ"], "at+jwt");
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    // Without the profile, the usual `JWT`.
    let plain = TestAuth::new(production()).expect("valid");
    assert_eq!(header_of(&plain.token().sign())["typ"], "JWT");
}

#[tokio::test]
async fn a_required_subject_refuses_a_token_without_sub() {
    let (auth, server) = started(production().require_subject(true)).await;
    server.allowed(Request::get("/viewer").bearer(&auth.token().role(Role::Viewer).sign())).await;
    let anonymous = auth.token().role(Role::Viewer).without("sub").sign();
    assert_eq!(claims_of(&anonymous).get("sub"), None);
    assert_invalid_token(&server, &anonymous, "no `sub` claim").await;
    // Where production does not require it, the same token passes.
    let (lenient, server) = started(production()).await;
    let anonymous = lenient.token().role(Role::Viewer).without("sub").sign();
    let response = server.allowed(Request::get("/viewer").bearer(&anonymous)).await;
    assert_eq!(response.json()["subject"], Value::Null);
}

const STAFF: &str = "https://sso.example.com/realms/staff";
const PARTNERS: &str = "https://partners.example.org";

/// Two issuers, each with its audience and claim layout.
fn two_issuers() -> AuthenticatorBuilder<Role> {
    Authenticator::<Role>::builder()
        .trust(Issuer::new(STAFF).audience("posts-api").discovery())
        .trust(
            Issuer::new(PARTNERS)
                .audience("partner-api")
                .claims(ClaimMapping::keycloak("posts"))
                .jwks_url("https://partners.example.org/keys"),
        )
}

#[tokio::test]
async fn several_issuers_each_write_tokens_their_way() {
    let (auth, server) = started(two_issuers()).await;
    let staff = auth.token_from(STAFF).role(Role::Viewer).sign();
    let claims = claims_of(&staff);
    assert_eq!((&claims["iss"], &claims["aud"]), (&json!(STAFF), &json!("posts-api")));
    assert_eq!(claims["roles"], json!(["viewer"]));
    server.allowed(Request::get("/viewer").bearer(&staff)).await;

    let partner = auth.token_from(PARTNERS).role(Role::Viewer).sign();
    let claims = claims_of(&partner);
    assert_eq!((&claims["iss"], &claims["aud"]), (&json!(PARTNERS), &json!("partner-api")));
    assert_eq!(claims["realm_access"]["roles"], json!(["viewer"]));
    server.allowed(Request::get("/viewer").bearer(&partner)).await;

    // `token()` is the first issuer's.
    assert_eq!(claims_of(&auth.token().sign())["iss"], STAFF);
    // An issuer nobody trusts; one issuer's token under the other's name.
    let stranger = auth.token_from(STAFF).role(Role::Viewer).issuer("https://elsewhere.example");
    assert_invalid_token(&server, &stranger.sign(), "issuer (`iss`) is not accepted").await;
    // Each issuer has its own key, as in production: a staff token naming
    // the partners' issuer fails on the partners' keys.
    let posing = auth.token_from(STAFF).role(Role::Viewer).issuer(PARTNERS).sign();
    let unknown_kid = "no key of this server matches the token's `kid`";
    assert_invalid_token(&server, &posing, unknown_kid).await;
}

#[test]
#[should_panic(expected = "no issuer `https://elsewhere.example` in this configuration")]
fn token_from_an_issuer_not_configured_panics() {
    let auth = TestAuth::new(two_issuers()).expect("valid");
    let _ = auth.token_from("https://elsewhere.example");
}

#[tokio::test]
async fn limit_scopes_to_roles_drops_a_scope_the_role_does_not_grant() {
    let (auth, server) = started(production().limit_scopes_to_roles(true)).await;
    let viewer =
        auth.token().role(Role::Viewer).scope(scope!("posts:read")).scope(scope!("posts:write"));
    let viewer = viewer.sign();
    assert_eq!(claims_of(&viewer)["scope"], "posts:read posts:write");
    let response = server.allowed(Request::get("/viewer").bearer(&viewer)).await;
    assert_eq!(response.json()["scopes"], json!(["posts:read"]));
    assert_insufficient(&server, "/posts/write", &viewer, &[], &["posts:write"]).await;
    // An editor may be granted `posts:write`.
    let editor = auth.token().role(Role::Editor).scope(scope!("posts:write")).sign();
    server.allowed(Request::get("/posts/write").bearer(&editor)).await;
    // Without the limit, the viewer's scopes are taken as they are.
    let (unlimited, server) = started(production()).await;
    let viewer = unlimited.token().role(Role::Viewer).scope(scope!("posts:write")).sign();
    server.allowed(Request::get("/posts/write").bearer(&viewer)).await;
}

#[test]
fn keys_production_would_refuse_are_refused_by_the_test_authenticator_too() {
    let named = || Authenticator::<Role>::builder().issuer("https://sso.example.com");
    let weak = TestAuth::new(named().hmac(Algorithm::HS256, "short"));
    assert!(matches!(weak, Err(ConfigError::WeakSecret { .. })), "{:?}", weak.err());
    let none = TestAuth::new(named().audience("posts-api"));
    assert!(matches!(none, Err(ConfigError::NoKeys)), "{:?}", none.err());
    let insecure = TestAuth::new(named().jwks_url("http://idp.example/keys"));
    assert!(matches!(insecure, Err(ConfigError::InsecureUrl(_))), "{:?}", insecure.err());
    let pem = TestAuth::new(named().rsa_pem(Algorithm::RS256, "not a PEM"));
    assert!(matches!(pem, Err(ConfigError::BadKey { .. })), "{:?}", pem.err());
}
