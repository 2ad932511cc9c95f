//! Staff management of trading (`markets:manage`): creating markets, halting, resuming and closing them, and
//! pinning a user's tier. Every action is audited.

use crate::auth::Client;
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, parse_id};
use crate::openapi::answers::{All, JsonBody, NotFound, Staff, Unavailable};
use crate::permission::{MarketsManage, Permitted};
use crate::routes::trading::views::{MarketView, TierView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use identity::Tier;
use serde::Deserialize;
use trading::{MarketInput, MarketStatus};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketBody {
    #[schema(example = "SOL")]
    pub base: String,
    #[schema(example = "USDT")]
    pub quote: String,
    /// Base then quote when absent; 2 to 12 upper-case letters and digits.
    #[schema(example = "SOLUSDT")]
    pub symbol: Option<String>,
    /// Prices are multiples of it. Tick × lot must be a whole number of the quote asset's smallest unit, so every
    /// trade settles exactly.
    #[schema(example = "0.01")]
    pub tick_size: String,
    /// Quantities are multiples of it: a whole number of the base asset's smallest unit.
    #[schema(example = "0.01")]
    pub lot_size: String,
    /// The lot size when absent.
    pub min_qty: Option<String>,
    #[schema(example = "100000")]
    pub max_qty: String,
    /// In the quote asset.
    #[schema(example = "1")]
    pub min_notional: String,
    /// Percent, above 0 and at most 1000.
    #[schema(example = "10")]
    pub price_band_pct: String,
}

/// Create a market; it opens at once, with an empty book.
#[utoipa::path(
    post, path = "/v1/admin/markets", tag = "admin",
    security(("bearer" = [])),
    request_body = MarketBody,
    responses(
        (status = 201, description = "The market", body = Envelope<MarketView>),
        (status = 400, description = "An unknown or disabled asset, a grid that cannot settle exactly, a bad size or band (code 1000, `details.field` names it)", body = ErrorEnvelope),
        All<(Staff, JsonBody)>,
        (status = 409, description = "The symbol exists (code 3002)", body = ErrorEnvelope),
    )
)]
pub async fn create_market(
    State(state): State<AppState>,
    staff: Permitted<MarketsManage>,
    Client(client): Client,
    ApiJson(body): ApiJson<MarketBody>,
) -> Result<(StatusCode, Json<Envelope<MarketView>>), ApiError> {
    let input = MarketInput {
        base: body.base,
        quote: body.quote,
        symbol: body.symbol,
        tick_size: body.tick_size,
        lot_size: body.lot_size,
        min_qty: body.min_qty,
        max_qty: body.max_qty,
        min_notional: body.min_notional,
        price_band_pct: body.price_band_pct,
    };
    let market = state.trading.create_market(input, staff.who.user_id, &client).await?;
    Ok((StatusCode::CREATED, ok(MarketView::new(&market))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketStatusBody {
    /// `open` (resume), `halted` (refuse new orders, keep the book) or `closed` (cancel every order and release
    /// every hold; final).
    #[schema(example = "halted")]
    pub status: String,
}

/// Halt, resume or close a market.
#[utoipa::path(
    patch, path = "/v1/admin/markets/{symbol}", tag = "admin",
    security(("bearer" = [])),
    params(("symbol" = String, Path, description = "The market")),
    request_body = MarketStatusBody,
    responses(
        (status = 200, description = "The market", body = Envelope<MarketView>),
        (status = 400, description = "An unknown status (code 1000)", body = ErrorEnvelope),
        All<(Staff, JsonBody)>, NotFound,
        (status = 409, description = "The market is closed (code 3002)", body = ErrorEnvelope),
        Unavailable,
    )
)]
pub async fn set_market_status(
    State(state): State<AppState>,
    staff: Permitted<MarketsManage>,
    Client(client): Client,
    ApiPath(symbol): ApiPath<String>,
    ApiJson(body): ApiJson<MarketStatusBody>,
) -> Result<Json<Envelope<MarketView>>, ApiError> {
    let status = MarketStatus::parse(&body.status)
        .ok_or_else(|| ApiError::invalid_field("status", "must be open, halted or closed"))?;
    let market = state
        .trading
        .set_status(&symbol, status, staff.who.user_id, &client)
        .await?;
    Ok(ok(MarketView::new(&market)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBody {
    /// `BASIC` or `PRO` pins the user's tier; `null` lets their 30-day volume decide again at the next run of
    /// the tier job.
    #[schema(example = "PRO")]
    pub tier: Option<String>,
}

/// Pin a user's tier (fees on their orders from now on; rate limits from their next access token).
#[utoipa::path(
    put, path = "/v1/admin/users/{id}/tier", tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user")),
    request_body = TierBody,
    responses(
        (status = 200, description = "The user's tier and fees", body = Envelope<TierView>),
        (status = 400, description = "An unknown tier (code 1000)", body = ErrorEnvelope),
        All<(Staff, JsonBody)>, NotFound,
    )
)]
pub async fn pin_tier(
    State(state): State<AppState>,
    staff: Permitted<MarketsManage>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TierBody>,
) -> Result<Json<Envelope<TierView>>, ApiError> {
    let user = parse_id(&id)?;
    let tier = body
        .tier
        .as_deref()
        .map(|t| Tier::parse(t).ok_or_else(|| ApiError::invalid_field("tier", "must be BASIC, PRO or null")))
        .transpose()?;
    let effective = state
        .trading
        .pin_tier(&state.accounts, user, tier, staff.who.user_id, &client)
        .await?;
    let fees = match effective {
        Tier::Pro => state.trading.config().pro_fees,
        Tier::Basic => state.trading.config().basic_fees,
    };
    Ok(ok(TierView {
        user_id: user,
        tier: effective.as_str(),
        pinned: tier.is_some(),
        maker_fee_bps: fees.maker_bps,
        taker_fee_bps: fees.taker_bps,
    }))
}
