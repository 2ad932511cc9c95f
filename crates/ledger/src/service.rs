//! The ledger service: its whole public face in one place. Movements that need no rows of their caller's go
//! through the group-commit writer ([`crate::group_commit`]), which shares one commit among concurrent
//! movements; a context that writes rows of its own posts inside its transaction through [`Ledger::within`]
//! ([`crate::posting`]). Both apply batches with the same code.

use crate::account::{Balance, Movement, Purpose, StoredAccount, balance_of, journal_time};
use crate::audit_report::{self, AuditReport};
use crate::books::{Applied, Transfer, TransferId, TransferKind, TransferRequest};
use crate::engine::{Leg, Side};
use crate::group_commit::GroupCommit;
use crate::history::{self, Entry, HistoryFilter};
use crate::posting::Posting;
use crate::{Asset, AssetCatalogue, LedgerError, expiry, store};
use chrono::{DateTime, Utc};
use money::AssetCode;
use platform::{Clock, Db, Tx};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The ledger service. Clones share one group-commit writer (see [`crate::group_commit`]).
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    clock: Arc<dyn Clock>,
    assets: AssetCatalogue,
    group_commit: GroupCommit,
}

impl Ledger {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Ledger {
        Ledger {
            assets: AssetCatalogue::new(db.clone()),
            group_commit: GroupCommit::new(db.clone(), clock.clone()),
            db,
            clock,
        }
    }

    /// Posting into `tx`, a transaction the caller opened and will commit: the seam through which a context
    /// writes its own rows and moves money atomically (see [`crate::posting`]).
    pub fn within<'t>(&'t self, tx: &'t mut Tx) -> Posting<'t> {
        Posting::new(tx, &*self.clock)
    }

    /// A new transaction on the ledger's database, for a caller that posts through [`Ledger::within`].
    pub async fn begin(&self) -> Result<Tx, LedgerError> {
        Ok(self.db.begin().await?)
    }

    /// The ledger's clock, at the precision the journal keeps.
    pub fn now(&self) -> DateTime<Utc> {
        journal_time(&*self.clock)
    }

    /// The asset `code`, if it exists and is enabled: only then may money move in it.
    pub async fn movable_asset(&self, code: &AssetCode) -> Result<Asset, LedgerError> {
        let asset = self.listed_asset(code).await?;
        if !asset.enabled {
            return Err(LedgerError::AssetDisabled(asset.code.to_string()));
        }
        Ok(asset)
    }

    /// An asset of the catalogue, enabled or not: releasing money already held in a disabled asset must still work.
    pub async fn listed_asset(&self, code: &AssetCode) -> Result<Asset, LedgerError> {
        self.assets.get(code).await.map_err(|e| match e {
            LedgerError::AssetNotFound(code) => LedgerError::UnknownAsset(code),
            other => other,
        })
    }

