//! The withdrawal allow-list's check: a destination is matched through a keyed fingerprint, never compared in clear.

use crate::error::{ApiError, ErrorCode};
use crate::routes::funding::destination::CheckedDestination;
use crate::state::AppState;
use ledger::withdrawal_destinations::Screening;
use ledger::{Asset, Movement};
use platform::hmac_sha256;
use serde_json::json;
use uuid::Uuid;

/// Keyed HMAC-SHA256 of a normalized destination. Keyed so the stored value cannot be checked against guessed
/// addresses without the server's key; derived from the data-encryption key under its own label, so no second
/// secret has to be provisioned and the fingerprint is no use as a MAC for anything else.
pub(crate) fn fingerprint(state: &AppState, normalized: &str) -> String {
    hmac_sha256::sign_hex(
        state.keys.data_encryption_key.expose(),
        &[b"bourse withdrawal-destination fingerprint v1\n", normalized.as_bytes()],
    )
}

/// Refuses a withdrawal the caller's allow-list does not allow: 403 code 2004 naming `destination`. The ledger
/// audits the refusal; nothing else is written.
pub(crate) async fn allow_listed(
    state: &AppState,
    user: Uuid,
    asset: &Asset,
    checked: &CheckedDestination,
    movement: Movement<'_>,
) -> Result<(), ApiError> {
    let screening = super::destination_service(state)
        .screen_withdrawal_destination(
            user,
            &asset.code,
            &fingerprint(state, &checked.normalized),
            &checked.masked,
            movement,
        )
        .await?;
    match screening {
        Screening::NotRequired | Screening::Allowed(_) => Ok(()),
        Screening::NotSaved => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "Your withdrawal allow-list is on and this destination is not saved for {}: save it at \
                 /v1/wallets/withdrawal-destinations; it can be used once its cool-down has passed.",
                asset.code
            ),
        )
        .with_details(json!({ "field": "destination", "reason": "not_allow_listed" }))),
        Screening::CoolingDown { usable_from } => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("This saved destination is still in its cool-down; it can be used from {usable_from}."),
        )
        .with_details(json!({
            "field": "destination",
            "reason": "cooling_down",
            "usable_from": usable_from,
        }))),
    }
}
