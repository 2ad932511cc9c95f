//! Storage: SQLite (embedded default) or PostgreSQL, behind one small enum.
//!
//! Each context writes its SQL once, as a `&'static str` with `$1` placeholders that both engines accept, and runs
//! it through [`on_db!`](crate::on_db) or [`on_tx!`](crate::on_tx): the macro expands the same Rust code once per
//! backend, so there is one query text and one piece of logic per operation, type-checked against both drivers.
//! Where the dialects really differ (DDL, locking), the migrations and a few named statements differ, and
//! nothing else.

pub mod bulk;
mod checkpoint;
mod connect;
pub mod direct;
mod fault;
mod grouped;
pub mod numeric;
mod outage;
mod outbox_signal;
mod storage_check;

pub use connect::connect;
pub use fault::SqliteFault;
pub use outage::Outage;
pub use outbox_signal::OutboxSignal;
pub use storage_check::{StorageCheck, StorageCheckCache};

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool on one of the two backends. Cloning is cheap (the pools are reference counted). Each keeps
/// its last [storage check](Db::check_storage) and its [outbox signal](OutboxSignal) (SQLite's in its writer).
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool, SqliteWriter),
    Postgres(PgPool, StorageCheckCache, OutboxSignal),
}

/// An open transaction. It remembers whether it wrote outbox events, so that its commit can raise the
/// database's [`OutboxSignal`].
#[derive(Debug)]
pub struct Tx {
    connection: TxConnection,
    outbox: OutboxSignal,
    wrote_events: bool,
}

