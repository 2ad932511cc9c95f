//! `/v1/users/me`: the caller's own account.

use crate::auth::{AuthUser, Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use identity::{ProfileChange, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users/me", get(me).patch(update_me))
        .route("/v1/users/me/password", post(change_password))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "alice@example.com")]
    pub email: String,
    pub full_name: String,
    /// CUSTOMER, TELLER or ADMIN.
    #[schema(example = "CUSTOMER")]
    pub role: &'static str,
    /// ACTIVE or SUSPENDED.
    #[schema(example = "ACTIVE")]
    pub status: &'static str,
    /// Rate-limit tier: BASIC or PRO.
    #[schema(example = "BASIC")]
    pub tier: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            email: user.email.to_string(),
            full_name: user.full_name,
            role: user.role.as_str(),
            status: user.status.as_str(),
            tier: user.tier.as_str(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// The caller's account.
#[utoipa::path(get, path = "/v1/users/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Envelope<UserView>),
        (status = 401, description = "Not signed in (code 2001)", body = ErrorEnvelope),
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
        (status = 400, description = "Bad field (code 1000)", body = ErrorEnvelope),
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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    pub changed: bool,
}

/// Change the password; every other session is revoked.
#[utoipa::path(post, path = "/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed", body = Envelope<PasswordChanged>),
        (status = 400, description = "Wrong current password or weak new one (code 1000)", body = ErrorEnvelope),
        (status = 503, description = "Too many passwords being checked at once (code 5030, `Retry-After`)", body = ErrorEnvelope),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<Json<Envelope<PasswordChanged>>, ApiError> {
    let origin = client.origin();
    state
        .accounts
        .change_password(
            who.user_id,
            who.session_id,
            &body.current_password,
            &body.new_password,
            &origin,
        )
        .await?;
    Ok(ok(PasswordChanged { changed: true }))
}
