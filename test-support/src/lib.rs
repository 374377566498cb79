//! What the workspace's socket tests share, so that `rbac-axum` and the
//! example test over the same wire: a raw HTTP/1.1 client that writes a
//! request byte for byte and reads the whole response ([`Request`],
//! [`Response`], [`send`], [`exchange`]), a [`Server`] that counts the
//! handler bodies it runs so a test can tell a refused request never
//! reached one, the loop over a table of allowed and refused callers
//! ([`Server::check_access`]), a few token helpers, and the external
//! programs some tests need ([`require_tool`]).
//!
//! Not published: a dev-dependency only.
//!
//! ```no_run
//! # async fn demo() {
//! use rbac_test_support::{Request, send};
//!
//! let addr = "127.0.0.1:3000".parse().expect("an address");
//! // Two `Authorization` lines: exactly the bytes a test means to send.
//! let request = Request::get("/admin")
//!     .header("Authorization", "Bearer a.b.c")
//!     .header("Authorization", "Bearer d.e.f");
//! let response = send(addr, &request.to_bytes("localhost")).await;
//! assert_eq!(response.status, 400);
//! # }
//! ```

mod client;
mod poll;
mod redis_server;
mod request;
mod response;
mod server;
mod tokens;
mod tools;

pub use client::{exchange, send};
pub use poll::eventually;
pub use redis_server::{Persistence, RedisServer, free_port};
pub use request::Request;
pub use response::{Challenge, Response};
pub use server::{AccessRow, HandlerCalls, Refused, Server};
pub use tokens::{claims_of, now, sign_hs256};
pub use tools::{REQUIRE_TOOLS, require_tool};