/// The connection of an open transaction on one of the two backends. On SQLite it holds the process's write
/// turn until the transaction ends.
#[derive(Debug)]
pub enum TxConnection {
    Sqlite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

/// SQLite has one writer at a time. Write transactions of this process take turns here, first come first served,
/// before `BEGIN IMMEDIATE`: left to SQLite's busy handler, a waiting writer sleeps and polls (up to 100 ms a
/// time) and can lose the lock again and again to a steady stream of others, which showed as second-long tails.
/// It also holds the [direct writer](direct), which takes the same turns.
#[derive(Debug, Clone)]
pub struct SqliteWriter {
    turns: Arc<Mutex<()>>,
    direct: direct::DirectWriter,
    grouped: grouped::Grouped,
    background: Arc<Background>,
    fault: fault::FaultSwitch,
    storage_check: StorageCheckCache,
    outbox: OutboxSignal,
}

/// The writer's background tasks (the grouped writes, the WAL checkpoint). They stop when told to by
/// [`Db::close`], or when the last handle on the database is dropped (the sender goes with it).
#[derive(Debug)]
struct Background {
    stop: watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl SqliteWriter {
    fn new(direct: direct::DirectWriter, fault: fault::FaultSwitch) -> SqliteWriter {
        let turns = Arc::default();
        let (stop, stopping) = watch::channel(false);
        let (grouped, grouped_task) = grouped::Grouped::start(Arc::clone(&turns), direct.clone(), stopping);
        SqliteWriter {
            grouped,
            turns,
            direct,
            background: Arc::new(Background {
                stop,
                tasks: std::sync::Mutex::new(vec![grouped_task]),
            }),
            fault,
            storage_check: StorageCheckCache::default(),
            outbox: OutboxSignal::default(),
        }
    }

    /// Runs `task` until the writer stops; [`Db::close`] waits for it.
    fn keep_in_background(&self, task: impl FnOnce(watch::Receiver<bool>) -> JoinHandle<()>) {
        let handle = task(self.background.stop.subscribe());
        if let Ok(mut tasks) = self.background.tasks.lock() {
            tasks.push(handle);
        }
    }

    /// Stops the grouped writes (those already queued are written first) and the background checkpoint.
    async fn stop_background(&self) {
        let _ = self.background.stop.send(true);
        let tasks = match self.background.tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(_) => Vec::new(),
        };
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Checkpoints the whole WAL into the database file and closes the direct connection, in the write turn so
    /// that no write of this process is under way. Later writes on it answer [`DbError::Closed`]. Answers
    /// whether the checkpoint was complete.
    async fn close_direct(&self) -> Result<bool, DbError> {
        let turn = take_turn(&self.turns, connect::SQLITE_BUSY_TIMEOUT).await?;
        self.direct.close(turn).await
    }

    /// Waits for the turn as long as SQLite would wait for its lock, then gives up the same way.
    async fn turn(&self, patience: Duration) -> Result<OwnedMutexGuard<()>, DbError> {
        take_turn(&self.turns, patience).await
    }

    /// Runs `work` on the direct writer's connection in this process's write turn. `work` opens and ends its own
    /// transaction (`BEGIN IMMEDIATE`, as every writer here).
    pub async fn write<R, F>(&self, work: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> R + Send + 'static,
    {
        in_turn(&self.turns, &self.direct, work).await
    }

    /// [`write`](Self::write) for work that may add outbox rows (the rows of [`crate::outbox::rows`] run with `execute_direct`):
    /// when the work answers `Ok`, what it wrote is committed and the outbox signal is raised.
    pub async fn write_with_events<T, E, F>(&self, work: F) -> Result<Result<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> Result<T, E> + Send + 'static,
    {
        let answer = self.write(work).await?;
        if answer.is_ok() {
            self.outbox.raise();
        }
        Ok(answer)
    }

    /// Runs one small write, `sql` with `params` bound to `$1`, `$2`, … in order, together with the others
    /// waiting at the moment in one transaction (see [`grouped`]); answers the rows it changed once committed.
    pub async fn execute_grouped(
        &self,
        sql: &'static str,
        params: Vec<rusqlite::types::Value>,
    ) -> Result<usize, DbError> {
        self.grouped.execute(sql, params).await
    }
}

/// Resolves once `stop` says so, or once its sender is gone.
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

async fn take_turn(turns: &Arc<Mutex<()>>, patience: Duration) -> Result<OwnedMutexGuard<()>, DbError> {
    tokio::time::timeout(patience, turns.clone().lock_owned())
        .await
        .map_err(|_| DbError::Sqlx(sqlx::Error::PoolTimedOut))
}

/// `work` on the direct writer's connection, in the write turn.
async fn in_turn<R, F>(turns: &Arc<Mutex<()>>, direct: &direct::DirectWriter, work: F) -> Result<R, DbError>
where
    R: Send + 'static,
    F: FnOnce(&mut rusqlite::Connection) -> R + Send + 'static,
{
    let turn = take_turn(turns, connect::SQLITE_BUSY_TIMEOUT).await?;
    direct.run(work, Some(turn)).await
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot open the database: {0}")]
    Open(String),
    /// A statement built wrongly by the code that asked for it, caught before it reached the database.
    #[error("malformed statement: {0}")]
    Malformed(String),
    /// An error of the direct writer's connection (see [`direct`]).
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
    /// A group of small writes that failed as a whole (see [`grouped`]); none of it was written. `outage` keeps
    /// what the group's error said about storage, for the caller to answer as the group's error would have been.
    #[error("a grouped write failed: {reason}")]
    Group { reason: String, outage: Option<Outage> },
    /// The database was closed ([`Db::close`]): the server is stopping.
    #[error("the database is closed")]
    Closed,
}

impl DbError {
    /// True when the error is a violated unique constraint, which callers usually turn into a conflict.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Pool occupancy, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// Runs `$body` with `$conn` bound to the pool of whichever backend `$db` is.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($conn, _) => $body,
            $crate::db::Db::Postgres($conn, ..) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection of the open transaction `$tx`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $crate::db::Tx::connection($tx) {
            $crate::db::TxConnection::Sqlite(tx, _) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::TxConnection::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(..) => Backend::Postgres,
        }
    }

    /// Applies the versioned migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool, _) => sqlx::migrate!("../../migrations/sqlite").run(pool).await?,
            Db::Postgres(pool, ..) => sqlx::migrate!("../../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a deferred
    /// transaction that reads and then writes fails with `SQLITE_BUSY` under concurrency instead of waiting.
    /// The connection it runs on is clean: one whose last transaction could not be ended is closed when it is
    /// given back, not pooled (see `connect`).
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let connection = match self {
            Db::Sqlite(pool, writer) => {
                let turn = writer.turn(connect::SQLITE_BUSY_TIMEOUT).await?;
                TxConnection::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(pool, ..) => TxConnection::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            connection,
            outbox: self.outbox_signal().clone(),
            wrote_events: false,
        })
    }

    /// Raised after each commit that wrote outbox events; what the relay waits on between polls.
    pub fn outbox_signal(&self) -> &OutboxSignal {
        match self {
            Db::Sqlite(_, writer) => &writer.outbox,
            Db::Postgres(_, _, outbox) => outbox,
        }
    }

    /// SQLite's writer (its write turns and direct connection); none on PostgreSQL.
    pub fn sqlite_writer(&self) -> Option<&SqliteWriter> {
        match self {
            Db::Sqlite(_, writer) => Some(writer),
            Db::Postgres(..) => None,
        }
    }

    /// A round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub fn pool_stats(&self) -> PoolStats {
        on_db!(self, pool => PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    /// Closes the database for a clean stop. On SQLite the grouped writes still queued are written, the
    /// background tasks end, the pool closes (waiting for connections in use), and the direct connection
    /// checkpoints the whole WAL into the database file (`TRUNCATE`) before it closes, so nothing is left to
    /// replay at the next start.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool, writer) => {
                writer.stop_background().await;
                pool.close().await;
                match writer.close_direct().await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("another process still reads the WAL; it was not checkpointed in full"),
                    Err(error) => {
                        tracing::warn!(%error, "the final WAL checkpoint failed; the next start replays the WAL")
                    }
                }
            }
            Db::Postgres(pool, ..) => pool.close().await,
        }
    }
}

impl Tx {
    /// Commits; when the transaction wrote outbox events, the relay is told once they are durable.
    pub async fn commit(self) -> Result<(), DbError> {
        match self.connection {
            TxConnection::Sqlite(tx, _turn) => tx.commit().await?,
            TxConnection::Postgres(tx) => tx.commit().await?,
        }
        if self.wrote_events {
            self.outbox.raise();
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        match self.connection {
            TxConnection::Sqlite(tx, _turn) => tx.rollback().await?,
            TxConnection::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.connection {
            TxConnection::Sqlite(..) => Backend::Sqlite,
            TxConnection::Postgres(_) => Backend::Postgres,
        }
    }

    /// The transaction's connection, for [`on_tx!`](crate::on_tx) and backend-specific statements.
    pub fn connection(&mut self) -> &mut TxConnection {
        &mut self.connection
    }

    /// Records that outbox events were written, so the commit raises the outbox signal.
    pub(crate) fn note_events(&mut self) {
        self.wrote_events = true;
    }
}
