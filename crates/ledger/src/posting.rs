//! The ledger's posting seam: how any context moves money in the same database transaction as its own rows.
//!
//! A context opens a transaction, writes its rows, and calls [`Ledger::within`](crate::Ledger::within) on it to
//! get a [`Posting`]: it finds or creates wallets and system accounts and applies atomic batches of transfers
//! (plain posts, holds, and the posting or voiding of a hold, as [`Action`](crate::books::Action)s). The journal
//! rows, account totals, hold states, `wallet.balance_changed` events and the audit record are written into
//! that same transaction, so the context's rows and the money commit together or not at all. The group-commit
//! writer posts through this same code, so a context's posting costs what a plain transfer costs.
//!
//! ```ignore
//! let mut tx = db.begin().await?;
//! my_store::insert_order(&mut tx, &order).await?;
//! let mut posting = ledger.within(&mut tx);
//! let wallet = posting.wallet(user, &asset).await?;
//! let escrow = posting.system_account(&asset, Purpose::ExchangeClearing).await?;
//! posting.apply(&[hold_request(wallet, escrow)], movement).await?;
//! tx.commit().await?;
//! ```
//!
//! Everything the batches name is read with a few `IN (…)` queries (accounts locked in id order on PostgreSQL),
//! the batches are applied in memory by [`crate::engine`], and what changed is written with a few multi-row
//! statements, so the round trips do not grow with the number of batches.

use crate::LedgerError;
use crate::account::{Movement, Purpose, StoredAccount, journal_time};
use crate::books::{AccountId, Applied, TransferRequest};
use crate::engine::{BatchResult, Leg, Loaded, Needs, Outcome};
use crate::store::{self, bulk, writes};
use money::AssetCode;
use platform::{Clock, Tx};
use uuid::Uuid;

/// Postings into one open transaction. It never commits: the caller does, once its own rows are written too.
pub struct Posting<'t> {
    tx: &'t mut Tx,
    clock: &'t dyn Clock,
}

/// What [`Posting::apply_batches`] did: each batch's result in order, and whether anything was written.
pub(crate) struct Posted {
    pub results: Vec<BatchResult>,
    pub wrote: bool,
}

impl<'t> Posting<'t> {
    pub(crate) fn new(tx: &'t mut Tx, clock: &'t dyn Clock) -> Posting<'t> {
        Posting { tx, clock }
    }

    /// The user's wallet for `asset`, created empty in this transaction if it does not exist yet (and gone again
    /// if the transaction is rolled back).
    pub async fn wallet(&mut self, user: Uuid, asset: &AssetCode) -> Result<StoredAccount, LedgerError> {
        let now = journal_time(self.clock);
        store::ensure_account(self.tx, Some(user), asset, Purpose::Wallet, now).await
    }

    /// The user's wallet for `asset` if it exists; nothing is created.
    pub async fn find_wallet(&mut self, user: Uuid, asset: &AssetCode) -> Result<Option<AccountId>, LedgerError> {
        store::find_account(self.tx, Some(user), asset, Purpose::Wallet).await
    }

    /// The platform's account for `asset` and `purpose`, created empty in this transaction if missing.
    pub async fn system_account(&mut self, asset: &AssetCode, purpose: Purpose) -> Result<StoredAccount, LedgerError> {
        if purpose == Purpose::Wallet {
            return Err(LedgerError::Invalid {
                field: "purpose",
                reason: "a wallet belongs to a user".to_owned(),
            });
        }
        let now = journal_time(self.clock);
        store::ensure_account(self.tx, None, asset, purpose, now).await
    }

    /// Locks `accounts` for the rest of the transaction (in id order, as every writer does, so no deadlock),
    /// for a context that must read something of its own under the same lock before it posts: a limit counted
    /// over its rows, for instance, is then counted by one request after the other. SQLite's write transactions
    /// already serialise every writer.
    pub async fn lock(&mut self, accounts: &[AccountId]) -> Result<(), LedgerError> {
        bulk::lock_accounts(self.tx, accounts).await?;
        Ok(())
    }

    /// Applies `batch` (between accounts that exist) all or nothing. A transfer id applied before answers with
    /// its first result and writes nothing again; a refused batch writes nothing, and the caller decides whether
    /// its own rows still commit.
    pub async fn apply(
        &mut self,
        batch: &[TransferRequest],
        movement: Movement<'_>,
    ) -> Result<Vec<Applied>, LedgerError> {
        let legs: Vec<Leg> = batch.iter().cloned().map(Leg::between_accounts).collect();
        let Posted { mut results, .. } = self.apply_batches(&[(&legs, movement)]).await?;
        results
            .pop()
            .unwrap_or_else(|| Err(LedgerError::Corrupt("an applied batch gave no result".to_owned())))
    }

    /// Applies several batches between accounts that exist, in order, in the statements one batch costs: each
    /// batch's result is its own (all or nothing, as if applied alone after the ones before it), and a refused
    /// batch leaves the others standing. For a context that moves money for many requests at once, such as one
    /// step of a matching engine.
    pub async fn apply_each(
        &mut self,
        batches: &[(Vec<TransferRequest>, Movement<'_>)],
    ) -> Result<Vec<Result<Vec<Applied>, LedgerError>>, LedgerError> {
        let legs: Vec<Vec<Leg>> = batches
            .iter()
            .map(|(batch, _)| batch.iter().cloned().map(Leg::between_accounts).collect())
            .collect();
        let named: Vec<(&[Leg], Movement<'_>)> = legs
            .iter()
            .zip(batches)
            .map(|(legs, (_, movement))| (legs.as_slice(), *movement))
            .collect();
        Ok(self.apply_batches(&named).await?.results)
    }

    /// Applies `batches` in order. The outer error is the group's (a database failure: the transaction must be
    /// abandoned); the inner results are each batch's own, as if it had been applied alone after the ones before
    /// it. Accounts the batches name by key that do not exist yet are created, but only those a written transfer
    /// moves.
    pub(crate) async fn apply_batches(&mut self, batches: &[(&[Leg], Movement<'_>)]) -> Result<Posted, LedgerError> {
        let tx = &mut *self.tx;
        let needs = Needs::of(batches);
        let assets = crate::assets::store::many(tx, &needs.codes).await?;
        let ids = bulk::find_accounts(tx, &needs.keys).await?;
        let named: Vec<AccountId> = needs.named.iter().chain(ids.values()).copied().collect();
        let accounts = bulk::lock_accounts(tx, &named).await?;
        // Read after the locks, so the journal's times follow its order.
        let now = journal_time(self.clock);
        let applied = bulk::applied_transfers(tx, &needs.transfer_ids).await?;
        let loaded = Loaded {
            assets,
            ids,
            accounts,
            applied,
        };
        let outcome = Outcome::apply(batches, &needs, loaded, now)?;
        if !outcome.wrote() {
            return Ok(Posted {
                results: outcome.results,
                wrote: false,
            });
        }
        let (accounts, transfers, holds) = (outcome.accounts_to_write(), outcome.transfers(), outcome.holds());
        for rows in writes::of(&outcome, &accounts, &transfers, &holds, now) {
            rows.execute(tx).await?;
        }
        Ok(Posted {
            results: outcome.results,
            wrote: true,
        })
    }
}
