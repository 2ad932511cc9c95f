//! The caller's portfolio: holdings tracked on and off the platform, activities for the FIFO cost basis (one at
//! a time or a CSV import), the valuation in a chosen currency, daily history, CSV export and rebalancing plans.
//! The rules live in `portfolio::Portfolio`; these routes extract, call it and map.

pub mod activities;
pub mod holdings;
pub mod valuation;
pub mod views;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(holdings::list_holdings, holdings::add_holding))
        .routes(routes!(
            holdings::get_holding,
            holdings::update_holding,
            holdings::delete_holding
        ))
        .routes(routes!(activities::list_activities, activities::add_activity))
        .routes(routes!(activities::import_activities))
        .routes(routes!(activities::export_csv))
        .routes(routes!(valuation::get_valuation))
        .routes(routes!(valuation::get_history))
        .routes(routes!(valuation::rebalance))
}
