//! Group commit: movements from many concurrent callers are applied by one writer task, which takes every batch
//! waiting in its queue and applies them together in one database transaction, so one commit (one fsync) serves
//! the whole group instead of one per request.
//!
//! Nothing about a batch's guarantees changes. Each batch is still all or nothing against the books as the
//! batches before it in the group left them, a refused batch leaves no trace, the journal order is the order of
//! application, and every batch writes its own events and audit record. Only the commit is shared: a caller
//! hears back after the group's commit, so an answer is never given for a movement that is not durable.
//!
//! If the group's transaction fails as a whole (a lost connection, or on PostgreSQL a clash with another
//! instance's writer), every batch of the group is applied again alone, in its own transaction. That is safe
//! because every transfer carries its caller-chosen id: a batch that did commit answers with its first result.

use crate::account::{Movement, journal_time};
use crate::engine::{BatchResult, Leg, Needs, Outcome};
use crate::posting::{Posted, Posting};
use crate::{LedgerError, store};
use platform::RequestContext;
use platform::{Clock, Db};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most transfers one group applies: enough to spread a commit over many requests, few enough that the first
/// caller of a group does not wait long for the last.
const MAX_GROUP_LEGS: usize = 1024;

/// Batches waiting for the writer before callers wait to enqueue.
const QUEUE: usize = 8192;

/// [`Movement`] owned, to travel to the writer.
#[derive(Debug, Clone)]
struct OwnedMovement {
    actor: Option<Uuid>,
    action: String,
    context: RequestContext,
}

impl OwnedMovement {
    fn new(movement: Movement<'_>) -> OwnedMovement {
        OwnedMovement {
            actor: movement.actor,
            action: movement.action.to_owned(),
            context: movement.context.clone(),
        }
    }

    fn borrow(&self) -> Movement<'_> {
        Movement {
            actor: self.actor,
            action: &self.action,
            context: &self.context,
        }
    }
}

struct Job {
    legs: Arc<[Leg]>,
    movement: OwnedMovement,
    reply: oneshot::Sender<BatchResult>,
}

