use platform::DbError;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("asset {0} not found")]
    AssetNotFound(String),
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
