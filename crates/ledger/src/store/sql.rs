//! The dialect helpers of [`platform::db::numeric`], with a stored amount that is not one reported as corrupt.

use crate::LedgerError;
pub(crate) use platform::db::numeric::{amount_column, amount_columns, lock_rows};

/// A stored amount back to minor units, exactly; anything but plain digits is a damaged row.
pub(crate) fn parse_amount(text: &str, what: &str) -> Result<u128, LedgerError> {
    platform::db::numeric::parse_amount(text)
        .ok_or_else(|| LedgerError::Corrupt(format!("{what}: {text:?} is not an amount")))
}
