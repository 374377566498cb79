//! The guards over a real socket: who gets 401, who gets 403 and with
//! which `WWW-Authenticate` challenge, the author-or-admin check on posts,
//! and what survives a restart.

mod common;

use common::{ALICE, BOB, CAROL, TestServer};
use rbac_test_support::{claims_of, now, sign_hs256};
use serde_json::json;

#[tokio::test]
async fn missing_token_is_401_with_a_bare_challenge() {
    let server = TestServer::start().await;
    // The bare challenge, and where the resource's metadata is (RFC 9728).
    let metadata = format!("http://{}/.well-known/oauth-protected-resource", server.addr);
    let expected = format!(r#"Bearer realm="rbac-example", resource_metadata="{metadata}""#);
    for path in ["/users/me", "/users", "/posts", "/posts/1"] {
        let response = server.get(path, None).await;
        assert_eq!(response.status, 401, "{path}");
        assert_eq!(response.header("www-authenticate"), Some(expected.as_str()));
    }
    server.stop().await;
}

#[tokio::test]
async fn tampered_token_is_401_invalid_token() {
    let server = TestServer::start().await;
    let token = server.login(CAROL, None).await;
    // Same header and signature, payload claiming the admin role.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(&token);
    claims["roles"] = json!(["admin"]);
    use base64::Engine as _;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = parts.join(".");

    let response = server.get("/users", Some(&forged)).await;
    assert_eq!(response.status, 401, "{}", response.text());
    let challenge = response.header("www-authenticate").expect("a challenge");
    assert!(challenge.starts_with(r#"Bearer realm="rbac-example", resource_metadata=""#));
    assert!(challenge.contains(r#"", error="invalid_token""#), "{challenge}");
    assert_eq!(response.error_code(), "invalid_token");
    server.stop().await;
}

#[tokio::test]
async fn expired_token_is_401_invalid_token() {
    let server = TestServer::start().await;
    let token = server.login(ALICE, None).await;
    let mut claims = claims_of(&token);
    claims["iat"] = json!(now() - 1000);
    claims["exp"] = json!(now() - 100);
    let expired = sign_hs256(&server.signing_key(), &claims);

    let response = server.get("/users/me", Some(&expired)).await;
    assert_eq!(response.status, 401);
    let challenge = response.header("www-authenticate").expect("a challenge");
    assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
    assert!(response.json()["error_description"].as_str().is_some_and(|d| d.contains("expired")));
    server.stop().await;
}

#[tokio::test]
async fn token_for_another_issuer_or_audience_is_401() {
    let server = TestServer::start().await;
    let token = server.login(ALICE, None).await;
    let valid = claims_of(&token);
    for (claim, value) in [("iss", "https://elsewhere.example"), ("aud", "another-api")] {
        let mut claims = valid.clone();
        claims[claim] = json!(value);
        let response =
            server.get("/users/me", Some(&sign_hs256(&server.signing_key(), &claims))).await;
        assert_eq!(response.status, 401, "{claim}");
        assert_eq!(response.error_code(), "invalid_token", "{claim}");
    }
    // The same claims, untouched, pass: the refusals above are the claims'.
    let response = server.get("/users/me", Some(&sign_hs256(&server.signing_key(), &valid))).await;
    assert_eq!(response.status, 200, "{}", response.text());
    server.stop().await;
}

#[tokio::test]
async fn viewer_creating_a_post_is_403_insufficient_scope() {
    let server = TestServer::start().await;
    let carol = server.login(CAROL, None).await;
    let response =
        server.json("POST", "/posts", &carol, json!({"title": "Hi", "body": "from carol"})).await;
    assert_eq!(response.status, 403, "{}", response.text());
    let challenge = response.header("www-authenticate").expect("a challenge");
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    assert!(challenge.contains(r#"scope="posts:write""#), "{challenge}");
    let body = response.json();
    assert_eq!(body["missing_roles"], json!(["editor"]));
    assert_eq!(body["missing_scopes"], json!(["posts:write"]));
    server.stop().await;
}

#[tokio::test]
async fn editor_needs_the_users_read_scope_to_list_users() {
    let server = TestServer::start().await;
    let narrow = server.login(BOB, Some("posts:read posts:write")).await;
    let response = server.get("/users", Some(&narrow)).await;
    assert_eq!(response.status, 403, "{}", response.text());
    let challenge = response.header("www-authenticate").expect("a challenge");
    assert!(challenge.contains(r#"scope="users:read""#), "{challenge}");

    let wide = server.login(BOB, Some("users:read")).await;
    let response = server.get("/users", Some(&wide)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let names: Vec<_> =
        response.json().as_array().expect("a list").iter().map(|u| u["username"].clone()).collect();
    assert_eq!(names, [json!("alice"), json!("bob"), json!("carol")]);
    assert!(response.text().find("argon2").is_none(), "password hashes are never shown");

    // The admin role alone suffices, whatever the scopes.
    let admin = server.login(ALICE, Some("posts:read")).await;
    assert_eq!(server.get("/users", Some(&admin)).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn posts_are_read_with_posts_read_and_written_by_editors() {
    let server = TestServer::start().await;
    let bob = server.login(BOB, None).await;
    let created =
        server.json("POST", "/posts", &bob, json!({"title": "Hello", "body": "first"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().expect("an id");
    assert_eq!(created.header("location"), Some(format!("/posts/{id}").as_str()));
    assert_eq!(created.json()["author"], claims_of(&bob)["sub"]);

    let carol = server.login(CAROL, None).await;
    let post = server.get(&format!("/posts/{id}"), Some(&carol)).await;
    assert_eq!(post.status, 200);
    assert_eq!(post.json()["title"], "Hello");
    let all = server.get("/posts", Some(&carol)).await;
    assert_eq!(all.json().as_array().map(Vec::len), Some(2), "the welcome post and this one");
    assert_eq!(server.get("/posts/9999", Some(&carol)).await.status, 404);

    // An editor whose token lacks posts:read cannot read.
    let write_only = server.login(BOB, Some("posts:write")).await;
    let response = server.get("/posts", Some(&write_only)).await;
    assert_eq!(response.status, 403);
    assert!(
        response.header("www-authenticate").is_some_and(|c| c.contains(r#"scope="posts:read""#))
    );

    let invalid = server.json("POST", "/posts", &bob, json!({"title": "  ", "body": ""})).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.error_code(), "invalid_request");
    let malformed = server.json("POST", "/posts", &bob, json!({"title": 1})).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.error_code(), "invalid_request");
    server.stop().await;
}

#[tokio::test]
async fn only_the_author_or_an_admin_deletes_a_post() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;
    let bob = server.login(BOB, None).await;
    let created = server
        .json(
            "POST",
            "/users",
            &alice,
            json!({
                "username": "erin", "password": "erin-password", "roles": ["editor"],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let erin = server.login(("erin", "erin-password"), None).await;

    let post = |title: &'static str| {
        let (server, bob) = (&server, &bob);
        async move {
            let response =
                server.json("POST", "/posts", bob, json!({"title": title, "body": "…"})).await;
            assert_eq!(response.status, 201, "{}", response.text());
            format!("/posts/{}", response.json()["id"])
        }
    };

    // Another editor: the guard lets her in, the handler refuses.
    let first = post("first").await;
    let response = server.delete(&first, &erin).await;
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(response.error_code(), "not_author");
    assert_eq!(server.get(&first, Some(&bob)).await.status, 200, "the post is still there");

    // The author.
    assert_eq!(server.delete(&first, &bob).await.status, 204);
    assert_eq!(server.get(&first, Some(&bob)).await.status, 404);

    // An admin, who is not the author.
    let second = post("second").await;
    assert_eq!(server.delete(&second, &alice).await.status, 204);
    assert_eq!(server.get(&second, Some(&bob)).await.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn every_response_forbids_caching_and_sniffing() {
    let server = TestServer::start().await;
    let carol = server.login(CAROL, None).await;
    for response in [server.get("/posts", Some(&carol)).await, server.get("/posts", None).await] {
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("strict-transport-security"), None, "HSTS over plain HTTP");
    }
    server.stop().await;
}

#[tokio::test]
async fn data_and_signing_key_survive_a_restart() {
    let parent = tempfile::tempdir().expect("temporary directory");
    let dir = parent.path().join("data"); // created by the service
    // Restarted at the same URL, as a service is; port 0 alone would give
    // it a new one, and its tokens name it as their issuer.
    let url = [("RBAC_EXAMPLE_PUBLIC_URL", "https://posts.example.com")];
    let server = TestServer::start_in(&dir, &url).await;
    let bob = server.login(BOB, None).await;
    let created = server.json("POST", "/posts", &bob, json!({"title": "kept", "body": ""})).await;
    assert_eq!(created.status, 201);
    let path = format!("/posts/{}", created.json()["id"]);
    let key = server.signing_key();
    server.stop().await;

    let server = TestServer::start_in(&dir, &url).await;
    assert_eq!(server.signing_key(), key, "the key is reused");
    let response = server.get(&path, Some(&bob)).await;
    assert_eq!(response.status, 200, "a token from before the restart works: {}", response.text());
    assert_eq!(response.json()["title"], "kept");
    let users = server.get("/users", Some(&server.login(ALICE, None).await)).await;
    assert_eq!(users.json().as_array().map(Vec::len), Some(3), "demo users are seeded once");
    server.stop().await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |name: &str| {
            std::fs::metadata(dir.join(name)).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode("signing-key.bin"), 0o600);
        assert_eq!(mode("."), 0o700);
    }
}

#[test]
fn help_lists_the_configuration_and_exits() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rbac-example"))
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for name in [
        "RBAC_EXAMPLE_ADDR",
        "RBAC_EXAMPLE_DATA_DIR",
        "RBAC_EXAMPLE_TOKEN_TTL_SECS",
        "RBAC_EXAMPLE_ISSUER",
        "RBAC_EXAMPLE_AUDIENCE",
        "RUST_LOG",
    ] {
        assert!(help.contains(name), "{name} missing from:\n{help}");
    }
    assert!(help.contains("[default: 127.0.0.1:3000]"));

    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_rbac-example"))
        .arg("--port=1")
        .output()
        .expect("the binary runs");
    assert_eq!(wrong.status.code(), Some(2));
}
