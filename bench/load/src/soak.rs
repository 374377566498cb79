//! The soak: many connections, each a task sending a weighted mix of
//! requests back to back (a closed loop) until the time is up, recording
//! every answer's status and latency per kind.
//!
//! Every request goes from 127.0.0.1 except wrong-password logins, which
//! each task sends on a second connection from its own address among
//! 127.0.0.2 and up: a per-address login throttle refuses those, never
//! the good logins.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper::header::HeaderValue;

use crate::client::{Answer, Connection, Failure};
use crate::mix::{
    Author, DEMO_USERS, Kind, Pick, Requests, Rng, Tokens, Weights, login, login_form,
};
use crate::report::KindStats;

/// The soak's settings.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// How long to send.
    pub duration: Duration,
    /// Connections (tasks).
    pub connections: usize,
    /// Source addresses of wrong-password logins, 127.0.0.2 and up.
    pub bad_addresses: usize,
    /// Weights of the picks.
    pub weights: Weights,
    /// Seed of the picks; task `i` draws from `seed + i`.
    pub seed: u64,
    /// Longest wait for one answer.
    pub request_timeout: Duration,
}

impl Default for SoakOptions {
    fn default() -> Self {
        SoakOptions {
            duration: Duration::from_secs(60),
            connections: 256,
            bad_addresses: 16,
            weights: Weights::default(),
            seed: 1,
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// Every kind's figures, indexed by [`Kind::index`].
pub type KindTable = [KindStats; Kind::ALL.len()];

/// What the soak came to.
#[derive(Debug)]
pub struct SoakOutcome {
    /// Every kind's figures, latencies sorted.
    pub kinds: KindTable,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Connections opened again after the server closed them or a request
    /// failed.
    pub reconnects: u64,
    /// Idle connections reopened before use (not failures).
    pub idle_reopens: u64,
}

/// The `/token` answers of the three demo users: their access tokens.
pub async fn obtain_tokens(server: SocketAddr, timeout: Duration) -> Result<Tokens, String> {
    let host = HeaderValue::try_from(server.to_string()).map_err(|error| error.to_string())?;
    let mut connection = Connection::new(server, IpAddr::V4(Ipv4Addr::LOCALHOST), timeout);
    let mut tokens = Vec::with_capacity(DEMO_USERS.len());
    for user in DEMO_USERS {
        let form = login_form(user.username, user.password);
        let exchange = connection.send(login(&host, &form)).await;
        let answer = exchange
            .outcome
            .map_err(|failure| format!("POST /token as {}: {failure}", user.username))?;
        let token = (answer.status == 200)
            .then(|| serde_json::from_slice::<serde_json::Value>(&answer.body).ok())
            .flatten()
            .and_then(|body| Some(body.get("access_token")?.as_str()?.to_owned()))
            .ok_or_else(|| {
                format!(
                    "POST /token as {}: {} {}",
                    user.username,
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                )
            })?;
        tokens.push(token);
    }
    let tokens: [String; 3] = tokens.try_into().map_err(|_| "three demo users".to_owned())?;
    Tokens::new(tokens)
}

/// Runs the soak against `server` until `options.duration` has passed or
/// `stop` turns true.
pub async fn run(
    server: SocketAddr,
    requests: Requests,
    options: &SoakOptions,
    stop: Arc<AtomicBool>,
) -> SoakOutcome {
    let requests = Arc::new(requests);
    let started = Instant::now();
    let deadline = started + options.duration;
    let mut tasks = Vec::with_capacity(options.connections);
    for index in 0..options.connections {
        let octet = 2 + (index % options.bad_addresses) as u8;
        let task = Task {
            main: Connection::new(server, IpAddr::V4(Ipv4Addr::LOCALHOST), options.request_timeout),
            bad: Connection::new(
                server,
                IpAddr::V4(Ipv4Addr::new(127, 0, 0, octet)),
                options.request_timeout,
            ),
            last_main: None,
            last_bad: None,
            kinds: Default::default(),
            requests: Arc::clone(&requests),
            rng: Rng::new(options.seed.wrapping_add(index as u64)),
            stop: Arc::clone(&stop),
        };
        tasks.push(tokio::spawn(task.run(options.weights, deadline)));
    }

    let mut kinds: KindTable = Default::default();
    let (mut reconnects, mut idle_reopens) = (0, 0);
    for task in tasks {
        let Ok(task) = task.await else {
            // A task that panicked lost its figures: say so loudly.
            kinds[Kind::GetPosts.index()].failed("a connection task panicked".to_owned());
            continue;
        };
        reconnects += task.main.reconnects() + task.bad.reconnects();
        idle_reopens += task.main.idle_reopens() + task.bad.idle_reopens();
        for (total, figures) in kinds.iter_mut().zip(task.kinds) {
            total.merge(figures);
        }
    }
    let elapsed = started.elapsed();
    for stats in &mut kinds {
        stats.finish();
    }
    SoakOutcome { kinds, elapsed, reconnects, idle_reopens }
}

/// One connection's loop and figures.
struct Task {
    /// From 127.0.0.1: everything but wrong-password logins.
    main: Connection,
    /// From this task's 127.0.0.x: wrong-password logins.
    bad: Connection,
    /// The kind last sent on `main`, to which a close is attributed.
    last_main: Option<Kind>,
    /// The kind last sent on `bad`.
    last_bad: Option<Kind>,
    kinds: KindTable,
    requests: Arc<Requests>,
    rng: Rng,
    /// Turns true when the server was killed or lost: stop sending.
    stop: Arc<AtomicBool>,
}

impl Task {
    /// Sends picks until `deadline` or `stop`; the task, with its figures.
    async fn run(mut self, weights: Weights, deadline: Instant) -> Task {
        while Instant::now() < deadline && !self.stop.load(Ordering::Relaxed) {
            let user = self.rng.below(3) as usize;
            match weights.choose(&mut self.rng) {
                Pick::GetPosts => {
                    let request = self.requests.get_posts(user);
                    self.send(Kind::GetPosts, request).await;
                }
                Pick::GetMe => {
                    let request = self.requests.get_me(user);
                    self.send(Kind::GetMe, request).await;
                }
                Pick::Write => self.write(user).await,
                Pick::LoginGood => {
                    let request = self.requests.login_good(user);
                    self.send(Kind::LoginGood, request).await;
                }
                Pick::LoginBad => {
                    let request = self.requests.login_bad(user);
                    self.send(Kind::LoginBad, request).await;
                }
                Pick::NoToken => {
                    let request = self.requests.no_token();
                    self.send(Kind::NoToken, request).await;
                }
                Pick::ViewerOnEditor => {
                    let request = self.requests.viewer_on_editor();
                    self.send(Kind::ViewerOnEditor, request).await;
                }
                Pick::TooLarge => {
                    let request = self.requests.too_large();
                    self.send(Kind::TooLarge, request).await;
                }
            }
        }
        self
    }

    /// `POST /posts`, then `DELETE` of the post created, by the same
    /// author: alice for `user` 0, bob otherwise.
    async fn write(&mut self, user: usize) {
        let author = if user == 0 { Author::Admin } else { Author::Editor };
        let request = self.requests.create_post(author);
        let Some(answer) = self.send(Kind::CreatePost, request).await else { return };
        if answer.status != 201 {
            return;
        }
        let id = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|post| post.get("id")?.as_u64());
        match id {
            Some(id) => {
                let request = self.requests.delete_post(author, id);
                self.send(Kind::DeletePost, request).await;
            }
            None => self.kinds[Kind::CreatePost.index()]
                .failed("201 without a numeric `id` in the body".to_owned()),
        }
    }

    /// Sends `request` of `kind` on its connection and records what came
    /// of it; the answer, if any.
    async fn send(
        &mut self,
        kind: Kind,
        request: hyper::Request<crate::mix::Body>,
    ) -> Option<Answer> {
        let (connection, last) = if kind == Kind::LoginBad {
            (&mut self.bad, &mut self.last_bad)
        } else {
            (&mut self.main, &mut self.last_main)
        };
        let exchange = connection.send(request).await;
        if exchange.reconnected
            && let Some(previous) = *last
        {
            self.kinds[previous.index()].closed_after();
        }
        *last = Some(kind);
        match exchange.outcome {
            Ok(answer) => {
                self.kinds[kind.index()].answered(
                    answer.status,
                    exchange.latency_us,
                    answer.announced_close,
                );
                if kind == Kind::TooLarge {
                    // The server refused a body it did not read: it may
                    // close the connection without saying so, and a
                    // request sent meanwhile would fail. Not reused.
                    connection.close();
                }
                Some(answer)
            }
            Err(failure) => {
                let no_server = matches!(failure, Failure::Connect(_) | Failure::Handshake(_));
                let message = if self.stop.load(Ordering::SeqCst) {
                    format!("{failure} (the server had been killed or lost)")
                } else {
                    failure.to_string()
                };
                self.kinds[kind.index()].failed(message);
                if no_server {
                    // Do not spin while the server is unreachable.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                None
            }
        }
    }
}