/// The writer's queue, started with the first movement (inside the runtime that makes it). Clones share it.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    db: Db,
    clock: Arc<dyn Clock>,
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl GroupCommit {
    pub(crate) fn new(db: Db, clock: Arc<dyn Clock>) -> GroupCommit {
        GroupCommit {
            db,
            clock,
            queue: Arc::default(),
        }
    }

    /// This writer with a queue of its own, for the writer task itself.
    fn detached(&self) -> GroupCommit {
        GroupCommit {
            queue: Arc::default(),
            ..self.clone()
        }
    }

    /// Applies `legs` as one all-or-nothing batch through the group-commit writer.
    pub(crate) async fn submit(&self, legs: Vec<Leg>, movement: Movement<'_>) -> BatchResult {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            // The writer task gets a queue of its own (never started), so it does not keep this one open: when
            // the last caller's ledger is dropped, the writer ends.
            tokio::spawn(self.detached().write_groups(receiver));
            sender
        });
        let legs: Arc<[Leg]> = legs.into();
        let (reply, answer) = oneshot::channel();
        let job = Job {
            legs: legs.clone(),
            movement: OwnedMovement::new(movement),
            reply,
        };
        if queue.send(job).await.is_ok()
            && let Ok(result) = answer.await
        {
            return result;
        }
        // The writer is gone (its runtime is shutting down), perhaps mid-group: whether that group committed is
        // unknown. Applying the batch alone answers either way, as its transfer ids make it idempotent.
        self.apply_alone(&legs, movement).await
    }

    async fn write_groups(self, mut receiver: mpsc::Receiver<Job>) {
        while let Some(first) = receiver.recv().await {
            let mut legs = first.legs.len();
            let mut jobs = vec![first];
            // Callers answered by the last commit are about to send again: yielding until the queue stops
            // growing lets them join this group instead of each paying for a commit of its own.
            loop {
                let before = jobs.len();
                while legs < MAX_GROUP_LEGS {
                    match receiver.try_recv() {
                        Ok(job) => {
                            legs += job.legs.len();
                            jobs.push(job);
                        }
                        Err(_) => break,
                    }
                }
                if legs >= MAX_GROUP_LEGS || jobs.len() == before {
                    break;
                }
                tokio::task::yield_now().await;
            }
            self.write_group(jobs).await;
        }
    }

    async fn write_group(&self, jobs: Vec<Job>) {
        match self.apply_group(&jobs).await {
            Ok(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(error) => {
                tracing::warn!(%error, batches = jobs.len(), "a group commit failed; applying its batches one by one");
                for job in jobs {
                    let result = self.apply_alone(&job.legs, job.movement.borrow()).await;
                    let _ = job.reply.send(result);
                }
            }
        }
    }

    /// Applies the jobs' batches in order in one transaction, committed only if one of them wrote something.
    async fn apply_group(&self, jobs: &[Job]) -> Result<Vec<BatchResult>, LedgerError> {
        if let Some(writer) = self.db.sqlite_writer() {
            let owned: Vec<(Arc<[Leg]>, OwnedMovement)> =
                jobs.iter().map(|j| (j.legs.clone(), j.movement.clone())).collect();
            let writer_self = self.clone();
            return writer
                .write_with_events(move |connection| writer_self.apply_group_direct(connection, &owned))
                .await?;
        }
        let batches: Vec<(&[Leg], Movement<'_>)> = jobs.iter().map(|j| (&j.legs[..], j.movement.borrow())).collect();
        let mut tx = self.db.begin().await?;
        let Posted { results, wrote } = Posting::new(&mut tx, &*self.clock).apply_batches(&batches).await?;
        if wrote {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(results)
    }

    /// [`Self::apply_group`] on SQLite's direct writer connection: the same reads, the same in-memory application
    /// and the same rows as [`Posting::apply_batches`], without a hand-off per statement.
    fn apply_group_direct(
        &self,
        connection: &mut rusqlite::Connection,
        owned: &[(Arc<[Leg]>, OwnedMovement)],
    ) -> Result<Vec<BatchResult>, LedgerError> {
        let batches: Vec<(&[Leg], Movement<'_>)> = owned.iter().map(|(legs, m)| (&legs[..], m.borrow())).collect();
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let needs = Needs::of(&batches);
        let loaded = store::direct::load(&tx, &needs)?;
        // Read once the write lock is held, so the journal's times follow its order.
        let now = journal_time(&*self.clock);
        let outcome = Outcome::apply(&batches, &needs, loaded, now)?;
        if outcome.wrote() {
            store::direct::save(&tx, &outcome, now)?;
            tx.commit()?;
        }
        Ok(outcome.results)
    }

    /// Applies `legs` as one batch in a transaction of its own: the path of a group that failed as a whole. The
    /// accounts it names are first created the ordinary way, in key order (user ids ascending), so this path
    /// cannot clash with another writer creating the same account, and two first movements between the same
    /// pair cannot wait on each other.
    async fn apply_alone(&self, legs: &[Leg], movement: Movement<'_>) -> BatchResult {
        let mut tx = self.db.begin().await?;
        let now = journal_time(&*self.clock);
        let keys: std::collections::BTreeSet<_> = legs.iter().flat_map(Leg::keys).collect();
        for (owner, asset, purpose) in keys {
            store::ensure_account(&mut tx, owner, &asset, purpose, now).await?;
        }
        let Posted { mut results, wrote } = Posting::new(&mut tx, &*self.clock)
            .apply_batches(&[(legs, movement)])
            .await?;
        if wrote {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        results
            .pop()
            .unwrap_or_else(|| Err(LedgerError::Corrupt("a batch applied alone gave no result".to_owned())))
    }
}
