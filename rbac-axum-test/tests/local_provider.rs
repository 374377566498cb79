//! [`LocalProvider`] behind a router guarded with `#[requires]`: the
//! authenticator finds and fetches its keys as it would a hosted identity
//! provider's, follows its key rotations, and rides out each fault it can
//! be switched to: keys already fetched keep working, a token naming a key
//! it cannot fetch is refused, and all is well again once the fault clears.

mod app;

pub(crate) use app::Role;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::{assert_invalid_token, assert_keys_unavailable, header_of, serve};
use rbac_axum::{Authenticator, AuthenticatorBuilder};
use rbac_axum_test::{Fault, LocalProvider, TestAuth};
use rbac_test_support::eventually;
use rbac_test_support::{Request, Server, claims_of};

/// Long enough for any fetch the tests wait for: far above the provider's
/// 1 s timeout and refetch interval.
const PATIENCE: Duration = Duration::from_secs(5);

/// A service trusting a hosted identity provider, found by discovery.
fn production() -> AuthenticatorBuilder<Role> {
    Authenticator::<Role>::builder()
        .oidc("https://sso.example.com/realms/acme")
        .audience("posts-api")
}

/// `production` fetching its keys from `provider`, its first fetch done,
/// and the router it guards.
async fn started(
    production: AuthenticatorBuilder<Role>,
    provider: &LocalProvider,
) -> (TestAuth<Role>, Server) {
    let auth = TestAuth::with_provider(production, provider).expect("a valid configuration");
    let fetched = auth.authenticator().wait_for_keys(PATIENCE).await;
    assert!(fetched, "the first fetch succeeds");
    let server = serve(auth.authenticator()).await;
    (auth, server)
}

#[tokio::test]
async fn discovery_of_the_local_provider_verifies() {
    let provider = LocalProvider::start().await;
    let production = Authenticator::<Role>::builder().oidc(provider.issuer()).audience("posts-api");
    let (auth, server) = started(production, &provider).await;
    assert_eq!(provider.discovery_fetches(), 1, "the keys were found by discovery");
    assert_eq!(provider.fetches(), 1);
    let token = auth.token().role(Role::Viewer).sign();
    assert_eq!(claims_of(&token)["iss"], provider.issuer());
    server.allowed(Request::get("/viewer").bearer(&token)).await;
    let stranger = auth.token().role(Role::Viewer).issuer("https://sso.example.com").sign();
    assert_invalid_token(&server, &stranger, "issuer (`iss`) is not accepted").await;
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once() {
    let provider = LocalProvider::start().await;
    let (auth, server) = started(production(), &provider).await;
    let old = auth.token().role(Role::Viewer).sign();
    server.allowed(Request::get("/viewer").bearer(&old)).await;
    provider.rotate_keys();
    let new = auth.token().role(Role::Viewer).sign();
    assert_ne!(header_of(&new)["kid"], header_of(&old)["kid"]);
    // A burst of requests naming the new key: one fetch between them.
    let server = Arc::new(server);
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let (server, new) = (Arc::clone(&server), new.clone());
            tokio::spawn(async move { server.send(Request::get("/viewer").bearer(&new)).await })
        })
        .collect();
    for request in burst {
        let response = request.await.expect("the request task ends");
        assert_eq!(response.status, 200, "{response}");
    }
    assert_eq!(server.calls(), 1 + 8);
    assert_eq!(provider.fetches(), 2, "one at start-up, one for the new key");
    assert_eq!(auth.authenticator().key_fetches(), 2);
    // The old key is still published: its tokens still pass.
    server.allowed(Request::get("/viewer").bearer(&old)).await;
}

