//! The caller's withdrawals: `POST /v1/wallets/withdrawals` holds `amount + fee` for staff to approve,
//! `GET /v1/wallets/withdrawals[/{id}]` lists and shows them, and `POST /v1/wallets/withdrawals/{id}/cancel`
//! releases a PENDING one. The destination is sealed at rest and only ever shown masked. The rules, the checks
//! and the state machine are `funding::Withdrawals`.

use crate::auth::{AuthUser, Client};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id};
use crate::middleware::idempotency::{IdempotencyKey, Operation};
use crate::openapi::answers::{
    All, BadInput, CodeMissing, IdempotencyConflict, InsufficientFunds, JsonBody, NotFound, SignedIn,
};
use crate::pagination;
use crate::routes::funding::destination::DestinationBody;
use crate::routes::funding::views::{WithdrawalView, view, views};
use crate::routes::wallets::input::{amount_in, movable_asset};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use funding::{Decision, FundingError, WithdrawalOrder};
use ledger::Movement;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalBody {
    #[schema(example = "BTC")]
    pub asset: String,
    /// What the destination receives: a positive decimal string at the asset's precision; the fee comes on top.
    #[schema(example = "0.5")]
    pub amount: String,
    pub destination: DestinationBody,
    /// A current TOTP code; required when the caller has two-factor authentication on.
    #[schema(example = "123456")]
    pub code: Option<String>,
}

/// Ask to withdraw money off the platform.
#[utoipa::path(
    post, path = "/v1/wallets/withdrawals", tag = "wallets",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = WithdrawalBody,
    responses(
        (status = 201, description = "The PENDING withdrawal; `amount + fee` is now locked", body = Envelope<WithdrawalView>),
        All<(SignedIn, CodeMissing, JsonBody, InsufficientFunds, IdempotencyConflict)>,
        (status = 403, description = "Over the asset's 24 h withdrawal limit (code 1004); or the caller's allow-list mode is on and the destination is not a saved one of this asset, or its cool-down has not passed (code 2004 FORBIDDEN, `details.field` = `destination`, `details.reason` = `not_allow_listed` or `cooling_down` with `details.usable_from`); nothing is held", body = ErrorEnvelope),
    )
)]
pub async fn create_withdrawal(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Client(client): Client,
    operation: Operation,
    ApiJson(body): ApiJson<WithdrawalBody>,
) -> Result<(StatusCode, Json<Envelope<WithdrawalView>>), ApiError> {
    let id = operation.id;
    let asset = movable_asset(&state, &body.asset).await?;
    // This request run again after a crash: answer with what its first run committed (its code is spent).
    if operation.resumed {
        match state.withdrawals.withdrawal_of(who.user_id, id).await {
            Ok(done) => return Ok((StatusCode::CREATED, ok(WithdrawalView::new(&done, &asset)))),
            Err(FundingError::NotFound(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let order = WithdrawalOrder {
        id,
        user: who.user_id,
        asset: &asset,
        amount: amount_in(&body.amount, &asset)?,
        destination: body.destination.into(),
        code: body.code.as_deref(),
    };
    let movement = Movement {
        actor: Some(who.user_id),
        action: "ledger.withdrawal_request",
        context: &client,
    };
    let withdrawal = state.withdrawals.request(order, movement).await?;
    Ok((StatusCode::CREATED, ok(WithdrawalView::new(&withdrawal, &asset))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WithdrawalsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's withdrawals, newest first.
#[utoipa::path(
    get, path = "/v1/wallets/withdrawals", tag = "wallets",
    security(("bearer" = [])),
    params(WithdrawalsQuery),
    responses(
        (status = 200, description = "A page of the caller's withdrawals", body = Envelope<Page<WithdrawalView>>),
        SignedIn, BadInput,
    )
)]
pub async fn list_withdrawals(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<WithdrawalsQuery>,
) -> Result<Json<Envelope<Page<WithdrawalView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let before: Option<Uuid> = pagination::cursor(query.cursor.as_deref())?;
    let (items, more) = state
        .withdrawals
        .withdrawals(Some(who.user_id), None, before, limit)
        .await?;
    let next_cursor = pagination::next_cursor(&items, more, |w| w.id.to_string());
    Ok(ok(Page {
        items: views(&state, &items).await?,
        next_cursor,
    }))
}

/// One of the caller's withdrawals.
#[utoipa::path(
    get, path = "/v1/wallets/withdrawals/{id}", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    responses(
        (status = 200, description = "The withdrawal", body = Envelope<WithdrawalView>),
        SignedIn, BadInput, NotFound,
    )
)]
pub async fn get_withdrawal(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let id = parse_id(&id)?;
    let withdrawal = state.withdrawals.withdrawal_of(who.user_id, id).await?;
    Ok(ok(view(&state, &withdrawal).await?))
}

/// Cancel one of the caller's PENDING withdrawals; the held money is available again.
#[utoipa::path(
    post, path = "/v1/wallets/withdrawals/{id}/cancel", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    responses(
        (status = 200, description = "The CANCELLED withdrawal", body = Envelope<WithdrawalView>),
        SignedIn, BadInput, NotFound,
        (status = 409, description = "Not PENDING any more (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn cancel_withdrawal(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let id = parse_id(&id)?;
    let movement = Movement {
        actor: Some(who.user_id),
        action: "ledger.withdrawal_cancel",
        context: &client,
    };
    let withdrawal = state
        .withdrawals
        .decide(id, Some(who.user_id), Decision::Cancel, movement)
        .await?;
    Ok(ok(view(&state, &withdrawal).await?))
}
