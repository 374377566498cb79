//! A router served on `127.0.0.1:0` that knows how many handler bodies it
//! has run, so a test can assert that a refused request never reached one;
//! and the loop over a table of callers a route must let in or refuse.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use tokio::net::TcpListener;

use crate::client::send;
use crate::request::Request;
use crate::response::Response;

/// The number of handler bodies run: kept in the router's state, where every
/// handler calls [`HandlerCalls::hit`] first thing, and in the [`Server`].
#[derive(Debug, Clone, Default)]
pub struct HandlerCalls(Arc<AtomicUsize>);

impl HandlerCalls {
    /// Counts one handler run.
    pub fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// The handler runs counted so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// One row of an access table: the roles and the space-separated scopes a
/// token carries, and whether the route lets it in.
pub type AccessRow<'a> = (&'a [&'a str], &'a str, bool);

/// A row of an access table that was refused, for the caller's checks.
#[derive(Debug)]
pub struct Refused<'a> {
    /// The roles the token carried.
    pub roles: &'a [&'a str],
    /// Its space-separated scopes.
    pub scope: &'a str,
    /// The token sent.
    pub token: &'a str,
    /// The answer.
    pub response: Response,
}

/// A running server and the count of handler bodies it has run.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    calls: HandlerCalls,
}

impl Server {
    /// Serves `app` with `axum::serve` on an ephemeral port of 127.0.0.1,
    /// until the test's runtime ends; `calls` is the counter its handlers
    /// hit.
    pub async fn start(app: Router, calls: HandlerCalls) -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").await.expect("bind an ephemeral port on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound listener has an address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the test server runs until the test ends");
        });
        Self { addr, calls }
    }

    /// How many handler bodies have run so far.
    pub fn calls(&self) -> usize {
        self.calls.count()
    }

    /// Sends `request` on a new connection and reads the whole response.
    pub async fn send(&self, request: Request) -> Response {
        send(self.addr, &request.to_bytes("localhost")).await
    }

    /// Sends `request` and asserts the handler did not run because of it.
    pub async fn refused(&self, request: Request) -> Response {
        let before = self.calls();
        let response = self.send(request).await;
        assert_eq!(self.calls(), before, "a refused request must not run the handler: {response}");
        response
    }

    /// Sends `request` and asserts 200 and that the handler ran exactly once.
    pub async fn allowed(&self, request: Request) -> Response {
        let before = self.calls();
        let response = self.send(request).await;
        assert_eq!(response.status, 200, "expected 200: {response}");
        assert_eq!(self.calls(), before + 1, "an allowed request runs the handler once");
        response
    }

    /// Runs an access table against `GET path`: each row's roles and scopes
    /// become a bearer token by `token`; a row marked allowed must be
    /// [`allowed`](Self::allowed), any other [`refused`](Self::refused) and
    /// then passes `check`.
    pub async fn check_access<'a>(
        &self,
        path: &str,
        rows: impl IntoIterator<Item = AccessRow<'a>>,
        token: impl Fn(&[&str], &str) -> String,
        check: impl Fn(&Refused<'_>),
    ) {
        for (roles, scope, allowed) in rows {
            let token = token(roles, scope);
            let request = Request::get(path).bearer(&token);
            if allowed {
                self.allowed(request).await;
            } else {
                let response = self.refused(request).await;
                check(&Refused { roles, scope, token: &token, response });
            }
        }
    }
}