#[tokio::test]
async fn replaced_keys_refuse_old_tokens_after_the_refetch() {
    let provider = LocalProvider::start().await;
    let (auth, server) = started(production(), &provider).await;
    let old = auth.token().role(Role::Viewer).sign();
    server.allowed(Request::get("/viewer").bearer(&old)).await;
    provider.replace_keys();
    // Until the authenticator fetches again, it knows only the old key.
    server.allowed(Request::get("/viewer").bearer(&old)).await;
    let new = auth.token().role(Role::Viewer).sign();
    server.allowed(Request::get("/viewer").bearer(&new)).await;
    assert_eq!(provider.fetches(), 2, "the new key's token caused one fetch");
    assert_invalid_token(&server, &old, "matches the token's `kid`").await;
    server.allowed(Request::get("/viewer").bearer(&new)).await;
}

/// After the first fetch, the provider turns to `fault` and publishes a
/// new key. A token of the key already fetched still passes; one naming
/// the new key makes the authenticator fetch once, in vain, and is refused
/// 401 `invalid_token`. `reached` is how many of those fetches reached the
/// provider's handlers. Once the fault clears, the next refetch (allowed
/// `min_refetch` after the failed one) gets the new key, and its token
/// passes. Returns how long the refusal took.
async fn known_keys_outlast(fault: Fault, reached: usize) -> Duration {
    let provider = LocalProvider::start().await;
    let (auth, server) = started(production(), &provider).await;
    let known = auth.token().role(Role::Viewer).sign();
    server.allowed(Request::get("/viewer").bearer(&known)).await;

    provider.set_fault(fault);
    provider.rotate_keys();
    let unknown = auth.token().role(Role::Viewer).sign();
    let asked = Instant::now();
    assert_invalid_token(&server, &unknown, "matches the token's `kid`").await;
    let refused_in = asked.elapsed();
    assert_eq!(auth.authenticator().key_fetches(), 2, "the unknown key caused one refetch");
    assert_eq!(provider.fetches(), 1 + reached);
    server.allowed(Request::get("/viewer").bearer(&known)).await;

    provider.set_fault(Fault::None);
    let passes =
        || async { server.send(Request::get("/viewer").bearer(&unknown)).await.status == 200 };
    assert!(eventually(PATIENCE, passes).await, "the new key is fetched once the fault clears");
    assert_eq!(auth.authenticator().key_fetches(), 3, "one more fetch, which succeeded");
    assert_eq!(provider.fetches(), 2 + reached);
    server.allowed(Request::get("/viewer").bearer(&unknown)).await;
    server.allowed(Request::get("/viewer").bearer(&known)).await;
    refused_in
}

#[tokio::test]
async fn a_provider_down_keeps_known_keys_and_refuses_an_unknown_kid() {
    known_keys_outlast(Fault::Down, 0).await;
}

#[tokio::test]
async fn a_provider_slower_than_the_timeout_keeps_known_keys_and_refuses_an_unknown_kid() {
    // Four times the provider's 1 s fetch timeout.
    let refused_in = known_keys_outlast(Fault::Slow(Duration::from_secs(4)), 1).await;
    assert!(
        refused_in < Duration::from_secs(3),
        "the refetch gave up at the timeout: {refused_in:?}"
    );
}

#[tokio::test]
async fn a_provider_error_keeps_known_keys_and_refuses_an_unknown_kid() {
    known_keys_outlast(Fault::ServerError, 1).await;
}

#[tokio::test]
async fn garbage_json_keeps_known_keys_and_refuses_an_unknown_kid() {
    known_keys_outlast(Fault::GarbageJson, 1).await;
}

#[tokio::test]
async fn a_provider_down_at_start_up_refuses_with_500_until_it_recovers() {
    let provider = LocalProvider::start().await;
    provider.set_fault(Fault::Down);
    let auth = TestAuth::with_provider(production(), &provider).expect("a valid configuration");
    let server = serve(auth.authenticator()).await;
    let token = auth.token().role(Role::Viewer).sign();
    // No keys: the server cannot tell, and says so; never a pass.
    assert_keys_unavailable(&server, &token).await;
    assert_eq!(provider.fetches(), 0);
    provider.set_fault(Fault::None);
    assert!(auth.authenticator().wait_for_keys(PATIENCE).await, "the retry fetches the keys");
    server.allowed(Request::get("/viewer").bearer(&token)).await;
}
