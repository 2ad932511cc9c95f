//! Public market data: the markets, their books, trades, 24-hour tickers and candles. No sign-in needed.

use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::openapi::answers::{BadInput, NotFound, RateLimited};
use crate::routes::trading::views::{CandleView, DepthView, MarketView, TickerView, TradeView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use trading::DEPTH_LEVELS;
use trading::market_data::Width;
use utoipa::{IntoParams, ToSchema};

/// Every market, by symbol.
#[utoipa::path(
    get, path = "/v1/markets", tag = "markets",
    responses(
        (status = 200, description = "The markets; `next_cursor` is always null", body = Envelope<Page<MarketView>>),
        RateLimited,
    )
)]
pub async fn list_markets(State(state): State<AppState>) -> Json<Envelope<Page<MarketView>>> {
    ok(Page {
        items: state.trading.markets().iter().map(MarketView::new).collect(),
        next_cursor: None,
    })
}

/// One market.
#[utoipa::path(
    get, path = "/v1/markets/{symbol}", tag = "markets",
    params(("symbol" = String, Path, description = "Base then quote, e.g. `BTCUSDT`")),
    responses(
        (status = 200, description = "The market", body = Envelope<MarketView>),
        NotFound, RateLimited,
    )
)]
pub async fn get_market(
    State(state): State<AppState>,
    ApiPath(symbol): ApiPath<String>,
) -> Result<Json<Envelope<MarketView>>, ApiError> {
    Ok(ok(MarketView::new(&state.trading.market(&symbol)?)))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepthQuery {
    /// Levels per side, 1 to 500; 50 when absent.
    pub limit: Option<usize>,
}

/// The order book: aggregated price levels, best first, and the engine sequence number they follow.
#[utoipa::path(
    get, path = "/v1/markets/{symbol}/depth", tag = "markets",
    params(("symbol" = String, Path, description = "The market"), DepthQuery),
    responses(
        (status = 200, description = "The book's levels", body = Envelope<DepthView>),
        BadInput, NotFound, RateLimited,
    )
)]
pub async fn get_depth(
    State(state): State<AppState>,
    ApiPath(symbol): ApiPath<String>,
    ApiQuery(query): ApiQuery<DepthQuery>,
) -> Result<Json<Envelope<DepthView>>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=DEPTH_LEVELS).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("must be between 1 and {DEPTH_LEVELS}"),
        ));
    }
    let market = state.trading.market(&symbol)?;
    let (depth, seq) = state.trading.depth(&symbol, limit)?;
    Ok(ok(DepthView::new(&market, &depth, seq)))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TradesQuery {
    /// 1 to 1000; 100 when absent.
    pub limit: Option<u32>,
}

/// The market's last trades, newest first.
#[utoipa::path(
    get, path = "/v1/markets/{symbol}/trades", tag = "markets",
    params(("symbol" = String, Path, description = "The market"), TradesQuery),
    responses(
        (status = 200, description = "Recent trades; `next_cursor` is always null", body = Envelope<Page<TradeView>>),
        BadInput, NotFound, RateLimited,
    )
)]
pub async fn get_trades(
    State(state): State<AppState>,
    ApiPath(symbol): ApiPath<String>,
    ApiQuery(query): ApiQuery<TradesQuery>,
) -> Result<Json<Envelope<Page<TradeView>>>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 1000"));
    }
    let market = state.trading.market(&symbol)?;
    let trades = state.trading.trades(&symbol, limit).await?;
    Ok(ok(Page {
        items: trades.iter().map(|t| TradeView::new(t, &market)).collect(),
        next_cursor: None,
    }))
}

/// The last 24 hours: open, high, low, last, volume and change, kept as trades happen.
#[utoipa::path(
    get, path = "/v1/markets/{symbol}/ticker", tag = "markets",
    params(("symbol" = String, Path, description = "The market")),
    responses(
        (status = 200, description = "The 24-hour ticker", body = Envelope<TickerView>),
        NotFound, RateLimited,
    )
)]
pub async fn get_ticker(
    State(state): State<AppState>,
    ApiPath(symbol): ApiPath<String>,
) -> Result<Json<Envelope<TickerView>>, ApiError> {
    let market = state.trading.market(&symbol)?;
    let ticker = state.trading.ticker(&symbol)?;
    Ok(ok(TickerView::new(&market, &ticker, state.clock.now())))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandlesQuery {
    /// `1m`, `5m`, `15m`, `1h`, `4h` or `1d`.
    pub interval: String,
    /// RFC 3339; candles opening at or after it. Default: `limit` intervals before `to`.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; candles opening before it. Default: now.
    pub to: Option<DateTime<Utc>>,
    /// 1 to 1000; 500 when absent.
    pub limit: Option<u32>,
}

/// OHLCV candles, oldest first; intervals without trades have no candle.
#[utoipa::path(
    get, path = "/v1/markets/{symbol}/candles", tag = "markets",
    params(("symbol" = String, Path, description = "The market"), CandlesQuery),
    responses(
        (status = 200, description = "Candles; `next_cursor` is always null", body = Envelope<Page<CandleView>>),
        (status = 400, description = "An unknown interval, `from` after `to`, a bad limit (code 1000)", body = ErrorEnvelope),
        NotFound, RateLimited,
    )
)]
pub async fn get_candles(
    State(state): State<AppState>,
    ApiPath(symbol): ApiPath<String>,
    ApiQuery(query): ApiQuery<CandlesQuery>,
) -> Result<Json<Envelope<Page<CandleView>>>, ApiError> {
    let width = Width::parse(&query.interval)
        .ok_or_else(|| ApiError::invalid_field("interval", "must be 1m, 5m, 15m, 1h, 4h or 1d"))?;
    let limit = query.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 1000"));
    }
    let to = query.to.unwrap_or_else(|| state.clock.now() + Duration::seconds(1));
    let from = query
        .from
        .unwrap_or_else(|| to - Duration::seconds(width.seconds() * i64::from(limit)));
    if from > to {
        return Err(ApiError::invalid_field("from", "must not be after `to`"));
    }
    let market = state.trading.market(&symbol)?;
    let candles = state.trading.candles(&symbol, width, from, to, limit).await?;
    Ok(ok(Page {
        items: candles.iter().map(|c| CandleView::new(&market, c)).collect(),
        next_cursor: None,
    }))
}
