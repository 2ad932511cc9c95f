//! Money entering and leaving the platform: deposits (recorded by staff or notified by providers) and
//! withdrawals with their destinations and staff decisions.

pub mod admin_deposits;
pub mod admin_withdrawals;
mod allow_list;
pub mod deposits;
mod destination;
pub mod views;
pub mod webhooks;
pub mod withdrawal_destinations;
pub mod withdrawals;
