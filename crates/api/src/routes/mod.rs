//! The routes, grouped by context; each exposes `router()` and its handlers, merged in [`crate::app`].

pub mod admin_audit;
pub mod assets;
pub mod funding;
pub mod identity;
pub mod ops;
pub mod wallets;

pub use self::funding::{admin_deposits, admin_withdrawals, deposits, webhooks, withdrawal_destinations, withdrawals};
pub use self::identity::{admin_users, api_keys, auth, staff, two_factor, users};
pub use self::wallets::{admin_ledger, history as wallet_history};
