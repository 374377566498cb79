//! How a service built on rbac-axum tests its handlers with
//! `rbac-axum-test`, shown on the example with public APIs only:
//! production's token checks ([`authenticator_builder`]) with the
//! toolkit's keys, tokens written by role and scope, and the usual bad
//! ones. First in-process, calling the router with
//! `tower::ServiceExt::oneshot`; then over a socket, the router served on
//! `127.0.0.1:0`, the last test with keys from the toolkit's local OpenID
//! provider.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rbac_axum_test::{Fault, LocalProvider, TestAuth, scope};
use rbac_example::{AppState, Config, Revocations, app, authenticator_builder};
use serde_json::{Value, json};
use tower::ServiceExt as _;

// `scope!("…")` checks its name against `crate::Role` when the test
// compiles: the service's roles, imported at the test crate's root.
use rbac_example::Role;

/// Production's settings in resource-server mode: tokens from a Keycloak
/// realm for the `posts-api` client, roles where Keycloak puts them. The
/// toolkit writes its tokens to pass these checks, not looser ones.
fn config(data_dir: &Path) -> Config {
    let data_dir = data_dir.to_str().expect("a UTF-8 temporary path").to_owned();
    Config::from_lookup(|name| match name {
        "RBAC_EXAMPLE_TRUST_ISSUER" => Some("https://sso.example.com/realms/acme".to_owned()),
        "RBAC_EXAMPLE_AUDIENCE" => Some("posts-api".to_owned()),
        "RBAC_EXAMPLE_TRUST_PRESET" => Some("keycloak:posts-api".to_owned()),
        "RBAC_EXAMPLE_DATA_DIR" => Some(data_dir.clone()),
        _ => None,
    })
    .expect("a valid configuration")
}

/// The service with a test authenticator, over a temporary data directory.
struct Service {
    auth: TestAuth<Role>,
    state: AppState,
    // Dropped last: the database lives there.
    _data: tempfile::TempDir,
}

impl Service {
    /// Production's checks, each issuer trusting one generated key.
    async fn start() -> Service {
        let data = tempfile::tempdir().expect("a temporary directory");
        let config = config(data.path());
        // The state revokes in the store the authenticator checks.
        let revocations = Revocations::new(&config).expect("in-memory revocations");
        let production =
            authenticator_builder(&config, &revocations).expect("production's settings");
        let auth = TestAuth::new(production).expect("production's settings build");
        let state =
            AppState::open_with(&config, auth.authenticator(), revocations).await.expect("opened");
        Service { auth, state, _data: data }
    }

    /// One request through the router, as axum would pass it.
    async fn call(&self, request: Request<Body>) -> Answer {
        let response = app(self.state.clone()).oneshot(request).await.expect("infallible");
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|value| value.to_str().expect("an ASCII challenge").to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        Answer { status, challenge, body }
    }

    /// `GET path` with `Authorization: <authorization>`.
    async fn get(&self, path: &str, authorization: &str) -> Answer {
        let request = Request::get(path).header(header::AUTHORIZATION, authorization);
        self.call(request.body(Body::empty()).expect("a valid request")).await
    }

    /// `POST path` with `Authorization: <authorization>` and a JSON body.
    async fn post(&self, path: &str, authorization: &str, body: Value) -> Answer {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json");
        self.call(request.body(Body::from(body.to_string())).expect("a valid request")).await
    }

    /// `DELETE path` with `Authorization: <authorization>`.
    async fn delete(&self, path: &str, authorization: &str) -> Answer {
        let request = Request::delete(path).header(header::AUTHORIZATION, authorization);
        self.call(request.body(Body::empty()).expect("a valid request")).await
    }
}

/// A response, read.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
}

fn new_post(title: &str) -> Value {
    json!({ "title": title, "body": "written in a test" })
}

// ------------------------------------------------------------ in-process ---

