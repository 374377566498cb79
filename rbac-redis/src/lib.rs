//! A [`RevocationStore`](rbac_axum::RevocationStore) for `rbac-axum` shared
//! by every instance of a service through Redis: a revocation made on one
//! instance is refused by the others within about a round trip, and an
//! instance that has lost touch with Redis for longer than a set bound
//! refuses every token rather than miss one.
//!
//! # How it works
//!
//! * **Requests never wait on Redis.** Each instance answers from a local
//!   copy (an [`InMemoryRevocations`](rbac_axum::InMemoryRevocations)), so a
//!   check is a hash lookup, as the trait requires.
//! * **One Redis stream holds every revocation** (key `rbac:revocations` by
//!   default). A write ([`RedisRevocations::revoke_token`],
//!   [`RedisRevocations::revoke_subject`]) is applied to the local copy
//!   at once, so this instance refuses the token from the call on, and
//!   queued in an outbox that a background task adds to the stream
//!   (`XADD`). It stays queued, and is retried, until Redis has answered
//!   for it: a caller that goes away, or a Redis that is out of reach for
//!   a while, loses nothing. Each write then drops from the stream what is
//!   too old to matter (`XTRIM MINID`, by the id Redis just gave: by
//!   Redis's clock, never by length). So everything that can still refuse
//!   a token is in the stream.
//! * **A background task follows the stream** on a connection of its own:
//!   on every (re)connection it reads the whole stream (`XRANGE`, paged)
//!   and merges it, then waits for new entries (`XREAD BLOCK`); an empty
//!   reply is the heartbeat.
//! * **Merging never replaces:** a token's `exp` and a subject's cut-off
//!   only move later, so entries read twice, out of order, or published
//!   again change nothing, and an empty Redis cannot un-revoke anything an
//!   instance holds.
//!
//! ## Why a stream
//!
//! Pub/sub and keyspace notifications are fire-and-forget: a message sent
//! while an instance is disconnected (a network blip, a restart, a slow
//! consumer cut off by Redis) is lost for it, with no way to tell. A stream
//! keeps its entries, so a reconnecting instance reads what it missed, a new
//! instance reads everything, and an instance can tell exactly how recently
//! it saw all of it: each read that returns less than a page proves it
//! saw everything written before the read was sent.
//!
//! ## The staleness bound
//!
//! Every read that reaches Redis marks the copy fresh for
//! [`max_staleness`](RedisRevocationsBuilder::max_staleness) (default 10 s)
//! from when it was sent. While Redis is unreachable (or before the first
//! load), the copy grows stale, and once past the bound the store reports
//! itself unavailable ([`RevocationStore::availability`](rbac_axum::RevocationStore::availability)):
//! `rbac-axum` refuses every token with 503 and `Retry-After`, since a
//! revocation made meanwhile elsewhere may be missing. The bound is how
//! long an outage is ridden out; it is also the longest a revocation can
//! go unenforced on an instance cut off from Redis.
//!
//! ## Without persistence
//!
//! Redis without an append-only file (`appendonly no`) loses the stream
//! when it restarts. Running instances keep their copies (merging never
//! forgets), and an epoch marker (`{key}:epoch`, a random value set when
//! absent) tells them Redis lost its data: each publishes its copy again,
//! so that instances started later get it too. What no running instance
//! held is lost, such as a revocation written just before the crash by an
//! instance that stopped since. So use `appendonly yes` (the reader warns
//! at start-up when it is off, or when `maxmemory-policy` could evict the
//! stream). The marker is read on every reconnection and with every read,
//! which also catches a `FLUSHALL`.
//!
//! An instance that starts right after such a loss would find the stream
//! empty before the others have published theirs again. The marker holds
//! the time Redis set it: an instance that first meets a marker younger
//! than the time the others need to notice and publish (the block time +
//! 2 s + the connect timeout + three response timeouts: 8 s by default)
//! waits until it is that old before answering. A new deployment waits so
//! too, once.
//!
//! ## Shutting down
//!
//! What this instance revoked and Redis does not hold yet is gone with the
//! process: before exiting, wait for it with
//! [`RedisRevocations::wait_until_published`] (the store logs an error when
//! it is dropped with revocations unpublished).
//!
//! ## Requirements
//!
//! Redis 6.2 or later (`XTRIM MINID`, exclusive `XRANGE` ranges), a single
//! node or a primary (not Cluster), over TCP or a Unix socket: TLS
//! (`rediss://`) is not built in, and such a URL is refused at start.
//!
//! # Example
//!
//! ```no_run
//! use std::time::{Duration, SystemTime};
//! use rbac_axum::{Authenticator, jsonwebtoken::Algorithm};
//! use rbac_redis::RedisRevocations;
//!
//! rbac_axum::roles! { admin, viewer }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Tokens of this issuer live at most an hour.
//! let revocations = RedisRevocations::builder("redis://127.0.0.1:6379/", Duration::from_secs(3600))
//!     .max_staleness(Duration::from_secs(10))
//!     .start()?;
//! // Requests are refused with 503 until the first load: wait for it.
//! if !revocations.wait_until_loaded(Duration::from_secs(5)).await {
//!     eprintln!("Redis not reached yet: refusing tokens until it is");
//! }
//! let authenticator = Authenticator::<Role>::builder()
//!     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
//!     .issuer("https://sso.example.com")
//!     .revocation(revocations.clone())
//!     .build()?;
//!
//! // A logout: refused here from this call on, and by every instance once
//! // Redis holds it, which awaiting the publication waits for.
//! revocations.revoke_token("https://sso.example.com", "0b6f3c2e", 1_900_000_000).await?;
//! // Every token of a subject issued so far (a role change); published in
//! // the background, even if nobody awaits it.
//! let (cutoff, _published) =
//!     revocations.revoke_subject("https://sso.example.com", "user-1", SystemTime::now());
//!
//! // At shutdown: let Redis take what is still queued.
//! revocations.wait_until_published(Duration::from_secs(5)).await;
//! # let _ = (authenticator, cutoff); Ok(()) }
//! ```

mod builder;
mod entry;
mod epoch;
mod error;
mod local_copy;
mod outbox;
mod publisher;
mod server_check;
mod settings;
mod store;
mod stream;
mod sync;

pub use builder::{DEFAULT_KEY, RedisRevocationsBuilder};
pub use error::Error;
pub use outbox::Publication;
pub use store::RedisRevocations;
