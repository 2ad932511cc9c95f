//! What a request asks to move, checked: the asset, the amount at its precision, short free text.

use crate::error::ApiError;
use crate::state::AppState;
use ledger::{Asset, largest_amount};
use money::{Amount, AssetCode, MoneyError};
use platform::text::has_hidden_characters;

/// The asset money is asked to move in: listed and enabled, else 400 naming `asset`.
pub(crate) async fn movable_asset(state: &AppState, code: &str) -> Result<Asset, ApiError> {
    let code = AssetCode::parse(code)
        .map_err(|_| ApiError::invalid_field("asset", "must be 2 to 10 upper-case letters, such as BTC"))?;
    Ok(state.ledger.movable_asset(&code).await?)
}

/// A positive amount at the asset's precision, no larger than [`largest_amount`], in minor units.
pub(crate) fn amount_in(text: &str, asset: &Asset) -> Result<u128, ApiError> {
    let amount = Amount::parse_positive(text, asset.precision).map_err(|e| match e {
        MoneyError::TooManyDecimals(places) => ApiError::invalid_field(
            "amount",
            format!("has more than the {places} decimal places {} allows", asset.code),
        ),
        other => ApiError::invalid_field("amount", other.to_string()),
    })?;
    if amount.minor() > largest_amount(asset.precision) {
        return Err(ApiError::invalid_field(
            "amount",
            "is larger than the largest amount supported",
        ));
    }
    Ok(amount.minor())
}

/// Optional free text of at most `max` characters, without characters that are not shown as themselves.
pub(crate) fn short_text(field: &str, text: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    if text.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if has_hidden_characters(&text) {
        return Err(ApiError::invalid_field(
            field,
            "must not contain control, bidirectional-override or zero-width characters",
        ));
    }
    Ok(Some(text))
}
