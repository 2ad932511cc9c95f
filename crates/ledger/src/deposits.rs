//! Deposits notified by a custody or payment provider. The first notification of a provider transaction creates
//! the deposit; below the asset's confirmation threshold it is PENDING and its amount is a hold from the
//! external-deposits account to the user's wallet (incoming, not yet the user's to spend); a later notification
//! that reaches the threshold posts the hold and the deposit is CONFIRMED. Seen at or above the threshold
//! first, it is posted at once.
//!
//! Idempotent twice over: the deposit row is unique per (provider, provider transaction id), and its ledger
//! transfers take ids derived from the row's id, so a retry or a concurrent duplicate finds the row (or waits
//! for it) and can never journal a second credit.

use crate::account::{Movement, Purpose};
use crate::books::{Action, TransferId, TransferKind, TransferRequest};
use crate::{Ledger, LedgerError, store};
use chrono::{DateTime, Utc};
use money::{Amount, AssetCode};
use platform::outbox;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositStatus {
    /// Seen, with fewer confirmations than required: held for the user, not available.
    Pending,
    /// Enough confirmations: posted and available.
    Confirmed,
}

impl DepositStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::Pending => "PENDING",
            DepositStatus::Confirmed => "CONFIRMED",
        }
    }

    pub fn parse(text: &str) -> Option<DepositStatus> {
        [DepositStatus::Pending, DepositStatus::Confirmed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A provider deposit as stored. `required_confirmations` is fixed when the deposit is first seen, so a
/// configuration change does not move the goal of a deposit under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    pub id: Uuid,
    pub provider: String,
    pub provider_tx_id: String,
    pub user: Uuid,
    pub asset: AssetCode,
    /// Minor units.
    pub amount: u128,
    pub confirmations: u32,
    pub required_confirmations: u32,
    pub status: DepositStatus,
    pub created_at: DateTime<Utc>,
}

/// One provider notification, already authenticated and validated by the caller.
#[derive(Debug, Clone, Copy)]
pub struct DepositNotice<'a> {
    pub provider: &'a str,
    pub provider_tx_id: &'a str,
    pub user: Uuid,
    pub asset: AssetCode,
    pub amount: u128,
    pub confirmations: u32,
    /// The threshold for the asset now; used only if this notification creates the deposit.
    pub required_confirmations: u32,
}

/// The hold of deposit `id`: the row's own id, so one row can have one hold.
fn hold_id(id: Uuid) -> TransferId {
    TransferId(id)
}

/// The posting of deposit `id` (of its hold, or directly): the row id with its last bit flipped, so it is
/// derived from the row alone and collides with no other v7 id in practice (74 random bits).
fn post_id(id: Uuid) -> TransferId {
    TransferId(Uuid::from_u128(id.as_u128() ^ 1))
}

/// Deposits: recorded by staff or notified by providers, credited once confirmed. Built on the ledger's posting seam: its own rows and
/// the money move in one transaction.
#[derive(Clone)]
pub struct Deposits {
    ledger: Ledger,
}

impl Deposits {
    pub fn new(ledger: Ledger) -> Deposits {
        Deposits { ledger }
    }

