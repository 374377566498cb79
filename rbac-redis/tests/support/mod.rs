//! What the tests share: a `redis-server` per test on a free loopback port
//! (stopped, killed and restarted on demand), instances of the store with
//! short settings, and waiting for a condition within a deadline.
//!
//! Without `redis-server` on `PATH` a test is skipped, loudly, unless
//! `RBAC_REQUIRE_TOOLS` is set (CI), when it fails.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rbac_axum::{RevocationStore, TokenId};
use rbac_redis::RedisRevocations;
use redis::aio::MultiplexedConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// The issuer of every test token.
pub(crate) const ISS: &str = "https://issuer.test";

/// The longest token lifetime the test stores accept.
pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// The staleness bound of the test stores.
pub(crate) const MAX_STALENESS: Duration = Duration::from_millis(1500);

/// How to install what the tests need.
const INSTALL: &str = "apt-get install redis-server";

/// Whether the server keeps an append-only file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// `--appendonly no`: a restart loses everything.
    None,
    /// `--appendonly yes --appendfsync always`: a restart keeps every
    /// acknowledged write.
    AppendOnly,
}

/// A `redis-server` on a free loopback port with its own directory; killed
/// when dropped (even when stopped).
pub(crate) struct RedisServer {
    program: PathBuf,
    port: u16,
    persistence: Persistence,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// A server for `test`, or `None` when `redis-server` is not installed
    /// (the test is then skipped; see the module's documentation).
    pub(crate) async fn start(test: &str, persistence: Persistence) -> Option<Self> {
        let program = rbac_test_support::require_tool(test, &["redis-server"], INSTALL)?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        // The port is free when the kernel hands it out, but something may
        // take it before the server binds it: then try another.
        for _ in 0..10 {
            let port = free_port();
            let mut child = spawn(&program, port, persistence, dir.path());
            if wait_ready(port, &mut child).await {
                return Some(Self { program, port, persistence, dir, child: Some(child) });
            }
            let _ = child.kill().await;
        }
        panic!("redis-server did not start");
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A connection of the test's own, to look at or change what Redis holds.
    pub(crate) async fn connect(&self) -> MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("a valid URL")
            .get_multiplexed_async_connection()
            .await
            .expect("a connection to the test's redis-server")
    }

    /// Stops the process (SIGSTOP): it keeps its connections but answers
    /// nothing.
    pub(crate) fn stop(&self) {
        self.signal("-STOP");
    }

    /// Resumes a stopped process (SIGCONT).
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().and_then(Child::id).expect("a running redis-server");
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Kills the process (SIGKILL) and waits until it is gone; the port is
    /// closed until [`restart`](Self::restart).
    pub(crate) async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("the killed redis-server");
        }
    }

    /// Kills the process if it runs, then starts it again on the same port
    /// with the same directory (an append-only file there is loaded).
    pub(crate) async fn restart(&mut self) {
        self.kill().await;
        let mut child = spawn(&self.program, self.port, self.persistence, self.dir.path());
        assert!(wait_ready(self.port, &mut child).await, "redis-server restarted on its port");
        self.child = Some(child);
    }
}

/// A port the kernel just handed out, and released.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("its address").port()
}

fn spawn(program: &Path, port: u16, persistence: Persistence, dir: &Path) -> Child {
    let mut command = Command::new(program);
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--daemonize", "no", "--loglevel", "warning"])
        .arg("--dir")
        .arg(dir);
    match persistence {
        Persistence::None => command.args(["--appendonly", "no"]),
        Persistence::AppendOnly => command.args(["--appendonly", "yes", "--appendfsync", "always"]),
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server runs")
}

/// Whether the server answers `PING` within 5 s (plain RESP over TCP); not
/// when it exited (its port taken, most likely).
async fn wait_ready(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let mut reply = [0_u8; 16];
            if stream.write_all(b"PING\r\n").await.is_ok()
                && let Ok(read) = stream.read(&mut reply).await
                && reply[..read].starts_with(b"+PONG")
            {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// An instance of the store with the tests' short settings: block 300 ms,
/// staleness 1.5 s, timeouts 300 ms.
///
/// Logs go to the test's output, filtered by `RUST_LOG` (none without it).
pub(crate) fn instance(url: &str) -> Arc<RedisRevocations> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    RedisRevocations::builder(url, HOUR)
        .max_staleness(MAX_STALENESS)
        .block(Duration::from_millis(300))
        .connect_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_millis(300))
        .start()
        .expect("valid settings, within a runtime")
}

/// Waits until `condition` holds, checking every millisecond, and returns
/// how long it took; panics, naming `what`, when it has not within `limit`.
pub(crate) async fn wait_for(
    what: &str,
    limit: Duration,
    mut condition: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    start.elapsed()
}

/// Whether `store` refuses the token `jti` of the test issuer.
pub(crate) fn refuses(store: &RedisRevocations, jti: &str) -> bool {
    store.is_revoked(TokenId::new(ISS, jti, "nobody", 0))
}

/// Whether `store` answers now (loaded, and fresh).
pub(crate) fn available(store: &RedisRevocations) -> bool {
    store.availability().is_ok()
}

/// An `exp` ten minutes from now.
pub(crate) fn exp() -> u64 {
    now_seconds() + 600
}

/// Seconds since the epoch.
pub(crate) fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// The ids (`id` fields) of the stream's entries, in order.
pub(crate) async fn stream_ids(connection: &mut MultiplexedConnection) -> Vec<String> {
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(rbac_redis::DEFAULT_KEY)
        .arg("-")
        .arg("+")
        .query_async(connection)
        .await
        .expect("XRANGE");
    entries.ids.iter().filter_map(|entry| entry.get::<String>("id")).collect()
}
