//! The accept loop: HTTP/1.1 on hyper, with the limits `axum::serve`
//! does not have.
//!
//! * **A cap on connections** ([`Limits::max_connections`]): a permit is
//!   taken before `accept`, so at the cap new clients wait in the kernel's
//!   backlog instead of the process running out of file descriptors.
//! * **A header timeout** ([`Limits::header_timeout`]): hyper's header read
//!   timeout, which starts when a connection opens and again after each
//!   response, so it closes a client that sends nothing, one that trickles
//!   its headers, and an idle keep-alive connection alike. The same time
//!   bounds the TLS handshake, and a response the client stops reading.
//! * **Graceful shutdown**: idle connections close at once, requests in
//!   flight get [`SHUTDOWN_GRACE`] to finish.
//!
//! The body timeout and size limits are per request, in `body_limit.rs`.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tokio_rustls::TlsAcceptor;
use tower_service::Service as _;

use crate::config::Limits;

/// How long requests in flight may take to finish after shutdown starts.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Read buffer per connection: request heads are small (hyper answers 431
/// past it), and the default of about 400 KiB per connection would make
/// many idle connections cost much memory.
const MAX_BUF_SIZE: usize = 64 * 1024;

/// Header fields per request at most (hyper's default is 100).
const MAX_HEADERS: usize = 64;

/// Serves `router` on `listener` (over TLS with `tls`) until `shutdown`
/// completes, then lets requests in flight finish.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_BUF_SIZE)
        .max_headers(MAX_HEADERS);
    let connection = Connection { http: Arc::new(http), router, tls, stall: limits.header_timeout };

    let mut shutdown = std::pin::pin!(shutdown);
    let mut at_capacity = false;
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                // Never closed.
                Err(_) => break,
            },
        };
        if permits.available_permits() == 0 && !at_capacity {
            tracing::warn!(
                max_connections = limits.max_connections,
                "at the connection cap: new clients wait until a connection closes"
            );
        }
        at_capacity = permits.available_permits() == 0;
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off
                    // rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Subscribed before the task starts: a shutdown signalled meanwhile
        // still reaches this connection.
        let watcher = graceful.watcher();
        let connection = connection.clone();
        tokio::spawn(async move {
            // Held until the connection is closed, handshake included.
            let _permit = permit;
            connection.serve(tcp, peer, watcher).await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!(
                grace_secs = SHUTDOWN_GRACE.as_secs(),
                "requests still in flight after the grace period; closing them"
            );
        }
    }
    Ok(())
}

/// What every connection is served with.
#[derive(Clone)]
struct Connection {
    http: Arc<http1::Builder>,
    router: Router,
    tls: Option<TlsAcceptor>,
    /// How long a write may wait for the client to read.
    stall: Duration,
}

impl Connection {
    /// Handshakes (with TLS) and serves one connection to its end.
    async fn serve(self, tcp: TcpStream, peer: SocketAddr, watcher: Watcher) {
        let stall = self.stall;
        let Some(acceptor) = self.tls.clone() else {
            return self.serve_io(StallTimeout::new(tcp, stall), peer, watcher).await;
        };
        // The header timeout bounds the handshake too.
        match tokio::time::timeout(stall, acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => self.serve_io(StallTimeout::new(stream, stall), peer, watcher).await,
            Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        }
    }

    async fn serve_io<Io>(self, io: Io, peer: SocketAddr, watcher: Watcher)
    where
        Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // As `axum::serve` does: handlers see the peer as `ConnectInfo`.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>()
            .call(peer)
            .await
            .unwrap_or_else(|never: Infallible| match never {});
        let connection =
            self.http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
        if let Err(error) = watcher.watch(connection).await {
            // Timeouts, resets and malformed requests: the client's doing.
            tracing::debug!(%peer, %error, "connection closed with an error");
        }
    }
}

/// A connection whose writes fail with `TimedOut` once they have waited
/// `limit` for the client to read. Reads pass through: hyper's header
/// timeout and the body timeout bound them.
struct StallTimeout<T> {
    inner: T,
    limit: Duration,
    /// Armed while a write waits.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> StallTimeout<T> {
    fn new(inner: T, limit: Duration) -> Self {
        Self { inner, limit, stalled: None }
    }

    /// Disarms on progress; arms, or fires, while the write waits.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let limit = self.limit;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for StallTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StallTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, polled)
    }
}
