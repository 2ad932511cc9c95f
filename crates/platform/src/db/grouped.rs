//! Small writes grouped into one commit on SQLite. A single-statement write run on its own is a transaction of its
//! own: a sync of the WAL, and the process's write turn held for the whole of it, so a stream of small writes
//! from concurrent requests (the `Idempotency-Key` claims and completions) queues behind one sync each. Here every
//! statement waiting when the writer comes round runs on the direct writer's connection in one transaction, each
//! inside a savepoint of its own so that one failing statement is undone alone and answers its own error, and
//! every caller is answered after the one commit: an answer still means the write is durable.

use super::direct::DirectWriter;
use super::{DbError, in_turn, stop_requested};
use rusqlite::types::Value;
use rusqlite::{Connection, TransactionBehavior};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Most statements one commit carries.
const MAX_GROUP: usize = 1024;

/// Statements waiting before callers wait to enqueue.
const QUEUE: usize = 8192;

struct Pending {
    sql: &'static str,
    params: Vec<Value>,
    reply: oneshot::Sender<Result<usize, DbError>>,
}

/// The queue of the grouping task, which ends when told to stop (after writing what is queued) or when the last
/// sender (the last handle on the database) is dropped.
#[derive(Debug, Clone)]
pub(super) struct Grouped {
    queue: mpsc::Sender<Pending>,
}

impl Grouped {
    pub(super) fn start(
        turns: Arc<Mutex<()>>,
        direct: DirectWriter,
        stop: watch::Receiver<bool>,
    ) -> (Grouped, JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write_groups(turns, direct, receiver, stop));
        (Grouped { queue }, task)
    }

    /// Runs `sql` with `params` (bound to `$1`, `$2`, … in order) in the next group; answers the rows it changed
    /// once the group has committed.
    pub(super) async fn execute(&self, sql: &'static str, params: Vec<Value>) -> Result<usize, DbError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { sql, params, reply })
            .await
            .map_err(|_| DbError::Closed)?;
        answer.await.map_err(|_| DbError::Closed)?
    }
}

async fn write_groups(
    turns: Arc<Mutex<()>>,
    direct: DirectWriter,
    mut receiver: mpsc::Receiver<Pending>,
    mut stop: watch::Receiver<bool>,
) {
    let mut stopping = false;
    loop {
        let next = if stopping {
            receiver.recv().await
        } else {
            tokio::select! {
                next = receiver.recv() => next,
                () = stop_requested(&mut stop) => {
                    // No new statements; those already queued are still written and answered.
                    receiver.close();
                    stopping = true;
                    continue;
                }
            }
        };
        let Some(first) = next else {
            break;
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(pending) => group.push(pending),
                Err(_) => break,
            }
        }
        let (statements, replies): (Vec<_>, Vec<_>) = group.into_iter().map(|p| ((p.sql, p.params), p.reply)).unzip();
        match in_turn(&turns, &direct, move |connection| apply(connection, statements)).await {
            Ok(Ok(results)) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Ok(Err(error)) | Err(error) => {
                let (reason, outage) = (error.to_string(), error.outage());
                for reply in replies {
                    let _ = reply.send(Err(DbError::Group {
                        reason: reason.clone(),
                        outage,
                    }));
                }
            }
        }
    }
}

/// Every statement in one transaction, each in a savepoint; the outer error fails the whole group.
fn apply(
    connection: &mut Connection,
    statements: Vec<(&'static str, Vec<Value>)>,
) -> Result<Vec<Result<usize, DbError>>, DbError> {
    let mut tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(statements.len());
    for (sql, params) in statements {
        let savepoint = tx.savepoint()?;
        let result = execute(&savepoint, sql, &params);
        if result.is_ok() {
            savepoint.commit()?;
        } else {
            // Dropped without a commit, the savepoint rolls back what the statement did.
            drop(savepoint);
        }
        if tx.is_autocommit() {
            // Some failures (a full disk, an I/O error) make SQLite roll the whole transaction back itself; going
            // on would run the remaining statements each in a transaction of its own.
            return Err(result.err().unwrap_or_else(|| DbError::Group {
                reason: "the transaction ended in the middle of the group".to_owned(),
                outage: None,
            }));
        }
        results.push(result);
    }
    tx.commit()?;
    Ok(results)
}

fn execute(connection: &Connection, sql: &str, params: &[Value]) -> Result<usize, DbError> {
    let mut statement = connection.prepare_cached(sql)?;
    if statement.parameter_count() != params.len() {
        return Err(DbError::Malformed(format!(
            "a grouped statement takes {} parameters and got {}",
            statement.parameter_count(),
            params.len()
        )));
    }
    for (i, value) in params.iter().enumerate() {
        let name = format!("${}", i + 1);
        let index = statement
            .parameter_index(&name)?
            .ok_or_else(|| DbError::Malformed(format!("a grouped statement has no parameter {name}")))?;
        statement.raw_bind_parameter(index, value)?;
    }
    Ok(statement.raw_execute()?)
}
