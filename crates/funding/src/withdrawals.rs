//! Withdrawals: money leaving the platform, requested by its owner and decided by staff.
//!
//! Modelling: a request places two holds in one atomic batch — the amount from the user's wallet to the asset's
//! external-withdrawals account (kind `withdrawal`) and, when the fee is not zero, the fee from the wallet to
//! the fees account (kind `fee`) — so the user sees `amount + fee` as `locked`. Approval posts both holds (the
//! money leaves); rejection or the owner's cancellation voids both (it is available again). Completion records
//! the payout reference once the money was actually sent; it moves nothing.
//!
//! Statuses: PENDING → APPROVED → COMPLETED, or PENDING → REJECTED / CANCELLED; any other move is a conflict.
//! Every ledger transfer id derives from the row's id, so a row can never journal a second hold or posting.

mod store;

use crate::allow_list::{Screening, WithdrawalDestinations};
use crate::destination::{self, Destination, DestinationInput, DestinationVault};
use crate::rules::rules_for;
use crate::{FundingConfig, FundingError};
use chrono::{DateTime, Duration, Utc};
use identity::TwoFactor;
use ledger::books::{Action, TransferId, TransferKind, TransferRequest};
use ledger::{Asset, Ledger, Movement, Purpose};
use money::{Amount, AssetCode, Precision};
use platform::audit::{self, AuditRecord};
use platform::{Db, Tx, outbox};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Completed,
}

impl WithdrawalStatus {
    pub const ALL: [WithdrawalStatus; 5] = [
        WithdrawalStatus::Pending,
        WithdrawalStatus::Approved,
        WithdrawalStatus::Rejected,
        WithdrawalStatus::Cancelled,
        WithdrawalStatus::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalStatus::Pending => "PENDING",
            WithdrawalStatus::Approved => "APPROVED",
            WithdrawalStatus::Rejected => "REJECTED",
            WithdrawalStatus::Cancelled => "CANCELLED",
            WithdrawalStatus::Completed => "COMPLETED",
        }
    }

    pub fn parse(text: &str) -> Option<WithdrawalStatus> {
        WithdrawalStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub id: Uuid,
    pub user: Uuid,
    pub asset: AssetCode,
    /// Minor units, what the destination receives.
    pub amount: u128,
    /// Minor units, kept by the platform on approval.
    pub fee: u128,
    pub destination: Destination,
    pub status: WithdrawalStatus,
    /// Why staff rejected it.
    pub reason: Option<String>,
    /// The transaction id or payout reference recorded on completion.
    pub payout_reference: Option<String>,
    /// The staff member who last decided on it.
    pub decided_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a user asks to withdraw. `asset` and `amount` are parsed by the caller against the catalogue; the rest
/// is checked here.
#[derive(Debug, Clone)]
pub struct WithdrawalOrder<'a> {
    /// The withdrawal's id, chosen by the caller (the request's operation id), so a request run again after a
    /// crash finds what its first run committed.
    pub id: Uuid,
    pub user: Uuid,
    pub asset: &'a Asset,
    /// What the destination receives, in minor units; the fee comes on top.
    pub amount: u128,
    pub destination: DestinationInput,
    /// A current TOTP code; needed when the user has two-factor authentication on.
    pub code: Option<&'a str>,
}

/// A withdrawal request, checked: what is held.
struct WithdrawalRequest {
    id: Uuid,
    user: Uuid,
    asset: AssetCode,
    amount: u128,
    fee: u128,
    /// The most the user may withdraw of the asset in 24 h (counting this one); `None` for no limit.
    daily_limit: Option<u128>,
    destination: Destination,
}

/// What staff or the owner decide.
#[derive(Debug, Clone)]
pub enum Decision {
    Cancel,
    Approve,
    Reject { reason: String },
    Complete { payout_reference: String },
}

impl Decision {
    fn target(&self) -> WithdrawalStatus {
        match self {
            Decision::Cancel => WithdrawalStatus::Cancelled,
            Decision::Approve => WithdrawalStatus::Approved,
            Decision::Reject { .. } => WithdrawalStatus::Rejected,
            Decision::Complete { .. } => WithdrawalStatus::Completed,
        }
    }

    fn from(&self) -> WithdrawalStatus {
        match self {
            Decision::Complete { .. } => WithdrawalStatus::Approved,
            _ => WithdrawalStatus::Pending,
        }
    }

