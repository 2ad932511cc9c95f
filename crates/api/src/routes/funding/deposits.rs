//! The caller's provider deposits: `GET /v1/wallets/deposits[/{id}]`. A deposit a custody or payment provider
//! reported (`POST /v1/webhooks/deposits`) shows here from its first notification, with its confirmations so far,
//! so a user can follow one that is still PENDING; its amount shows meanwhile as `incoming` in the balances.

use crate::auth::AuthUser;
use crate::envelope::{Envelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_id};
use crate::openapi::answers::{BadInput, NotFound, SignedIn};
use crate::pagination;
use crate::routes::funding::views::DepositView;
use crate::routes::wallets::views::views_with_assets;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use funding::DepositStatus;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DepositsQuery {
    /// Only deposits in this state: `PENDING` or `CONFIRMED`.
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's provider deposits, newest first.
#[utoipa::path(
    get, path = "/v1/wallets/deposits", tag = "wallets",
    security(("bearer" = [])),
    params(DepositsQuery),
    responses(
        (status = 200, description = "A page of the caller's provider deposits", body = Envelope<Page<DepositView>>),
        SignedIn, BadInput,
    )
)]
pub async fn list_deposits(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<DepositsQuery>,
) -> Result<Json<Envelope<Page<DepositView>>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            DepositStatus::parse(s).ok_or_else(|| ApiError::invalid_field("status", "must be PENDING or CONFIRMED"))
        })
        .transpose()?;
    let limit = pagination::limit(query.limit)?;
    let before: Option<Uuid> = pagination::cursor(query.cursor.as_deref())?;
    let (items, more) = state.deposits.deposits(who.user_id, status, before, limit).await?;
    let next_cursor = pagination::next_cursor(&items, more, |d| d.id.to_string());
    Ok(ok(Page {
        items: views_with_assets(&state, &items, |d| d.asset, DepositView::new).await?,
        next_cursor,
    }))
}

/// One of the caller's provider deposits.
#[utoipa::path(
    get, path = "/v1/wallets/deposits/{id}", tag = "wallets",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The deposit id")),
    responses(
        (status = 200, description = "The deposit", body = Envelope<DepositView>),
        SignedIn, BadInput, NotFound,
    )
)]
pub async fn get_deposit(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<DepositView>>, ApiError> {
    let id = parse_id(&id)?;
    let deposit = state.deposits.deposit_of(who.user_id, id).await?;
    let asset = state.assets.get(&deposit.asset).await?;
    Ok(ok(DepositView::new(&deposit, &asset)))
}
