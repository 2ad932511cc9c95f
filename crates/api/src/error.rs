//! The one error type of the API and the table of stable error codes (CONVENTIONS.md). Every failure a client
//! can see is an [`ApiError`]; context errors are mapped to it here, once.

use crate::envelope::{ErrorBody, ErrorEnvelope};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Stable numeric codes; `type` in the envelope is the upper-case name. Keep in step with the README table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ValidationError,
    InsufficientFunds,
    QuoteExpired,
    IdempotencyConflict,
    LimitExceeded,
    OrderRejected,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unauthenticated,
    InvalidCredentials,
    TwoFactorRequired,
    Forbidden,
    NotFound,
    Conflict,
    MethodNotAllowed,
    RateLimited,
    Internal,
    UpstreamUnavailable,
    Timeout,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::ValidationError,
        ErrorCode::InsufficientFunds,
        ErrorCode::QuoteExpired,
        ErrorCode::IdempotencyConflict,
        ErrorCode::LimitExceeded,
        ErrorCode::OrderRejected,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::TwoFactorRequired,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::MethodNotAllowed,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::Timeout,
    ];

    pub fn code(self) -> u16 {
        match self {
            ErrorCode::ValidationError => 1000,
            ErrorCode::InsufficientFunds => 1001,
            ErrorCode::QuoteExpired => 1002,
            ErrorCode::IdempotencyConflict => 1003,
            ErrorCode::LimitExceeded => 1004,
            ErrorCode::OrderRejected => 1005,
            ErrorCode::PayloadTooLarge => 1006,
            ErrorCode::UnsupportedMediaType => 1007,
            ErrorCode::Unauthenticated => 2001,
            ErrorCode::InvalidCredentials => 2002,
            ErrorCode::TwoFactorRequired => 2003,
            ErrorCode::Forbidden => 2004,
            ErrorCode::NotFound => 3001,
            ErrorCode::Conflict => 3002,
            ErrorCode::MethodNotAllowed => 3003,
            ErrorCode::RateLimited => 4290,
            ErrorCode::Internal => 5000,
            ErrorCode::UpstreamUnavailable => 5030,
            ErrorCode::Timeout => 5040,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::InsufficientFunds => "INSUFFICIENT_FUNDS",
            ErrorCode::QuoteExpired => "QUOTE_EXPIRED",
            ErrorCode::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::OrderRejected => "ORDER_REJECTED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::TwoFactorRequired => "TWO_FACTOR_REQUIRED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::Timeout => "TIMEOUT",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::ValidationError | ErrorCode::InsufficientFunds | ErrorCode::OrderRejected => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::QuoteExpired | ErrorCode::IdempotencyConflict | ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::LimitExceeded | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials | ErrorCode::TwoFactorRequired => {
                StatusCode::UNAUTHORIZED
            }
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::UpstreamUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Timeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The code a bare status produced outside a handler (a layer, the router) stands for.
    pub fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ErrorCode::Timeout,
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::CONFLICT => ErrorCode::Conflict,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::UpstreamUnavailable,
            s if s.is_client_error() => ErrorCode::ValidationError,
            _ => ErrorCode::Internal,
        }
    }

    fn default_message(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "The request is invalid.",
            ErrorCode::InsufficientFunds => "The available balance is not enough.",
            ErrorCode::QuoteExpired => "The quote has expired.",
            ErrorCode::IdempotencyConflict => "This Idempotency-Key was already used with a different request.",
            ErrorCode::LimitExceeded => "A limit does not allow this operation.",
            ErrorCode::OrderRejected => "The order was rejected.",
            ErrorCode::PayloadTooLarge => "The request body is too large.",
            ErrorCode::UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
            ErrorCode::Unauthenticated => "Authentication is required.",
            ErrorCode::InvalidCredentials => "The credentials are not valid.",
            ErrorCode::TwoFactorRequired => "A two-factor code is required.",
            ErrorCode::Forbidden => "You are not allowed to do this.",
            ErrorCode::NotFound => "The resource was not found.",
            ErrorCode::Conflict => "The request conflicts with the current state.",
            ErrorCode::MethodNotAllowed => "This method is not allowed on this route.",
            ErrorCode::RateLimited => "Too many requests; retry later.",
            ErrorCode::Internal => "An internal error occurred; quote the request id to support.",
            ErrorCode::UpstreamUnavailable => "A service this request depends on is unavailable.",
            ErrorCode::Timeout => "The request took too long.",
        }
    }
}