    fn event(&self) -> &'static str {
        match self {
            Decision::Cancel => "withdrawal.cancelled",
            Decision::Approve => "withdrawal.approved",
            Decision::Reject { .. } => "withdrawal.rejected",
            Decision::Complete { .. } => "withdrawal.completed",
        }
    }
}

/// The ids of a withdrawal's transfers: its row id with low bits flipped (0 the amount hold, 1 the fee hold,
/// 2/3 their postings, 4/5 their voids); 74 random bits make a clash with another row's ids impossible in practice.
fn derived(id: Uuid, n: u128) -> TransferId {
    TransferId(Uuid::from_u128(id.as_u128() ^ n))
}

/// The limit window: a rolling 24 h.
const WINDOW_HOURS: i64 = 24;

/// Binds a sealed destination to its withdrawal and owner, so it cannot be moved to another row.
fn associated_data(id: Uuid, user: Uuid) -> Vec<u8> {
    format!("withdrawal-destination:{id}:{user}").into_bytes()
}

/// Withdrawals: requested by users, held until staff decide. Built on the ledger's posting seam: its own rows and
/// the money move in one transaction.
#[derive(Clone)]
pub struct Withdrawals {
    ledger: Ledger,
    db: Db,
    config: Arc<FundingConfig>,
    vault: DestinationVault,
    allow_list: WithdrawalDestinations,
    two_factor: TwoFactor,
}

impl Withdrawals {
    pub fn new(
        ledger: Ledger,
        db: Db,
        config: Arc<FundingConfig>,
        vault: DestinationVault,
        allow_list: WithdrawalDestinations,
        two_factor: TwoFactor,
    ) -> Withdrawals {
        Withdrawals {
            ledger,
            db,
            config,
            vault,
            allow_list,
            two_factor,
        }
    }

    /// Checks and records a withdrawal: the asset's minimum, the destination against the asset's kind, the
    /// user's allow-list, then the 2FA code (after the rest, so a request refused for its input does not use up
    /// the code); then holds `amount + fee` with the PENDING row in one transaction. Refused with
    /// `LimitExceeded` above the daily limit and `InsufficientFunds` when the wallet cannot cover both holds.
    pub async fn request(
        &self,
        order: WithdrawalOrder<'_>,
        movement: Movement<'_>,
    ) -> Result<Withdrawal, FundingError> {
        let asset = order.asset;
        let rules = rules_for(&self.config, asset);
        rules.check_minimum(order.amount, asset)?;
        let checked = destination::check(order.destination, asset)?;
        let screening = self
            .allow_list
            .screen(
                order.user,
                &asset.code,
                &self.vault.fingerprint(&checked),
                &checked.masked,
                movement,
            )
            .await?;
        match screening {
            Screening::NotRequired | Screening::Allowed(_) => {}
            Screening::NotSaved => return Err(FundingError::NotAllowListed(asset.code)),
            Screening::CoolingDown { usable_from } => return Err(FundingError::CoolingDown(usable_from)),
        }
        self.two_factor.step_up(order.user, order.code).await?;
        let destination = self.vault.seal(&checked, &associated_data(order.id, order.user))?;
        let request = WithdrawalRequest {
            id: order.id,
            user: order.user,
            asset: asset.code,
            amount: order.amount,
            fee: rules.fee,
            daily_limit: rules.daily_limit,
            destination,
        };
        self.hold(request, asset, movement).await
    }

