//! The caller's orders (`/v1/orders`) and fills (`/v1/trades`). Placing holds the funds in the ledger before the
//! order reaches the engine; the rules live in `trading::Trading`.

use crate::auth::{AuthUser, Client};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_id};
use crate::middleware::idempotency::{self, Operation};
use crate::openapi::answers::{
    All, BadInput, IdempotencyConflict, InsufficientFunds, JsonBody, NotFound, SignedIn, Unavailable,
};
use crate::pagination;
use crate::routes::trading::views::{FillView, OrderDetailView, OrderView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use std::collections::HashMap;
use trading::order::{Fill, Order};
use trading::{Market, OrderFilter, OrderInput, Placed};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    #[schema(example = "BTCUSDT")]
    pub symbol: String,
    /// `BUY` or `SELL`.
    #[schema(example = "BUY")]
    pub side: String,
    /// `LIMIT`, `MARKET`, `STOP_LIMIT` or `STOP_MARKET`.
    #[serde(rename = "type")]
    #[schema(example = "LIMIT")]
    pub kind: String,
    /// `GTC` (default), `IOC` or `FOK`. A market order never rests: GTC acts as IOC for it.
    #[schema(example = "GTC")]
    pub time_in_force: Option<String>,
    /// Limit and stop-limit orders only: a multiple of the tick size, within the price band.
    #[schema(example = "65000.00")]
    pub price: Option<String>,
    /// Stop orders only: the last trade price that triggers them.
    pub stop_price: Option<String>,
    /// Base quantity, a multiple of the lot size between the market's min and max.
    #[schema(example = "0.5")]
    pub quantity: Option<String>,
    /// Market (and stop-market) buys only, instead of `quantity`: what to spend in the quote asset.
    pub quote_quantity: Option<String>,
    /// GTC limit orders only: refused if it would take liquidity.
    #[serde(default)]
    pub post_only: bool,
    /// Self-trade prevention: `NONE` (default), `CANCEL_TAKER`, `CANCEL_MAKER`, `CANCEL_BOTH`,
    /// `DECREMENT_AND_CANCEL`.
    pub stp: Option<String>,
    /// Yours, unique among your orders: placing again with it answers the first order (200).
    pub client_order_id: Option<String>,
}

fn view(state: &AppState, order: &Order) -> Result<OrderView, ApiError> {
    let market = state.trading.market(&order.symbol)?;
    Ok(OrderView::new(order, &market))
}

/// Place an order: the funds are held (the quote amount at the limit price, or at the band's edge for a market
/// buy, for a buy; the base quantity for a sell), then the order reaches the engine and trades or rests. Fees
/// are taken from what the order receives.
#[utoipa::path(
    post, path = "/v1/orders", tag = "orders",
    security(("bearer" = [])),
    params(idempotency::IdempotencyKey),
    request_body = OrderBody,
    responses(
        (status = 201, description = "The order after the engine took it: `NEW`, `PARTIALLY_FILLED`, `FILLED` or `EXPIRED` (an IOC or FOK that could not fill)", body = Envelope<OrderView>),
        (status = 200, description = "The first order placed with this `client_order_id`", body = Envelope<OrderView>),
        (status = 400, description = "The order is refused and nothing was held (code 1005; `details.reason`: `price_off_tick`, `quantity_off_lot`, `quantity_below_minimum`, `quantity_above_maximum`, `notional_below_minimum`, `price_out_of_band`, `price_required`, `price_not_allowed`, `stop_price_required`, `stop_price_not_allowed`, `quantity_required`, `quantity_conflict`, `quote_quantity_not_allowed`, `post_only_not_allowed`, `post_only_would_take`, `market_halted`, `market_closed`, `too_many_open_orders`, `no_liquidity`, `invalid_*`; `details.field` names the input)", body = ErrorEnvelope),
        All<(SignedIn, JsonBody, InsufficientFunds, IdempotencyConflict)>,
        (status = 404, description = "No such market (code 3001)", body = ErrorEnvelope),
        (status = 409, description = "An order with this `client_order_id` is being placed now (code 3002)", body = ErrorEnvelope),
        Unavailable,
    )
)]
pub async fn place_order(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    Client(client): Client,
    operation: Operation,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<Envelope<OrderView>>), ApiError> {
    // This request run again after a crash: answer with what its first run committed.
    if operation.resumed
        && let Some(order) = state.trading.order_by_id(operation.id).await?
        && order.user == who.user_id
    {
        return Ok((StatusCode::CREATED, ok(view(&state, &order)?)));
    }
    let input = OrderInput {
        symbol: body.symbol,
        side: body.side,
        kind: body.kind,
        time_in_force: body.time_in_force,
        price: body.price,
        stop_price: body.stop_price,
        quantity: body.quantity,
        quote_quantity: body.quote_quantity,
        post_only: body.post_only,
        stp: body.stp,
        client_order_id: body.client_order_id,
    };
    match state.trading.place(operation.id, who.user_id, input, &client).await? {
        Placed::New(order) => Ok((StatusCode::CREATED, ok(view(&state, &order)?))),
        Placed::Existing(order) => Ok((StatusCode::OK, ok(view(&state, &order)?))),
    }
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// `open` (NEW, PARTIALLY_FILLED) or `closed`; all when absent.
    pub status: Option<String>,
    pub symbol: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's orders, newest first.
#[utoipa::path(
    get, path = "/v1/orders", tag = "orders",
    security(("bearer" = [])),
    params(OrdersQuery),
    responses(
        (status = 200, description = "A page of orders", body = Envelope<Page<OrderView>>),
        SignedIn, BadInput,
    )
)]
pub async fn list_orders(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<OrdersQuery>,
) -> Result<Json<Envelope<Page<OrderView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let open = match query.status.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => return Err(ApiError::invalid_field("status", "must be open or closed")),
    };
    if let Some(symbol) = &query.symbol {
        state.trading.market(symbol)?;
    }
    let filter = OrderFilter {
        symbol: query.symbol,
        open,
        before: pagination::cursor::<Uuid>(query.cursor.as_deref())?,
    };
    let (orders, more) = state.trading.orders(who.user_id, &filter, limit).await?;
    let items = views(&state, &orders)?;
    Ok(ok(Page {
        next_cursor: pagination::next_cursor(&orders, more, |o| o.id.to_string()),
        items,
    }))
}