#[tokio::test]
async fn an_editor_posts_and_a_viewer_reads() {
    let service = Service::start().await;
    let editor = service.auth.token().role(Role::Editor).scope(scope!("posts:write"));
    let viewer = || service.auth.token().role(Role::Viewer).scope(scope!("posts:read"));

    let created = service.post("/posts", &editor.subject("ext|42").bearer(), new_post("Hi")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["author"], "ext|42", "the author is the token's `sub`");

    let read = service.get(&format!("/posts/{}", created.body["id"]), &viewer().bearer()).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(read.body["title"], "Hi");
    let list = service.get("/posts", &viewer().bearer()).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{:?}", list.body);
}

#[tokio::test]
async fn a_viewer_cannot_post_nor_an_editor_without_the_scope() {
    let service = Service::start().await;

    // Holding the scope is not enough: the role is required too.
    let viewer = service.auth.token().role(Role::Viewer).scope(scope!("posts:write"));
    let refused = service.post("/posts", &viewer.bearer(), new_post("No")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["error"], "insufficient_scope");
    assert_eq!(refused.body["missing_roles"], json!(["editor"]));

    let editor = service.auth.token().role(Role::Editor).scope(scope!("posts:read"));
    let refused = service.post("/posts", &editor.bearer(), new_post("No")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["missing_scopes"], json!(["posts:write"]));
    let challenge = refused.challenge.expect("a challenge");
    assert!(challenge.contains(r#"scope="posts:write""#), "{challenge}");
}

#[tokio::test]
async fn only_the_author_or_an_admin_deletes_a_post() {
    let service = Service::start().await;
    let writer = |role, sub| {
        service.auth.token().role(role).scope(scope!("posts:write")).subject(sub).bearer()
    };
    let post = service.post("/posts", &writer(Role::Editor, "ext|1"), new_post("Mine")).await;
    let path = format!("/posts/{}", post.body["id"]);

    // The guard lets another editor in; the handler refuses: not the author.
    let other = service.delete(&path, &writer(Role::Editor, "ext|2")).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert_eq!(other.body["error"], "not_author");

    let admin = service.delete(&path, &writer(Role::Admin, "ext|3")).await;
    assert_eq!(admin.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn roles_count_only_where_production_reads_them() {
    let service = Service::start().await;

    // The Keycloak preset reads realm roles: the toolkit puts them there.
    let me = service.get("/users/me", &service.auth.token().role(Role::Viewer).bearer()).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["roles"], json!(["viewer"]));

    // A top-level `roles` claim is not where this issuer's roles are.
    let elsewhere = service.auth.token().claim("roles", json!(["viewer"]));
    let me = service.get("/users/me", &elsewhere.bearer()).await;
    assert_eq!(me.status, StatusCode::FORBIDDEN, "{:?}", me.body);
    assert_eq!(me.body["missing_roles"], json!(["viewer"]));
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let service = Service::start().await;
    let admin = || service.auth.token().role(Role::Admin).scope(scope!("posts:read"));

    let none = service.call(Request::get("/posts").body(Body::empty()).expect("a request")).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.body["error"], "unauthorized");
    // The challenge names where the API's metadata is (RFC 9728).
    let challenge = none.challenge.expect("a challenge");
    assert!(challenge.starts_with(r#"Bearer realm="rbac-example", resource_metadata="http"#));
    assert!(challenge.ends_with(r#"/.well-known/oauth-protected-resource""#), "{challenge}");

    for (what, token) in [
        ("expired", admin().expired()),
        ("not yet valid", admin().not_yet_valid()),
        ("for another API", admin().audience("another-api")),
        ("from another issuer", admin().issuer("https://evil.example")),
        ("signed with an unknown key", admin().unknown_key()),
        ("with a tampered signature", admin().tampered()),
        ("unsigned (alg: none)", admin().alg_none()),
        ("without a subject", admin().without("sub")),
    ] {
        let refused = service.get("/posts", &token.bearer()).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{what}: {:?}", refused.body);
        assert_eq!(refused.body["error"], "invalid_token", "{what}");
        let challenge = refused.challenge.expect("a challenge");
        assert!(challenge.contains(r#"error="invalid_token""#), "{what}: {challenge}");
    }
    let good = service.get("/posts", &admin().bearer()).await;
    assert_eq!(good.status, StatusCode::OK, "the same token, unspoilt, passes");
}

#[tokio::test]
async fn a_logged_out_token_is_refused() {
    // The toolkit's tokens carry the `jti` and `iat` revocation needs.
    let service = Service::start().await;
    let viewer = service.auth.token().role(Role::Viewer).scope(scope!("posts:read")).bearer();
    assert_eq!(service.get("/posts", &viewer).await.status, StatusCode::OK);

    let logout = Request::post("/logout").header(header::AUTHORIZATION, &viewer);
    let logout = service.call(logout.body(Body::empty()).expect("a valid request")).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{:?}", logout.body);
    let refused = service.get("/posts", &viewer).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["error_description"], "the token has been revoked");
    let other = service.auth.token().role(Role::Viewer).scope(scope!("posts:read")).bearer();
    assert_eq!(service.get("/posts", &other).await.status, StatusCode::OK, "another token");
}

// --------------------------------------------------------- over a socket ---

/// Serves `state`'s router on `127.0.0.1:0` until the test ends.
async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    addr
}

async fn send(
    addr: SocketAddr,
    request: rbac_test_support::Request,
) -> rbac_test_support::Response {
    rbac_test_support::send(addr, &request.to_bytes(&addr.to_string())).await
}

#[tokio::test]
async fn over_a_socket_a_client_gets_rfc_6750_answers() {
    let service = Service::start().await;
    let addr = serve(service.state.clone()).await;
    let auth = &service.auth;
    let post =
        rbac_test_support::Request::post("/posts").json(&json!({ "title": "Hi", "body": "" }));

    let editor = auth.token().role(Role::Editor).scope(scope!("posts:write")).sign();
    let created = send(addr, post.clone().bearer(&editor)).await;
    assert_eq!(created.status, 201, "{created}");
    assert_eq!(created.header("Cache-Control"), Some("no-store"));

    let viewer = auth.token().role(Role::Viewer).scope(scope!("posts:read")).sign();
    let refused = send(addr, post.clone().bearer(&viewer)).await;
    assert_eq!(refused.status, 403, "{refused}");
    assert_eq!(refused.challenge().param("error"), Some("insufficient_scope"));
    assert_eq!(refused.challenge().param("scope"), Some("posts:write"));

    let expired = auth.token().role(Role::Editor).scope(scope!("posts:write")).expired().sign();
    let refused = send(addr, post.bearer(&expired)).await;
    assert_eq!(refused.status, 401, "{refused}");
    assert_eq!(refused.challenge().param("error"), Some("invalid_token"));
}

#[tokio::test]
async fn until_the_provider_publishes_keys_requests_are_500() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let config = config(data.path());
    let provider = LocalProvider::start().await;
    provider.set_fault(Fault::Down);
    // Production's checks, the keys fetched from the provider's JWK Set
    // instead of the realm's discovery document.
    let revocations = Revocations::new(&config).expect("in-memory revocations");
    let production = authenticator_builder(&config, &revocations).expect("production's settings");
    let auth = TestAuth::with_provider(production, &provider).expect("production's settings build");
    let authenticator = auth.authenticator();
    let state =
        AppState::open_with(&config, authenticator.clone(), revocations).await.expect("opened");
    let addr = serve(state).await;
    let viewer = auth.token().role(Role::Viewer).scope(scope!("posts:read")).sign();
    let list = rbac_test_support::Request::get("/posts").bearer(&viewer);

    // No key yet: refused, never let through.
    let refused = send(addr, list.clone()).await;
    assert_eq!(refused.status, 500, "{refused}");
    assert_eq!(refused.error_code(), "server_error");

    provider.set_fault(Fault::None);
    assert!(authenticator.wait_for_keys(Duration::from_secs(5)).await, "keys fetched");
    let allowed = send(addr, list).await;
    assert_eq!(allowed.status, 200, "{allowed}");
}