    /// Records the PENDING withdrawal and holds `amount + fee` in the same transaction.
    async fn hold(
        &self,
        request: WithdrawalRequest,
        asset: &Asset,
        movement: Movement<'_>,
    ) -> Result<Withdrawal, FundingError> {
        let external = self
            .ledger
            .system_account(&request.asset, Purpose::ExternalWithdrawals)
            .await?;
        let fees = self.ledger.system_account(&request.asset, Purpose::Fees).await?;
        let mut tx = self.ledger.begin().await?;
        let now = self.ledger.now();
        let mut posting = self.ledger.within(&mut tx);
        let wallet = posting.wallet(request.user, &request.asset).await?;
        // Locked before the limit is counted: two requests at once are counted one after the other.
        posting
            .lock(&[wallet.account.id, external.account.id, fees.account.id])
            .await?;
        if let Some(limit) = request.daily_limit {
            let since = now - Duration::hours(WINDOW_HOURS);
            let used = store::counted_since(&mut tx, request.user, &request.asset, since).await?;
            if used.saturating_add(request.amount) > limit {
                tx.rollback().await?;
                let remaining = limit.saturating_sub(used);
                return Err(FundingError::LimitExceeded(format!(
                    "this withdrawal exceeds the 24 h limit of {} {}; {} remain",
                    Amount::from_minor(limit, asset.precision),
                    asset.code,
                    Amount::from_minor(remaining, asset.precision),
                )));
            }
        }
        let withdrawal = Withdrawal {
            id: request.id,
            user: request.user,
            asset: request.asset,
            amount: request.amount,
            fee: request.fee,
            destination: request.destination,
            status: WithdrawalStatus::Pending,
            reason: None,
            payout_reference: None,
            decided_by: None,
            created_at: now,
            updated_at: now,
        };
        store::insert(&mut tx, &withdrawal).await?;
        let hold = Action::Hold { expires_at: None };
        let mut batch = vec![TransferRequest {
            id: derived(withdrawal.id, 0),
            debit: wallet.account.id,
            credit: external.account.id,
            asset: withdrawal.asset,
            amount: withdrawal.amount,
            kind: TransferKind::Withdrawal,
            action: hold,
            reference: Some(withdrawal.id.to_string()),
            metadata: json!({ "withdrawal_id": withdrawal.id }),
        }];
        if withdrawal.fee > 0 {
            batch.push(TransferRequest {
                id: derived(withdrawal.id, 1),
                debit: wallet.account.id,
                credit: fees.account.id,
                asset: withdrawal.asset,
                amount: withdrawal.fee,
                kind: TransferKind::Fee,
                action: hold,
                reference: Some(withdrawal.id.to_string()),
                metadata: json!({ "withdrawal_id": withdrawal.id }),
            });
        }
        self.ledger.within(&mut tx).apply(&batch, movement).await?;
        let payload = event_payload(&withdrawal, asset.precision);
        outbox::enqueue(&mut tx, "withdrawal.requested", &payload, now).await?;
        tx.commit().await?;
        Ok(withdrawal)
    }

    /// The user's withdrawal `id`; another user's is not found.
    pub async fn withdrawal_of(&self, user: Uuid, id: Uuid) -> Result<Withdrawal, FundingError> {
        store::get(&self.db, id)
            .await?
            .filter(|w| w.user == user)
            .ok_or(FundingError::NotFound("Withdrawal"))
    }

