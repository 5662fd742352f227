//! The SQLite database: opening, pragmas, versioned migrations, and the threads the
//! requests' database work runs on.
//!
//! ## Writes: one writer thread, group commit
//! Nearly every request writes (a challenge, a burnt nonce, an audit row) and must not
//! answer before the write is durable. With `synchronous=FULL` every `COMMIT` waits for an
//! fsync, and SQLite admits one writer at a time: committing each request's writes on their
//! own makes the fsyncs of all requests in flight run one after the other, and they, not
//! the CPU, bound the throughput on a disk.
//!
//! So one thread (`myna-demo-db-writer`) owns the write connection. [`Db::write`] sends a
//! job (a closure over the connection) to it over a channel and returns at once with a
//! future of the job's answer. The writer waits for a job, then takes every job queued
//! behind it (at most [`MAX_BATCH`]) and runs them in one `BEGIN IMMEDIATE` transaction,
//! each job inside its own `SAVEPOINT`: a job that fails (returns `Err` or panics) is rolled
//! back to its savepoint alone, and the others go on. Then one `COMMIT` — one fsync for the
//! whole batch — and only then does any job of the batch get its answer. If the batch
//! cannot begin or commit, every job of it gets the error, and none of their writes
//! happened. While a batch commits, the next requests queue, so the batch size follows the
//! load with no timer: one request alone commits at once, 16 in flight share an fsync.
//!
//! What this keeps:
//! - **Durable before answered.** A job's answer is sent after the `COMMIT` that made its
//!   writes durable returned: a nonce is burnt on disk before the caller checks the
//!   signature made over it; an audit row is on disk before the HTTP answer leaves.
//! - **Atomic units.** Jobs run one at a time on the writer, inside a transaction that
//!   holds SQLite's write lock from `BEGIN IMMEDIATE` to `COMMIT`, so a read-then-write in
//!   a job (count the active terminals then insert one; look a nonce up then burn it) sees
//!   nothing interleave, from this process or another. A store function that makes such a
//!   unit uses [`crate::store::atomically`]: a savepoint inside a job, an `IMMEDIATE`
//!   transaction on a connection in autocommit mode (the command-line tools, seeding).
//! - **A refusal is not a failure.** A job answers `Err` to have its writes undone. A job
//!   whose refusal must keep a write (an expired nonce is still burnt) answers `Ok` with
//!   the refusal inside.
//!
//! ## Reads: separate connections
//! Reads that are not part of a write ([`Db::read`]: a terminal's token on the read-only
//! endpoints, an audit page, the CORS origins) run on tokio's blocking pool over one of
//! [`READERS`] read-only connections (`query_only`). In WAL mode a reader sees the last
//! committed state and neither waits for the writer nor holds it up, so a page of the audit
//! trail does not queue behind a batch's fsync, and a read after a `write` returned sees
//! that write (its `COMMIT` came first). An in-memory database (unit tests) cannot be
//! shared between connections; its reads run as jobs on the writer.
//!
//! ## Exclusive use
//! [`Db::call_blocking`] runs a closure on the write connection on the calling thread,
//! between batches, in autocommit mode: the command-line tools, migrations and seeding,
//! and tests that set data up. Functions that open their own transactions work there
//! unchanged.
//!
//! ## Durability
//! `journal_mode=WAL`, `synchronous=FULL` (SQLite fsyncs every commit before `COMMIT`
//! returns), `foreign_keys=ON`. What the tests show: `tests/killed.rs` kills the process
//! (`SIGKILL`) under load and finds an audit row for every answered request — the row was
//! committed before its answer left (a kill leaves the operating system's cache intact, so
//! it does not exercise the fsync); the pragma itself is checked by
//! `a_new_file_gets_every_migration_wal_and_the_pragmas`. Surviving a power cut rests on
//! `synchronous=FULL` and the disk honouring fsync; no test cuts the power.
//!
//! ## Migrations
//! `PRAGMA user_version` is the schema version. Migration *n* is `migrations/000n_*.sql`,
//! embedded with `include_str!`, applied in one transaction that also sets
//! `user_version = n`. A database from a newer build is refused rather than guessed at.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::oneshot;

