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

use crate::books::{Account, AccountId, Applied, Books, PendingState, Transfer, TransferId, TransferRequest};
use crate::history::Running;
use crate::service::{Movement, Purpose, StoredAccount, balance_of};
use crate::store::bulk::{self, AccountKey};
use crate::{Asset, Ledger, LedgerError, store};
use money::{Amount, AssetCode, Precision};
use platform::audit::{self, AuditRecord, Outcome};
use platform::outbox;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most transfers one group applies: enough to spread a commit over many requests, few enough that the first
/// caller of a group does not wait long for the last.
const MAX_GROUP_LEGS: usize = 1024;

/// Batches waiting for the writer before callers wait to enqueue.
const QUEUE: usize = 8192;

/// Which account a side of a leg names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// An account that exists.
    Account(AccountId),
    /// The user's wallet in the leg's asset, created with the movement if it does not exist yet.
    Wallet(Uuid),
    /// The platform's account for the leg's asset and this purpose, created likewise.
    System(Purpose),
}

/// One transfer of a batch, with its sides named as [`Side`]s: `request.debit` and `request.credit` are filled in
/// once the sides are resolved to accounts.
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    pub debit: Side,
    pub credit: Side,
    pub request: TransferRequest,
}

impl Leg {
    pub(crate) fn between_accounts(request: TransferRequest) -> Leg {
        Leg {
            debit: Side::Account(request.debit),
            credit: Side::Account(request.credit),
            request,
        }
    }

    fn key(&self, side: Side) -> Option<AccountKey> {
        match side {
            Side::Account(_) => None,
            Side::Wallet(user) => Some((Some(user), self.request.asset, Purpose::Wallet)),
            Side::System(purpose) => Some((None, self.request.asset, purpose)),
        }
    }

    fn keys(&self) -> impl Iterator<Item = AccountKey> + '_ {
        [self.debit, self.credit].into_iter().filter_map(|side| self.key(side))
    }

    /// The request with both sides as account ids, from `ids` (which holds every key this leg names).
    fn resolve(&self, ids: &BTreeMap<AccountKey, AccountId>) -> Result<TransferRequest, LedgerError> {
        let id = |side: Side| match (side, self.key(side)) {
            (Side::Account(id), _) => Ok(id),
            (_, Some(key)) => ids
                .get(&key)
                .copied()
                .ok_or_else(|| LedgerError::Corrupt("a leg's account was not resolved".to_owned())),
            (_, None) => Err(LedgerError::Corrupt("a leg's side has no key".to_owned())),
        };
        Ok(TransferRequest {
            debit: id(self.debit)?,
            credit: id(self.credit)?,
            ..self.request.clone()
        })
    }
}

/// [`Movement`] owned, to travel to the writer.
#[derive(Debug, Clone)]
struct OwnedMovement {
    actor: Option<Uuid>,
    action: String,
    ip: Option<String>,
    request_id: Option<String>,
}

impl OwnedMovement {
    fn new(movement: Movement<'_>) -> OwnedMovement {
        OwnedMovement {
            actor: movement.actor,
            action: movement.action.to_owned(),
            ip: movement.ip.map(str::to_owned),
            request_id: movement.request_id.map(str::to_owned),
        }
    }

    fn borrow(&self) -> Movement<'_> {
        Movement {
            actor: self.actor,
            action: &self.action,
            ip: self.ip.as_deref(),
            request_id: self.request_id.as_deref(),
        }
    }
}

type BatchResult = Result<Vec<Applied>, LedgerError>;

struct Job {
    legs: Arc<[Leg]>,
    movement: OwnedMovement,
    reply: oneshot::Sender<BatchResult>,
}

