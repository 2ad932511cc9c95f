//! Money entering and leaving the platform: deposits (recorded by staff or notified by providers) and
//! withdrawals with their destinations and staff decisions.

pub mod admin_deposits;
pub mod admin_withdrawals;
pub mod deposits;
pub mod destination;
pub mod views;
pub mod webhooks;
pub mod withdrawal_destinations;
pub mod withdrawals;

use crate::middleware::idempotency;
use crate::state::AppState;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deposits::list_deposits))
        .routes(routes!(deposits::get_deposit))
        .routes(routes!(webhooks::deposit_notification))
        .routes(routes!(admin_deposits::record_deposit).map(idempotency::required))
        .routes(routes!(withdrawals::create_withdrawal).map(idempotency::required))
        .routes(routes!(withdrawals::list_withdrawals))
        .routes(routes!(withdrawals::get_withdrawal))
        .routes(routes!(withdrawals::cancel_withdrawal))
        .routes(routes!(withdrawal_destinations::list_destinations))
        .routes(routes!(withdrawal_destinations::add_destination))
        .routes(routes!(withdrawal_destinations::delete_destination))
        .routes(routes!(withdrawal_destinations::get_settings))
        .routes(routes!(withdrawal_destinations::put_settings))
        .routes(routes!(admin_withdrawals::list_withdrawals))
        .routes(routes!(admin_withdrawals::approve_withdrawal))
        .routes(routes!(admin_withdrawals::reject_withdrawal))
        .routes(routes!(admin_withdrawals::complete_withdrawal))
}