/// A failure as the client sees it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<Value>,
    /// Sent as `Retry-After` (seconds) when the client may try again later.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: None,
            retry_after_secs: None,
        }
    }

    pub fn of(code: ErrorCode) -> Self {
        ApiError::new(code, code.default_message())
    }

    /// A validation error about one field (`field` uses dots and indexes, e.g. `legs[0].amount`).
    pub fn invalid_field(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError {
            code: ErrorCode::ValidationError,
            message: format!("`{field}` is invalid: {reason}"),
            details: Some(json!({ "field": field, "reason": reason })),
            retry_after_secs: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} was not found."))
    }

    /// An error whose cause must not reach the client: logged with the request id, answered with a generic 500.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::of(ErrorCode::Internal)
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let retry_after = self.retry_after_secs;
        let unauthenticated = self.code == ErrorCode::Unauthenticated;
        let body = ErrorEnvelope::new(ErrorBody {
            code: self.code.code(),
            r#type: self.code.name().to_owned(),
            message: self.message,
            details: self.details,
            request_id: crate::middleware::request_id::current(),
        });
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ledger::LedgerError> for ApiError {
    fn from(e: ledger::LedgerError) -> Self {
        match e {
            ledger::LedgerError::AssetNotFound(code) => ApiError::not_found(&format!("Asset {code}")),
            ledger::LedgerError::UnknownAsset(code) => {
                ApiError::invalid_field("asset", format!("{code} is not a listed asset"))
            }
            ledger::LedgerError::AssetDisabled(code) => {
                ApiError::invalid_field("asset", format!("{code} is disabled; no money moves in it"))
            }
            ledger::LedgerError::InsufficientFunds => ApiError::of(ErrorCode::InsufficientFunds),
            ledger::LedgerError::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            ledger::LedgerError::Conflict(message) => ApiError::new(ErrorCode::Conflict, capitalise(&message)),
            ledger::LedgerError::Db(e) => e.into(),
            other => ApiError::internal(&other),
        }
    }
}

impl From<funding::FundingError> for ApiError {
    fn from(e: funding::FundingError) -> Self {
        use funding::FundingError as E;
        match e {
            E::Ledger(e) => e.into(),
            E::Identity(e) => e.into(),
            E::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            E::LimitExceeded(message) => ApiError::new(ErrorCode::LimitExceeded, capitalise(&message)),
            E::NotFound(what) => ApiError::not_found(what),
            E::Conflict(message) => ApiError::new(ErrorCode::Conflict, capitalise(&message)),
            E::Unauthenticated => ApiError::new(
                ErrorCode::Unauthenticated,
                "The notification's provider or signature is not valid.",
            ),
            E::NotAllowListed(asset) => ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "Your withdrawal allow-list is on and this destination is not saved for {asset}: save it at \
                     /v1/wallets/withdrawal-destinations; it can be used once its cool-down has passed."
                ),
            )
            .with_details(json!({ "field": "destination", "reason": "not_allow_listed" })),
            E::CoolingDown(usable_from) => ApiError::new(
                ErrorCode::Forbidden,
                format!("This saved destination is still in its cool-down; it can be used from {usable_from}."),
            )
            .with_details(json!({
                "field": "destination",
                "reason": "cooling_down",
                "usable_from": usable_from,
            })),
            other @ (E::Seal(_) | E::Corrupt(_)) => ApiError::internal(&other),
        }
    }
}

