//! One module per resource; each exposes `router()` and its handlers, merged in [`crate::app`].

pub mod admin_audit;
pub mod admin_deposits;
pub mod admin_ledger;
pub mod admin_users;
pub mod admin_withdrawals;
pub mod api_keys;
pub mod assets;
pub mod auth;
pub mod deposits;
pub mod ops;
pub mod staff;
pub mod two_factor;
pub mod users;
pub mod wallet_history;
pub mod wallets;
pub mod webhooks;
pub mod withdrawal_destinations;
pub mod withdrawals;
