use crate::books::Rejection;
use platform::DbError;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("asset {0} not found")]
    AssetNotFound(String),
    /// Money was asked to move in an asset the catalogue does not list.
    #[error("asset {0} is not listed")]
    UnknownAsset(String),
    #[error("asset {0} is disabled")]
    AssetDisabled(String),
    #[error("the available balance is not enough")]
    InsufficientFunds,
    /// A movement refused for one of its inputs.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A movement that contradicts the ledger's state (a settled hold, a reused transfer id).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A row that breaks the schema's own rules: only reachable through a damaged database.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        LedgerError::Db(DbError::Sqlx(e))
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Db(DbError::Direct(e))
    }
}

impl From<Rejection> for LedgerError {
    fn from(rejection: Rejection) -> Self {
        let reason = rejection.to_string();
        match rejection {
            Rejection::InsufficientFunds(_) => LedgerError::InsufficientFunds,
            Rejection::ZeroAmount | Rejection::Overflow | Rejection::ExceedsPending => LedgerError::Invalid {
                field: "amount",
                reason,
            },
            Rejection::AccountNotFound(_) | Rejection::SameAccount => LedgerError::Invalid {
                field: "account",
                reason,
            },
            Rejection::AssetMismatch => LedgerError::Invalid { field: "asset", reason },
            Rejection::PendingNotFound(_) | Rejection::PendingMismatch => LedgerError::Invalid {
                field: "pending",
                reason,
            },
            Rejection::PendingNotOpen { .. }
            | Rejection::PendingExpired(_)
            | Rejection::PendingNotExpired(_)
            | Rejection::IdReused(_) => LedgerError::Conflict(reason),
        }
    }
}
