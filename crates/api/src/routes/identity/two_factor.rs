//! `/v1/auth/2fa/*`: enrolling an authenticator app (TOTP, RFC 6238), turning it off, and the second step of a
//! login for a user who has it on.

use crate::auth::{Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::answers::{JsonBody, RateLimited, SignedInSession};
use crate::routes::identity::schemas::TokenPair;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetupView {
    /// The shared secret, base32: type it into an authenticator app, or scan the QR code.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// `otpauth://totp/...`: what the QR code encodes.
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri` as an SVG document.
    pub qr_svg: String,
}

/// Start enrolling an authenticator: a new secret, pending until confirmed with `/v1/auth/2fa/enable`.
#[utoipa::path(post, path = "/v1/auth/2fa/setup", tag = "two-factor", security(("bearer" = [])),
    responses(
        (status = 200, description = "The new secret, its URI and QR code (shown once)", body = Envelope<TotpSetupView>),
        SignedInSession,
        (status = 409, description = "Two-factor authentication is already on (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn setup(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
) -> Result<Json<Envelope<TotpSetupView>>, ApiError> {
    let user = state.accounts.get(who.user_id).await?;
    let setup = state.two_factor.setup(who.user_id, user.email.as_str()).await?;
    Ok(ok(TotpSetupView {
        secret: setup.secret,
        otpauth_uri: setup.otpauth_uri,
        qr_svg: setup.qr_svg,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The 6-digit code the authenticator shows now.
    #[schema(example = "492039")]
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableRequest {
    /// The 6-digit code the authenticator shows now.
    #[schema(example = "492039")]
    pub code: String,
    /// Also revoke every other session of the account, in the same operation; this one stays signed in.
    #[serde(default)]
    #[schema(default = false)]
    pub revoke_other_sessions: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes that stand in for the authenticator. Shown this once; store them safely.
    pub recovery_codes: Vec<String>,
    /// How many other sessions were revoked (0 unless `revoke_other_sessions` was true).
    #[schema(example = 2)]
    pub revoked_sessions: u64,
}

/// Confirm enrolment with a current code; answers the recovery codes. With `revoke_other_sessions`, every other
/// session of the account is revoked at the same time.
#[utoipa::path(post, path = "/v1/auth/2fa/enable", tag = "two-factor", security(("bearer" = [])),
    request_body = EnableRequest,
    responses(
        (status = 200, description = "2FA is on; the recovery codes, shown once, and how many other sessions were revoked", body = Envelope<RecoveryCodes>),
        SignedInSession, JsonBody,
        (status = 400, description = "Not the current code, or a bad field (code 1000, field `code` or `revoke_other_sessions`)", body = ErrorEnvelope),
        (status = 409, description = "Already on, or no setup started (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn enable(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<EnableRequest>,
) -> Result<Json<Envelope<RecoveryCodes>>, ApiError> {
    let keep = body.revoke_other_sessions.then_some(who.session_id);
    let enabled = state.two_factor.enable(who.user_id, &body.code, keep, &client).await?;
    Ok(ok(RecoveryCodes {
        recovery_codes: enabled.recovery_codes,
        revoked_sessions: enabled.revoked_sessions,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorStatus {
    pub enabled: bool,
}

/// Turn 2FA off; needs a current code.
#[utoipa::path(post, path = "/v1/auth/2fa/disable", tag = "two-factor", security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "2FA is off", body = Envelope<TwoFactorStatus>),
        SignedInSession, JsonBody,
        (status = 400, description = "Not the current code, or 2FA is off (code 1000, field `code`)", body = ErrorEnvelope),
    ))]
pub async fn disable(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Json<Envelope<TwoFactorStatus>>, ApiError> {
    state.two_factor.disable(who.user_id, &body.code, &client).await?;
    Ok(ok(TwoFactorStatus { enabled: false }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// `details.challenge` of the login's 2003 answer.
    pub challenge: String,
    /// A current TOTP code, or one of the recovery codes.
    #[schema(example = "492039")]
    pub code: String,
}

/// Complete a login that answered 2003 `TWO_FACTOR_REQUIRED`.
#[utoipa::path(post, path = "/v1/auth/2fa/verify", tag = "two-factor", request_body = VerifyRequest,
    responses(
        (status = 200, description = "Tokens", body = Envelope<TokenPair>),
        JsonBody, RateLimited,
        (status = 401, description = "Wrong or replayed code (2002); unknown, used or expired challenge (2001)", body = ErrorEnvelope),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<Envelope<TokenPair>>, ApiError> {
    let tokens = state
        .sessions
        .verify_two_factor(&body.challenge, &body.code, &client)
        .await?;
    Ok(ok(tokens.into()))
}
