use ledger::LedgerError;

/// What asking for a rate can fail with; callers map [`RatesError::Invalid`] and [`RatesError::Unsupported`] to
/// 400 and [`RatesError::Unavailable`] to 503.
#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    /// A request refused for one of its inputs (an unknown asset, an amount finer than its asset).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// No configured provider prices this pair, directly, inverted or through the pivot. `field` is the input
    /// that named the asset nobody prices.
    #[error("no rate provider prices {base}/{quote}")]
    Unsupported {
        field: &'static str,
        base: String,
        quote: String,
    },
    /// The provider that prices the pair failed and no value young enough to serve stale is at hand.
    #[error("the rate provider {provider} is unavailable: {reason}")]
    Unavailable { provider: &'static str, reason: String },
    /// The catalogue or the snapshots could not be read or written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A stored snapshot breaks the schema's rules: only reachable through a damaged database.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<platform::DbError> for RatesError {
    fn from(e: platform::DbError) -> Self {
        RatesError::Ledger(LedgerError::Db(e))
    }
}

impl From<sqlx::Error> for RatesError {
    fn from(e: sqlx::Error) -> Self {
        RatesError::Ledger(LedgerError::Db(platform::DbError::Sqlx(e)))
    }
}

/// Why a provider gave no usable rate for a pair. Never cached.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or answered with an error status, within the time budget.
    #[error("{0}")]
    Unreachable(String),
    /// The provider answered, but not with a sane rate for the pair (malformed JSON, a missing field, zero, a
    /// negative or out-of-range value).
    #[error("{0}")]
    BadAnswer(String),
    /// The provider's breaker is open: it failed too often recently and is not called for a while.
    #[error("its circuit breaker is open after repeated failures")]
    BreakerOpen,
}
