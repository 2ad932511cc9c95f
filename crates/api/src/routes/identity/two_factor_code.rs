//! A current TOTP code, asked for before a sensitive action of a caller who has two-factor authentication on.

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use uuid::Uuid;

/// When the caller has 2FA on, `code` must be a current, unused TOTP code.
pub(crate) async fn confirm_two_factor(state: &AppState, user: Uuid, code: Option<String>) -> Result<(), ApiError> {
    if !state.two_factor.is_enabled(user).await? {
        return Ok(());
    }
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Err(ApiError::new(
            ErrorCode::TwoFactorRequired,
            "Two-factor authentication is on: send a current code as `code`.",
        ));
    };
    if !state.two_factor.confirm_code(user, code.trim()).await? {
        return Err(ApiError::invalid_field("code", "is wrong or was already used"));
    }
    Ok(())
}
