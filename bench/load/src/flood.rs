//! The flood: rounds of concurrent logins. Each round opens one
//! connection per login first, then releases every `POST /token` at once;
//! the server's memory is read before the first round (at rest), after
//! each round, and once more after a pause.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::header::HeaderValue;
use tokio::sync::Barrier;

use crate::client::{Connection, Exchange};
use crate::mix::{DEMO_USERS, DemoUser, Kind, login, login_form};
use crate::report::KindStats;
use crate::server::{ProcStatus, read_status};

/// How long the server rests after start before the resting reading.
const REST: Duration = Duration::from_secs(2);

/// The flood's settings.
#[derive(Debug, Clone)]
pub struct FloodOptions {
    /// Rounds.
    pub rounds: usize,
    /// Logins per round, all at once, one connection each.
    pub concurrency: usize,
    /// The wait after the last round before the final reading.
    pub settle: Duration,
    /// Who logs in.
    pub user: DemoUser,
    /// Longest wait for one answer.
    pub request_timeout: Duration,
}

impl Default for FloodOptions {
    fn default() -> Self {
        FloodOptions {
            rounds: 4,
            concurrency: 200,
            settle: Duration::from_secs(12),
            user: DEMO_USERS[1],
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// One round's figures.
#[derive(Debug)]
pub struct RoundOutcome {
    /// The logins' statuses, latencies (sorted) and failures; a connection
    /// that could not be opened counts as a failed login.
    pub logins: KindStats,
    /// From the release of the logins to the last answer.
    pub wall: Duration,
    /// The server's status right after the round.
    pub after: Result<ProcStatus, String>,
}

/// What the flood came to.
#[derive(Debug)]
pub struct FloodOutcome {
    /// The server's status at rest, before the first round.
    pub resting: Result<ProcStatus, String>,
    /// Each round's figures.
    pub rounds: Vec<RoundOutcome>,
    /// The server's status after the pause that follows the last round.
    pub settled: Result<ProcStatus, String>,
}

/// Runs the flood against the server at `server`, process `pid`;
/// stops after the current round when `stop` turns true.
pub async fn run(
    server: SocketAddr,
    pid: u32,
    options: &FloodOptions,
    stop: Arc<AtomicBool>,
) -> Result<FloodOutcome, String> {
    let host = HeaderValue::try_from(server.to_string()).map_err(|error| error.to_string())?;
    let form = login_form(options.user.username, options.user.password);
    tokio::time::sleep(REST).await;
    let resting = read_status(pid);
    let mut rounds = Vec::with_capacity(options.rounds);
    for _ in 0..options.rounds {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let barrier = Arc::new(Barrier::new(options.concurrency + 1));
        let mut tasks = Vec::with_capacity(options.concurrency);
        for _ in 0..options.concurrency {
            let (barrier, host, form) = (Arc::clone(&barrier), host.clone(), form.clone());
            let stop = Arc::clone(&stop);
            let mut connection =
                Connection::new(server, IpAddr::V4(Ipv4Addr::LOCALHOST), options.request_timeout);
            tasks.push(tokio::spawn(async move {
                let opened = connection.open().await;
                barrier.wait().await;
                let exchange = match opened {
                    Ok(()) => connection.send(login(&host, &form)).await,
                    Err(failure) => {
                        Exchange { outcome: Err(failure), latency_us: 0, reconnected: false }
                    }
                };
                // Read as the exchange ends: a failure after a kill is the kill's.
                (exchange, stop.load(Ordering::SeqCst))
            }));
        }
        barrier.wait().await;
        let released = Instant::now();
        let mut logins = KindStats::default();
        for task in tasks {
            let Ok((exchange, after_stop)) = task.await else {
                logins.failed("a login task panicked".to_owned());
                continue;
            };
            match exchange.outcome {
                Ok(answer) => {
                    logins.answered(answer.status, exchange.latency_us, answer.announced_close)
                }
                Err(failure) if after_stop => {
                    logins.failed(format!("{failure} (the server had been killed or lost)"))
                }
                Err(failure) => logins.failed(failure.to_string()),
            }
        }
        let wall = released.elapsed();
        let after = read_status(pid);
        logins.finish();
        rounds.push(RoundOutcome { logins, wall, after });
    }
    if !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(options.settle).await;
    }
    let settled = read_status(pid);
    Ok(FloodOutcome { resting, rounds, settled })
}

/// The statuses a flood login may get: those of a good login.
pub fn expected() -> &'static [u16] {
    Kind::LoginGood.expected()
}
