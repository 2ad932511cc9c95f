use chrono::{DateTime, Utc};
use identity::IdentityError;
use ledger::LedgerError;
use money::AssetCode;
use platform::DbError;

#[derive(Debug, thiserror::Error)]
pub enum FundingError {
    /// What the ledger refused or failed at (an unknown or disabled asset, insufficient funds, storage).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The step-up a withdrawal or a new destination needs (the 2FA code), or the lookup of a user.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A request refused for one of its inputs.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A per-user limit (the daily withdrawal limit, the number of saved destinations) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// No such deposit, withdrawal or saved destination, or one of another user. Names what was looked for.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A request that contradicts the state it finds (a decided withdrawal, a destination saved twice).
    #[error("{0}")]
    Conflict(String),
    /// A deposit notification whose provider is unknown or whose signature does not verify. One answer for
    /// both, so a caller learns nothing about which provider names exist.
    #[error("the notification's provider or signature is not valid")]
    Unauthenticated,
    /// The caller's allow-list mode is on and the destination is not saved for the asset.
    #[error("the withdrawal allow-list is on and this destination is not saved for {0}")]
    NotAllowListed(AssetCode),
    /// The caller's allow-list mode is on and the matching saved destination is still in its cool-down.
    #[error("this saved destination is still in its cool-down; it can be used from {0}")]
    CoolingDown(DateTime<Utc>),
    /// A destination could not be sealed: only reachable through a broken key.
    #[error("cannot seal the destination: {0}")]
    Seal(String),
    /// A row that breaks the schema's own rules: only reachable through a damaged database.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<DbError> for FundingError {
    fn from(e: DbError) -> Self {
        FundingError::Ledger(LedgerError::Db(e))
    }
}

impl From<sqlx::Error> for FundingError {
    fn from(e: sqlx::Error) -> Self {
        FundingError::Ledger(LedgerError::Db(DbError::Sqlx(e)))
    }
}

/// A stored amount back to minor units, exactly; anything but plain digits is a damaged row.
pub(crate) fn stored_amount(text: &str, what: &str) -> Result<u128, FundingError> {
    platform::db::numeric::parse_amount(text)
        .ok_or_else(|| FundingError::Corrupt(format!("{what}: {text:?} is not an amount")))
}
