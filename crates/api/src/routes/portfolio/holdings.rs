//! Holdings the caller tracks (`/v1/portfolio/holdings`), beside their Bourse wallets which are listed with
//! them and not editable. Another user's holding answers 404, like one that does not exist.

use crate::auth::AuthUser;
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, parse_id};
use crate::openapi::answers::{All, BadInput, JsonBody, NotFound, SignedIn};
use crate::routes::portfolio::views::HoldingView;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use portfolio::{HoldingChange, NewHolding};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldingBody {
    /// An asset of the catalogue.
    #[schema(example = "BTC")]
    pub asset: String,
    /// A decimal string at the asset's precision, zero or more.
    #[schema(example = "0.5")]
    pub amount: String,
    /// Where it is held, at most 64 characters.
    #[schema(example = "Ledger Nano")]
    pub label: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldingPatch {
    /// A new amount at the asset's precision; absent keeps it.
    #[schema(example = "0.75")]
    pub amount: Option<String>,
    /// A new label; `null` removes it, absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "Kraken")]
    pub label: Option<Option<String>>,
}

/// A field that is there, even as `null`, is `Some`; one that is absent stays `None` (through `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Everything the caller holds: tracked holdings (oldest first), then each Bourse wallet with a balance
/// (`source: bourse`, not editable). One page holds them all: tracked holdings are bounded by
/// `portfolio.max_holdings`.
#[utoipa::path(
    get, path = "/v1/portfolio/holdings", tag = "portfolio",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every holding; `next_cursor` is always null", body = Envelope<Page<HoldingView>>),
        SignedIn,
    )
)]
pub async fn list_holdings(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
) -> Result<Json<Envelope<Page<HoldingView>>>, ApiError> {
    let tracked = state.portfolio.holdings(who.user_id).await?;
    let lines = state.portfolio.lines(who.user_id).await?;
    Ok(ok(Page {
        items: lines.iter().map(|l| HoldingView::line(l, &tracked)).collect(),
        next_cursor: None,
    }))
}

/// Track a holding held anywhere (a hardware wallet, another exchange).
#[utoipa::path(
    post, path = "/v1/portfolio/holdings", tag = "portfolio",
    security(("bearer" = [])),
    request_body = HoldingBody,
    responses(
        (status = 201, description = "The holding", body = Envelope<HoldingView>),
        All<(SignedIn, JsonBody)>,
        (status = 400, description = "An unknown asset, an amount with too many decimals, a bad label (code 1000, `details.field` names it)", body = ErrorEnvelope),
        (status = 403, description = "`portfolio.max_holdings` holdings are already tracked (code 1004)", body = ErrorEnvelope),
    )
)]
pub async fn add_holding(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiJson(body): ApiJson<HoldingBody>,
) -> Result<(StatusCode, Json<Envelope<HoldingView>>), ApiError> {
    let new = NewHolding {
        asset: body.asset,
        amount: body.amount,
        label: body.label,
    };
    let holding = state.portfolio.add_holding(who.user_id, new).await?;
    Ok((StatusCode::CREATED, ok(HoldingView::tracked(&holding))))
}

/// One of the caller's tracked holdings.
#[utoipa::path(
    get, path = "/v1/portfolio/holdings/{id}", tag = "portfolio",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The holding's id")),
    responses(
        (status = 200, description = "The holding", body = Envelope<HoldingView>),
        SignedIn, BadInput, NotFound,
    )
)]
pub async fn get_holding(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<HoldingView>>, ApiError> {
    let holding = state.portfolio.holding(who.user_id, parse_id(&id)?).await?;
    Ok(ok(HoldingView::tracked(&holding)))
}

/// Change a tracked holding's amount or label.
#[utoipa::path(
    patch, path = "/v1/portfolio/holdings/{id}", tag = "portfolio",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The holding's id")),
    request_body = HoldingPatch,
    responses(
        (status = 200, description = "The holding as changed", body = Envelope<HoldingView>),
        All<(SignedIn, JsonBody)>, NotFound,
    )
)]
pub async fn update_holding(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<HoldingPatch>,
) -> Result<Json<Envelope<HoldingView>>, ApiError> {
    let change = HoldingChange {
        amount: body.amount,
        label: body.label,
    };
    let holding = state
        .portfolio
        .update_holding(who.user_id, parse_id(&id)?, change)
        .await?;
    Ok(ok(HoldingView::tracked(&holding)))
}

/// Stop tracking a holding.
#[utoipa::path(
    delete, path = "/v1/portfolio/holdings/{id}", tag = "portfolio",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The holding's id")),
    responses(
        (status = 200, description = "The deleted holding", body = Envelope<HoldingView>),
        SignedIn, BadInput, NotFound,
    )
)]
pub async fn delete_holding(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<HoldingView>>, ApiError> {
    let holding = state.portfolio.delete_holding(who.user_id, parse_id(&id)?).await?;
    Ok(ok(HoldingView::tracked(&holding)))
}
