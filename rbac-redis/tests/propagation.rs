//! How long a revocation written through one instance takes to be refused
//! by another: a measurement, not a check (ignored by default). Run it with
//!
//! ```text
//! cargo test --release -p rbac-redis --test propagation -- --ignored --nocapture
//! ```

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rbac_redis::RedisRevocations;
use support::{FIRST_LOAD, ISS, Persistence, RedisServer, exp, instance, refuses};

/// Trials.
const TRIALS: usize = 200;

/// How often the reading instance is asked.
const POLL: Duration = Duration::from_micros(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn propagation_latency() {
    const TEST: &str = "propagation_latency";
    let Some(server) = RedisServer::start(TEST, Persistence::None).await else { return };
    let (a, b) = (instance(&server.url()), instance(&server.url()));
    assert!(a.wait_until_loaded(FIRST_LOAD).await);
    assert!(b.wait_until_loaded(FIRST_LOAD).await);

    let mut from_start = Vec::with_capacity(TRIALS);
    let mut from_return = Vec::with_capacity(TRIALS);
    let mut writes = Vec::with_capacity(TRIALS);
    let mut before_return = 0;
    for trial in 0..TRIALS {
        let jti = format!("latency-{trial}");
        // B is polled on a thread of its own, as a request would ask it.
        let seen = watch(b.clone(), jti.clone());
        let start = Instant::now();
        a.revoke_token(ISS, &jti, exp()).await.unwrap();
        let returned = Instant::now();
        let seen_at = seen.recv_timeout(Duration::from_secs(5)).expect("b refuses it");
        writes.push(returned - start);
        from_start.push(seen_at - start);
        from_return.push(seen_at.saturating_duration_since(returned));
        before_return += usize::from(seen_at < returned);
    }

    println!("{TRIALS} trials, B polled every {POLL:?}:");
    report("write on A (queued; XADD + XTRIM by its publisher), until Redis holds it", &mut writes);
    report("B refuses it, from A's write start", &mut from_start);
    report("B refuses it, from A's write return (0 if before)", &mut from_return);
    println!("  B refused it before A's write returned in {before_return} of {TRIALS} trials");
}

/// Sends the instant `store` first refuses `jti`, polling every [`POLL`].
fn watch(store: Arc<RedisRevocations>, jti: String) -> mpsc::Receiver<Instant> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if refuses(&store, &jti) {
                let _ = sender.send(Instant::now());
                return;
            }
            std::thread::sleep(POLL);
        }
    });
    receiver
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    let median = ms(samples[samples.len() / 2]);
    let p99 = ms(samples[samples.len() * 99 / 100]);
    let max = ms(samples[samples.len() - 1]);
    println!("  {what}: median {median:.3} ms, p99 {p99:.3} ms, max {max:.3} ms");
}
