//! The posting's in-memory half, with no I/O: what a group of batches must read ([`Needs`]), applying the batches
//! one after another to the [`Books`] built from what was read ([`Outcome::apply`]) — each all or nothing against
//! what the earlier ones left — and what that writes: journal rows, account totals, hold states, the
//! `wallet.balance_changed` events and one audit record per applied batch. The stores read and write exactly
//! what this names, so both backends post the same rows.

use crate::account::{Movement, Purpose, StoredAccount, balance_of};
use crate::books::{
    Account, AccountId, Action, Applied, Books, PendingState, Transfer, TransferId, TransferKind, TransferRequest,
};
use crate::history::Running;
use crate::{Asset, LedgerError};
use chrono::{DateTime, Utc};
use money::{Amount, AssetCode, Precision};
use platform::audit::AuditRecord;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

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

/// One transfer of a batch, with its sides named as [`Side`]s; `request.debit` and `request.credit` are filled
/// in once the sides are resolved to accounts.
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    pub debit: Side,
    pub credit: Side,
    pub request: TransferRequest,
}

/// The account id a [`Leg`]'s request carries until its sides are resolved.
const UNRESOLVED: AccountId = AccountId(Uuid::nil());

impl Leg {
    pub(crate) fn between_accounts(request: TransferRequest) -> Leg {
        Leg {
            debit: Side::Account(request.debit),
            credit: Side::Account(request.credit),
            request,
        }
    }

    /// A transfer with id `id` posted at once from `debit` to `credit`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn post(
        id: TransferId,
        debit: Side,
        credit: Side,
        asset: AssetCode,
        amount: u128,
        kind: TransferKind,
        reference: Option<String>,
        metadata: serde_json::Value,
    ) -> Leg {
        Leg {
            debit,
            credit,
            request: TransferRequest {
                id,
                debit: UNRESOLVED,
                credit: UNRESOLVED,
                asset,
                amount,
                kind,
                action: Action::Post,
                reference,
                metadata,
            },
        }
    }

    fn key(&self, side: Side) -> Option<AccountKey> {
        match side {
            Side::Account(_) => None,
            Side::Wallet(user) => Some((Some(user), self.request.asset, Purpose::Wallet)),
            Side::System(purpose) => Some((None, self.request.asset, purpose)),
        }
    }

    /// The keys of the sides that are not yet account ids.
    pub(crate) fn keys(&self) -> impl Iterator<Item = AccountKey> + '_ {
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

/// Which account a side of a movement names before it has an id: a user's wallet or a system account.
pub(crate) type AccountKey = (Option<Uuid>, AssetCode, Purpose);

/// One batch's own answer: its transfers as applied, or why it was refused (it then wrote nothing).
pub(crate) type BatchResult = Result<Vec<Applied>, LedgerError>;

/// What a group of batches reads before it is applied.
pub(crate) struct Needs {
    /// The assets the legs move.
    pub codes: Vec<AssetCode>,
    /// The accounts the legs name by key (a user's wallet, a system account), in key order.
    pub keys: Vec<AccountKey>,
    /// The accounts the legs name by id.
    pub named: Vec<AccountId>,
    /// The legs' own transfer ids and the holds they settle: those already applied answer as before.
    pub transfer_ids: Vec<TransferId>,
}

impl Needs {
    pub(crate) fn of(batches: &[(&[Leg], Movement<'_>)]) -> Needs {
        let legs = || batches.iter().flat_map(|(legs, _)| legs.iter());
        Needs {
            codes: sorted(legs().map(|l| l.request.asset)),
            keys: sorted(legs().flat_map(Leg::keys)),
            named: sorted(legs().flat_map(|l| [l.debit, l.credit]).filter_map(|side| match side {
                Side::Account(id) => Some(id),
                _ => None,
            })),
            transfer_ids: sorted(
                legs()
                    .flat_map(|l| [Some(l.request.id), l.request.action.settles()])
                    .flatten(),
            ),
        }
    }
}

/// `items` in order, each once.
fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    items.collect::<BTreeSet<_>>().into_iter().collect()
}

/// What was read for a group: the rows its [`Needs`] name that exist.
pub(crate) struct Loaded {
    pub assets: Vec<Asset>,
    /// The id of every key that names an existing account.
    pub ids: BTreeMap<AccountKey, AccountId>,
    /// Every existing account the group names, by key or by id.
    pub accounts: BTreeMap<AccountId, StoredAccount>,
    pub applied: Vec<(Transfer, Option<PendingState>)>,
}

/// A group applied in memory: each batch's result, and what the group writes.
pub(crate) struct Outcome<'a> {
    pub results: Vec<BatchResult>,
    books: Books,
    /// Every account the group names as it was before the group, including the ones it creates.
    before: BTreeMap<AccountId, StoredAccount>,
    created: BTreeSet<AccountId>,
    pub writes: Writes<'a>,
}

