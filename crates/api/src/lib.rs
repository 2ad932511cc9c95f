//! The HTTP gateway: routes, the response envelope, the error type and its codes, the middleware stack, and
//! the OpenAPI document. [`Application`] builds the whole server from a [`platform::Config`].

mod app;
pub mod auth;
pub mod envelope;
pub mod error;
pub mod extract;
mod hold_expiry;
mod idempotency_store;
mod metrics_access;
mod middleware;
pub mod openapi;
mod pagination;
pub mod permission;
mod routes;
mod serve;
pub mod state;
mod withdrawal_rules;

pub use app::{Application, BuildOptions, StartupError, open_database};
pub use error::{ApiError, ErrorCode};
pub use middleware::idempotency;
pub use state::AppState;
