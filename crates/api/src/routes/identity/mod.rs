//! Accounts, sessions, two-factor authentication, staff and API keys.

pub mod admin_users;
pub mod api_keys;
pub mod auth;
pub mod schemas;
pub mod staff;
pub mod two_factor;
pub mod two_factor_code;
pub mod users;