/// `(name, sql)` of the migration `migrations/<name>.sql`, embedded.
macro_rules! migration {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../migrations/", $name, ".sql")),
        )
    };
}

/// The migrations, in order; index + 1 is the `user_version` each one brings the schema to.
const MIGRATIONS: &[(&str, &str)] = &[
    migration!("0001_initial"),
    migration!("0002_fallbacks"),
    migration!("0003_terminal_security"),
    migration!("0004_crls"),
    migration!("0005_official_app"),
    migration!("0006_checkup"),
    migration!("0007_token"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The most jobs one batch (one transaction, one fsync) takes; more wait for the next.
pub const MAX_BATCH: usize = 256;

/// Read-only connections of a database file.
pub const READERS: usize = 4;

/// How long a connection waits for another process's lock (the admin commands) before
/// failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements each connection keeps (the hot paths use `prepare_cached`).
const STATEMENT_CACHE: usize = 64;

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
    /// The blocking task or writer job running the call panicked or was cancelled.
    #[error("a database task failed: {0}")]
    Task(String),
    /// The batch a write was part of could not begin or commit (nothing of it was written).
    #[error("the write batch failed: {0}")]
    Batch(String),
    /// The writer thread is gone (it cannot start, or the database is closing).
    #[error("the database writer has stopped")]
    WriterStopped,
}

/// Whether [`Db::open`] created the file's schema from nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The file had no schema: all migrations ran; the caller seeds it.
    Created,
    /// The file had a schema (migrated forward if it was older).
    Existing,
}

/// Counters of the writer, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Jobs sent to the writer (run or still queued).
    pub submitted: u64,
    /// Batches committed (or attempted).
    pub batches: u64,
    /// Jobs run.
    pub jobs: u64,
    /// The largest batch so far.
    pub largest_batch: u64,
}

/// A unit of work for the writer: run once inside the batch, then answered once the
/// batch's fate is known (or answered without running if the batch could not begin).
trait Job: Send {
    /// Runs the work; `true` keeps its writes, `false` rolls back to its savepoint.
    fn run(&mut self, conn: &mut Connection) -> bool;
    /// Answers the caller: the work's own result, or `batch`'s error.
    fn finish(self: Box<Self>, batch: Result<(), DbError>);
}

/// A [`Db::write`] call.
struct Call<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    answer: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Call<T, E, F>
where
    T: Send,
    E: From<DbError> + Send,
    F: FnOnce(&mut Connection) -> Result<T, E> + Send,
{
    fn run(&mut self, conn: &mut Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = work(conn);
        let keep = result.is_ok();
        self.result = Some(result);
        keep
    }

    fn finish(self: Box<Self>, batch: Result<(), DbError>) {
        let reply = match (self.result, batch) {
            (Some(Err(err)), _) => Err(err),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(err)) => Err(E::from(err)),
            (None, Ok(())) => Err(E::from(DbError::Task(
                "the write job panicked; its writes were rolled back".into(),
            ))),
        };
        // The caller may have stopped waiting (its request was dropped).
        let _ = self.answer.send(reply);
    }
}

/// A handle to the database, cheap to clone. The writer thread stops when the last handle
/// is dropped (after the jobs already sent).
#[derive(Clone)]
pub struct Db {
    shared: Arc<Shared>,
}

