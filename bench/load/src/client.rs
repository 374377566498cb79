//! Client connections: plain HTTP/1.1 with keep-alive over a TCP socket
//! bound to a chosen source address (127.0.0.1, 127.0.0.2, ...), so that
//! the server sees distinct clients. A [`Connection`] reopens itself when
//! the server has closed it, and counts how often it did.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::Request;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::CONNECTION;
use hyper_util::rt::TokioIo;
use tokio::net::TcpSocket;

use crate::mix::Body;

/// A connection idle this long is reopened before it is used: a server
/// closing idle connections (the example's header timeout, 10 s) would
/// otherwise race with the next request and fail it.
const IDLE_REOPEN: Duration = Duration::from_secs(5);

/// Why a request got no answer.
#[derive(Debug)]
pub enum Failure {
    /// The TCP connection could not be made.
    Connect(io::Error),
    /// The HTTP/1.1 handshake failed.
    Handshake(hyper::Error),
    /// Sending the request or reading the response head failed.
    Request(hyper::Error),
    /// Reading the response body failed.
    Body(hyper::Error),
    /// No complete answer within the request timeout.
    Timeout(Duration),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Connect(error) => write!(f, "connect: {error}"),
            Failure::Handshake(error) => write!(f, "handshake: {}", chain(error)),
            Failure::Request(error) => write!(f, "request: {}", chain(error)),
            Failure::Body(error) => write!(f, "response body: {}", chain(error)),
            Failure::Timeout(limit) => write!(f, "no answer within {} s", limit.as_secs_f64()),
        }
    }
}

/// `error` and its sources, joined by `: `.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A complete answer: its status and body.
#[derive(Debug)]
pub struct Answer {
    /// The response status.
    pub status: u16,
    /// Whether the response said `Connection: close` (the server closes
    /// the connection after it; hyper then does not reuse it).
    pub announced_close: bool,
    /// The whole response body.
    pub body: Bytes,
}

/// What one request came to.
#[derive(Debug)]
pub struct Exchange {
    /// The answer, or why there was none.
    pub outcome: Result<Answer, Failure>,
    /// From sending the request to the end of the response body, in µs
    /// (opening a connection first is not included).
    pub latency_us: u32,
    /// Whether the connection had been closed since the previous request
    /// (by the server, or dropped after a failure) and was opened again
    /// for this one.
    pub reconnected: bool,
}

/// One HTTP/1.1 connection to the server from a fixed source address,
/// opened when first needed and again whenever it was closed.
#[derive(Debug)]
pub struct Connection {
    server: SocketAddr,
    source: IpAddr,
    timeout: Duration,
    sender: Option<SendRequest<Body>>,
    last_used: Instant,
    opened: u64,
    reconnects: u64,
    idle_reopens: u64,
}

impl Connection {
    /// A connection to `server` from `source` (port chosen by the kernel),
    /// not opened yet; each request gets at most `timeout`.
    pub fn new(server: SocketAddr, source: IpAddr, timeout: Duration) -> Connection {
        Connection {
            server,
            source,
            timeout,
            sender: None,
            last_used: Instant::now(),
            opened: 0,
            reconnects: 0,
            idle_reopens: 0,
        }
    }

    /// How often the connection was opened again after the server had
    /// closed it, or after a failed request.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// How often an idle connection was closed and opened again by
    /// [`IDLE_REOPEN`], not counted as reconnects.
    pub fn idle_reopens(&self) -> u64 {
        self.idle_reopens
    }

    /// Opens the connection now unless it is open: for callers that want
    /// every connection ready before the requests start.
    pub async fn open(&mut self) -> Result<(), Failure> {
        self.ready().await.map(|_| ())
    }

    /// Closes the connection; the next request opens a new one, counted
    /// as a reconnect.
    pub fn close(&mut self) {
        self.sender = None;
    }

    /// Sends `request`, reads the whole answer, and says how long it took.
    pub async fn send(&mut self, request: Request<Body>) -> Exchange {
        let reconnected = match self.ready().await {
            Ok(reconnected) => reconnected,
            Err(failure) => {
                return Exchange { outcome: Err(failure), latency_us: 0, reconnected: false };
            }
        };
        let sender = self.sender.as_mut().expect("ready() leaves an open sender");
        let started = Instant::now();
        let outcome = match tokio::time::timeout(self.timeout, exchange(sender, request)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::Timeout(self.timeout)),
        };
        let latency_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.last_used = Instant::now();
        if outcome.is_err() {
            // The connection's state is unknown: start afresh.
            self.sender = None;
        }
        Exchange { outcome, latency_us, reconnected }
    }

    /// An open connection ready for a request; `true` when it had to be
    /// opened again because the server closed the previous one.
    async fn ready(&mut self) -> Result<bool, Failure> {
        let reconnect = match self.sender.take() {
            Some(_idle) if self.last_used.elapsed() >= IDLE_REOPEN => {
                self.idle_reopens += 1;
                false
            }
            Some(mut sender) => {
                if sender.ready().await.is_ok() {
                    self.sender = Some(sender);
                    return Ok(false);
                }
                true
            }
            // Dropped after a failed request.
            None => self.opened > 0,
        };
        if reconnect {
            self.reconnects += 1;
        }
        self.sender = Some(self.connect().await?);
        self.opened += 1;
        self.last_used = Instant::now();
        Ok(reconnect)
    }

    /// A new connection from the source address, its driver spawned.
    async fn connect(&self) -> Result<SendRequest<Body>, Failure> {
        let socket = match self.source {
            IpAddr::V4(_) => TcpSocket::new_v4(),
            IpAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(Failure::Connect)?;
        socket.bind(SocketAddr::new(self.source, 0)).map_err(Failure::Connect)?;
        let stream = socket.connect(self.server).await.map_err(Failure::Connect)?;
        stream.set_nodelay(true).map_err(Failure::Connect)?;
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream)).await.map_err(Failure::Handshake)?;
        // Ends when the server or the sender closes the connection; what
        // went wrong shows in the request that was using it.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Sends `request` on `sender` and reads the whole answer.
async fn exchange(
    sender: &mut SendRequest<Body>,
    request: Request<Body>,
) -> Result<Answer, Failure> {
    let response = sender.send_request(request).await.map_err(Failure::Request)?;
    let status = response.status().as_u16();
    let announced_close = response
        .headers()
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|option| option.trim().eq_ignore_ascii_case("close"));
    let body = response.into_body().collect().await.map_err(Failure::Body)?.to_bytes();
    Ok(Answer { status, announced_close, body })
}
