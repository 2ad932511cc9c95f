//! SQLite's direct writer: one connection, opened through `rusqlite` on a thread of its own, for the hottest write
//! path (the ledger's group commit). Through sqlx every statement, and every row read, crosses from the async
//! caller to the driver's worker thread and back, and each value read is copied once more; for a group of a
//! thousand transfers those hand-offs cost more than SQLite's own work. Here a whole unit of work (a closure that
//! opens, fills and commits its transaction) runs on the connection's thread with cached prepared statements, and
//! only its result crosses back.
//!
//! It is a second connection to the same database file, so it takes the same write turn as every other writer of
//! the process ([`super::SqliteWriter::write`]); readers on the pool see what it commits like any other commit.

use super::DbError;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc;
use tokio::sync::{OwnedMutexGuard, oneshot};

/// A unit of work, and the write turn it runs in (if any), released only once the work and any clean-up after
/// it are done, so no other writer of the process starts while this connection still holds SQLite's lock.
struct Job {
    work: Box<dyn FnOnce(&mut Connection) + Send>,
    turn: Option<OwnedMutexGuard<()>>,
}

enum Message {
    Work(Job),
    /// The last message: checkpoint the WAL, close the connection, answer, and end the thread.
    Close(OwnedMutexGuard<()>, oneshot::Sender<Result<bool, DbError>>),
}

/// The writer thread's queue. Cloning shares the one thread, which ends when it is closed or when the last clone
/// is dropped.
#[derive(Debug, Clone)]
pub(super) struct DirectWriter {
    jobs: mpsc::Sender<Message>,
}

impl DirectWriter {
    /// Opens the connection on a new thread, with the settings the pool's connections have.
    pub(super) async fn open(path: &Path, busy_timeout: std::time::Duration) -> Result<DirectWriter, DbError> {
        let (jobs, queue) = mpsc::channel::<Message>();
        let (opened, outcome) = oneshot::channel();
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || match configure(&path, busy_timeout) {
                Ok(connection) => {
                    let _ = opened.send(Ok(()));
                    serve(connection, queue, || configure(&path, busy_timeout));
                }
                Err(error) => {
                    let _ = opened.send(Err(error));
                }
            })
            .map_err(|e| DbError::Open(format!("cannot start the SQLite writer thread: {e}")))?;
        outcome
            .await
            .map_err(|_| DbError::Open("the SQLite writer thread stopped while opening".to_owned()))??;
        Ok(DirectWriter { jobs })
    }

    /// Runs `work` on the writer's connection and returns what it returns. `turn`, the write turn held for it, is
    /// released on the writer's thread once `work` is over, even if the caller stops waiting.
    pub(super) async fn run<R, F>(&self, work: F, turn: Option<OwnedMutexGuard<()>>) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work = Box::new(move |connection: &mut Connection| {
            let _ = reply.send(work(connection));
        });
        self.jobs
            .send(Message::Work(Job { work, turn }))
            .map_err(|_| DbError::Closed)?;
        answer
            .await
            .map_err(|_| DbError::Open("a unit of work on the SQLite writer thread panicked".to_owned()))
    }

    /// Checkpoints the whole WAL into the database file (`TRUNCATE`, which also empties the WAL file) and closes
    /// the connection; `turn` is held until it is closed. Answers whether the checkpoint was complete.
    pub(super) async fn close(&self, turn: OwnedMutexGuard<()>) -> Result<bool, DbError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Message::Close(turn, reply))
            .map_err(|_| DbError::Closed)?;
        answer.await.map_err(|_| DbError::Closed)?
    }
}

/// The writer thread's loop. `reopen` replaces a connection that a unit of work left in a state it cannot be
/// brought out of.
fn serve(mut connection: Connection, queue: mpsc::Receiver<Message>, reopen: impl Fn() -> Result<Connection, DbError>) {
    while let Ok(message) = queue.recv() {
        match message {
            Message::Work(Job { work, turn }) => {
                // A panic drops the job's reply, which answers the caller with an error.
                let _ = catch_unwind(AssertUnwindSafe(|| work(&mut connection)));
                end_leftover_transaction(&mut connection, &reopen);
                drop(turn);
            }
            Message::Close(turn, reply) => {
                let outcome = checkpoint_and_close(connection);
                // The queue goes before the turn is released: a write that takes the turn next must find the
                // writer closed, not have its job dropped unanswered with the queue.
                drop(queue);
                drop(turn);
                let _ = reply.send(outcome);
                return;
            }
        }
    }
}

/// A unit of work opens and ends its own transaction; one still open after it (the work panicked, or its
/// COMMIT and the ROLLBACK after it both failed) must not be inherited by the next unit, which would fail to
/// begin or, worse, commit it. When even a ROLLBACK fails, the connection is replaced: closing it makes SQLite
/// undo what it held.
fn end_leftover_transaction(connection: &mut Connection, reopen: &impl Fn() -> Result<Connection, DbError>) {
    if connection.is_autocommit() {
        return;
    }
    let Err(error) = connection.execute_batch("ROLLBACK") else {
        return;
    };
    tracing::warn!(%error, "the SQLite writer could not end a transaction; reopening its connection");
    match reopen() {
        Ok(fresh) => *connection = fresh,
        Err(error) => tracing::error!(%error, "the SQLite writer could not reopen its connection"),
    }
}

/// Answers whether the checkpoint was complete: it is not while another process still reads the WAL.
fn checkpoint_and_close(connection: Connection) -> Result<bool, DbError> {
    let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    connection.close().map_err(|(_, error)| error)?;
    Ok(busy == 0)
}

fn configure(path: &Path, busy_timeout: std::time::Duration) -> Result<Connection, DbError> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(busy_timeout)?;
    // Room for every statement the ledger's group commit and the grouped writes prepare (rusqlite keeps 16).
    connection.set_prepared_statement_cache_capacity(64);
    // The same settings as the pool's connections (see `connect`): durable commits, enforced foreign keys.
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = {};",
        super::checkpoint::COMMIT_CHECKPOINT_PAGES
    ))?;
    Ok(connection)
}

/// A time as sqlx stores it on SQLite (RFC 3339 text), so rows written here read back through sqlx unchanged.
pub fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Column `index` of `row`, a time as [`time_text`] or sqlx wrote it, or NULL.
pub fn time_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let Some(text) = row.get::<_, Option<String>>(index)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_sqlx_writes_them_and_read_back() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T17:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_text(at), "2026-11-30T17:00:00.123456+00:00");
        let connection = Connection::open_in_memory().unwrap();
        let read = |text: &str| connection.query_row("SELECT ?", [text], |r| time_at(r, 0));
        assert_eq!(read(&time_text(at)).unwrap(), Some(at));
        assert!(read("yesterday").is_err());
    }
}
