//! The HTTP gateway: routes, the response envelope, the error type and its codes, the middleware stack, and
//! the OpenAPI document. [`HttpServer`] serves them over services the binary has built ([`state::Services`]).

mod app;
pub mod auth;
pub mod envelope;
pub mod error;
pub mod extract;
mod idempotency_store;
mod metrics_access;
mod middleware;
pub mod openapi;
mod pagination;
pub mod permission;
mod routes;
mod serve;
pub mod state;

pub use app::{BindError, HttpServer};
pub use error::{ApiError, ErrorCode};
pub use middleware::idempotency;
pub use middleware::rate_limit::{RateLimitSetupError, RateLimits};
pub use state::AppState;
