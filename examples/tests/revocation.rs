//! Revocation over a real socket, with the service issuing its tokens: a
//! logout revokes one token, a role change, a deletion or an admin's
//! revocation every token of a user, and a user may log in again at once.
//! Resource-server mode's revocation by subject is in `resource_server.rs`.

mod common;

use common::{ALICE, BOB, CAROL, TestServer};
use rbac_test_support::{Request, Response, claims_of, now};
use serde_json::json;

fn assert_revoked(response: &Response) {
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(response.error_code(), "invalid_token");
    assert_eq!(response.json()["error_description"], "the token has been revoked");
    let challenge = response.header("www-authenticate").expect("a challenge");
    assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
}

async fn post(server: &TestServer, path: &str, token: &str) -> Response {
    server.send(Request::post(path).bearer(token)).await
}

#[tokio::test]
async fn logout_revokes_the_callers_token_only() {
    let server = TestServer::start().await;
    let bob = server.login(BOB, None).await;
    let other = server.login(BOB, None).await;
    assert_ne!(claims_of(&bob)["jti"], claims_of(&other)["jti"], "each token has its own id");

    let logout = post(&server, "/logout", &bob).await;
    assert_eq!(logout.status, 204, "{}", logout.text());
    assert_revoked(&server.get("/users/me", Some(&bob)).await);
    assert_revoked(&post(&server, "/logout", &bob).await);
    // Bob's other token, on another device, still works.
    assert_eq!(server.get("/users/me", Some(&other)).await.status, 200);
    assert_eq!(post(&server, "/logout", "not-a-token").await.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn a_role_change_revokes_the_old_token_and_a_new_login_works_at_once() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;
    let carol = server.login(CAROL, None).await;
    let carol_id = server.user_id(&alice, "carol").await;

    let before = now();
    let changed = server
        .json("PUT", &format!("/users/{carol_id}/roles"), &alice, json!({"roles": ["editor"]}))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_revoked(&server.get("/posts", Some(&carol)).await);

    // Tokens issued up to the second of the change are refused: the grant
    // waits for the next one, and the new token carries the new roles.
    let carol = server.login(CAROL, None).await;
    let iat = claims_of(&carol)["iat"].as_u64().expect("iat");
    assert!(iat > before, "stamped in a later second than the change began: {iat} > {before}");
    // Past the cut-off: accepted.
    let me = server.get("/users/me", Some(&carol)).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["roles"], json!(["editor", "viewer"]));
    let created =
        server.json("POST", "/posts", &carol, json!({"title": "Promoted", "body": ""})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    // Alice's own token is untouched.
    assert_eq!(server.get("/users", Some(&alice)).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_users_tokens_are_revoked_and_no_new_one_is_issued() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;
    let bob = server.login(BOB, None).await;
    let bob_id = server.user_id(&alice, "bob").await;

    assert_eq!(server.delete(&format!("/users/{bob_id}"), &alice).await.status, 204);
    assert_revoked(&server.get("/posts", Some(&bob)).await);
    let login = server
        .token_request(&[("grant_type", "password"), ("username", "bob"), ("password", "bob-demo")])
        .await;
    assert_eq!(login.status, 400, "{}", login.text());
    assert_eq!(login.error_code(), "invalid_grant");
    server.stop().await;
}

#[tokio::test]
async fn an_admin_revokes_every_token_of_another_user() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;
    let bob = [server.login(BOB, None).await, server.login(BOB, None).await];
    let bob_id = server.user_id(&alice, "bob").await;

    let revoked = post(&server, &format!("/users/{bob_id}/revoke"), &alice).await;
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    for token in &bob {
        assert_revoked(&server.get("/posts", Some(token)).await);
    }
    // Bob may log in again at once; alice's token is untouched.
    let bob = server.login(BOB, None).await;
    assert_eq!(server.get("/posts", Some(&bob)).await.status, 200);
    assert_eq!(server.get("/users", Some(&alice)).await.status, 200);

    // Only an admin revokes; an unknown user is 404.
    let carol = server.login(CAROL, None).await;
    let refused = post(&server, &format!("/users/{bob_id}/revoke"), &carol).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.error_code(), "insufficient_scope");
    assert_eq!(post(&server, "/users/9999/revoke", &alice).await.status, 404);
    // Subjects are users here: revoking by subject is resource-server mode's.
    assert_eq!(post(&server, &format!("/subjects/{bob_id}/revoke"), &alice).await.status, 404);
    assert_eq!(server.get("/posts", Some(&bob)).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn issued_tokens_carry_what_revocation_needs() {
    let server = TestServer::start().await;
    let bob = claims_of(&server.login(BOB, None).await);
    let jti = bob["jti"].as_str().expect("a jti");
    assert_eq!(jti.len(), 32, "{jti}");
    let (iat, exp) = (bob["iat"].as_i64().expect("iat"), bob["exp"].as_i64().expect("exp"));
    assert_eq!(exp - iat, 900, "the configured lifetime");
    server.stop().await;
}
