//! Deposits notified by a custody or payment provider. The first notification of a provider transaction creates
//! the deposit; below the asset's confirmation threshold it is PENDING and its amount is a hold from the
//! external-deposits account to the user's wallet (incoming, not yet the user's to spend); a later notification
//! that reaches the threshold posts the hold and the deposit is CONFIRMED. Seen at or above the threshold
//! first, it is posted at once.
//!
//! Idempotent twice over: the deposit row is unique per (provider, provider transaction id), and its ledger
//! transfers take ids derived from the row's id, so a retry or a concurrent duplicate finds the row (or waits
//! for it) and can never journal a second credit.

mod store;

use crate::{FundingConfig, FundingError};
use chrono::{DateTime, Utc};
use identity::{Accounts, IdentityError};
use ledger::books::{Action, Transfer, TransferId, TransferKind, TransferRequest};
use ledger::{Asset, Ledger, Movement, Purpose};
use money::{Amount, AssetCode};
use platform::{Db, hmac_sha256, outbox};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const MAX_PROVIDER_TX_ID_CHARS: usize = 128;

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

/// One provider notification, from a provider [`Deposits::authenticate`] accepted. `asset` and `amount` are
/// parsed by the caller against the catalogue; the rest is checked here.
#[derive(Debug, Clone, Copy)]
pub struct DepositNotice<'a> {
    pub provider: &'a Provider,
    pub provider_tx_id: &'a str,
    /// The user credited: email or id.
    pub user: &'a str,
    pub asset: &'a Asset,
    pub amount: u128,
    pub confirmations: u32,
}

/// A configured deposit provider whose notification's signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider(String);

impl Provider {
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// A deposit received outside the platform and recorded by staff (a cash-in at a counter, a bank transfer
/// matched by hand). `id` is the transfer's: the same deposit again with it moves nothing.
#[derive(Debug, Clone)]
pub struct TellerDeposit<'a> {
    pub id: TransferId,
    /// The user credited: email or id.
    pub user: &'a str,
    pub asset: &'a Asset,
    pub amount: u128,
    pub reference: String,
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

/// Deposits: recorded by staff or notified by providers, credited once confirmed. Built on the ledger's posting
/// seam: its own rows and the money move in one transaction.
#[derive(Clone)]
pub struct Deposits {
    ledger: Ledger,
    db: Db,
    accounts: Accounts,
    config: Arc<FundingConfig>,
}

impl Deposits {
    pub fn new(ledger: Ledger, db: Db, accounts: Accounts, config: Arc<FundingConfig>) -> Deposits {
        Deposits {
            ledger,
            db,
            accounts,
            config,
        }
    }

    /// The provider called `name`, if `signature` (lowercase hex of HMAC-SHA256 under its secret) signs `body`.
    /// Every failure is the same [`FundingError::Unauthenticated`].
    pub fn authenticate(&self, name: &str, signature: &str, body: &[u8]) -> Result<Provider, FundingError> {
        let provider = self
            .config
            .deposit_provider(name)
            .ok_or(FundingError::Unauthenticated)?;
        if !hmac_sha256::verify_hex(provider.secret.expose().as_bytes(), &[body], signature) {
            return Err(FundingError::Unauthenticated);
        }
        Ok(Provider(provider.name.clone()))
    }

    /// Credits a deposit staff recorded to the user's wallet from the external-deposits account, at once.
    pub async fn record(&self, deposit: TellerDeposit<'_>, movement: Movement<'_>) -> Result<Transfer, FundingError> {
        let user = self.user(deposit.user).await?;
        let transfer = self
            .ledger
            .deposit(
                deposit.id,
                user,
                &deposit.asset.code,
                deposit.amount,
                Some(deposit.reference),
                movement,
            )
            .await?;
        Ok(transfer)
    }

