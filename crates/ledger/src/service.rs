//! The ledger service: wallets and system accounts, and the movements callers ask for. Every movement is applied
//! by [`crate::posting`] inside a database transaction; those that need no rows of their caller's go through the
//! group-commit writer ([`crate::group_commit`]), which shares one commit among concurrent movements.

use crate::books::{Account, Applied, Rejection, Transfer, TransferId, TransferKind, TransferRequest};
use crate::group_commit::GroupCommit;
use crate::posting::{Leg, Posted, Side};
use crate::{Asset, AssetCatalogue, LedgerError, store};
use chrono::{DateTime, SubsecRound, Utc};
use money::{Amount, AssetCode, Precision, SignedAmount};
use platform::{Clock, Db, Tx};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// What an account is for. A user has one wallet per asset; the platform has one system account per asset and
/// purpose, on the other side of money entering, leaving or passing through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    Wallet,
    ExternalDeposits,
    ExternalWithdrawals,
    Fees,
    RemittanceClearing,
    ExchangeClearing,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Wallet,
        Purpose::ExternalDeposits,
        Purpose::ExternalWithdrawals,
        Purpose::Fees,
        Purpose::RemittanceClearing,
        Purpose::ExchangeClearing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Wallet => "wallet",
            Purpose::ExternalDeposits => "external_deposits",
            Purpose::ExternalWithdrawals => "external_withdrawals",
            Purpose::Fees => "fees",
            Purpose::RemittanceClearing => "remittance_clearing",
            Purpose::ExchangeClearing => "exchange_clearing",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Only user money must never go below zero; system accounts hold the other side of it.
    pub fn no_overdraft(self) -> bool {
        self == Purpose::Wallet
    }
}

/// An account as stored: the core's account and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    pub account: Account,
    pub owner: Option<Uuid>,
    pub purpose: Purpose,
}

/// One wallet's balance at the asset's precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub asset: AssetCode,
    pub available: SignedAmount,
    pub locked: Amount,
    pub total: SignedAmount,
    /// On its way in and not yet part of `total`: held credits, such as a provider deposit waiting for its
    /// confirmations.
    pub incoming: Amount,
}

/// Who moves the money and from where, for the audit record written with the movement.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub actor: Option<Uuid>,
    /// The audit action, such as `ledger.deposit`.
    pub action: &'a str,
    pub ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// The most one request may move: a quadrillion whole units. Far above any real payment, and low enough that no
/// account total can approach the `i128` bound the core keeps.
pub fn largest_amount(precision: Precision) -> u128 {
    1_000_000_000_000_000 * precision.scale()
}

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
            db,
            clock,
            group_commit: GroupCommit::default(),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn group_commit(&self) -> &GroupCommit {
        &self.group_commit
    }

    /// This ledger with a group-commit queue of its own, for the writer task itself.
    pub(crate) fn detached(&self) -> Ledger {
        Ledger {
            group_commit: GroupCommit::default(),
            ..self.clone()
        }
    }

    /// PostgreSQL keeps microseconds; the journal's times are cut to them so a stored transfer reads back equal.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
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
        let account = store::ensure_account(&mut tx, Some(user), asset, Purpose::Wallet, self.now()).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// The platform's account for `asset` and `purpose`, created empty if it does not exist yet.
    pub async fn system_account(&self, asset: &AssetCode, purpose: Purpose) -> Result<StoredAccount, LedgerError> {
        if purpose == Purpose::Wallet {
            return Err(LedgerError::Invalid {
                field: "purpose",
                reason: "a wallet belongs to a user".to_owned(),
            });
        }
        let mut tx = self.db.begin().await?;
        let account = store::ensure_account(&mut tx, None, asset, purpose, self.now()).await?;
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
        first(self.submit(vec![leg], movement).await?)
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
        first(self.submit(vec![leg], movement).await?)
    }

    /// Applies `batch` (accounts that already exist) all or nothing; a transfer id seen before returns its first
    /// result and moves nothing.
    pub async fn apply(&self, batch: &[TransferRequest], movement: Movement<'_>) -> Result<Vec<Applied>, LedgerError> {
        let legs = batch.iter().cloned().map(Leg::between_accounts).collect();
        self.submit(legs, movement).await
    }

    /// Applies `batch` (accounts that already exist) inside `tx` without committing, for callers that write
    /// their own rows in the same transaction (provider deposits, withdrawals). Writes nothing when every
    /// transfer of `batch` was applied before.
    pub(crate) async fn apply_within(
        &self,
        tx: &mut Tx,
        batch: &[TransferRequest],
        movement: Movement<'_>,
    ) -> Result<Vec<Applied>, LedgerError> {
        let legs: Vec<Leg> = batch.iter().cloned().map(Leg::between_accounts).collect();
        let Posted { mut results, .. } = self.apply_batches_in(tx, &[(&legs, movement)]).await?;
        results
            .pop()
            .unwrap_or_else(|| Err(LedgerError::Corrupt("an applied batch gave no result".to_owned())))
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
}

pub(crate) fn balance_of(account: &Account, precision: Precision) -> Result<Balance, LedgerError> {
    let corrupt = || LedgerError::Corrupt(format!("account {}: totals beyond i128", account.id.0));
    Ok(Balance {
        asset: account.asset,
        available: SignedAmount::from_minor(account.available().ok_or_else(corrupt)?, precision),
        locked: Amount::from_minor(account.locked(), precision),
        total: SignedAmount::from_minor(account.balance().ok_or_else(corrupt)?, precision),
        incoming: Amount::from_minor(account.credits_pending, precision),
    })
}

fn first(applied: Vec<Applied>) -> Result<Transfer, LedgerError> {
    applied
        .into_iter()
        .next()
        .map(|a| a.transfer().clone())
        .ok_or_else(|| LedgerError::Corrupt("an applied batch of one returned nothing".to_owned()))
}

impl From<Rejection> for LedgerError {
    fn from(rejection: Rejection) -> Self {
        let reason = rejection.to_string();
        match rejection {
            Rejection::InsufficientFunds(_) => LedgerError::InsufficientFunds,
            Rejection::ZeroAmount | Rejection::Overflow | Rejection::ExceedsPending => LedgerError::Invalid {
                field: "amount",
                reason,
            },
            Rejection::AccountNotFound(_) | Rejection::SameAccount => LedgerError::Invalid {
                field: "account",
                reason,
            },
            Rejection::AssetMismatch => LedgerError::Invalid { field: "asset", reason },
            Rejection::PendingNotFound(_) | Rejection::PendingMismatch => LedgerError::Invalid {
                field: "pending",
                reason,
            },
            Rejection::PendingNotOpen { .. }
            | Rejection::PendingExpired(_)
            | Rejection::PendingNotExpired(_)
            | Rejection::IdReused(_) => LedgerError::Conflict(reason),
        }
    }
}
