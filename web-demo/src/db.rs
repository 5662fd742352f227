//! The SQLite database: opening, pragmas, versioned migrations, and running blocking calls
//! off the async runtime.
//!
//! ## Concurrency: one connection behind a mutex, used from `spawn_blocking`
//! Nearly every request writes (a challenge, a consumed nonce, an audit row), and SQLite
//! admits one writer at a time whatever the pool size; with `synchronous=FULL` each commit
//! is an fsync, which is the bottleneck either way. A single connection therefore costs
//! almost nothing in throughput and buys simplicity: no `SQLITE_BUSY` retries, no
//! busy-timeout tuning, and every multi-statement operation (count the active terminals
//! then insert one; look a nonce up then consume it) is a plain transaction that nothing
//! can interleave with. Calls run on tokio's blocking pool ([`Db::call`]) so an fsync never
//! stalls a runtime worker. Cryptographic checks run outside the lock.
//!
//! ## Durability
//! `journal_mode=WAL`, `synchronous=FULL` (every commit reaches the disk before `COMMIT`
//! returns, so an audit row written before an answer survives a `kill -9` and a power cut),
//! `foreign_keys=ON`.
//!
//! ## Migrations
//! `PRAGMA user_version` is the schema version. Migration *n* is `migrations/000n_*.sql`,
//! embedded with `include_str!`, applied in one transaction that also sets
//! `user_version = n`. A database from a newer build is refused rather than guessed at.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// The migrations, in order; index + 1 is the `user_version` each one brings the schema to.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/0001_initial.sql"),
    ),
    (
        "0002_fallbacks",
        include_str!("../migrations/0002_fallbacks.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Why the database could not be opened or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The directory for a new database could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was written by a newer build of the service.
    #[error("the database schema is version {found}; this build knows up to {known}")]
    NewerSchema {
        /// The file's `user_version`.
        found: u32,
        /// [`SCHEMA_VERSION`].
        known: u32,
    },
    /// SQLite did not switch to WAL (e.g. a filesystem without shared memory).
    #[error("the database refused WAL mode (journal_mode is {0})")]
    NoWal(String),
    /// The blocking task running the call panicked or was cancelled.
    #[error("a database task failed: {0}")]
    Task(String),
}

/// Whether [`Db::open`] created the file's schema from nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The file had no schema: all migrations ran; the caller seeds it.
    Created,
    /// The file had a schema (migrated forward if it was older).
    Existing,
}

/// A handle to the database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (creating if needed) the database file at `path`, sets the pragmas and brings
    /// the schema up to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<(Self, Opened), DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(DbError::NoWal(journal));
        }
        Self::setup(conn, Some(path.to_path_buf()))
    }

    /// An in-memory database (no WAL, nothing survives): for unit tests.
    pub fn open_in_memory() -> Result<(Self, Opened), DbError> {
        Self::setup(Connection::open_in_memory()?, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<(Self, Opened), DbError> {
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )?;
        // A second process (the admin commands) may hold the write lock for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let opened = migrate(&mut conn)?;
        Ok((
            Self {
                conn: Arc::new(Mutex::new(conn)),
                path,
            },
            opened,
        ))
    }

    /// The file, if not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` with the connection on tokio's blocking pool.
    pub async fn call<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.call_blocking(f))
            .await
            .map_err(|join| E::from(DbError::Task(join.to_string())))?
    }

    /// Runs `f` with the connection on the current thread (command-line tools, seeding).
    pub fn call_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E>,
    {
        // A panic inside `f` leaves no half-open transaction behind (rusqlite rolls back on
        // drop), so the connection is still sound after poisoning.
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }
}

/// The schema version of an open connection.
pub fn schema_version(conn: &Connection) -> Result<u32, DbError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

fn migrate(conn: &mut Connection) -> Result<Opened, DbError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(DbError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (index, (_name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        // PRAGMA takes no bound parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
        tx.commit()?;
    }
    Ok(if found == 0 {
        Opened::Created
    } else {
        Opened::Existing
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_every_migration_wal_and_the_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/demo.sqlite3");
        let (db, opened) = Db::open(&path).unwrap();
        assert_eq!(opened, Opened::Created);
        db.call_blocking(|conn| -> Result<(), DbError> {
            assert_eq!(schema_version(conn)?, SCHEMA_VERSION);
            let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            assert_eq!(journal, "wal");
            let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            assert_eq!(sync, 2, "FULL");
            let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            assert_eq!(fk, 1);
            Ok(())
        })
        .unwrap();
        drop(db);
        let (_db, opened) = Db::open(&path).unwrap();
        assert_eq!(opened, Opened::Existing);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
                .unwrap();
        }
        match Db::open(&path) {
            Err(DbError::NewerSchema { found, known }) => {
                assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
    }

    #[test]
    fn foreign_keys_are_enforced() {
        let (db, _) = Db::open_in_memory().unwrap();
        let err = db
            .call_blocking(|conn| {
                conn.execute(
                    "INSERT INTO facility_origins (facility_code, origin) VALUES ('1300000000', 'x')",
                    [],
                )
            })
            .unwrap_err();
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
    }
}
