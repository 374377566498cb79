//! Two replicas of the example, as separate processes, behind one public
//! URL: they share the data directory (signing key and users) and a
//! `redis-server` started for the test. A token issued by one is accepted
//! by the other; a token logged out through replica A is refused by
//! replica B, and how long that takes is measured (printed, not asserted:
//! a figure, not a timed test). While Redis is unreachable past the
//! staleness bound, requests with a token get 503; once it is back, they
//! are answered again and a revocation made before is still refused. A
//! replica stopped while Redis is down waits to publish what it revoked.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{ALICE, BOB};
use rbac_test_support::{Persistence, RedisServer, Request, Response, send};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// The URL clients reach both replicas at (a load balancer's): the tokens'
/// issuer, the same for both.
const PUBLIC_URL: &str = "http://127.0.0.1:1";

/// The line of the start-up banner that names the address bound.
const BANNER: &str = "rbac-example is listening on ";

/// One replica: the example's binary in a process of its own.
struct Replica {
    addr: SocketAddr,
    process: Child,
}

impl Replica {
    /// Starts a replica over `data_dir` sharing revocations through
    /// `redis_url`, and waits for its banner.
    async fn start(data_dir: &Path, redis_url: &str) -> Replica {
        let mut process = Command::new(env!("CARGO_BIN_EXE_rbac-example"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RBAC_EXAMPLE_ADDR", "127.0.0.1:0")
            .env("RBAC_EXAMPLE_DATA_DIR", data_dir)
            .env("RBAC_EXAMPLE_PUBLIC_URL", PUBLIC_URL)
            .env("RBAC_EXAMPLE_REDIS_URL", redis_url)
            .env("RBAC_EXAMPLE_REDIS_MAX_STALENESS_SECS", "2")
            .env("RBAC_EXAMPLE_DEMO_TOKENS", "false")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the example's binary starts");
        let stdout = process.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let banner = async {
            while let Some(line) = lines.next_line().await.expect("readable stdout") {
                if let Some(url) = line.strip_prefix(BANNER) {
                    return url.trim().to_owned();
                }
            }
            panic!("the replica exited before its banner");
        };
        let url = tokio::time::timeout(Duration::from_secs(30), banner)
            .await
            .expect("the replica starts within 30 s");
        // Keep reading, so that the replica never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let addr = url.strip_prefix("http://").and_then(|a| a.parse().ok()).expect("an address");
        Replica { addr, process }
    }

    /// Stops the replica as an orchestrator does (SIGTERM), and waits for
    /// it to exit, at most `limit`; how long it took.
    async fn terminate(mut self, limit: Duration) -> Duration {
        let pid = self.process.id().expect("running").to_string();
        let signalled = std::process::Command::new("kill").args(["-TERM", &pid]).status();
        assert!(signalled.expect("kill runs").success(), "SIGTERM sent");
        let started = Instant::now();
        let status = tokio::time::timeout(limit, self.process.wait())
            .await
            .expect("the replica exits in time")
            .expect("its status");
        assert!(status.success(), "a clean exit: {status}");
        started.elapsed()
    }

    async fn send(&self, request: Request) -> Response {
        send(self.addr, &request.to_bytes(&self.addr.to_string())).await
    }

    async fn login(&self, (username, password): (&str, &str)) -> String {
        let form = format!("grant_type=password&username={username}&password={password}");
        let request = Request::post("/token").body("application/x-www-form-urlencoded", form);
        let response = self.send(request).await;
        assert_eq!(response.status, 200, "login: {response}");
        response.json()["access_token"].as_str().expect("a token").to_owned()
    }

    async fn me(&self, token: &str) -> u16 {
        self.send(Request::get("/users/me").bearer(token)).await.status
    }
}

/// Polls `replica` with `token` every millisecond until it answers
/// `status`; how long that took, or `None` after `limit`.
async fn until_status(
    replica: &Replica,
    token: &str,
    status: u16,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if replica.me(token).await == status {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    None
}

/// A `redis-server` for `test` (none when it is not installed: the test is
/// skipped), a data directory, and two replicas over both.
async fn two_replicas(test: &str) -> Option<(RedisServer, tempfile::TempDir, Replica, Replica)> {
    let redis = RedisServer::start(test, Persistence::None).await?;
    let data = tempfile::tempdir().expect("a temporary directory");
    // One after the other: the first creates the key and the users.
    let a = Replica::start(data.path(), &redis.url()).await;
    let b = Replica::start(data.path(), &redis.url()).await;
    Some((redis, data, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_logged_out_on_one_replica_is_refused_by_the_other() {
    let Some((_redis, _data, a, b)) =
        two_replicas("a_token_logged_out_on_one_replica_is_refused_by_the_other").await
    else {
        return;
    };

    // A token from A is good on B: one key, one issuer.
    let token = a.login(BOB).await;
    assert_eq!(b.me(&token).await, 200);

    // Logged out through A, refused by B; timed over many trials.
    const TRIALS: usize = 30;
    let mut delays = Vec::with_capacity(TRIALS);
    for _ in 0..TRIALS {
        let token = a.login(BOB).await;
        assert_eq!(b.me(&token).await, 200);
        let logout = a.send(Request::post("/logout").bearer(&token)).await;
        assert_eq!(logout.status, 204, "{logout}");
        let refused = b.send(Request::get("/users/me").bearer(&token)).await;
        let delay = if refused.status == 401 {
            Duration::ZERO
        } else {
            until_status(&b, &token, 401, Duration::from_secs(5))
                .await
                .expect("B refuses the token within 5 s")
        };
        delays.push(delay);
    }
    delays.sort();
    eprintln!(
        "revocation on A to refusal on B, {TRIALS} trials: median {:?}, max {:?} (0 when B's \
         first request after A's answer was already refused)",
        delays[TRIALS / 2],
        delays[TRIALS - 1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_unreachable_past_the_bound_tokens_get_503() {
    let Some((mut redis, data, a, b)) =
        two_replicas("while_redis_is_unreachable_past_the_bound_tokens_get_503").await
    else {
        return;
    };
    let (kept, revoked) = (a.login(BOB).await, a.login(BOB).await);
    assert_eq!(a.send(Request::post("/logout").bearer(&revoked)).await.status, 204);
    until_status(&b, &revoked, 401, Duration::from_secs(5)).await.expect("B has the revocation");

    // Redis killed: the replicas answer from their copies for the bound
    // (2 s), then refuse every token with 503.
    redis.kill().await;
    let refused = until_status(&b, &kept, 503, Duration::from_secs(10)).await;
    assert!(refused.is_some(), "B refuses with 503 once past the bound");
    let response = b.send(Request::get("/users/me").bearer(&kept)).await;
    assert!(response.header("retry-after").is_some(), "{response}");
    assert_eq!(response.json()["error"], "temporarily_unavailable");
    // A request without a token still gets its 401.
    assert_eq!(b.send(Request::get("/users/me")).await.status, 401);

    // Back, without persistence (the stream is gone): the replicas load
    // again, keep what they held, and publish it again.
    redis.restart().await;
    until_status(&b, &kept, 200, Duration::from_secs(10)).await.expect("B answers again");
    until_status(&a, &kept, 200, Duration::from_secs(10)).await.expect("A answers again");
    assert_eq!(b.me(&revoked).await, 401, "nothing revoked is accepted again");
    // A replica started now learns the revocation from what the others
    // published again.
    let c = Replica::start(data.path(), &redis.url()).await;
    until_status(&c, &kept, 200, Duration::from_secs(10)).await.expect("C is loaded");
    assert_eq!(c.me(&revoked).await, 401, "C has the revocation made before the restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_stopped_while_redis_is_down_publishes_its_logouts_first() {
    let Some((mut redis, _data, a, b)) =
        two_replicas("a_replica_stopped_while_redis_is_down_publishes_its_logouts_first").await
    else {
        return;
    };
    let token = a.login(BOB).await;
    assert_eq!(b.me(&token).await, 200);

    // Redis down: the logout holds on A only; then A is told to stop.
    redis.kill().await;
    assert_eq!(a.send(Request::post("/logout").bearer(&token)).await.status, 204);
    assert_eq!(a.me(&token).await, 401, "refused on A at once");
    let stopping = tokio::spawn(a.terminate(Duration::from_secs(15)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!stopping.is_finished(), "A waits for Redis before exiting");

    // Back (empty): A publishes the logout before it exits, and B gets it.
    redis.restart().await;
    let took = stopping.await.expect("joined");
    eprintln!("A exited {took:?} after SIGTERM");
    until_status(&b, &token, 401, Duration::from_secs(10)).await.expect("B refuses the token");
}

/// Replicas stamp tokens on their own clocks, so their tokens get a
/// leeway; a login right after a revocation waits out the cut-off and the
/// leeway, so the token it gets is accepted everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_right_after_a_revocation_elsewhere_gets_a_token_both_accept() {
    let Some((_redis, _data, a, b)) =
        two_replicas("a_login_right_after_a_revocation_elsewhere_gets_a_token_both_accept").await
    else {
        return;
    };
    let admin = a.login(ALICE).await;
    let old = a.login(BOB).await;
    let me = a.send(Request::get("/users/me").bearer(&old)).await;
    let bob = me.json()["subject"].as_str().expect("a subject").to_owned();

    let revoke = a.send(Request::post(&format!("/users/{bob}/revoke")).bearer(&admin)).await;
    assert_eq!(revoke.status, 204, "{revoke}");
    until_status(&b, &old, 401, Duration::from_secs(5)).await.expect("B has the cut-off");
    let started = Instant::now();
    let fresh = b.login(BOB).await;
    eprintln!("the login on B waited {:?} for the cut-off and the leeway", started.elapsed());
    assert_eq!(b.me(&fresh).await, 200, "B accepts the token it issued");
    assert_eq!(a.me(&fresh).await, 200, "and so does A");
    assert_eq!(a.me(&old).await, 401);
}
