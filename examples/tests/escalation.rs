//! User management over a real socket, and the rules that keep it from
//! handing out rights: one test per rule, each showing the refusal and
//! that nothing changed.

mod common;

use std::path::Path;

use common::{ALICE, CAROL, TestServer};
use rbac_test_support::{Request, Response, claims_of};
use serde_json::{Value, json};

/// A public URL that stays the same across restarts: it is the tokens'
/// `iss`, which a new port would change.
const FIXED_URL: [(&str, &str); 1] = [("RBAC_EXAMPLE_PUBLIC_URL", "http://127.0.0.1:3999")];

/// Stops `server` and starts it again over the same data directory: the
/// database and the signing key remain, revocations (held in memory) are
/// gone.
async fn restart(server: TestServer, dir: &Path) -> TestServer {
    server.stop().await;
    TestServer::start_in(dir, &FIXED_URL).await
}

fn assert_revoked(response: &Response) {
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(response.error_code(), "invalid_token");
    assert_eq!(response.json()["error_description"], "the token has been revoked");
}

/// Creates `username` with `roles` as alice; returns the new user's id.
async fn create(server: &TestServer, alice: &str, username: &str, roles: Value) -> i64 {
    let response = server
        .json(
            "POST",
            "/users",
            alice,
            json!({
                "username": username, "password": format!("{username}-password"), "roles": roles,
            }),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["id"].as_i64().expect("an id")
}

async fn roles_of(server: &TestServer, alice: &str, username: &str) -> Value {
    let users = server.get("/users", Some(alice)).await;
    users
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .find(|user| user["username"] == username)
        .map(|user| user["roles"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn admin_creates_changes_and_deletes_users() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;

    let id = create(&server, &alice, "dave", json!(["viewer"])).await;
    let dave = server.login(("dave", "dave-password"), None).await;
    assert_eq!(claims_of(&dave)["scope"], "posts:read");

    let changed = server
        .json("PUT", &format!("/users/{id}/roles"), &alice, json!({"roles": ["editor"]}))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["roles"], json!(["editor"]));
    let dave = server.login(("dave", "dave-password"), None).await;
    assert_eq!(claims_of(&dave)["scope"], "users:read posts:read posts:write");

    assert_eq!(server.delete(&format!("/users/{id}"), &alice).await.status, 204);
    assert_eq!(roles_of(&server, &alice, "dave").await, Value::Null);
    assert_eq!(server.delete(&format!("/users/{id}"), &alice).await.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn nobody_changes_their_own_roles() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;
    create(&server, &alice, "dave", json!(["admin"])).await; // so alice is not the last admin
    let me = server.user_id(&alice, "alice").await;

    let demote = server
        .json("PUT", &format!("/users/{me}/roles"), &alice, json!({"roles": ["viewer"]}))
        .await;
    assert_eq!(demote.status, 403, "{}", demote.text());
    assert_eq!(demote.error_code(), "own_roles");
    let delete = server.delete(&format!("/users/{me}"), &alice).await;
    assert_eq!(delete.status, 403, "{}", delete.text());
    assert_eq!(delete.error_code(), "own_roles");

    assert_eq!(roles_of(&server, &alice, "alice").await, json!(["admin"]));
    server.stop().await;
}

#[tokio::test]
async fn nobody_grants_a_role_they_do_not_hold() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = TestServer::start_in(dir.path(), &FIXED_URL).await;
    let alice = server.login(ALICE, None).await;
    let dave_id = create(&server, &alice, "dave", json!(["admin"])).await;
    // Dave's token says admin until it expires...
    let dave = server.login(("dave", "dave-password"), None).await;
    // ...but alice makes him an editor, which revokes it.
    let demoted = server
        .json("PUT", &format!("/users/{dave_id}/roles"), &alice, json!({"roles": ["editor"]}))
        .await;
    assert_eq!(demoted.status, 200, "{}", demoted.text());
    assert_revoked(&server.get("/users/me", Some(&dave)).await);

    // Revocations live in memory: after a restart the guard lets the old
    // token in again. The handler still sees in the database that dave
    // holds editor and viewer only, and refuses to hand out admin.
    let server = restart(server, dir.path()).await;
    let carol_id = server.user_id(&alice, "carol").await;
    let promote = server
        .json("PUT", &format!("/users/{carol_id}/roles"), &dave, json!({"roles": ["admin"]}))
        .await;
    assert_eq!(promote.status, 403, "{}", promote.text());
    assert_eq!(promote.error_code(), "role_not_held");
    let new_admin = server
        .json(
            "POST",
            "/users",
            &dave,
            json!({"username": "mallory", "password": "mallory-password", "roles": ["admin"]}),
        )
        .await;
    assert_eq!(new_admin.status, 403, "{}", new_admin.text());
    assert_eq!(new_admin.error_code(), "role_not_held");
    let alice_id = server.user_id(&alice, "alice").await;
    let demote_admin = server
        .json(
            "PUT",
            &format!("/users/{alice_id}/roles"),
            &dave,
            json!({"roles": ["admin", "viewer"]}),
        )
        .await;
    assert_eq!(demote_admin.error_code(), "role_not_held", "nor touch a holder of admin");
    let revoke =
        server.send(Request::post(&format!("/users/{alice_id}/revoke")).bearer(&dave)).await;
    assert_eq!(revoke.error_code(), "role_not_held", "nor revoke tokens as an admin");

    assert_eq!(roles_of(&server, &alice, "carol").await, json!(["viewer"]));
    assert_eq!(roles_of(&server, &alice, "mallory").await, Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_or_demoted() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = TestServer::start_in(dir.path(), &FIXED_URL).await;
    let alice = server.login(ALICE, None).await;
    let dave_id = create(&server, &alice, "dave", json!(["admin"])).await;
    let dave = server.login(("dave", "dave-password"), None).await;
    // With two admins, one may demote the other: alice demotes dave.
    let demoted = server
        .json("PUT", &format!("/users/{dave_id}/roles"), &alice, json!({"roles": ["viewer"]}))
        .await;
    assert_eq!(demoted.status, 200, "{}", demoted.text());
    assert_revoked(&server.get("/users/me", Some(&dave)).await);

    // Alice is now the last admin; after a restart (which forgets the
    // revocation), dave's unexpired admin token tries to remove her, then
    // to demote her.
    let server = restart(server, dir.path()).await;
    let alice_id = server.user_id(&alice, "alice").await;
    let delete = server.delete(&format!("/users/{alice_id}"), &dave).await;
    assert_eq!(delete.status, 409, "{}", delete.text());
    assert_eq!(delete.error_code(), "last_admin");
    let demote = server
        .json("PUT", &format!("/users/{alice_id}/roles"), &dave, json!({"roles": ["editor"]}))
        .await;
    assert_eq!(demote.status, 409, "{}", demote.text());
    assert_eq!(demote.error_code(), "last_admin");

    assert_eq!(roles_of(&server, &alice, "alice").await, json!(["admin"]));
    server.stop().await;
}

#[tokio::test]
async fn a_deleted_users_token_speaks_for_nobody() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = TestServer::start_in(dir.path(), &FIXED_URL).await;
    let alice = server.login(ALICE, None).await;
    let dave_id = create(&server, &alice, "dave", json!(["admin"])).await;
    let dave = server.login(("dave", "dave-password"), None).await;
    assert_eq!(server.delete(&format!("/users/{dave_id}"), &alice).await.status, 204);
    // Deleting revokes the user's tokens...
    assert_revoked(&server.get("/users/me", Some(&dave)).await);

    // ...and after a restart, which forgets that, the database still says
    // the token's user is gone.
    let server = restart(server, dir.path()).await;
    let carol_id = server.user_id(&alice, "carol").await;
    for response in [
        server
            .json("PUT", &format!("/users/{carol_id}/roles"), &dave, json!({"roles": ["admin"]}))
            .await,
        server.get("/users/me", Some(&dave)).await,
    ] {
        assert_eq!(response.status, 401, "{}", response.text());
        assert_eq!(response.json()["error_description"], "the token's user no longer exists");
        let challenge = response.header("www-authenticate").expect("a challenge");
        assert!(challenge.contains(r#"error="invalid_token""#), "{challenge}");
    }
    // A new user never inherits a deleted user's id, so never their tokens.
    let new_id = create(&server, &alice, "dave", json!(["viewer"])).await;
    assert_ne!(new_id, dave_id);
    assert_eq!(server.get("/users/me", Some(&dave)).await.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn user_input_is_checked() {
    let server = TestServer::start().await;
    let alice = server.login(ALICE, None).await;
    let carol = server.login(CAROL, None).await;
    let bad = [
        json!({"username": "Dave", "password": "long-enough", "roles": []}),
        json!({"username": "dave", "password": "short", "roles": []}),
        json!({"username": "dave", "password": "long-enough", "roles": ["root"]}),
        json!({"username": "dave", "password": "long-enough"}),
        json!({"username": "dave", "password": "long-enough", "roles": [], "admin": true}),
    ];
    for body in bad {
        let response = server.json("POST", "/users", &alice, body.clone()).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text());
        assert_eq!(response.error_code(), "invalid_request", "{body}");
    }
    let taken = server
        .json(
            "POST",
            "/users",
            &alice,
            json!({"username": "bob", "password": "long-enough", "roles": []}),
        )
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.error_code(), "username_taken");
    assert_eq!(server.delete("/users/9999", &alice).await.status, 404);
    assert_eq!(server.delete("/users/abc", &alice).await.status, 400);

    // A viewer never reaches any of it: the guard answers first.
    let response = server.json("POST", "/users", &carol, json!({"username": "x"})).await;
    assert_eq!(response.status, 403);
    assert!(response.header("www-authenticate").is_some_and(|c| c.contains("insufficient_scope")));
    server.stop().await;
}