struct Shared {
    path: Option<PathBuf>,
    /// The write connection: the writer thread holds it for a batch; `call_blocking`
    /// between batches.
    conn: Arc<Mutex<Connection>>,
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    writer: Option<JoinHandle<()>>,
    stats: Arc<Counters>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    batches: AtomicU64,
    jobs: AtomicU64,
    largest_batch: AtomicU64,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Closing the channel ends the writer's loop once it has run what was sent.
        self.jobs.take();
        if let Some(writer) = self.writer.take() {
            // The last handle may be dropped by a job on the writer itself: no self-join.
            if writer.thread().id() != std::thread::current().id() {
                let _ = writer.join();
            }
        }
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.shared.path)
            .field("readers", &self.shared.readers.len())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (creating if needed) the database file at `path`, sets the pragmas, brings
    /// the schema up to [`SCHEMA_VERSION`], opens the read connections and starts the
    /// writer thread.
    pub fn open(path: &Path) -> Result<(Self, Opened), DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(path, flags())?;
        let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(DbError::NoWal(journal));
        }
        let (conn, opened) = setup(conn)?;
        let readers = (0..READERS)
            .map(|_| open_reader(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            Self::start(conn, Some(path.to_path_buf()), readers)?,
            opened,
        ))
    }

    /// An in-memory database (no WAL, nothing survives; reads run on the writer): for unit
    /// tests.
    pub fn open_in_memory() -> Result<(Self, Opened), DbError> {
        let (conn, opened) = setup(Connection::open_in_memory()?)?;
        Ok((Self::start(conn, None, Vec::new())?, opened))
    }

    fn start(
        conn: Connection,
        path: Option<PathBuf>,
        readers: Vec<Mutex<Connection>>,
    ) -> Result<Self, DbError> {
        let conn = Arc::new(Mutex::new(conn));
        let stats = Arc::new(Counters::default());
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let writer = {
            let conn = Arc::clone(&conn);
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name("myna-demo-db-writer".into())
                .spawn(move || run_writer(&conn, &queue, &stats))
                .map_err(|e| DbError::Task(format!("cannot start the writer thread: {e}")))?
        };
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                conn,
                jobs: Some(jobs),
                writer: Some(writer),
                stats,
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// The file, if not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.shared.path.as_deref()
    }

    /// Sends `f` to the writer, to run inside the next batch's transaction in its own
    /// savepoint; the future answers once the batch has committed (then `f`'s writes are
    /// durable) or failed.
    ///
    /// The job is queued when this is called, not when the future is first polled. `f`
    /// answering `Err` rolls back its own writes only. `f` must not begin or end
    /// transactions itself (use savepoints: [`crate::store::atomically`]) and should be
    /// short: every job of the batch waits for it.
    pub fn write<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send + 'static
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let job: Box<dyn Job> = Box::new(Call {
            work: Some(f),
            result: None,
            answer,
        });
        self.shared.stats.submitted.fetch_add(1, Ordering::Relaxed);
        let sent = match &self.shared.jobs {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        async move {
            if !sent {
                return Err(E::from(DbError::WriterStopped));
            }
            answered
                .await
                .unwrap_or_else(|_| Err(E::from(DbError::WriterStopped)))
        }
    }

    /// Runs `f` on a read-only connection on tokio's blocking pool (on the writer, as a
    /// job, for an in-memory database). It sees every write whose [`Db::write`] returned.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        if self.shared.readers.is_empty() {
            return self.write(move |conn| f(conn)).await;
        }
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let reader = db.reader();
            f(&reader)
        })
        .await
        .map_err(|join| E::from(DbError::Task(join.to_string())))?
    }

    /// A free read connection, or the next one in turn when all are busy.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let readers = &self.shared.readers;
        for reader in readers {
            if let Ok(guard) = reader.try_lock() {
                return guard;
            }
        }
        let next = self.shared.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        // A panic inside a read leaves no transaction open (autocommit reads).
        readers[next]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` with the write connection on the current thread, between batches, in
    /// autocommit mode (command-line tools, seeding, test set-up). `f` may open its own
    /// transactions; it holds up the writer while it runs.
    pub fn call_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E>,
    {
        // A panic inside `f` leaves no half-open transaction behind (rusqlite rolls back on
        // drop), so the connection is still sound after poisoning.
        let mut conn = lock(&self.shared.conn);
        f(&mut conn)
    }

    /// The writer's counters so far.
    pub fn writer_stats(&self) -> WriterStats {
        let stats = &self.shared.stats;
        WriterStats {
            submitted: stats.submitted.load(Ordering::Relaxed),
            batches: stats.batches.load(Ordering::Relaxed),
            jobs: stats.jobs.load(Ordering::Relaxed),
            largest_batch: stats.largest_batch.load(Ordering::Relaxed),
        }
    }
}

fn flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn setup(mut conn: Connection) -> Result<(Connection, Opened), DbError> {
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    // A second process (the admin commands) may hold the write lock for a moment.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let opened = migrate(&mut conn)?;
    Ok((conn, opened))
}

/// A read-only connection to the (already migrated) file.
fn open_reader(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA query_only = ON;")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The writer thread: batches until every [`Db`] handle is gone.
fn run_writer(conn: &Mutex<Connection>, queue: &mpsc::Receiver<Box<dyn Job>>, stats: &Counters) {
    while let Ok(first) = queue.recv() {
        // Lock before draining: whatever queued while `call_blocking` held the connection
        // joins this batch.
        let mut conn = lock(conn);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats
            .largest_batch
            .fetch_max(batch.len() as u64, Ordering::Relaxed);
        run_batch(&mut conn, batch);
    }
}

/// Runs `jobs` in one transaction, each in its own savepoint, commits once, then answers
/// each.
fn run_batch(conn: &mut Connection, mut jobs: Vec<Box<dyn Job>>) {
    let mut outcome = exec(conn, "BEGIN IMMEDIATE");
    if outcome.is_ok() {
        for job in &mut jobs {
            outcome = run_job(conn, job.as_mut());
            if outcome.is_err() {
                // The transaction's state is unknown: the whole batch is given up.
                break;
            }
        }
    }
    if outcome.is_ok() {
        outcome = exec(conn, "COMMIT");
    }
    match outcome {
        Ok(()) => {
            for job in jobs {
                job.finish(Ok(()));
            }
        }
        Err(err) => {
            tracing::error!(%err, jobs = jobs.len(), "a write batch failed; none of it was written");
            if !conn.is_autocommit() {
                if let Err(err) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(%err, "cannot roll the failed batch back");
                }
            }
            for job in jobs {
                job.finish(Err(replicate(&err)));
            }
        }
    }
}

/// Runs one job in its own savepoint: released when the job answers `Ok`, rolled back
/// when it answers `Err` or panics. An error here is the savepoint's own.
fn run_job(conn: &mut Connection, job: &mut dyn Job) -> rusqlite::Result<()> {
    exec(conn, "SAVEPOINT job")?;
    match catch_unwind(AssertUnwindSafe(|| job.run(conn))) {
        Ok(true) => exec(conn, "RELEASE job"),
        Ok(false) => rollback_to_job(conn),
        Err(_panic) => {
            tracing::error!("a write job panicked; its writes are rolled back");
            rollback_to_job(conn)
        }
    }
}

fn rollback_to_job(conn: &Connection) -> rusqlite::Result<()> {
    exec(conn, "ROLLBACK TO job")?;
    exec(conn, "RELEASE job")
}

/// Runs a statement without parameters through the statement cache.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// A copy of a batch's error for each of its jobs (SQLite's codes kept, so `SQLITE_BUSY`
/// still reads as "unavailable").
fn replicate(err: &rusqlite::Error) -> DbError {
    match err {
        rusqlite::Error::SqliteFailure(code, message) => {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        other => DbError::Batch(other.to_string()),
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

    /// Holds the write connection until the returned sender is used (or dropped), so jobs
    /// sent meanwhile make one batch.
    fn hold(db: &Db) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
        let db = db.clone();
        let (held, is_held) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            db.call_blocking(|_| {
                held.send(()).unwrap();
                let _ = released.recv();
                Ok::<_, DbError>(())
            })
            .unwrap();
        });
        is_held.recv().unwrap();
        (release, thread)
    }

    fn numbers(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn insert(conn: &Connection, x: i64) -> Result<(), DbError> {
        conn.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
        Ok(())
    }

    /// Creates the table `t` the tests write numbers to.
    fn create_t(db: &Db) {
        db.call_blocking(|c| c.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            .unwrap();
    }

    /// A database file in a fresh directory (removed when the `TempDir` drops), with `t`.
    fn file_with_t() -> (tempfile::TempDir, PathBuf, Db) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite3");
        let (db, _) = Db::open(&path).unwrap();
        create_t(&db);
        (dir, path, db)
    }

    #[tokio::test]
    async fn a_failing_job_rolls_back_alone_and_the_batch_commits_once() {
        let (_dir, path, db) = file_with_t();
        let before = db.writer_stats();
        let (release, holder) = hold(&db);
        let ok1 = db.write(|c| insert(c, 1));
        let refused = db.write(|c| {
            insert(c, 2)?;
            Err::<(), _>(DbError::Task("refused after writing".into()))
        });
        let panicked = db.write(|c| -> Result<(), DbError> {
            insert(c, 3)?;
            panic!("a job that panics after writing");
        });
        let duplicate = db.write(|c| insert(c, 1));
        let nested = db.write(|c| {
            insert(c, 5)?;
            // A unit inside the job that fails leaves the job's own write alone.
            let inner = crate::store::atomically(c, |c| {
                insert(c, 6)?;
                Err::<(), _>(DbError::Task("inner unit refused".into()))
            });
            assert!(inner.is_err());
            Ok::<_, DbError>(())
        });
        let ok7 = db.write(|c| insert(c, 7));
        release.send(()).unwrap();
        holder.join().unwrap();

        ok1.await.unwrap();
        assert!(matches!(refused.await, Err(DbError::Task(m)) if m.contains("refused")));
        assert!(matches!(panicked.await, Err(DbError::Task(m)) if m.contains("panicked")));
        assert!(matches!(
            duplicate.await,
            Err(DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
        ));
        nested.await.unwrap();
        ok7.await.unwrap();

        let after = db.writer_stats();
        assert_eq!(after.submitted - before.submitted, 6);
        assert_eq!(after.jobs - before.jobs, 6);
        assert_eq!(after.batches - before.batches, 1, "{after:?}");
        assert_eq!(after.largest_batch, 6);
        // Committed: another connection sees exactly the kept writes.
        let other = Connection::open(&path).unwrap();
        assert_eq!(numbers(&other), vec![1, 5, 7]);
        // And the writer goes on after a panicking job.
        db.write(|c| insert(c, 8)).await.unwrap();
        assert_eq!(numbers(&other), vec![1, 5, 7, 8]);
    }

    #[tokio::test]
    async fn a_read_sees_every_write_that_returned() {
        let (_dir, _, db) = file_with_t();
        let (memory, _) = Db::open_in_memory().unwrap();
        create_t(&memory);
        for db in [db, memory] {
            for x in 1..=20 {
                db.write(move |c| insert(c, x)).await.unwrap();
                let seen = db
                    .read(|c| Ok::<_, DbError>(numbers(c).len() as i64))
                    .await
                    .unwrap();
                assert_eq!(seen, x, "{db:?}");
            }
        }
    }

    #[tokio::test]
    async fn readers_cannot_write() {
        let (_dir, _, db) = file_with_t();
        let err = db.read(|c| insert(c, 1)).await.unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
    }

    #[tokio::test]
    async fn a_write_sent_before_the_last_handle_is_dropped_still_commits() {
        let (_dir, path, db) = file_with_t();
        let pending = db.write(|c| insert(c, 1));
        // Dropping the handle waits for the writer to finish what was sent.
        drop(db);
        pending.await.unwrap();
        assert_eq!(numbers(&Connection::open(&path).unwrap()), vec![1]);
    }

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
