//! The spot exchange: public markets and market data, the caller's orders and fills, and staff management of
//! markets and tiers. The rules live in `trading::Trading`; these routes extract, call it and map.

pub mod admin;
pub mod markets;
pub mod orders;
pub mod views;

use crate::middleware::idempotency;
use crate::state::AppState;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(markets::list_markets))
        .routes(routes!(markets::get_market))
        .routes(routes!(markets::get_depth))
        .routes(routes!(markets::get_trades))
        .routes(routes!(markets::get_ticker))
        .routes(routes!(markets::get_candles))
        .routes(routes!(orders::place_order).map(idempotency::required))
        .routes(routes!(orders::list_orders, orders::cancel_all))
        .routes(routes!(orders::get_order, orders::amend_order, orders::cancel_order))
        .routes(routes!(orders::list_fills))
        .routes(routes!(admin::create_market))
        .routes(routes!(admin::set_market_status))
        .routes(routes!(admin::pin_tier))
}