    /// The id of the user `email_or_id` names.
    async fn user(&self, email_or_id: &str) -> Result<Uuid, FundingError> {
        match self.accounts.find(email_or_id).await {
            Ok(user) => Ok(user.id),
            Err(IdentityError::NotFound) => Err(FundingError::NotFound("The user")),
            Err(other) => Err(other.into()),
        }
    }

    /// Up to `limit` of `user`'s provider deposits, newest first, optionally of one status, older than `before`;
    /// and whether more follow.
    pub async fn deposits(
        &self,
        user: Uuid,
        status: Option<DepositStatus>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<Deposit>, bool), FundingError> {
        let mut items = store::list(&self.db, user, status, before, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    /// The user's deposit `id`; another user's is not found.
    pub async fn deposit_of(&self, user: Uuid, id: Uuid) -> Result<Deposit, FundingError> {
        store::get(&self.db, id)
            .await?
            .filter(|d| d.user == user)
            .ok_or(FundingError::NotFound("Deposit"))
    }

    /// Applies one provider notification and answers the deposit as it now stands. A notification that adds
    /// nothing (a repeat, fewer confirmations, an already confirmed deposit) changes nothing and answers the
    /// stored deposit; one that contradicts the first (another user, asset or amount) is a conflict.
    pub async fn notify(&self, notice: DepositNotice<'_>, movement: Movement<'_>) -> Result<Deposit, FundingError> {
        let provider_tx_id = notice.provider_tx_id;
        if !(1..=MAX_PROVIDER_TX_ID_CHARS).contains(&provider_tx_id.chars().count()) {
            return Err(FundingError::Invalid {
                field: "provider_tx_id",
                reason: format!("must be 1 to {MAX_PROVIDER_TX_ID_CHARS} characters"),
            });
        }
        if provider_tx_id.chars().any(char::is_control) {
            return Err(FundingError::Invalid {
                field: "provider_tx_id",
                reason: "must not contain control characters".to_owned(),
            });
        }
        let user = self.user(notice.user).await?;
        let asset = notice.asset;
        // Created on its own, before the transaction: it exists for every later deposit of the asset.
        let source = self
            .ledger
            .system_account(&asset.code, Purpose::ExternalDeposits)
            .await?;
        let provider = notice.provider.name();
        let mut tx = self.ledger.begin().await?;
        let now = self.ledger.now();
        let reaches = |confirmations: u32, required: u32| confirmations >= required;
        // The threshold for the asset now; a later notification keeps the one the deposit was created with.
        let required = self.config.required_confirmations(asset.code.as_str());
        let candidate = Deposit {
            id: Uuid::now_v7(),
            provider: provider.to_owned(),
            provider_tx_id: provider_tx_id.to_owned(),
            user,
            asset: asset.code,
            amount: notice.amount,
            confirmations: notice.confirmations,
            required_confirmations: required,
            status: if reaches(notice.confirmations, required) {
                DepositStatus::Confirmed
            } else {
                DepositStatus::Pending
            },
            created_at: now,
        };
        store::insert_if_new(&mut tx, &candidate).await?;
        let stored = store::lock(&mut tx, provider, provider_tx_id)
            .await?
            .ok_or_else(|| FundingError::Corrupt("a provider deposit vanished after its insert".to_owned()))?;
        let (deposit, action) = if stored.id == candidate.id {
            let action = match candidate.status {
                DepositStatus::Confirmed => (post_id(stored.id), Action::Post),
                DepositStatus::Pending => (hold_id(stored.id), Action::Hold { expires_at: None }),
            };
            (candidate, action)
        } else {
            if (stored.user, stored.asset, stored.amount) != (user, asset.code, notice.amount) {
                tx.rollback().await?;
                return Err(FundingError::Conflict(
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
            store::update_progress(&mut tx, stored.id, notice.confirmations, status, now).await?;
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
        let mut posting = self.ledger.within(&mut tx);
        let wallet = posting.wallet(deposit.user, &deposit.asset).await?;
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
        posting.apply(&[request], movement).await?;
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