impl From<rates::RatesError> for ApiError {
    fn from(e: rates::RatesError) -> Self {
        use rates::RatesError as E;
        match e {
            E::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            E::Unsupported { field, base, quote } => ApiError::invalid_field(
                field,
                format!("no rate provider prices {base}/{quote}, directly or through the pivot"),
            ),
            E::Unavailable { provider, reason } => {
                tracing::warn!(provider, %reason, "rate provider unavailable");
                ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    format!("The rate provider {provider} is unavailable ({reason}) and no recent rate is at hand."),
                )
                .with_details(json!({ "provider": provider }))
            }
            E::Ledger(e) => e.into(),
            other @ E::Corrupt(_) => ApiError::internal(&other),
        }
    }
}

impl From<identity::IdentityError> for ApiError {
    fn from(e: identity::IdentityError) -> Self {
        use identity::IdentityError as E;
        match e {
            E::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            E::EmailTaken => ApiError::new(ErrorCode::Conflict, "An account with this email already exists."),
            E::InvalidCredentials => ApiError::new(ErrorCode::InvalidCredentials, "The email or password is wrong."),
            E::LockedOut {
                until,
                retry_after_secs,
            } => {
                let mut error = ApiError::new(
                    ErrorCode::RateLimited,
                    "Too many failed logins; logins are locked for a while.",
                )
                .with_details(json!({ "locked_until": until }));
                error.retry_after_secs = Some(retry_after_secs);
                error
            }
            E::Busy { retry_after_secs } => {
                let mut error = ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    "The server is checking too many passwords at once; retry shortly.",
                )
                .with_details(json!({ "retry_after_secs": retry_after_secs }));
                error.retry_after_secs = Some(retry_after_secs);
                error
            }
            E::Suspended => ApiError::new(ErrorCode::Forbidden, "This account is suspended."),
            E::TwoFactorRequired { challenge } => ApiError::new(
                ErrorCode::TwoFactorRequired,
                "A two-factor code is required: send it with this challenge to /v1/auth/2fa/verify.",
            )
            .with_details(json!({ "challenge": challenge })),
            E::CodeRequired => ApiError::new(
                ErrorCode::TwoFactorRequired,
                "Two-factor authentication is on: send a current code as `code`.",
            ),
            E::Conflict(message) => ApiError::new(ErrorCode::Conflict, capitalise(&message)),
            E::Unauthenticated => ApiError::of(ErrorCode::Unauthenticated),
            E::Replayed => ApiError::new(
                ErrorCode::Unauthenticated,
                "This signed request was already used: sign each request afresh, with a new timestamp.",
            ),
            E::Unavailable(cause) => {
                tracing::warn!(%cause, "a check a request needs cannot run");
                ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    "A service this request needs is unavailable; retry shortly.",
                )
            }
            E::NotFound => ApiError::of(ErrorCode::NotFound),
            E::Db(e) => e.into(),
            other @ E::Internal(_) => ApiError::internal(&other),
        }
    }
}

impl From<portfolio::PortfolioError> for ApiError {
    fn from(e: portfolio::PortfolioError) -> Self {
        use portfolio::PortfolioError as E;
        match e {
            E::Ledger(e) => e.into(),
            E::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            E::InvalidRows(rows) => {
                let rows: Vec<Value> = rows
                    .iter()
                    .map(|r| json!({ "row": r.row, "field": r.field, "reason": r.reason }))
                    .collect();
                ApiError::new(
                    ErrorCode::ValidationError,
                    format!(
                        "{} field(s) of the CSV are invalid; nothing was imported (see `details.rows`).",
                        rows.len()
                    ),
                )
                .with_details(json!({ "field": "csv", "rows": rows }))
            }
            E::LimitExceeded(message) => ApiError::new(ErrorCode::LimitExceeded, capitalise(&message)),
            E::NotFound(what) => ApiError::not_found(capitalise(what).trim_end_matches('.')),
            E::PriceUnavailable { provider, reason } => ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("Prices are unavailable from {provider}: {reason}."),
            )
            .with_details(json!({ "provider": provider, "reason": reason })),
            other @ E::Corrupt(_) => ApiError::internal(&other),
        }
    }
}

