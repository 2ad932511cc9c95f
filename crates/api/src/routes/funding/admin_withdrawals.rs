//! Staff decisions on withdrawals, permission `withdrawals:approve`: list them by status, approve (the holds are
//! posted: the money leaves to the external-withdrawals and fees accounts), reject with a reason (the holds are
//! voided), and complete an approved one with its payout reference. Each decision is audited and announced on
//! the outbox in its transaction. A retried decision finds the new status and answers 409 code 3002, so these
//! routes need no Idempotency-Key: no decision can apply twice.

use crate::auth::Client;
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id};
use crate::openapi::answers::{BadInput, JsonBody, NotFound, Staff};
use crate::pagination;
use crate::permission::{Permitted, WithdrawalsApprove};
use crate::routes::funding::views::{WithdrawalView, view, views};
use crate::routes::wallets::input::short_text;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use funding::{Decision, WithdrawalStatus};
use ledger::Movement;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const MAX_TEXT_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminWithdrawalsQuery {
    /// Only this status: `PENDING`, `APPROVED`, `COMPLETED`, `REJECTED` or `CANCELLED`.
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Shown to the user; 1 to 200 characters.
    #[schema(example = "Destination failed sanctions screening")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// The blockchain transaction id or the bank's payout reference; 1 to 200 characters.
    #[schema(example = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")]
    pub txid: String,
}

/// Withdrawals of every user, newest first. Needs `withdrawals:approve`.
#[utoipa::path(
    get, path = "/v1/admin/withdrawals", tag = "admin",
    security(("bearer" = [])),
    params(AdminWithdrawalsQuery),
    responses(
        (status = 200, description = "A page of withdrawals", body = Envelope<Page<WithdrawalView>>),
        Staff, BadInput,
    )
)]
pub async fn list_withdrawals(
    State(state): State<AppState>,
    _staff: Permitted<WithdrawalsApprove>,
    ApiQuery(query): ApiQuery<AdminWithdrawalsQuery>,
) -> Result<Json<Envelope<Page<WithdrawalView>>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            WithdrawalStatus::parse(s).ok_or_else(|| {
                ApiError::invalid_field("status", "must be PENDING, APPROVED, COMPLETED, REJECTED or CANCELLED")
            })
        })
        .transpose()?;
    let limit = pagination::limit(query.limit)?;
    let before: Option<Uuid> = pagination::cursor(query.cursor.as_deref())?;
    let (items, more) = state.withdrawals.withdrawals(None, status, before, limit).await?;
    let next_cursor = pagination::next_cursor(&items, more, |w| w.id.to_string());
    Ok(ok(Page {
        items: views(&state, &items).await?,
        next_cursor,
    }))
}

async fn decide(
    state: &AppState,
    staff: &Permitted<WithdrawalsApprove>,
    client: &platform::RequestContext,
    id: &str,
    decision: Decision,
    action: &'static str,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let id = parse_id(id)?;
    let movement = Movement {
        actor: Some(staff.who.user_id),
        action,
        context: client,
    };
    let withdrawal = state.withdrawals.decide(id, None, decision, movement).await?;
    Ok(ok(view(state, &withdrawal).await?))
}

fn required_text(field: &str, text: String) -> Result<String, ApiError> {
    short_text(field, Some(text), MAX_TEXT_CHARS)?
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::invalid_field(field, "must not be empty"))
}

/// Approve a PENDING withdrawal: its holds are posted and the money leaves the wallet. Needs `withdrawals:approve`.
#[utoipa::path(
    post, path = "/v1/admin/withdrawals/{id}/approve", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    responses(
        (status = 200, description = "The APPROVED withdrawal", body = Envelope<WithdrawalView>),
        Staff, BadInput, NotFound,
        (status = 409, description = "Not PENDING (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn approve_withdrawal(
    State(state): State<AppState>,
    staff: Permitted<WithdrawalsApprove>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    decide(
        &state,
        &staff,
        &client,
        &id,
        Decision::Approve,
        "ledger.withdrawal_approve",
    )
    .await
}

/// Reject a PENDING withdrawal with a reason: its holds are voided. Needs `withdrawals:approve`.
#[utoipa::path(
    post, path = "/v1/admin/withdrawals/{id}/reject", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    request_body = RejectBody,
    responses(
        (status = 200, description = "The REJECTED withdrawal", body = Envelope<WithdrawalView>),
        Staff, JsonBody, NotFound,
        (status = 409, description = "Not PENDING (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn reject_withdrawal(
    State(state): State<AppState>,
    staff: Permitted<WithdrawalsApprove>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let reason = required_text("reason", body.reason)?;
    decide(
        &state,
        &staff,
        &client,
        &id,
        Decision::Reject { reason },
        "ledger.withdrawal_reject",
    )
    .await
}

/// Record that an APPROVED withdrawal was paid out. Needs `withdrawals:approve`.
#[utoipa::path(
    post, path = "/v1/admin/withdrawals/{id}/complete", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The withdrawal id")),
    request_body = CompleteBody,
    responses(
        (status = 200, description = "The COMPLETED withdrawal", body = Envelope<WithdrawalView>),
        Staff, JsonBody, NotFound,
        (status = 409, description = "Not APPROVED (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn complete_withdrawal(
    State(state): State<AppState>,
    staff: Permitted<WithdrawalsApprove>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CompleteBody>,
) -> Result<Json<Envelope<WithdrawalView>>, ApiError> {
    let payout_reference = required_text("txid", body.txid)?;
    let decision = Decision::Complete { payout_reference };
    decide(&state, &staff, &client, &id, decision, "ledger.withdrawal_complete").await
}