/// The writer's queue, started with the first movement (inside the runtime that makes it).
#[derive(Clone, Default)]
pub(crate) struct GroupCommit {
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl Ledger {
    /// Applies `legs` as one all-or-nothing batch through the group-commit writer.
    pub(crate) async fn submit(&self, legs: Vec<Leg>, movement: Movement<'_>) -> BatchResult {
        let queue = self.group_commit().queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            // The writer gets a ledger with a queue of its own (never started), so it does not keep its own
            // queue open: when the last caller's ledger is dropped, the writer ends.
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
            while legs < MAX_GROUP_LEGS {
                match receiver.try_recv() {
                    Ok(job) => {
                        legs += job.legs.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.write_group(jobs).await;
        }
    }

    async fn write_group(&self, jobs: Vec<Job>) {
        let batches: Vec<(&[Leg], Movement<'_>)> = jobs.iter().map(|j| (&j.legs[..], j.movement.borrow())).collect();
        match self.apply_group(&batches).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::warn!(%error, batches = jobs.len(), "a group commit failed; applying its batches one by one");
                for job in jobs {
                    let outcome = self.apply_alone(&job.legs, job.movement.borrow()).await;
                    let _ = job.reply.send(outcome);
                }
            }
        }
    }

    /// Applies `batches` in order in one transaction. The outer error is the group's (nothing was written); the
    /// inner results are each batch's own, as if it had been applied alone after the ones before it.
    async fn apply_group<'a>(&self, batches: &[(&[Leg], Movement<'a>)]) -> Result<Vec<BatchResult>, LedgerError> {
        let legs = || batches.iter().flat_map(|(legs, _)| legs.iter());
        let mut tx = self.db().begin().await?;

        let codes: Vec<AssetCode> = legs()
            .map(|l| l.request.asset)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let assets: BTreeMap<AssetCode, Asset> = crate::assets::store::many(&mut tx, &codes)
            .await?
            .into_iter()
            .map(|a| (a.code, a))
            .collect();

        let keys: Vec<AccountKey> = legs()
            .flat_map(Leg::keys)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut ids = bulk::find_accounts(&mut tx, &keys).await?;
        let named: Vec<AccountId> = legs()
            .flat_map(|l| [l.debit, l.credit])
            .filter_map(|side| match side {
                Side::Account(id) => Some(id),
                _ => None,
            })
            .chain(ids.values().copied())
            .collect();
        let loaded = bulk::lock_accounts(&mut tx, &named).await?;
        // Read after the locks, so the journal's times follow its order.
        let now = self.now();

        // Accounts the group names that do not exist yet: made in memory, written only if a batch uses them.
        let mut created: BTreeMap<AccountId, StoredAccount> = BTreeMap::new();
        for key in &keys {
            if !ids.contains_key(key) {
                let (owner, asset, purpose) = *key;
                let id = AccountId(Uuid::now_v7());
                let account = Account::new(id, asset, purpose.no_overdraft());
                created.insert(
                    id,
                    StoredAccount {
                        account,
                        owner,
                        purpose,
                    },
                );
                ids.insert(*key, id);
            }
        }

        let transfer_ids: Vec<TransferId> = legs()
            .flat_map(|l| [Some(l.request.id), l.request.action.settles()])
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut books = Books::new();
        for stored in loaded.values().chain(created.values()) {
            books.insert_account(stored.account.clone());
        }
        for (transfer, state) in bulk::applied_transfers(&mut tx, &transfer_ids).await? {
            books.insert_applied(transfer, state);
        }
        let mut running = Running::new(books.accounts())?;

        let owners: BTreeMap<AccountId, (Option<Uuid>, Purpose)> = loaded
            .values()
            .chain(created.values())
            .map(|s| (s.account.id, (s.owner, s.purpose)))
            .collect();
        let context = GroupContext {
            assets: &assets,
            ids: &ids,
            owners: &owners,
            now,
        };
        let mut writes = Writes::default();
        let mut outcomes = Vec::with_capacity(batches.len());
        for (legs, movement) in batches {
            outcomes.push(context.apply_batch(&mut books, &mut running, &mut writes, legs, *movement));
        }
        if writes.transfers.is_empty() {
            tx.rollback().await?;
            return Ok(outcomes);
        }

        let stored = |id: &AccountId| loaded.get(id).or_else(|| created.get(id));
        let mut accounts = Vec::new();
        for id in loaded.keys().chain(created.keys()) {
            let Some(after) = books.account(*id) else { continue };
            let before = stored(id);
            let changed = before.is_some_and(|b| b.account != *after);
            let new_and_used = created.contains_key(id) && writes.used.contains(id);
            if let Some(before) = before
                && (changed || new_and_used)
            {
                accounts.push((before, after));
            }
        }
        bulk::write_accounts(&mut tx, &accounts, now).await?;
        let transfers: Vec<(&Transfer, (i128, i128))> = writes.transfers.iter().map(|(t, a)| (t, *a)).collect();
        bulk::insert_transfers(&mut tx, &transfers).await?;
        let holds: Vec<(TransferId, PendingState)> = writes
            .holds
            .iter()
            .filter_map(|id| books.pending_state(*id).map(|s| (*id, s)))
            .collect();
        if !holds.is_empty() {
            bulk::save_holds(&mut tx, &holds, now).await?;
        }
        let events: Vec<(&str, serde_json::Value)> = writes
            .events
            .into_iter()
            .map(|e| ("wallet.balance_changed", e))
            .collect();
        if !events.is_empty() {
            outbox::enqueue_many(&mut tx, &events, now).await?;
        }
        audit::record_many(&mut tx, &writes.audit).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Applies `legs` as one batch in a transaction of its own: the path of a group that failed as a whole.
    pub(crate) async fn apply_alone(&self, legs: &[Leg], movement: Movement<'_>) -> BatchResult {
        let mut precisions = BTreeMap::new();
        for leg in legs {
            if !precisions.contains_key(&leg.request.asset) {
                let asset = self.movable_asset(&leg.request.asset).await?;
                precisions.insert(asset.code, asset.precision);
            }
        }
        let mut tx = self.db().begin().await?;
        let now = self.now();
        // Created in key order (user ids ascending), so two first movements between the same pair cannot wait on
        // each other.
        let keys: BTreeSet<AccountKey> = legs.iter().flat_map(Leg::keys).collect();
        let mut ids = BTreeMap::new();
        for (owner, asset, purpose) in keys {
            let account = store::ensure_account(&mut tx, owner, &asset, purpose, now).await?;
            ids.insert((owner, asset, purpose), account.account.id);
        }
        let batch = legs.iter().map(|l| l.resolve(&ids)).collect::<Result<Vec<_>, _>>()?;
        let applied = self.apply_within(&mut tx, &batch, &precisions, movement).await?;
        if applied.iter().any(|a| matches!(a, Applied::New(_))) {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(applied)
    }
}

/// What the group writes once every batch has been applied in memory.
#[derive(Default)]
struct Writes<'a> {
    /// New transfers in journal order, with their accounts' posted balances once applied.
    transfers: Vec<(Transfer, (i128, i128))>,
    /// Holds created or settled.
    holds: BTreeSet<TransferId>,
    /// Accounts a new transfer moves.
    used: BTreeSet<AccountId>,
    events: Vec<serde_json::Value>,
    audit: Vec<AuditRecord<'a>>,
}

