use ledger::LedgerError;
use platform::DbError;

/// A field of one CSV record that was refused; `row` counts records from the header (row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PortfolioError {
    /// The catalogue or the wallets could not be read, or storage failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A request refused for one of its inputs.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A CSV import refused: every bad field of every bad record. Nothing was imported.
    #[error("{} rows of the CSV are invalid", .0.len())]
    InvalidRows(Vec<RowError>),
    /// A per-user limit (the number of holdings) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// No such holding, or one of another user. Names what was looked for.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A price a computation cannot do without could not be had.
    #[error("{provider} is unavailable: {reason}")]
    PriceUnavailable { provider: String, reason: String },
    /// A row that breaks the schema's own rules: only reachable through a damaged database.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<DbError> for PortfolioError {
    fn from(e: DbError) -> Self {
        PortfolioError::Ledger(LedgerError::Db(e))
    }
}

impl From<sqlx::Error> for PortfolioError {
    fn from(e: sqlx::Error) -> Self {
        PortfolioError::Ledger(LedgerError::Db(DbError::Sqlx(e)))
    }
}