impl<'a> Outcome<'a> {
    /// Applies `batches` one after another to the books `loaded` holds, at `now`. Accounts named by a key that
    /// does not exist yet are made here, in memory.
    pub(crate) fn apply(
        batches: &[(&[Leg], Movement<'a>)],
        needs: &Needs,
        loaded: Loaded,
        now: DateTime<Utc>,
    ) -> Result<Outcome<'a>, LedgerError> {
        let Loaded {
            assets,
            mut ids,
            accounts: mut before,
            applied,
        } = loaded;
        let assets: BTreeMap<AssetCode, Asset> = assets.into_iter().map(|a| (a.code, a)).collect();
        let mut created = BTreeSet::new();
        for key in &needs.keys {
            if !ids.contains_key(key) {
                let (owner, asset, purpose) = *key;
                let id = AccountId(Uuid::now_v7());
                let account = Account::new(id, asset, purpose.no_overdraft());
                before.insert(
                    id,
                    StoredAccount {
                        account,
                        owner,
                        purpose,
                    },
                );
                created.insert(id);
                ids.insert(*key, id);
            }
        }
        let mut books = Books::new();
        for stored in before.values() {
            books.insert_account(stored.account.clone());
        }
        for (transfer, state) in applied {
            books.insert_applied(transfer, state);
        }
        let context = Context {
            assets: &assets,
            ids: &ids,
            stored: &before,
            now,
        };
        let mut writes = Writes {
            running: Running::new(books.accounts())?,
            ..Writes::default()
        };
        let mut results = Vec::with_capacity(batches.len());
        for (legs, movement) in batches {
            results.push(context.apply_batch(&mut books, &mut writes, legs, *movement)?);
        }
        Ok(Outcome {
            results,
            books,
            before,
            created,
            writes,
        })
    }

    /// Whether any batch applied a new transfer: otherwise there is nothing to write.
    pub(crate) fn wrote(&self) -> bool {
        !self.writes.transfers.is_empty()
    }

    /// The accounts to write, each as it was and as it is now: a created account once a new transfer moves it, an
    /// existing one when its totals changed.
    pub(crate) fn accounts_to_write(&self) -> Vec<(&StoredAccount, &Account)> {
        self.before
            .iter()
            .filter_map(|(id, before)| {
                let after = self.books.account(*id)?;
                let write = if self.created.contains(id) {
                    self.writes.used.contains(id)
                } else {
                    before.account != *after
                };
                write.then_some((before, after))
            })
            .collect()
    }

    /// The new transfers in journal order, with their accounts' posted balances once applied.
    pub(crate) fn transfers(&self) -> Vec<(&Transfer, (i128, i128))> {
        self.writes.transfers.iter().map(|(t, a)| (t, *a)).collect()
    }

    /// Where each hold the group created or settled stands now.
    pub(crate) fn holds(&self) -> Vec<(TransferId, PendingState)> {
        self.writes
            .holds
            .iter()
            .filter_map(|id| self.books.pending_state(*id).map(|s| (*id, s)))
            .collect()
    }
}

/// What the batches write once every one of them has been applied in memory.
#[derive(Default)]
pub(crate) struct Writes<'a> {
    /// The posted balance of every account, carried transfer by transfer into the journal rows.
    running: Running,
    /// New transfers in journal order, with their accounts' posted balances once applied.
    transfers: Vec<(Transfer, (i128, i128))>,
    /// Holds created or settled.
    holds: BTreeSet<TransferId>,
    /// Accounts a new transfer moves.
    used: BTreeSet<AccountId>,
    pub events: Vec<(&'static str, serde_json::Value)>,
    pub audit: Vec<AuditRecord<'a>>,
}

/// What every batch is applied against.
struct Context<'c> {
    assets: &'c BTreeMap<AssetCode, Asset>,
    ids: &'c BTreeMap<AccountKey, AccountId>,
    stored: &'c BTreeMap<AccountId, StoredAccount>,
    now: DateTime<Utc>,
}