    /// The user's wallet for `asset`, created empty if it does not exist yet.
    pub async fn wallet(&self, user: Uuid, asset: &AssetCode) -> Result<StoredAccount, LedgerError> {
        self.movable_asset(asset).await?;
        let mut tx = self.db.begin().await?;
        let account = self.within(&mut tx).wallet(user, asset).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// The platform's account for `asset` and `purpose`, created empty if it does not exist yet.
    pub async fn system_account(&self, asset: &AssetCode, purpose: Purpose) -> Result<StoredAccount, LedgerError> {
        let mut tx = self.db.begin().await?;
        let account = self.within(&mut tx).system_account(asset, purpose).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Credits `amount` of `asset` to the user's wallet from the external-deposits account: cash or a transfer
    /// received outside the platform. `id` is the transfer's: the same deposit again with it moves nothing.
    pub async fn deposit(
        &self,
        id: TransferId,
        user: Uuid,
        asset: &AssetCode,
        amount: u128,
        reference: Option<String>,
        movement: Movement<'_>,
    ) -> Result<Transfer, LedgerError> {
        let leg = Leg::post(
            id,
            Side::System(Purpose::ExternalDeposits),
            Side::Wallet(user),
            *asset,
            amount,
            TransferKind::Deposit,
            reference,
            json!({ "recorded_by": movement.actor }),
        );
        first(self.group_commit.submit(vec![leg], movement).await?)
    }

    /// Moves `amount` of `asset` from one user's wallet to another's. The recipient's wallet is created in the
    /// same transaction, so a refused transfer leaves no trace. `id` is the transfer's: the same transfer again
    /// with it answers with the first and moves nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn transfer(
        &self,
        id: TransferId,
        from: Uuid,
        to: Uuid,
        asset: &AssetCode,
        amount: u128,
        memo: Option<String>,
        movement: Movement<'_>,
    ) -> Result<Transfer, LedgerError> {
        if from == to {
            return Err(LedgerError::Invalid {
                field: "to",
                reason: "cannot send to yourself".to_owned(),
            });
        }
        let leg = Leg::post(
            id,
            Side::Wallet(from),
            Side::Wallet(to),
            *asset,
            amount,
            TransferKind::Transfer,
            None,
            json!({ "memo": memo, "from": from, "to": to }),
        );
        first(self.group_commit.submit(vec![leg], movement).await?)
    }

    /// Applies `batch` (accounts that already exist) all or nothing; a transfer id seen before returns its first
    /// result and moves nothing.
    pub async fn apply(&self, batch: &[TransferRequest], movement: Movement<'_>) -> Result<Vec<Applied>, LedgerError> {
        let legs = batch.iter().cloned().map(Leg::between_accounts).collect();
        self.group_commit.submit(legs, movement).await
    }

    /// The transfer with this id, when one was applied: how a request run again under the same operation finds
    /// what its first run committed.
    pub async fn applied(&self, id: TransferId) -> Result<Option<Transfer>, LedgerError> {
        let mut tx = store::snapshot(&self.db).await?;
        let found = store::bulk::applied_transfers(&mut tx, &[id]).await?;
        tx.rollback().await?;
        Ok(found.into_iter().next().map(|(transfer, _)| transfer))
    }

    /// Every wallet of `user`, in asset order.
    pub async fn balances(&self, user: Uuid) -> Result<Vec<Balance>, LedgerError> {
        store::wallets(&self.db, user)
            .await?
            .into_iter()
            .map(|(stored, precision)| balance_of(&stored.account, precision))
            .collect()
    }

    /// Up to `limit` users who own a wallet, in id order, after `after`: how a job visits every wallet holder.
    pub async fn wallet_owners(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>, LedgerError> {
        store::wallet_owners(&self.db, after, i64::from(limit)).await
    }

    /// Up to `limit` entries of `user`'s wallet in `asset`, newest first, and whether more follow. An asset the
    /// catalogue does not list is [`LedgerError::UnknownAsset`]; a user without that wallet has no entries.
    pub async fn history(
        &self,
        user: Uuid,
        asset: &AssetCode,
        filter: &HistoryFilter,
        limit: u32,
    ) -> Result<(Vec<Entry>, bool), LedgerError> {
        history::history(&self.db, user, asset, filter, limit).await
    }

    /// Journal entry `id` when it moved money in or out of one of `user`'s wallets; `None` otherwise, so that
    /// another user's transfer and an unknown id look the same.
    pub async fn transaction(&self, user: Uuid, id: Uuid) -> Result<Option<Entry>, LedgerError> {
        history::transaction(&self.db, user, id).await
    }

    /// Recomputes every balance from the journal and checks the invariants, on one consistent snapshot of the
    /// ledger.
    pub async fn audit(&self) -> Result<AuditReport, LedgerError> {
        audit_report::audit(&self.db).await
    }

    /// Releases every open hold that expired at or before `now` and returns how many it released (see
    /// [`crate::expiry`]).
    pub async fn expire_holds(&self, now: DateTime<Utc>) -> Result<usize, LedgerError> {
        expiry::expire_holds(&self.group_commit, &self.db, now).await
    }

    /// [`Ledger::expire_holds`] at the ledger's own time: what the server's periodic sweep calls.
    pub async fn expire_due_holds(&self) -> Result<usize, LedgerError> {
        self.expire_holds(self.now()).await
    }
}

fn first(applied: Vec<Applied>) -> Result<Transfer, LedgerError> {
    applied
        .into_iter()
        .next()
        .map(|a| a.transfer().clone())
        .ok_or_else(|| LedgerError::Corrupt("an applied batch of one returned nothing".to_owned()))
}
