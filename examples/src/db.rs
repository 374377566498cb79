//! The SQLite database: opened once, migrated on start, and shared as one
//! connection behind a mutex. Every query runs on tokio's blocking pool
//! through [`Db::call`], so a slow disk never stalls the async workers.
//!
//! One connection is plenty for this service (SQLite serialises writers
//! anyway) and makes each `call` a consistent unit: a closure that opens a
//! transaction sees no interleaved writes.
//!
//! The queries of each table live beside it: [`users`] and [`posts`].

pub(crate) mod posts;
pub(crate) mod users;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

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
    /// The blocking task running the query panicked or was cancelled.
    #[error("the database task did not complete: {0}")]
    Task(String),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub(crate) struct Db {
    conn: Arc<Mutex<Connection>>,
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
        Ok(Db { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` with the connection on the blocking pool. The closure's own
    /// error type lets it return refusals (a rule broken, a row missing)
    /// as well as SQLite errors.
    pub(crate) async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let task = tokio::task::spawn_blocking(move || {
            // A panic inside an earlier closure poisons the mutex, but the
            // connection is still sound: an open transaction rolled back
            // when it was dropped during unwinding.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        });
        match task.await {
            Ok(result) => result,
            Err(error) => Err(E::from(DbError::Task(error.to_string()))),
        }
    }

    /// Runs `f` with the connection on the current thread; for start-up
    /// work that is already on a blocking thread.
    pub(crate) fn call_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
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
            .expect("user_version");
        assert_eq!(version, MIGRATIONS.len() as i64);

        db.call_blocking(|conn| conn.pragma_update(None, "user_version", 99)).expect("set");
        drop(db);
        assert!(matches!(Db::open(&path), Err(DbError::TooNew { found: 99, .. })));
    }
}