fn views(state: &AppState, orders: &[Order]) -> Result<Vec<OrderView>, ApiError> {
    let mut markets: HashMap<String, Market> = HashMap::new();
    orders
        .iter()
        .map(|o| {
            if !markets.contains_key(&o.symbol) {
                markets.insert(o.symbol.clone(), state.trading.market(&o.symbol)?);
            }
            Ok(OrderView::new(o, &markets[&o.symbol]))
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAllQuery {
    /// Only this market's orders; every market when absent.
    pub symbol: Option<String>,
}

/// Cancel every open order of the caller (in one market, or all); their holds are released.
#[utoipa::path(
    delete, path = "/v1/orders", tag = "orders",
    security(("bearer" = [])),
    params(CancelAllQuery),
    responses(
        (status = 200, description = "The orders cancelled", body = Envelope<Page<OrderView>>),
        SignedIn, NotFound, Unavailable,
    )
)]
pub async fn cancel_all(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<CancelAllQuery>,
) -> Result<Json<Envelope<Page<OrderView>>>, ApiError> {
    let orders = state.trading.cancel_all(who.user_id, query.symbol.as_deref()).await?;
    Ok(ok(Page {
        items: views(&state, &orders)?,
        next_cursor: None,
    }))
}

fn fill_views(state: &AppState, fills: &[Fill]) -> Result<Vec<FillView>, ApiError> {
    let mut markets: HashMap<String, Market> = HashMap::new();
    fills
        .iter()
        .map(|f| {
            if !markets.contains_key(&f.symbol) {
                markets.insert(f.symbol.clone(), state.trading.market(&f.symbol)?);
            }
            Ok(FillView::new(f, &markets[&f.symbol]))
        })
        .collect()
}

/// One of the caller's orders with its fills.
#[utoipa::path(
    get, path = "/v1/orders/{id}", tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order and its fills, oldest first", body = Envelope<OrderDetailView>),
        SignedIn, BadInput, NotFound,
    )
)]
pub async fn get_order(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<OrderDetailView>>, ApiError> {
    let (order, fills) = state.trading.order(who.user_id, parse_id(&id)?).await?;
    Ok(ok(OrderDetailView {
        order: view(&state, &order)?,
        fills: fill_views(&state, &fills)?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendBody {
    /// A new limit price: the order loses its time priority (and may trade).
    pub price: Option<String>,
    /// A new total quantity, above what has filled: a decrease at the same price keeps time priority.
    pub quantity: Option<String>,
}

/// Amend an open limit order's price or quantity; its hold follows (a larger hold must be available).
#[utoipa::path(
    patch, path = "/v1/orders/{id}", tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    request_body = AmendBody,
    responses(
        (status = 200, description = "The order as amended (and after any trades the move made)", body = Envelope<OrderView>),
        (status = 400, description = "A price off the tick or out of the band, a quantity off the lot or not above what has filled, a stop order waiting for its trigger (code 1005, `details.reason`); nothing to change (code 1000)", body = ErrorEnvelope),
        All<(SignedIn, JsonBody, InsufficientFunds)>, NotFound,
        (status = 409, description = "The order is no longer open (code 3002)", body = ErrorEnvelope),
        Unavailable,
    )
)]
pub async fn amend_order(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AmendBody>,
) -> Result<Json<Envelope<OrderView>>, ApiError> {
    let order = state
        .trading
        .amend(
            who.user_id,
            parse_id(&id)?,
            body.price.as_deref(),
            body.quantity.as_deref(),
        )
        .await?;
    Ok(ok(view(&state, &order)?))
}

/// Cancel an open order; what is left of its hold is released.
#[utoipa::path(
    delete, path = "/v1/orders/{id}", tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The cancelled order", body = Envelope<OrderView>),
        SignedIn, BadInput, NotFound,
        (status = 409, description = "The order is no longer open (code 3002)", body = ErrorEnvelope),
        Unavailable,
    )
)]
pub async fn cancel_order(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<OrderView>>, ApiError> {
    let order = state.trading.cancel(who.user_id, parse_id(&id)?).await?;
    Ok(ok(view(&state, &order)?))
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FillsQuery {
    pub symbol: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's fills (their side of each trade), newest first.
#[utoipa::path(
    get, path = "/v1/trades", tag = "orders",
    security(("bearer" = [])),
    params(FillsQuery),
    responses(
        (status = 200, description = "A page of fills", body = Envelope<Page<FillView>>),
        SignedIn, BadInput,
    )
)]
pub async fn list_fills(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<FillsQuery>,
) -> Result<Json<Envelope<Page<FillView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    if let Some(symbol) = &query.symbol {
        state.trading.market(symbol)?;
    }
    let before = pagination::cursor::<Uuid>(query.cursor.as_deref())?;
    let (fills, more) = state
        .trading
        .fills(who.user_id, query.symbol.as_deref(), before, limit)
        .await?;
    Ok(ok(Page {
        items: fill_views(&state, &fills)?,
        next_cursor: pagination::next_cursor(&fills, more, |f| f.trade_id.to_string()),
    }))
}
