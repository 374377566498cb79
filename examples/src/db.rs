//! The SQLite database: opened once, migrated on start, and owned by one
//! thread of its own. Every query is a closure sent to that thread through
//! [`Db::call`], so a slow disk never stalls the async workers, and a
//! flood of requests waits in a bounded queue instead of tying up a
//! blocking thread each.
//!
//! One connection is plenty for this service (SQLite serialises writers
//! anyway) and makes each `call` a consistent unit: a closure that opens a
//! transaction sees no interleaved writes.
//!
//! The queries of each table live beside it: [`users`] and [`posts`].

pub(crate) mod posts;
pub(crate) mod users;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// The database file's name inside the data directory.
pub(crate) const FILE_NAME: &str = "rbac-example.sqlite3";

/// Schema changes in order; `PRAGMA user_version` records how many have
/// run. Append, never edit: a database in the field has run the old text.
const MIGRATIONS: &[&str] = &[r"
    CREATE TABLE users (
        -- AUTOINCREMENT: an id is never reused, so a token whose `sub` names
        -- a deleted user can never act as a newer one.
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT    NOT NULL UNIQUE,
        password_hash TEXT    NOT NULL,
        created_at    INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE user_roles (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role    TEXT    NOT NULL,
        PRIMARY KEY (user_id, role)
    ) STRICT;

    CREATE TABLE posts (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        -- The `sub` of the token that wrote it: a local user id, or a
        -- subject of the trusted external issuer.
        author     TEXT    NOT NULL,
        title      TEXT    NOT NULL,
        body       TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
"];

/// A database operation that could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// SQLite refused or failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer version of this service.
    #[error("the database schema is version {found}; this build knows up to {known}")]
    TooNew {
        /// `user_version` in the file.
        found: i64,
        /// Migrations this build has.
        known: usize,
    },
    /// The query panicked, or the database thread has stopped.
    #[error("the database task did not complete: {0}")]
    Task(String),
    /// The database thread could not be started.
    #[error("the database thread could not be started: {0}")]
    Thread(std::io::Error),
}

/// Queries waiting for the database thread; further callers wait for room.
const QUEUE: usize = 1024;

/// A query for the database thread, handed the connection.
type Query = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the database; cheap to clone. The database thread stops,
/// closing the connection, when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Db {
    queries: mpsc::Sender<Query>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. Blocking: call it from a blocking context.
    pub(crate) fn open(path: &Path) -> Result<Db, DbError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Off by default in SQLite; `ON DELETE CASCADE` needs it.
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&mut conn)?;
        let (queries, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite".to_owned())
            .spawn(move || run_queries(conn, queue))
            .map_err(DbError::Thread)?;
        Ok(Db { queries })
    }

    /// Runs `f` with the connection on the database thread. The closure's
    /// own error type lets it return refusals (a rule broken, a row
    /// missing) as well as SQLite errors.
    pub(crate) async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let query: Query = Box::new(move |conn| {
            // The caller may have gone (its request dropped): nothing to do.
            let _ = reply.send(f(conn));
        });
        if self.queries.send(query).await.is_err() {
            return Err(E::from(stopped()));
        }
        answer.await.unwrap_or_else(|_| Err(E::from(panicked())))
    }

    /// Runs `f` with the connection on the database thread, blocking the
    /// current one until it is done; for start-up work, on a thread that
    /// may block.
    pub(crate) fn call_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> T + Send + 'static,
    ) -> Result<T, DbError> {
        let (reply, answer) = oneshot::channel();
        let query: Query = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.queries.blocking_send(query).map_err(|_| stopped())?;
        answer.blocking_recv().map_err(|_| panicked())
    }
}

fn stopped() -> DbError {
    DbError::Task("the database thread has stopped".to_owned())
}

fn panicked() -> DbError {
    DbError::Task("the query panicked".to_owned())
}

/// The database thread: runs queries in order until every handle is gone.
fn run_queries(mut conn: Connection, mut queue: mpsc::Receiver<Query>) {
    while let Some(query) = queue.blocking_recv() {
        // A panicking query drops its reply (the caller sees `Task`); the
        // connection is still sound: a transaction it held rolled back when
        // it was dropped during unwinding.
        if std::panic::catch_unwind(AssertUnwindSafe(|| query(&mut conn))).is_err() {
            tracing::error!("a database query panicked");
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let done = usize::try_from(version).unwrap_or(usize::MAX);
    if done > MIGRATIONS.len() {
        return Err(DbError::TooNew { found: version, known: MIGRATIONS.len() });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "migrated the database");
    }
    Ok(())
}

/// Seconds since the Unix epoch, for `created_at` columns and token times.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join(FILE_NAME);
        drop(Db::open(&path).expect("first open migrates"));
        let db = Db::open(&path).expect("second open finds nothing to do");
        let version: i64 = db
            .call_blocking(|conn| conn.pragma_query_value(None, "user_version", |row| row.get(0)))
            .expect("the thread answers")
            .expect("user_version");
        assert_eq!(version, MIGRATIONS.len() as i64);

        db.call_blocking(|conn| conn.pragma_update(None, "user_version", 99))
            .expect("the thread answers")
            .expect("set");
        drop(db);
        assert!(matches!(Db::open(&path), Err(DbError::TooNew { found: 99, .. })));
    }
}
