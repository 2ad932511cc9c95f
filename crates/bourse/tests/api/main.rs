//! Black-box HTTP tests: each starts the real server on a free port with fresh storage and talks to it with a
//! real HTTP client. One test binary with modules, so the suite links once.

mod admin;
mod api_keys;
mod assets;
mod auth;
mod bad_input;
mod connections;
mod crash_recovery;
mod deposit_webhook;
mod events;
mod helpers;
mod idempotency;
mod operations;
mod portfolio;
mod rate_limits;
mod rates;
mod response_shape;
mod restart;
mod session_view;
mod signed_replay;
mod signing;
mod step_up;
mod storage_faults;
mod trading;
mod two_factor;
mod wallet_history;
mod wallets;
mod withdrawal_destinations;
mod withdrawals;
