//! Accounts, sessions, two-factor authentication, staff and API keys.

pub mod admin_users;
pub mod api_keys;
pub mod auth;
pub mod staff;
pub mod two_factor;
pub mod users;
