//! The layers every route runs through, outermost first: request id and log span, metrics, security headers,
//! CORS, compression, error envelopes for answers made outside handlers, timeout, body limit.

pub mod api_key;
pub mod api_key_scopes;
pub mod envelope_errors;
pub mod idempotency;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
