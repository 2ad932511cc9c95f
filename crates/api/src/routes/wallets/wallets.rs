//! The caller's wallets: `GET /v1/wallets` (and its alias `GET /v1/wallet/balance`) and
//! `POST /v1/wallets/transfers`, money from one user's wallet to another's.

use crate::auth::{AuthUser, Client};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiJson;
use crate::middleware::idempotency::{self, Operation};
use crate::openapi::answers::{All, CodeMissing, IdempotencyConflict, InsufficientFunds, JsonBody, SignedIn};
use crate::routes::wallets::input::{amount_in, movable_asset, short_text};
use crate::routes::wallets::views::TransferView;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use identity::IdentityError;
use ledger::books::{TransferId, TransferKind};
use ledger::{Balance, Movement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const MAX_MEMO_CHARS: usize = 140;

#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    #[schema(example = "USD")]
    pub asset: String,
    /// What can be spent now: `total` less `locked`.
    #[schema(example = "95.50")]
    pub available: String,
    /// Held for pending operations (open orders, pending withdrawals).
    #[schema(example = "4.50")]
    pub locked: String,
    #[schema(example = "100.00")]
    pub total: String,
    /// On its way in and not part of `total` yet, such as a provider deposit still waiting for its confirmations
    /// (see `GET /v1/wallets/deposits`).
    #[schema(example = "0.00")]
    pub incoming: String,
}

impl From<Balance> for BalanceView {
    fn from(b: Balance) -> Self {
        BalanceView {
            asset: b.asset.to_string(),
            available: b.available.to_string(),
            locked: b.locked.to_string(),
            total: b.total.to_string(),
            incoming: b.incoming.to_string(),
        }
    }
}

/// The caller's wallets, one per asset they have held.
#[utoipa::path(
    get, path = "/v1/wallets", tag = "wallets",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every wallet of the caller, in asset order, in one page", body = Envelope<Page<BalanceView>>),
        SignedIn,
    )
)]
pub async fn list_wallets(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
) -> Result<Json<Envelope<Page<BalanceView>>>, ApiError> {
    let balances = state.ledger.balances(who.user_id).await?;
    Ok(ok(Page {
        items: balances.into_iter().map(BalanceView::from).collect(),
        next_cursor: None,
    }))
}

/// The caller's balances: the same answer as `GET /v1/wallets`, under the path older clients use.
#[utoipa::path(
    get, path = "/v1/wallet/balance", tag = "wallets",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every wallet of the caller, in asset order, in one page", body = Envelope<Page<BalanceView>>),
        SignedIn,
    )
)]
pub async fn wallet_balance(
    state: State<AppState>,
    who: AuthUser,
) -> Result<Json<Envelope<Page<BalanceView>>>, ApiError> {
    list_wallets(state, who).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequestBody {
    /// The recipient: another user's email or id.
    #[schema(example = "bob@example.com")]
    pub to: String,
    #[schema(example = "USD")]
    pub asset: String,
    /// A positive decimal string with at most the asset's decimal places.
    #[schema(example = "25.00")]
    pub amount: String,
    /// Shown to both sides; at most 140 characters.
    #[schema(example = "Dinner")]
    pub memo: Option<String>,
    /// A current TOTP code; required when the sender has two-factor authentication on, as for a withdrawal.
    #[schema(example = "123456")]
    pub code: Option<String>,
}

/// Send money to another user.
#[utoipa::path(
    post, path = "/v1/wallets/transfers", tag = "wallets",
    security(("bearer" = [])),
    params(idempotency::IdempotencyKey),
    request_body = TransferRequestBody,
    responses(
        (status = 201, description = "The applied transfer", body = Envelope<TransferView>),
        All<(SignedIn, CodeMissing, JsonBody, InsufficientFunds, IdempotencyConflict)>,
        (status = 404, description = "No such recipient (code 3001)", body = ErrorEnvelope),
    )
)]
pub async fn create_transfer(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Client(client): Client,
    operation: Operation,
    ApiJson(body): ApiJson<TransferRequestBody>,
) -> Result<(StatusCode, Json<Envelope<TransferView>>), ApiError> {
    let id = TransferId(operation.id);
    let asset = movable_asset(&state, &body.asset).await?;
    let amount = amount_in(&body.amount, &asset)?;
    let memo = short_text("memo", body.memo, MAX_MEMO_CHARS)?;
    let recipient = state.accounts.find(&body.to).await.map_err(|e| match e {
        IdentityError::NotFound => ApiError::new(ErrorCode::NotFound, "The recipient was not found."),
        other => ApiError::from(other),
    })?;
    if recipient.id == who.user_id {
        return Err(ApiError::invalid_field("to", "cannot send to yourself"));
    }
    // This request run again after a crash: answer with what its first run committed (its code is spent).
    if operation.resumed
        && let Some(done) = state.ledger.applied(id).await?
        && done.request.kind == TransferKind::Transfer
    {
        return Ok((StatusCode::CREATED, ok(TransferView::new(&done, &asset))));
    }
    // Money leaving the account needs the second factor: a stolen session alone cannot empty it. Asked last, so
    // a request refused for its input does not spend the code.
    state.two_factor.step_up(who.user_id, body.code.as_deref()).await?;
    let movement = Movement {
        actor: Some(who.user_id),
        action: "ledger.transfer",
        context: &client,
    };
    let transfer = state
        .ledger
        .transfer(id, who.user_id, recipient.id, &asset.code, amount, memo, movement)
        .await?;
    Ok((StatusCode::CREATED, ok(TransferView::new(&transfer, &asset))))
}
