//! `GET /v1/admin/ledger/audit`: the ledger audit `bourse audit` runs, for staff with `audit:read`.

use crate::envelope::{Envelope, ok};
use crate::error::ApiError;
use crate::openapi::answers::Staff;
use crate::permission::{AuditRead, Permitted};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use ledger::books::Discrepancy;
use ledger::{AuditReport, describe_discrepancy};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerAuditView {
    /// True when no discrepancy was found.
    pub clean: bool,
    pub accounts: usize,
    pub transfers: usize,
    pub holds: usize,
    /// Per asset: whether its accounts' debits equal their credits.
    pub assets: Vec<AssetCheckView>,
    /// Empty when the books are right.
    pub discrepancies: Vec<DiscrepancyView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetCheckView {
    #[schema(example = "USD")]
    pub asset: String,
    pub accounts: usize,
    pub balanced: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscrepancyView {
    /// `unbalanced`, `overdrawn`, `drift`, `hold_state` or `unreplayable`.
    #[schema(example = "drift")]
    pub kind: String,
    pub message: String,
    /// The account, hold or transfer concerned, when there is one.
    pub subject: Option<Uuid>,
    pub asset: Option<String>,
}

fn view(d: &Discrepancy) -> DiscrepancyView {
    let (kind, message) = describe_discrepancy(d);
    let (subject, asset) = match d {
        Discrepancy::Unbalanced { asset, .. } => (None, Some(asset.to_string())),
        Discrepancy::Overdrawn { account } | Discrepancy::Drift { account } => (Some(account.0), None),
        Discrepancy::HoldState { pending } => (Some(pending.0), None),
        Discrepancy::Unreplayable { transfer, .. } => (Some(transfer.0), None),
    };
    DiscrepancyView {
        kind: kind.to_owned(),
        message,
        subject,
        asset,
    }
}

impl From<AuditReport> for LedgerAuditView {
    fn from(r: AuditReport) -> Self {
        LedgerAuditView {
            clean: r.is_clean(),
            accounts: r.accounts,
            transfers: r.transfers,
            holds: r.holds,
            assets: r
                .assets
                .iter()
                .map(|a| AssetCheckView {
                    asset: a.asset.to_string(),
                    accounts: a.accounts,
                    balanced: a.balanced,
                })
                .collect(),
            discrepancies: r.discrepancies.iter().map(view).collect(),
        }
    }
}

/// Recompute every balance from the journal and check the ledger's invariants. Needs `audit:read`.
#[utoipa::path(
    get, path = "/v1/admin/ledger/audit", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The audit: discrepancies (empty when clean) and the per-asset check", body = Envelope<LedgerAuditView>),
        Staff,
    )
)]
pub async fn ledger_audit(
    State(state): State<AppState>,
    _staff: Permitted<AuditRead>,
) -> Result<Json<Envelope<LedgerAuditView>>, ApiError> {
    let report = state.ledger.audit().await?;
    Ok(ok(LedgerAuditView::from(report)))
}