    /// Up to `limit` of `user`'s provider deposits, newest first, optionally of one status, older than `before`;
    /// and whether more follow.
    pub async fn deposits(
        &self,
        user: Uuid,
        status: Option<DepositStatus>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<Deposit>, bool), LedgerError> {
        let mut items = store::deposits::list(self.ledger.db(), user, status, before, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    pub async fn deposit_by_id(&self, id: Uuid) -> Result<Option<Deposit>, LedgerError> {
        store::deposits::get(self.ledger.db(), id).await
    }

    /// Applies one provider notification and answers the deposit as it now stands. A notification that adds
    /// nothing (a repeat, fewer confirmations, an already confirmed deposit) changes nothing and answers the
    /// stored deposit; one that contradicts the first (another user, asset or amount) is a conflict.
    pub async fn notify_deposit(
        &self,
        notice: DepositNotice<'_>,
        movement: Movement<'_>,
    ) -> Result<Deposit, LedgerError> {
        let asset = self.ledger.movable_asset(&notice.asset).await?;
        // Created on its own, before the transaction: it exists for every later deposit of the asset.
        let source = self
            .ledger
            .system_account(&notice.asset, Purpose::ExternalDeposits)
            .await?;
        let mut tx = self.ledger.db().begin().await?;
        let now = self.ledger.now();
        let reaches = |confirmations: u32, required: u32| confirmations >= required;
        let candidate = Deposit {
            id: Uuid::now_v7(),
            provider: notice.provider.to_owned(),
            provider_tx_id: notice.provider_tx_id.to_owned(),
            user: notice.user,
            asset: notice.asset,
            amount: notice.amount,
            confirmations: notice.confirmations,
            required_confirmations: notice.required_confirmations,
            status: if reaches(notice.confirmations, notice.required_confirmations) {
                DepositStatus::Confirmed
            } else {
                DepositStatus::Pending
            },
            created_at: now,
        };
        store::deposits::insert_if_new(&mut tx, &candidate).await?;
        let stored = store::deposits::lock(&mut tx, notice.provider, notice.provider_tx_id)
            .await?
            .ok_or_else(|| LedgerError::Corrupt("a provider deposit vanished after its insert".to_owned()))?;
        let (deposit, action) = if stored.id == candidate.id {
            let action = match candidate.status {
                DepositStatus::Confirmed => (post_id(stored.id), Action::Post),
                DepositStatus::Pending => (hold_id(stored.id), Action::Hold { expires_at: None }),
            };
            (candidate, action)
        } else {
            if (stored.user, stored.asset, stored.amount) != (notice.user, notice.asset, notice.amount) {
                tx.rollback().await?;
                return Err(LedgerError::Conflict(
                    "this provider transaction was notified before with another user, asset or amount".to_owned(),
                ));
            }
            if stored.status == DepositStatus::Confirmed || notice.confirmations <= stored.confirmations {
                tx.rollback().await?;
                return Ok(stored);
            }
            let status = if reaches(notice.confirmations, stored.required_confirmations) {
                DepositStatus::Confirmed
            } else {
                DepositStatus::Pending
            };
            store::deposits::update_progress(&mut tx, stored.id, notice.confirmations, status, now).await?;
            let deposit = Deposit {
                confirmations: notice.confirmations,
                status,
                ..stored
            };
            if status == DepositStatus::Pending {
                tx.commit().await?;
                return Ok(deposit);
            }
            let action = (
                post_id(deposit.id),
                Action::PostPending {
                    pending: hold_id(deposit.id),
                },
            );
            (deposit, action)
        };
        let wallet = store::ensure_account(&mut tx, Some(deposit.user), &deposit.asset, Purpose::Wallet, now).await?;
        let (id, action) = action;
        let request = TransferRequest {
            id,
            debit: source.account.id,
            credit: wallet.account.id,
            asset: deposit.asset,
            amount: deposit.amount,
            kind: TransferKind::Deposit,
            action,
            reference: Some(deposit.provider_tx_id.clone()),
            metadata: json!({ "provider": deposit.provider, "deposit_id": deposit.id }),
        };
        self.ledger.within(&mut tx).apply(&[request], movement).await?;
        let subject = match deposit.status {
            DepositStatus::Pending => "deposit.pending",
            DepositStatus::Confirmed => "deposit.confirmed",
        };
        let payload = json!({
            "deposit_id": deposit.id,
            "user_id": deposit.user,
            "provider": deposit.provider,
            "provider_tx_id": deposit.provider_tx_id,
            "asset": deposit.asset.as_str(),
            "amount": Amount::from_minor(deposit.amount, asset.precision).to_string(),
            "confirmations": deposit.confirmations,
            "required_confirmations": deposit.required_confirmations,
            "status": deposit.status.as_str(),
        });
        outbox::enqueue(&mut tx, subject, &payload, now).await?;
        tx.commit().await?;
        Ok(deposit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_ids_derive_from_the_row_and_differ() {
        let id = Uuid::now_v7();
        assert_eq!(hold_id(id), hold_id(id));
        assert_eq!(post_id(id), post_id(id));
        assert_ne!(hold_id(id), post_id(id));
    }

    #[test]
    fn statuses_round_trip() {
        for status in [DepositStatus::Pending, DepositStatus::Confirmed] {
            assert_eq!(DepositStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DepositStatus::parse("pending"), None);
    }
}
