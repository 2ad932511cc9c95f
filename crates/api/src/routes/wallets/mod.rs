//! The caller's wallets on the double-entry ledger: balances, transfers between users, history, and the
//! ledger audit for staff.

pub mod admin_ledger;
pub mod history;
pub mod input;
pub mod views;
// The context is named after its main resource, as its URLs are.
#[allow(clippy::module_inception)]
pub mod wallets;

use crate::middleware::idempotency;
use crate::state::AppState;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(wallets::list_wallets))
        .routes(routes!(wallets::wallet_balance))
        .routes(routes!(wallets::create_transfer).map(idempotency::required))
        .routes(routes!(history::wallet_history))
        .routes(routes!(history::get_transaction))
        .routes(routes!(admin_ledger::ledger_audit))
}