/// Context errors speak in lower-case fragments; a response message is a sentence.
fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// A storage outage (a full disk, a database down or unreachable) is 503 code 5030, which clients may retry;
/// any other database error is a bug, 500.
impl From<platform::DbError> for ApiError {
    fn from(e: platform::DbError) -> Self {
        let message = match e.outage() {
            None => return ApiError::internal(&e),
            Some(platform::db::Outage::Full) => "Storage is full; writes are refused until space is freed.",
            Some(platform::db::Outage::Unavailable) => "Storage is unavailable; retry later.",
        };
        tracing::warn!(error = %e, "storage outage");
        ApiError::new(ErrorCode::UpstreamUnavailable, message)
    }
}

impl From<trading::TradingError> for ApiError {
    fn from(e: trading::TradingError) -> Self {
        use trading::TradingError as E;
        match e {
            E::Ledger(e) => e.into(),
            E::Invalid { field, reason } => ApiError::invalid_field(field, reason),
            E::Rejected { reason, field, message } => ApiError::new(
                ErrorCode::OrderRejected,
                format!("The order was refused: {}.", message.trim_end_matches('.')),
            )
            .with_details(json!({ "reason": reason, "field": field })),
            E::InsufficientFunds(message) => {
                ApiError::new(ErrorCode::InsufficientFunds, format!("Insufficient funds: {message}."))
            }
            E::NotFound(what) => ApiError::not_found(what),
            E::Conflict(message) => ApiError::new(ErrorCode::Conflict, capitalise(&message)),
            E::Unavailable(message) => ApiError::new(ErrorCode::UpstreamUnavailable, capitalise(&message)),
            other @ E::Corrupt(_) => ApiError::internal(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let codes: HashSet<u16> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        let names: HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn the_conventions_table_holds() {
        let expect = [
            (1000, "VALIDATION_ERROR", 400),
            (1001, "INSUFFICIENT_FUNDS", 400),
            (1002, "QUOTE_EXPIRED", 409),
            (1003, "IDEMPOTENCY_CONFLICT", 409),
            (1004, "LIMIT_EXCEEDED", 403),
            (2001, "UNAUTHENTICATED", 401),
            (2002, "INVALID_CREDENTIALS", 401),
            (2003, "TWO_FACTOR_REQUIRED", 401),
            (2004, "FORBIDDEN", 403),
            (3001, "NOT_FOUND", 404),
            (3002, "CONFLICT", 409),
            (4290, "RATE_LIMITED", 429),
            (5000, "INTERNAL", 500),
            (5030, "UPSTREAM_UNAVAILABLE", 503),
        ];
        for (code, name, status) in expect {
            let found = ErrorCode::ALL.iter().find(|c| c.code() == code).unwrap();
            assert_eq!(found.name(), name);
            assert_eq!(found.status().as_u16(), status, "{name}");
        }
    }

    #[test]
    fn storage_outages_are_503_and_other_database_errors_500() {
        let timed_out = ApiError::from(platform::DbError::Sqlx(sqlx::Error::PoolTimedOut));
        assert_eq!(timed_out.code, ErrorCode::UpstreamUnavailable);
        assert!(timed_out.message.contains("unavailable"), "{}", timed_out.message);
        let full = ApiError::from(platform::DbError::Group {
            reason: "database or disk is full".to_owned(),
            outage: Some(platform::db::Outage::Full),
        });
        assert_eq!(full.code, ErrorCode::UpstreamUnavailable);
        assert!(full.message.contains("full"), "{}", full.message);
        let closed = ApiError::from(ledger::LedgerError::Db(platform::DbError::Closed));
        assert_eq!(closed.code, ErrorCode::UpstreamUnavailable);
        let bug = ApiError::from(platform::DbError::Malformed("two parameters, one value".to_owned()));
        assert_eq!(bug.code, ErrorCode::Internal);
    }

    #[test]
    fn every_code_maps_back_from_its_status_where_unambiguous() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Timeout,
        ] {
            assert_eq!(ErrorCode::for_status(code.status()), code);
        }
    }
}