/// What every batch of a group is applied against.
struct GroupContext<'g> {
    assets: &'g BTreeMap<AssetCode, Asset>,
    ids: &'g BTreeMap<AccountKey, AccountId>,
    owners: &'g BTreeMap<AccountId, (Option<Uuid>, Purpose)>,
    now: chrono::DateTime<chrono::Utc>,
}

impl GroupContext<'_> {
    /// Applies one batch of the group to `books`, recording what it writes; the batch's own result.
    fn apply_batch<'a>(
        &self,
        books: &mut Books,
        running: &mut Running,
        writes: &mut Writes<'a>,
        legs: &[Leg],
        movement: Movement<'a>,
    ) -> BatchResult {
        let now = self.now;
        let mut precisions: BTreeMap<AssetCode, Precision> = BTreeMap::new();
        for leg in legs {
            let code = leg.request.asset;
            let asset = self
                .assets
                .get(&code)
                .ok_or_else(|| LedgerError::UnknownAsset(code.to_string()))?;
            if !asset.enabled {
                return Err(LedgerError::AssetDisabled(code.to_string()));
            }
            precisions.insert(code, asset.precision);
        }
        let batch = legs
            .iter()
            .map(|l| l.resolve(self.ids))
            .collect::<Result<Vec<_>, _>>()?;
        let touched: BTreeSet<AccountId> = batch.iter().flat_map(|r| [r.debit, r.credit]).collect();
        let before: BTreeMap<AccountId, Account> = touched
            .iter()
            .filter_map(|id| books.account(*id).map(|a| (*id, a.clone())))
            .collect();
        let applied = books.apply(&batch, now).map_err(|(_, r)| LedgerError::from(r))?;
        let new: Vec<&Transfer> = applied
            .iter()
            .filter_map(|a| match a {
                Applied::New(t) => Some(t),
                Applied::Existing(_) => None,
            })
            .collect();
        if new.is_empty() {
            return Ok(applied);
        }
        for transfer in &new {
            let request = &transfer.request;
            let after = running.apply(request)?;
            writes.transfers.push(((*transfer).clone(), after));
            writes.used.extend([request.debit, request.credit]);
            if let crate::books::Action::Hold { .. } = request.action {
                writes.holds.insert(request.id);
            }
            if let Some(pending) = request.action.settles() {
                writes.holds.insert(pending);
            }
        }
        let transfer_ids: Vec<Uuid> = new.iter().map(|t| t.request.id.0).collect();
        for (id, was) in &before {
            let Some(after) = books.account(*id) else { continue };
            if after == was {
                continue;
            }
            let Some((Some(owner), Purpose::Wallet)) = self.owners.get(id).copied() else {
                continue;
            };
            let Some(precision) = precisions.get(&after.asset).copied() else {
                continue;
            };
            let balance = balance_of(after, precision)?;
            writes.events.push(json!({
                "user_id": owner,
                "account_id": id.0,
                "asset": after.asset.as_str(),
                "available": balance.available.to_string(),
                "locked": balance.locked.to_string(),
                "total": balance.total.to_string(),
                "transfers": transfer_ids,
            }));
        }
        writes.audit.push(audit_record(&new, &precisions, movement, now));
        Ok(applied)
    }
}

/// The audit record of one batch: who moved what, from where.
fn audit_record<'a>(
    new: &[&Transfer],
    precisions: &BTreeMap<AssetCode, Precision>,
    movement: Movement<'a>,
    now: chrono::DateTime<chrono::Utc>,
) -> AuditRecord<'a> {
    let details: Vec<serde_json::Value> = new
        .iter()
        .map(|t| {
            let r = &t.request;
            let amount = precisions
                .get(&r.asset)
                .map(|p| Amount::from_minor(r.amount, *p).to_string())
                .unwrap_or_else(|| r.amount.to_string());
            json!({
                "id": r.id.0, "debit": r.debit.0, "credit": r.credit.0, "asset": r.asset.as_str(),
                "amount": amount, "kind": r.kind.as_str(), "reference": r.reference,
            })
        })
        .collect();
    AuditRecord {
        actor: movement.actor,
        action: movement.action,
        target: new.first().map(|t| t.request.id.0.to_string()),
        ip: movement.ip,
        request_id: movement.request_id,
        outcome: Outcome::Success,
        details: json!({ "transfers": details }),
        at: now,
    }
}
