//! Deposits and withdrawals as the API shows them.

use crate::error::ApiError;
use crate::routes::wallets::views::views_with_assets;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use funding::{Deposit, Withdrawal};
use ledger::Asset;
use money::Amount;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct DestinationView {
    /// `crypto` or `bank`.
    #[schema(example = "crypto")]
    pub kind: String,
    /// The last 4 characters only; the full destination is never returned.
    #[schema(example = "…0wlh")]
    pub masked: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawalView {
    pub id: Uuid,
    pub user_id: Uuid,
    #[schema(example = "BTC")]
    pub asset: String,
    #[schema(example = "0.50000000")]
    pub amount: String,
    #[schema(example = "0.00010000")]
    pub fee: String,
    /// `amount + fee`: what leaves the wallet (held while PENDING).
    #[schema(example = "0.50010000")]
    pub total: String,
    pub destination: DestinationView,
    /// `PENDING`, `APPROVED`, `COMPLETED`, `REJECTED` or `CANCELLED`.
    #[schema(example = "PENDING")]
    pub status: String,
    /// Staff's reason for a rejection.
    pub reason: Option<String>,
    /// The transaction id or payout reference of a COMPLETED withdrawal.
    pub payout_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WithdrawalView {
    pub(crate) fn new(w: &Withdrawal, asset: &Asset) -> WithdrawalView {
        let amount = |minor| Amount::from_minor(minor, asset.precision).to_string();
        WithdrawalView {
            id: w.id,
            user_id: w.user,
            asset: w.asset.to_string(),
            amount: amount(w.amount),
            fee: amount(w.fee),
            total: amount(w.amount.saturating_add(w.fee)),
            destination: DestinationView {
                kind: w.destination.kind.clone(),
                masked: w.destination.masked.clone(),
            },
            status: w.status.as_str().to_owned(),
            reason: w.reason.clone(),
            payout_reference: w.payout_reference.clone(),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// Views of `items`, each asset looked up once.
pub(crate) async fn views(state: &AppState, items: &[Withdrawal]) -> Result<Vec<WithdrawalView>, ApiError> {
    views_with_assets(state, items, |w| w.asset, WithdrawalView::new).await
}

pub(crate) async fn view(state: &AppState, w: &Withdrawal) -> Result<WithdrawalView, ApiError> {
    let asset = state.assets.get(&w.asset).await?;
    Ok(WithdrawalView::new(w, &asset))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepositView {
    pub id: Uuid,
    pub provider_tx_id: String,
    /// `PENDING` (held: not yet available to the user) or `CONFIRMED` (credited and available).
    #[schema(example = "PENDING")]
    pub status: String,
    pub confirmations: u32,
    pub required_confirmations: u32,
    #[schema(example = "BTC")]
    pub asset: String,
    #[schema(example = "0.25000000")]
    pub amount: String,
    pub created_at: DateTime<Utc>,
}

impl DepositView {
    pub(crate) fn new(deposit: &Deposit, asset: &Asset) -> DepositView {
        DepositView {
            id: deposit.id,
            provider_tx_id: deposit.provider_tx_id.clone(),
            status: deposit.status.as_str().to_owned(),
            confirmations: deposit.confirmations,
            required_confirmations: deposit.required_confirmations,
            asset: deposit.asset.to_string(),
            amount: Amount::from_minor(deposit.amount, asset.precision).to_string(),
            created_at: deposit.created_at,
        }
    }
}
