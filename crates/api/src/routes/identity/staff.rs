//! Staff onboarding: an admin invites a teller or admin (`POST /v1/admin/staff`); the new staff member chooses a
//! password with the one-time token (`POST /v1/auth/invites/accept`), logs in, and turns on 2FA.

use crate::auth::Client;
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::answers::{JsonBody, RateLimited, Staff};
use crate::permission::{Permitted, StaffManage};
use crate::routes::identity::schemas::RoleName;
use crate::routes::identity::schemas::UserView;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use identity::NewStaff;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(example = "teller@example.com")]
    pub email: String,
    #[schema(example = "Tom Teller")]
    pub full_name: String,
    /// TELLER or ADMIN.
    pub role: RoleName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InviteView {
    pub user: UserView,
    /// One-time token for `/v1/auth/invites/accept`; shown only here. Hand it to the staff member privately.
    pub invite_token: String,
    pub invite_expires_at: DateTime<Utc>,
}

/// Create a staff account and its one-time invite (permission `staff:manage`).
#[utoipa::path(post, path = "/v1/admin/staff", tag = "admin", security(("bearer" = [])), request_body = InviteRequest,
    responses(
        (status = 201, description = "Staff account created, waiting for its password", body = Envelope<InviteView>),
        Staff, JsonBody,
        (status = 409, description = "Email already registered (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn invite_staff(
    State(state): State<AppState>,
    Permitted { who, .. }: Permitted<StaffManage>,
    Client(client): Client,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<Envelope<InviteView>>), ApiError> {
    let new = NewStaff {
        email: &body.email,
        full_name: &body.full_name,
        role: body.role.into(),
    };
    let invite = state.staff.invite(who.user_id, new, &client).await?;
    let view = InviteView {
        user: invite.user.into(),
        invite_token: invite.token,
        invite_expires_at: invite.expires_at,
    };
    Ok((StatusCode::CREATED, ok(view)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInviteRequest {
    pub token: String,
    /// At least 12 characters, not the email, not a common password.
    pub password: String,
}

/// Accept a staff invite by choosing a password; then log in as usual.
#[utoipa::path(post, path = "/v1/auth/invites/accept", tag = "auth", request_body = AcceptInviteRequest,
    responses(
        (status = 200, description = "Password set; the account can log in", body = Envelope<UserView>),
        JsonBody, RateLimited,
        (status = 400, description = "Unknown, used or expired token, or a weak password (code 1000)", body = ErrorEnvelope),
        (status = 503, description = "Too many passwords being checked at once (code 5030, `Retry-After`)", body = ErrorEnvelope),
    ))]
pub async fn accept_invite(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<AcceptInviteRequest>,
) -> Result<Json<Envelope<UserView>>, ApiError> {
    let user = state.staff.accept_invite(&body.token, &body.password, &client).await?;
    Ok(ok(user.into()))
}
