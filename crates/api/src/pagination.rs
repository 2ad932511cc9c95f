//! The checks every cursor-paginated list shares: the page size, the cursor a client sends back, and the cursor
//! of the next page.

use crate::error::ApiError;
use std::str::FromStr;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `limit` of a list request: 1 to 200, 50 when absent.
pub fn limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(limit)
}

/// A `cursor` parameter: one of ours, or a 400 naming the field (a cursor is opaque to clients).
pub fn cursor<T: FromStr>(cursor: Option<&str>) -> Result<Option<T>, ApiError> {
    cursor
        .map(str::parse)
        .transpose()
        .map_err(|_| ApiError::invalid_field("cursor", "is not a cursor this API returned"))
}

/// The cursor of the page after `items` when `more` follow: the key of the last item.
pub fn next_cursor<T>(items: &[T], more: bool, key: impl Fn(&T) -> String) -> Option<String> {
    more.then(|| items.last().map(key)).flatten()
}
