use ledger::LedgerError;
use platform::DbError;

#[derive(Debug, thiserror::Error)]
pub enum TradingError {
    /// The catalogue or the wallets could not be read, or storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A request refused for one of its inputs (an admin's market settings, a query).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// An order refused before it changed anything: `reason` is stable and machine-readable (`price_off_tick`,
    /// `market_halted`, `post_only_would_take`, …), `field` the input at fault when there is one.
    #[error("{message}")]
    Rejected {
        reason: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    /// The wallet cannot cover the hold the order needs.
    #[error("insufficient funds: {0}")]
    InsufficientFunds(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is valid but the resource's state forbids it (a market that exists, an order already closed).
    #[error("{0}")]
    Conflict(String),
    /// The engine of the market is not running here or does not answer in time.
    #[error("{0}")]
    Unavailable(String),
    /// A row or an engine state that breaks the context's own rules.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl TradingError {
    pub(crate) fn rejected(reason: &'static str, field: &'static str, detail: impl Into<String>) -> TradingError {
        let detail = detail.into();
        TradingError::Rejected {
            reason,
            field: Some(field),
            message: format!("`{field}` {detail}"),
        }
    }

    pub(crate) fn refused(reason: &'static str, message: impl Into<String>) -> TradingError {
        TradingError::Rejected {
            reason,
            field: None,
            message: message.into(),
        }
    }
}

impl From<DbError> for TradingError {
    fn from(e: DbError) -> Self {
        TradingError::Ledger(LedgerError::Db(e))
    }
}

impl From<sqlx::Error> for TradingError {
    fn from(e: sqlx::Error) -> Self {
        TradingError::from(DbError::from(e))
    }
}
