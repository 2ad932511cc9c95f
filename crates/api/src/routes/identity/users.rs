//! `/v1/users/me`: the caller's own account.

use crate::auth::{AuthUser, Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::answers::{JsonBody, SignedIn, SignedInSession};
use crate::routes::identity::schemas::UserView;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use identity::ProfileChange;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The caller's account.
#[utoipa::path(get, path = "/v1/users/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Envelope<UserView>),
        SignedIn,
    ))]
pub async fn me(State(state): State<AppState>, AuthUser(who): AuthUser) -> Result<Json<Envelope<UserView>>, ApiError> {
    Ok(ok(state.accounts.get(who.user_id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    pub full_name: Option<String>,
}

/// Change the caller's profile.
#[utoipa::path(patch, path = "/v1/users/me", tag = "users", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = Envelope<UserView>),
        SignedIn, JsonBody,
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> Result<Json<Envelope<UserView>>, ApiError> {
    let change = ProfileChange {
        full_name: body.full_name.as_deref(),
    };
    Ok(ok(state.accounts.update_profile(who.user_id, change).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
    /// Keep the caller's API keys working; by default a password change revokes them with the other sessions.
    #[serde(default)]
    pub keep_api_keys: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    pub changed: bool,
    /// Other sessions signed out.
    pub sessions_revoked: u64,
    /// API keys revoked (0 with `keep_api_keys`).
    pub api_keys_revoked: u64,
}

/// Change the password; every other session is revoked, and every API key unless `keep_api_keys` is true.
#[utoipa::path(post, path = "/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed", body = Envelope<PasswordChanged>),
        SignedInSession, JsonBody,
        (status = 400, description = "Wrong current password or weak new one (code 1000)", body = ErrorEnvelope),
        (status = 503, description = "Too many passwords being checked at once (code 5030, `Retry-After`)", body = ErrorEnvelope),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<Json<Envelope<PasswordChanged>>, ApiError> {
    let origin = client.clone();
    let revoked = state
        .accounts
        .change_password(
            who.user_id,
            who.session_id,
            &body.current_password,
            &body.new_password,
            body.keep_api_keys,
            &origin,
        )
        .await?;
    Ok(ok(PasswordChanged {
        changed: true,
        sessions_revoked: revoked.sessions,
        api_keys_revoked: revoked.api_keys,
    }))
}
