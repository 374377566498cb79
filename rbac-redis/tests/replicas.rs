//! Instances sharing revocations through a live redis-server: propagation
//! both ways, an instance started while Redis is down, a stream longer
//! than a page, malformed entries, and stopping when dropped.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, SystemTime};

use rbac_axum::{RevocationStore, TokenId};
use support::{
    FIRST_LOAD, ISS, Persistence, RedisServer, available, connect, exp, instance, refuses,
    stream_ids, two_loaded, wait_for,
};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_through_one_instance_is_refused_by_the_others() {
    propagation("a_revocation_through_one_instance_is_refused_by_the_others", "").await;
}

/// The same over RESP3, whose `XREAD` replies are maps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_is_shared_over_resp3_too() {
    propagation("a_revocation_is_shared_over_resp3_too", "?protocol=resp3").await;
}

/// A token revoked through A is refused by B, and a subject cut off
/// through B by A; `query` is added to the URL.
async fn propagation(test: &str, query: &str) {
    let Some(server) = RedisServer::start(test, Persistence::None).await else { return };
    let url = format!("{}{query}", server.url());
    let (a, b) = two_loaded(&url).await;

    // A token.
    assert!(!refuses(&b, "j-1"));
    a.revoke_token(ISS, "j-1", exp()).await.unwrap();
    let written = std::time::Instant::now();
    assert!(refuses(&a, "j-1"), "at once where it was written");
    let seen = wait_for("b refuses j-1", 2 * SECOND, || refuses(&b, "j-1")).await;
    eprintln!("token: seen by b {seen:?} after a's write returned");
    assert!(!refuses(&b, "j-2"));

    // A subject's cut-off, the other way.
    let (cutoff, published) = b.revoke_subject(ISS, "user-1", SystemTime::now());
    published.await.unwrap();
    let seen = wait_for("a holds the cut-off", 2 * SECOND, || {
        a.subject_cutoff(ISS, "user-1") == Some(cutoff)
    })
    .await;
    eprintln!(
        "cut-off: seen by a {seen:?} after b's write returned ({:?} in all)",
        written.elapsed()
    );
    assert!(a.is_revoked(TokenId::new(ISS, "any", "user-1", cutoff - 1)));
    assert!(!a.is_revoked(TokenId::new(ISS, "any", "user-1", cutoff)));
    assert!(!a.is_revoked(TokenId::new(ISS, "any", "user-2", 0)));

    // Both are in the stream, once each.
    let mut connection = connect(&server).await;
    assert_eq!(stream_ids(&mut connection).await, ["j-1", "user-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_started_while_redis_is_down_is_unavailable_until_it_loads() {
    const TEST: &str = "an_instance_started_while_redis_is_down_is_unavailable_until_it_loads";
    // With an append-only file, so that what was written survives.
    let Some(mut server) = RedisServer::start(TEST, Persistence::AppendOnly).await else { return };
    let writer = instance(&server.url());
    writer.revoke_token(ISS, "j-early", exp()).await.unwrap();
    let (cutoff, published) = writer.revoke_subject(ISS, "user-1", SystemTime::now());
    published.await.unwrap();
    drop(writer);
    server.kill().await;

    let late = instance(&server.url());
    let unavailable = late.availability().unwrap_err();
    assert!(unavailable.retry_after >= SECOND, "{unavailable:?}");
    assert!(!late.wait_until_loaded(SECOND).await, "nothing to load from");
    assert!(!available(&late));

    server.restart().await;
    // Reconnection attempts back off up to 2 s; then the marker, set when
    // the writer started, may still be within the republish grace.
    assert!(late.wait_until_loaded(2 * SECOND + FIRST_LOAD).await, "loaded once Redis is back");
    assert!(refuses(&late, "j-early"));
    assert_eq!(late.subject_cutoff(ISS, "user-1"), Some(cutoff));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_longer_than_a_page_loads_whole() {
    const TEST: &str = "a_stream_longer_than_a_page_loads_whole";
    const COUNT: usize = 2500;
    let Some(server) = RedisServer::start(TEST, Persistence::None).await else { return };
    // Following before the writes: reads them in pages of `XREAD`.
    let following = instance(&server.url());
    assert!(following.wait_until_loaded(FIRST_LOAD).await);
    let mut connection = connect(&server).await;
    let exp = exp();
    let mut pipeline = redis::pipe();
    for n in 0..COUNT {
        pipeline
            .cmd("XADD")
            .arg(rbac_redis::DEFAULT_KEY)
            .arg("*")
            .arg(&["v", "1", "kind", "token", "iss", ISS, "id", &format!("j-{n}")])
            .arg("at")
            .arg(exp)
            .ignore();
    }
    let () = pipeline.query_async(&mut connection).await.unwrap();

    // Started after them: reads them in pages of `XRANGE`.
    let loading = instance(&server.url());
    assert!(loading.wait_until_loaded(FIRST_LOAD).await);
    assert_eq!(loading.local().len(), COUNT, "every page loaded");
    assert!(refuses(&loading, "j-0") && refuses(&loading, &format!("j-{}", COUNT - 1)));
    wait_for("the follower has them all", 3 * SECOND, || following.local().len() == COUNT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_entries_are_skipped_and_the_others_applied() {
    const TEST: &str = "malformed_entries_are_skipped_and_the_others_applied";
    let Some(server) = RedisServer::start(TEST, Persistence::None).await else { return };
    let mut connection = connect(&server).await;
    let key = rbac_redis::DEFAULT_KEY;
    let exp = exp().to_string();
    let entries: [&[&str]; 5] = [
        &["v", "1", "kind", "token", "iss", ISS, "id", "good-1", "at", &exp],
        &["v", "1", "kind", "token", "iss", ISS, "id", "no-at"],
        &["v", "1", "kind", "role", "iss", ISS, "id", "bad-kind", "at", &exp],
        &["note", "not a revocation"],
        &["v", "1", "kind", "token", "iss", ISS, "id", "good-2", "at", &exp],
    ];
    let add = async |connection: &mut redis::aio::MultiplexedConnection, fields: &[&str]| {
        let _: String =
            redis::cmd("XADD").arg(key).arg("*").arg(fields).query_async(connection).await.unwrap();
    };
    for fields in entries {
        add(&mut connection, fields).await;
    }

    // Read by the load (`XRANGE`)...
    let store = instance(&server.url());
    assert!(store.wait_until_loaded(FIRST_LOAD).await);
    assert!(refuses(&store, "good-1") && refuses(&store, "good-2"));
    assert!(!refuses(&store, "no-at") && !refuses(&store, "bad-kind"));
    assert_eq!(store.local().len(), 2);

    // ...and while following (`XREAD`).
    add(&mut connection, &["v", "1", "kind", "token", "iss", ISS, "at", &exp]).await;
    add(&mut connection, &["v", "9", "kind", "token", "iss", ISS, "id", "v9", "at", &exp]).await;
    add(&mut connection, &["v", "1", "kind", "token", "iss", ISS, "id", "good-3", "at", &exp])
        .await;
    wait_for("good-3 applied", 2 * SECOND, || refuses(&store, "good-3")).await;
    assert!(!refuses(&store, "v9"));
    assert_eq!(store.local().len(), 3);
    assert!(available(&store), "malformed entries do not break the connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_store_closes_its_connections() {
    const TEST: &str = "a_dropped_store_closes_its_connections";
    let Some(server) = RedisServer::start(TEST, Persistence::None).await else { return };
    let mut connection = connect(&server).await;
    let mut clients = async || -> usize {
        let list: String =
            redis::cmd("CLIENT").arg("LIST").query_async(&mut connection).await.unwrap();
        list.lines().count()
    };
    assert_eq!(clients().await, 1, "the test's own connection");

    let store = instance(&server.url());
    assert!(store.wait_until_loaded(FIRST_LOAD).await);
    store.revoke_token(ISS, "j-1", exp()).await.unwrap();
    assert_eq!(clients().await, 3, "the test's, the reader's, the publisher's");
    let store_weak = std::sync::Arc::downgrade(&store);
    drop(store);
    assert!(store_weak.upgrade().is_none(), "the task holds no reference");

    let deadline = std::time::Instant::now() + 3 * SECOND;
    while clients().await != 1 {
        assert!(std::time::Instant::now() < deadline, "connections still open after the drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A caller that drops its publication (a request cancelled mid-way) loses
/// nothing: the revocation is queued before the call returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_publication_is_published_all_the_same() {
    const TEST: &str = "a_dropped_publication_is_published_all_the_same";
    let Some(server) = RedisServer::start(TEST, Persistence::None).await else { return };
    let (a, b) = two_loaded(&server.url()).await;
    drop(a.revoke_token(ISS, "j-1", exp()));
    drop(a.revoke_subject(ISS, "user-1", SystemTime::now()));
    assert!(refuses(&a, "j-1"), "here at once");
    assert!(a.wait_until_published(2 * SECOND).await);
    assert_eq!(a.unpublished(), 0);
    wait_for("b refuses j-1", 2 * SECOND, || refuses(&b, "j-1")).await;
    let mut connection = connect(&server).await;
    assert_eq!(stream_ids(&mut connection).await, ["j-1", "user-1"]);
}
