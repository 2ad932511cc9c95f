use chrono::{DateTime, Utc};
use platform::DbError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Bad input, with the field it concerns.
    #[error("`{field}` {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("an account with this email already exists")]
    EmailTaken,
    /// Wrong email or password: deliberately one error for both.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("too many failed logins; locked until {until}")]
    LockedOut {
        until: DateTime<Utc>,
        retry_after_secs: u64,
    },
    /// Every password-hashing turn is taken and the queue for one is full or waited too long.
    #[error("too many passwords are being checked; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("the account is suspended")]
    Suspended,
    /// The password was right; a second factor is owed for this challenge.
    #[error("a two-factor code is required")]
    TwoFactorRequired { challenge: String },
    /// A sensitive action by a user with 2FA on came without a code.
    #[error("two-factor authentication is on: a current code is required")]
    CodeRequired,
    #[error("{0}")]
    Conflict(String),
    /// A missing, expired, revoked or malformed token or session.
    #[error("not authenticated")]
    Unauthenticated,
    /// A correctly signed API-key request seen before: a replay.
    #[error("this signed request was already used")]
    Replayed,
    /// A dependency a check needs cannot answer, so the request is refused rather than let through unchecked.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl IdentityError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        IdentityError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Db(DbError::Sqlx(e))
    }
}
