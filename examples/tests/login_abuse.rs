//! `POST /token` under abuse, over real sockets from several loopback
//! addresses: failed logins are throttled with 429 and `Retry-After`, the
//! account's owner on another address still logs in during a flood
//! against it, and a full password hashing queue answers 503 with
//! `Retry-After` at once.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use common::{ALICE, BOB, TestServer, token_request_at};
use rbac_test_support::Response;
use tokio::task::JoinSet;

/// The n-th loopback address: a client of its own.
fn client(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

async fn login_from(server: &TestServer, from: IpAddr, (user, password): (&str, &str)) -> Response {
    let fields = [("grant_type", "password"), ("username", user), ("password", password)];
    server.token_request_from(from, &fields).await
}

/// The same login from each of `sources` at once; the answers in order.
async fn logins_at_once(
    addr: SocketAddr,
    sources: impl IntoIterator<Item = IpAddr>,
    (user, password): (&'static str, &'static str),
) -> Vec<Response> {
    let mut logins = JoinSet::new();
    for (index, source) in sources.into_iter().enumerate() {
        logins.spawn(async move {
            let fields = [("grant_type", "password"), ("username", user), ("password", password)];
            (index, token_request_at(addr, source, &fields).await)
        });
    }
    let mut answers = logins.join_all().await;
    answers.sort_by_key(|(index, _)| *index);
    answers.into_iter().map(|(_, response)| response).collect()
}

fn retry_after(response: &Response) -> u64 {
    let value = response.header("retry-after").expect("a Retry-After header");
    value.parse().unwrap_or_else(|_| panic!("Retry-After in seconds, got {value:?}"))
}

#[tokio::test]
async fn the_sixth_failure_in_a_row_is_429_with_retry_after() {
    let server = TestServer::start().await;
    for attempt in 1..=5 {
        let response = login_from(&server, client(1), ("alice", "wrong")).await;
        assert_eq!(response.status, 400, "attempt {attempt}: {}", response.text());
        assert_eq!(response.error_code(), "invalid_grant");
    }
    // Now refused before the password is looked at: even the right one.
    let response = login_from(&server, client(1), ALICE).await;
    assert_eq!(response.status, 429, "{}", response.text());
    assert_eq!(response.error_code(), "too_many_failed_logins");
    // A minute from the fifth failure, counted in whole seconds.
    assert!((55..=60).contains(&retry_after(&response)), "{response}");
    assert_eq!(response.header("cache-control"), Some("no-store"));

    // Another account from that address, and this one from another
    // address, are not held back.
    assert_eq!(login_from(&server, client(1), BOB).await.status, 200);
    assert_eq!(login_from(&server, client(2), ALICE).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn the_owner_logs_in_from_elsewhere_during_a_flood_against_the_account() {
    let server = TestServer::start().await;
    // One address floods alice's account, 40 guesses at once.
    let flood = logins_at_once(server.addr, (0..40).map(|_| client(1)), ("alice", "guess"));
    let statuses: Vec<u16> = flood.await.into_iter().map(|response| response.status).collect();
    assert!(statuses.iter().all(|status| [400, 429].contains(status)), "{statuses:?}");
    // Sent together, they are counted as they begin: no more are checked
    // than the burst of 5, however many arrive before the first fails.
    let checked = statuses.iter().filter(|status| **status == 400).count();
    assert!(checked <= 5, "{checked} guesses checked: {statuses:?}");
    // It is refused, right password or not, ...
    let attacker = login_from(&server, client(1), ALICE).await;
    assert_eq!(attacker.status, 429, "{}", attacker.text());
    // ... while alice, on her own address, is in.
    let owner = login_from(&server, client(2), ALICE).await;
    assert_eq!(owner.status, 200, "{}", owner.text());
    server.stop().await;
}

#[tokio::test]
async fn many_addresses_against_one_account_leave_its_owner_in() {
    let server = TestServer::start().await;
    // 60 addresses, one guess each: past the username's burst of 50.
    for n in 10..70 {
        let response = login_from(&server, client(n), ("alice", "guess")).await;
        assert_eq!(response.status, 400, "from 127.0.0.{n}: {}", response.text());
    }
    // An address that has failed for alice is now refused...
    let attacker = login_from(&server, client(10), ("alice", "guess")).await;
    assert_eq!(attacker.status, 429, "{}", attacker.text());
    assert!(retry_after(&attacker) >= 1);
    // ...alice, from an address that never failed, is not.
    let owner = login_from(&server, client(2), ALICE).await;
    assert_eq!(owner.status, 200, "{}", owner.text());
    server.stop().await;
}

#[tokio::test]
async fn a_full_hashing_queue_is_503_with_retry_after() {
    let server = TestServer::start_with(&[
        ("RBAC_EXAMPLE_HASH_WORKERS", "1"),
        ("RBAC_EXAMPLE_HASH_QUEUE", "1"),
    ])
    .await;
    // 16 logins at once, each from its own address (not throttled): one is
    // hashed, one waits, the rest find the queue full.
    let responses = logins_at_once(server.addr, (0..16).map(|n| client(100 + n)), BOB).await;
    let granted = responses.iter().filter(|response| response.status == 200).count();
    let busy: Vec<&Response> = responses.iter().filter(|response| response.status == 503).collect();
    assert_eq!(granted + busy.len(), 16, "only 200 or 503: {responses:?}");
    assert!(granted >= 1, "{responses:?}");
    assert!(!busy.is_empty(), "the queue never filled: {responses:?}");
    for response in busy {
        assert_eq!(response.error_code(), "temporarily_unavailable");
        assert!(retry_after(response) >= 1);
    }
    // Once the queue has drained, logins are served again.
    assert_eq!(login_from(&server, client(200), BOB).await.status, 200);
    server.stop().await;
}