    /// Up to `limit` withdrawals, newest first, of one user and/or one status, older than `before`; and whether
    /// more follow.
    pub async fn withdrawals(
        &self,
        user: Option<Uuid>,
        status: Option<WithdrawalStatus>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<Withdrawal>, bool), FundingError> {
        let mut items = store::list(&self.db, user, status, before, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    /// Moves withdrawal `id` on by `decision`, settling its holds when the decision does, in one transaction.
    /// `owner`: the only user who may act on it (the owner's own cancel), so another user's withdrawal is not
    /// found. Staff decisions (`owner` `None`) are audited with the withdrawal as target.
    pub async fn decide(
        &self,
        id: Uuid,
        owner: Option<Uuid>,
        decision: Decision,
        movement: Movement<'_>,
    ) -> Result<Withdrawal, FundingError> {
        let not_found = FundingError::NotFound("Withdrawal");
        let Some(found) = store::get(&self.db, id).await? else {
            return Err(not_found);
        };
        if owner.is_some_and(|o| o != found.user) {
            return Err(not_found);
        }
        // Approving moves money out, which a disabled asset forbids; cancelling, rejecting and completing only
        // release or record what is already held, and must not leave funds locked when an asset is disabled.
        let asset = match decision {
            Decision::Approve => self.ledger.movable_asset(&found.asset).await?,
            _ => self.ledger.listed_asset(&found.asset).await?,
        };
        let external = self
            .ledger
            .system_account(&found.asset, Purpose::ExternalWithdrawals)
            .await?;
        let fees = self.ledger.system_account(&found.asset, Purpose::Fees).await?;
        let mut tx = self.ledger.begin().await?;
        let now = self.ledger.now();
        let stored = store::lock(&mut tx, id)
            .await?
            .ok_or_else(|| FundingError::Corrupt(format!("withdrawal {id} vanished")))?;
        if stored.status != decision.from() {
            tx.rollback().await?;
            return Err(FundingError::Conflict(format!(
                "withdrawal {id} is {}; it must be {} to become {}",
                stored.status.as_str(),
                decision.from().as_str(),
                decision.target().as_str()
            )));
        }
        let wallet = self.ledger.within(&mut tx).wallet(stored.user, &stored.asset).await?;
        let settle = |pending: u128, id_of: u128, amount: u128, credit, kind, post: bool| TransferRequest {
            id: derived(stored.id, id_of),
            debit: wallet.account.id,
            credit,
            asset: stored.asset,
            amount,
            kind,
            action: if post {
                Action::PostPending {
                    pending: derived(stored.id, pending),
                }
            } else {
                Action::VoidPending {
                    pending: derived(stored.id, pending),
                }
            },
            reference: Some(stored.id.to_string()),
            metadata: json!({ "withdrawal_id": stored.id }),
        };
        let batch = match &decision {
            Decision::Complete { .. } => Vec::new(),
            Decision::Approve | Decision::Cancel | Decision::Reject { .. } => {
                let post = matches!(decision, Decision::Approve);
                let (a, f) = if post { (2, 3) } else { (4, 5) };
                let mut batch = vec![settle(
                    0,
                    a,
                    stored.amount,
                    external.account.id,
                    TransferKind::Withdrawal,
                    post,
                )];
                if stored.fee > 0 {
                    batch.push(settle(1, f, stored.fee, fees.account.id, TransferKind::Fee, post));
                }
                batch
            }
        };
        let mut updated = Withdrawal {
            status: decision.target(),
            updated_at: now,
            ..stored
        };
        match &decision {
            Decision::Reject { reason } => updated.reason = Some(reason.clone()),
            Decision::Complete { payout_reference } => updated.payout_reference = Some(payout_reference.clone()),
            Decision::Approve | Decision::Cancel => {}
        }
        if owner.is_none() {
            updated.decided_by = movement.actor;
        }
        store::update(&mut tx, &updated).await?;
        if !batch.is_empty() {
            self.ledger.within(&mut tx).apply(&batch, movement).await?;
        }
        if owner.is_none() {
            record_staff_action(&mut tx, &updated, &decision, movement, now).await?;
        }
        let payload = event_payload(&updated, asset.precision);
        outbox::enqueue(&mut tx, decision.event(), &payload, now).await?;
        tx.commit().await?;
        Ok(updated)
    }
}

async fn record_staff_action(
    tx: &mut Tx,
    withdrawal: &Withdrawal,
    decision: &Decision,
    movement: Movement<'_>,
    now: DateTime<Utc>,
) -> Result<(), FundingError> {
    let action = match decision {
        Decision::Approve => "withdrawal.approve",
        Decision::Reject { .. } => "withdrawal.reject",
        Decision::Complete { .. } => "withdrawal.complete",
        Decision::Cancel => "withdrawal.cancel",
    };
    audit::record(
        tx,
        &AuditRecord {
            actor: movement.actor,
            target: Some(withdrawal.id.to_string()),
            details: json!({
                "user_id": withdrawal.user,
                "asset": withdrawal.asset.as_str(),
                "status": withdrawal.status.as_str(),
                "reason": withdrawal.reason,
                "payout_reference": withdrawal.payout_reference,
            }),
            ..AuditRecord::of(movement.context, action, now)
        },
    )
    .await?;
    Ok(())
}

fn event_payload(w: &Withdrawal, precision: Precision) -> serde_json::Value {
    json!({
        "withdrawal_id": w.id,
        "user_id": w.user,
        "asset": w.asset.as_str(),
        "amount": Amount::from_minor(w.amount, precision).to_string(),
        "fee": Amount::from_minor(w.fee, precision).to_string(),
        "destination": w.destination.masked,
        "status": w.status.as_str(),
        "reason": w.reason,
        "payout_reference": w.payout_reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_distinct() {
        let id = Uuid::now_v7();
        let ids: std::collections::BTreeSet<_> = (0..6).map(|n| derived(id, n)).collect();
        assert_eq!(ids.len(), 6);
        assert_eq!(derived(id, 0), TransferId(id));
    }

    #[test]
    fn statuses_round_trip() {
        for status in WithdrawalStatus::ALL {
            assert_eq!(WithdrawalStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(WithdrawalStatus::parse("pending"), None);
    }
}
