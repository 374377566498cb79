//! `POST /token` over a real socket: the OAuth 2.0 password grant
//! (RFC 6749 §4.3) and its error responses (§5.2).

mod common;

use std::time::{Duration, Instant};

use common::{ALICE, BOB, CAROL, TestServer};
use rbac_test_support::{Request, claims_of, now};

#[tokio::test]
async fn password_grant_issues_a_bearer_token_with_the_requested_scopes() {
    let server = TestServer::start().await;
    let before = now();
    let response = server
        .token_request(&[
            ("grant_type", "password"),
            ("username", BOB.0),
            ("password", BOB.1),
            ("scope", "posts:read posts:write"),
        ])
        .await;
    let after = now();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    let body = response.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "posts:read posts:write");

    let token = body["access_token"].as_str().expect("a token");
    let claims = claims_of(token);
    // `expires_in` counts from the answer: what is left of the 900 s
    // once the clock has moved on from `iat` (a second boundary may fall
    // between the two).
    let exp = claims["exp"].as_u64().expect("exp");
    let expires_in = body["expires_in"].as_u64().expect("expires_in");
    assert!((exp - after..=exp - before).contains(&expires_in), "{expires_in} for exp {exp}");
    assert!(expires_in <= 900, "{expires_in}");
    assert_eq!(claims["roles"], serde_json::json!(["editor"]));
    assert_eq!(claims["scope"], "posts:read posts:write");
    // The service is the issuer: its URL, as its metadata says.
    assert_eq!(claims["iss"], format!("http://{}", server.addr));
    assert_eq!(claims["aud"], "rbac-example-api");
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 900);
    assert!(claims["sub"].as_str().is_some_and(|sub| !sub.is_empty()), "{claims}");
    assert_eq!(claims["jti"].as_str().map(str::len), Some(32), "{claims}");

    let me = server.get("/users/me", Some(token)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["username"], "bob");
    server.stop().await;
}

#[tokio::test]
async fn without_a_scope_every_scope_the_roles_allow_is_granted() {
    let server = TestServer::start().await;
    for ((user, password), expected) in [
        (ALICE, "users:read users:write posts:read posts:write"),
        (BOB, "users:read posts:read posts:write"),
        (CAROL, "posts:read"),
    ] {
        let response = server
            .token_request(&[
                ("grant_type", "password"),
                ("username", user),
                ("password", password),
            ])
            .await;
        assert_eq!(response.status, 200, "{user}: {}", response.text());
        assert_eq!(response.json()["scope"], expected, "{user}");
    }
    server.stop().await;
}

#[tokio::test]
async fn requested_scopes_are_narrowed_to_what_the_roles_allow() {
    let server = TestServer::start().await;
    let response = server
        .token_request(&[
            ("grant_type", "password"),
            ("username", CAROL.0),
            ("password", CAROL.1),
            ("scope", "posts:read posts:write users:write"),
        ])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["scope"], "posts:read");
    let token = response.json()["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(claims_of(&token)["scope"], "posts:read");
    server.stop().await;
}

#[tokio::test]
async fn a_scope_that_cannot_be_granted_is_invalid_scope() {
    let server = TestServer::start().await;
    for scope in ["posts:delete", "posts:read everything", "users:write"] {
        let response = server
            .token_request(&[
                ("grant_type", "password"),
                ("username", CAROL.0),
                ("password", CAROL.1),
                ("scope", scope),
            ])
            .await;
        assert_eq!(response.status, 400, "{scope}");
        assert_eq!(response.error_code(), "invalid_scope", "{scope}: {}", response.text());
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }
    server.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_identical_error() {
    let server = TestServer::start().await;
    let wrong_password = server
        .token_request(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "nope-nope"),
        ])
        .await;
    let unknown_user = server
        .token_request(&[
            ("grant_type", "password"),
            ("username", "mallory"),
            ("password", "nope-nope"),
        ])
        .await;
    assert_eq!(wrong_password.status, 400);
    assert_eq!(wrong_password.error_code(), "invalid_grant");
    assert_eq!(unknown_user.status, wrong_password.status);
    assert_eq!(unknown_user.body, wrong_password.body);
    let without_date = |headers: &[(String, String)]| -> Vec<(String, String)> {
        headers.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("date")).cloned().collect()
    };
    assert_eq!(without_date(&unknown_user.headers), without_date(&wrong_password.headers));
    server.stop().await;
}

#[tokio::test]
async fn unknown_user_takes_as_long_as_a_wrong_password() {
    let server = TestServer::start().await;
    // The fastest of a few tries, so that load on the machine only ever
    // makes a measure slower, never faster.
    let fastest = |username: &'static str| {
        let server = &server;
        async move {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let started = Instant::now();
                let response = server
                    .token_request(&[
                        ("grant_type", "password"),
                        ("username", username),
                        ("password", "wrong-password"),
                    ])
                    .await;
                assert_eq!(response.error_code(), "invalid_grant");
                best = best.min(started.elapsed());
            }
            best
        }
    };
    let wrong_password = fastest("alice").await;
    let unknown_user = fastest("mallory").await;
    // Without the dummy hash an unknown user answers in well under a
    // millisecond, against tens or hundreds for an Argon2 verification.
    assert!(
        unknown_user * 3 >= wrong_password,
        "unknown user {unknown_user:?}, wrong password {wrong_password:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn malformed_token_requests_get_rfc6749_errors() {
    let server = TestServer::start().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("username", "bob"), ("password", "bob-demo")], "invalid_request"),
        (&[("grant_type", "password"), ("username", "bob")], "invalid_request"),
        (&[("grant_type", "password"), ("username", "bob"), ("password", "")], "invalid_request"),
        (
            &[
                ("grant_type", "password"),
                ("username", "bob"),
                ("username", "alice"),
                ("password", "x"),
            ],
            "invalid_request",
        ),
        (&[("grant_type", "client_credentials")], "unsupported_grant_type"),
        (&[("grant_type", "authorization_code"), ("code", "x")], "unsupported_grant_type"),
    ];
    for (fields, code) in cases {
        let response = server.token_request(fields).await;
        assert_eq!(response.status, 400, "{fields:?}");
        assert_eq!(response.error_code(), *code, "{fields:?}: {}", response.text());
        assert!(response.json()["error_description"].is_string());
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }

    let json = server
        .send(
            Request::post("/token")
                .json(&serde_json::json!({"grant_type": "password", "username": "bob"})),
        )
        .await;
    assert_eq!(json.status, 400);
    assert_eq!(json.error_code(), "invalid_request", "a JSON body is not a form");

    let padding = "x".repeat(8 * 1024);
    let huge = server
        .token_request(&[("grant_type", "password"), ("username", "bob"), ("password", &padding)])
        .await;
    assert_eq!(huge.status, 413, "{}", huge.text());
    assert_eq!(huge.error_code(), "payload_too_large", "a body over 4 KiB");
    server.stop().await;
}

#[tokio::test]
async fn the_token_lifetime_follows_the_configuration() {
    let server = TestServer::start_with(&[("RBAC_EXAMPLE_TOKEN_TTL_SECS", "60")]).await;
    let token = server.login(BOB, None).await;
    let claims = claims_of(&token);
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 60);
    server.stop().await;
}
