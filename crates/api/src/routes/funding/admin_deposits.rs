//! `POST /v1/admin/deposits`: a teller or admin records money received outside the platform (a cash-in at a
//! counter, a bank transfer matched by hand) and credits it to the user's wallet. Audited.

use crate::auth::Client;
use crate::envelope::{Envelope, ok};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::middleware::idempotency::{IdempotencyKey, Operation};
use crate::openapi::answers::{IdempotencyConflict, JsonBody, NotFound, Staff};
use crate::permission::{DepositsRecord, Permitted};
use crate::routes::wallets::input::{amount_in, movable_asset, short_text};
use crate::routes::wallets::views::TransferView;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use funding::TellerDeposit;
use ledger::Movement;
use ledger::books::TransferId;
use serde::Deserialize;
use utoipa::ToSchema;

const MAX_REFERENCE_CHARS: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositBody {
    /// The user credited: email or id.
    #[schema(example = "alice@example.com")]
    pub user: String,
    #[schema(example = "USD")]
    pub asset: String,
    /// A positive decimal string with at most the asset's decimal places.
    #[schema(example = "500.00")]
    pub amount: String,
    /// The receipt, slip or bank reference the money came with; at most 100 characters.
    #[schema(example = "counter-receipt-0042")]
    pub reference: String,
}

/// Record a deposit received outside the platform. Needs `deposits:record`.
#[utoipa::path(
    post, path = "/v1/admin/deposits", tag = "admin",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = DepositBody,
    responses(
        (status = 201, description = "The applied deposit", body = Envelope<TransferView>),
        Staff, JsonBody, IdempotencyConflict, NotFound,
    )
)]
pub async fn record_deposit(
    State(state): State<AppState>,
    staff: Permitted<DepositsRecord>,
    Client(client): Client,
    operation: Operation,
    ApiJson(body): ApiJson<DepositBody>,
) -> Result<(StatusCode, Json<Envelope<TransferView>>), ApiError> {
    let asset = movable_asset(&state, &body.asset).await?;
    let amount = amount_in(&body.amount, &asset)?;
    let reference = short_text("reference", Some(body.reference), MAX_REFERENCE_CHARS)?
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::invalid_field("reference", "must not be empty"))?;
    let movement = Movement {
        actor: Some(staff.who.user_id),
        action: "ledger.deposit",
        context: &client,
    };
    let deposit = TellerDeposit {
        id: TransferId(operation.id),
        user: &body.user,
        asset: &asset,
        amount,
        reference,
    };
    let transfer = state.deposits.record(deposit, movement).await?;
    Ok((StatusCode::CREATED, ok(TransferView::new(&transfer, &asset))))
}
