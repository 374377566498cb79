//! What the store logs through an outage: one warning when Redis becomes
//! unreachable and one when it is back, however many attempts between; and
//! never a `jti` or a subject, whatever the level.
//!
//! A binary of its own: it installs the process-wide subscriber.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use support::{
    FIRST_LOAD, ISS, Persistence, RedisServer, available, connect, exp, instance, wait_for,
};

const SECOND: Duration = Duration::from_secs(1);

/// Every log line, at every level, without colours.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn install() -> Self {
        let captured = Self::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        captured
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into()
    }

    fn count(&self, level: &str, message: &str) -> usize {
        self.text().lines().filter(|line| line.contains(level) && line.contains(message)).count()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_logs_two_warnings_and_no_identities() {
    const TEST: &str = "an_outage_logs_two_warnings_and_no_identities";
    let Some(mut server) = RedisServer::start(TEST, Persistence::None).await else { return };
    let logs = Captured::install();
    let store = instance(&server.url());
    assert!(store.wait_until_loaded(FIRST_LOAD).await);
    store.revoke_token(ISS, "secret-jti", exp()).await.unwrap();
    store.revoke_subject(ISS, "secret-sub", SystemTime::now()).1.await.unwrap();
    // A malformed entry holding a value: skipped, logged by id only.
    let mut connection = connect(&server).await;
    let _: String = redis::cmd("XADD")
        .arg(rbac_redis::DEFAULT_KEY)
        .arg("*")
        .arg(&["v", "1", "kind", "token", "iss", ISS, "id", "secret-malformed"])
        .query_async(&mut connection)
        .await
        .unwrap();
    // Read before Redis goes, with everything it held.
    wait_for("the malformed entry read", 2 * SECOND, || {
        logs.count("WARN", "malformed revocation entries skipped") == 1
    })
    .await;

    server.kill().await;
    wait_for("unavailable", 5 * SECOND, || !available(&store)).await;
    // Several attempts fail meanwhile (100, 200, 400, 800 ms apart).
    wait_for("attempts", 5 * SECOND, || logs.count("DEBUG", "Redis still unreachable") >= 3).await;
    server.restart().await;
    wait_for("available again", 5 * SECOND, || available(&store)).await;

    assert_eq!(logs.count("WARN", "Redis unreachable"), 1, "{}", logs.text());
    assert_eq!(logs.count("WARN", "Redis reachable again"), 1, "{}", logs.text());
    assert_eq!(logs.count("WARN", "publishing this instance's copy again"), 1, "{}", logs.text());
    assert!(!logs.text().contains("secret-"), "{}", logs.text());
}