impl Context<'_> {
    /// Applies one batch to `books`, recording what it writes. The outer error is fatal to the whole
    /// transaction (the books and the writes may disagree after it); the inner result is the batch's own.
    fn apply_batch<'a>(
        &self,
        books: &mut Books,
        writes: &mut Writes<'a>,
        legs: &[Leg],
        movement: Movement<'a>,
    ) -> Result<BatchResult, LedgerError> {
        let precisions = match self.precisions(legs) {
            Ok(precisions) => precisions,
            Err(refused) => return Ok(Err(refused)),
        };
        let batch = match legs.iter().map(|l| l.resolve(self.ids)).collect::<Result<Vec<_>, _>>() {
            Ok(batch) => batch,
            Err(refused) => return Ok(Err(refused)),
        };
        let touched: BTreeSet<AccountId> = batch.iter().flat_map(|r| [r.debit, r.credit]).collect();
        let before: BTreeMap<AccountId, Account> = touched
            .iter()
            .filter_map(|id| books.account(*id).map(|a| (*id, a.clone())))
            .collect();
        let applied = match books.apply(&batch, self.now) {
            Ok(applied) => applied,
            Err((_, rejection)) => return Ok(Err(LedgerError::from(rejection))),
        };
        let new: Vec<&Transfer> = applied
            .iter()
            .filter_map(|a| match a {
                Applied::New(t) => Some(t),
                Applied::Existing(_) => None,
            })
            .collect();
        if new.is_empty() {
            return Ok(Ok(applied));
        }
        for transfer in &new {
            let request = &transfer.request;
            let after = writes.running.apply(request)?;
            writes.transfers.push(((*transfer).clone(), after));
            writes.used.extend([request.debit, request.credit]);
            if let Action::Hold { .. } = request.action {
                writes.holds.insert(request.id);
            }
            if let Some(pending) = request.action.settles() {
                writes.holds.insert(pending);
            }
        }
        let transfer_ids: Vec<Uuid> = new.iter().map(|t| t.request.id.0).collect();
        for (id, was) in &before {
            let Some(after) = books.account(*id).filter(|after| *after != was) else {
                continue;
            };
            let Some(stored) = self.stored.get(id) else { continue };
            let (Some(owner), Purpose::Wallet) = (stored.owner, stored.purpose) else {
                continue;
            };
            let Some(precision) = precisions.get(&after.asset).copied() else {
                continue;
            };
            let balance = balance_of(after, precision)?;
            writes.events.push((
                "wallet.balance_changed",
                json!({
                    "user_id": owner,
                    "account_id": id.0,
                    "asset": after.asset.as_str(),
                    "available": balance.available.to_string(),
                    "locked": balance.locked.to_string(),
                    "total": balance.total.to_string(),
                    "incoming": balance.incoming.to_string(),
                    "transfers": transfer_ids,
                }),
            ));
        }
        writes.audit.push(audit_record(&new, &precisions, movement, self.now));
        Ok(Ok(applied))
    }

    /// The precision of every asset the batch moves. Money may only enter an account in an enabled asset; a
    /// release (a void or an expiry) of money already held still works after its asset is disabled.
    fn precisions(&self, legs: &[Leg]) -> Result<BTreeMap<AssetCode, Precision>, LedgerError> {
        let mut precisions = BTreeMap::new();
        for leg in legs {
            let code = leg.request.asset;
            let asset = self
                .assets
                .get(&code)
                .ok_or_else(|| LedgerError::UnknownAsset(code.to_string()))?;
            let releases = matches!(
                leg.request.action,
                Action::VoidPending { .. } | Action::ExpirePending { .. }
            );
            if !asset.enabled && !releases {
                return Err(LedgerError::AssetDisabled(code.to_string()));
            }
            precisions.insert(code, asset.precision);
        }
        Ok(precisions)
    }
}

/// The audit record of one batch: who moved what, from where.
fn audit_record<'a>(
    new: &[&Transfer],
    precisions: &BTreeMap<AssetCode, Precision>,
    movement: Movement<'a>,
    now: DateTime<Utc>,
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
        target: new.first().map(|t| t.request.id.0.to_string()),
        details: json!({ "transfers": details }),
        ..AuditRecord::of(movement.context, movement.action, now)
    }
}
