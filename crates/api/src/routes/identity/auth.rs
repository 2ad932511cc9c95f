//! `/v1/auth/*`: registration, login, token refresh, logout and the caller's sessions.

use crate::auth::{Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::answers::{BadInput, JsonBody, NotFound, RateLimited, SignedInSession};
use crate::routes::identity::schemas::{TokenPair, UserView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use identity::{Credentials, NewAccount, Session};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "alice@example.com")]
    pub email: String,
    /// At least 12 characters, not the email, not a common password.
    #[schema(example = "plum-rain-91-orbit")]
    pub password: String,
    #[schema(example = "Alice Martin")]
    pub full_name: String,
}

/// Create a customer account.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = Envelope<UserView>),
        JsonBody, RateLimited,
        (status = 409, description = "Email already registered (code 3002)", body = ErrorEnvelope),
        (status = 503, description = "Too many passwords being checked at once (code 5030, `Retry-After`)", body = ErrorEnvelope),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Envelope<UserView>>), ApiError> {
    let origin = client.clone();
    let account = NewAccount {
        email: &body.email,
        password: &body.password,
        full_name: &body.full_name,
    };
    let user = state.accounts.register(account, &origin).await?;
    Ok((StatusCode::CREATED, ok(UserView::from(user))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "alice@example.com")]
    pub email: String,
    pub password: String,
}

/// Log in with email and password.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens", body = Envelope<TokenPair>),
        JsonBody, RateLimited,
        (status = 401, description = "Wrong email or password (code 2002)", body = ErrorEnvelope),
        (status = 403, description = "Account suspended (code 2004)", body = ErrorEnvelope),
        (status = 429, description = "Locked after failures, or over the login limit per IP or email (code 4290, `Retry-After`)", body = ErrorEnvelope),
        (status = 503, description = "Too many passwords being checked at once (code 5030, `Retry-After`)", body = ErrorEnvelope),
    ))]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<Envelope<TokenPair>>, ApiError> {
    state.rate_limits.check_login_email(&body.email).await?;
    let credentials = Credentials {
        email: &body.email,
        password: &body.password,
    };
    let tokens = state.sessions.login(credentials, &client).await?;
    Ok(ok(tokens.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchange a refresh token for a new pair; reusing a spent one revokes the whole session.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = Envelope<TokenPair>),
        JsonBody, RateLimited,
        (status = 401, description = "Unknown, spent, expired or revoked token (code 2001)", body = ErrorEnvelope),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<Envelope<TokenPair>>, ApiError> {
    let tokens = state.sessions.refresh(&body.refresh_token, &client).await?;
    Ok(ok(tokens.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub session_id: Uuid,
    pub revoked: bool,
}

/// End the current session (its access and refresh tokens stop working).
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Session ended", body = Envelope<Revoked>),
        SignedInSession,
    ))]
pub async fn logout(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
) -> Result<Json<Envelope<Revoked>>, ApiError> {
    state
        .sessions
        .revoke(who.user_id, who.session_id, "logout", &client)
        .await?;
    Ok(ok(Revoked {
        session_id: who.session_id,
        revoked: true,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// True for the session making this request.
    pub current: bool,
}

impl SessionView {
    fn new(session: Session, current: Uuid) -> SessionView {
        SessionView {
            current: session.id == current,
            id: session.id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            ip: session.ip,
            user_agent: session.user_agent,
        }
    }
}

/// The caller's live sessions, newest first.
#[utoipa::path(get, path = "/v1/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Live sessions", body = Envelope<Page<SessionView>>),
        SignedInSession,
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
) -> Result<Json<Envelope<Page<SessionView>>>, ApiError> {
    let sessions = state.sessions.list(who.user_id).await?;
    Ok(ok(Page {
        items: sessions
            .into_iter()
            .map(|s| SessionView::new(s, who.session_id))
            .collect(),
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevokeOthersQuery {
    /// `true` keeps the caller's API keys working; by default they are revoked too.
    pub keep_api_keys: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedOthers {
    pub sessions_revoked: u64,
    pub api_keys_revoked: u64,
}

/// Sign out everywhere else: every session of the caller but this one, and every API key unless
/// `keep_api_keys=true`.
#[utoipa::path(delete, path = "/v1/auth/sessions", tag = "auth", security(("bearer" = [])),
    params(RevokeOthersQuery),
    responses(
        (status = 200, description = "What was revoked", body = Envelope<RevokedOthers>),
        SignedInSession, BadInput,
    ))]
pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiQuery(query): ApiQuery<RevokeOthersQuery>,
) -> Result<Json<Envelope<RevokedOthers>>, ApiError> {
    let keep_api_keys = query.keep_api_keys.unwrap_or(false);
    let revoked = state
        .sessions
        .revoke_others(who.user_id, who.session_id, keep_api_keys, &client)
        .await?;
    Ok(ok(RevokedOthers {
        sessions_revoked: revoked.sessions,
        api_keys_revoked: revoked.api_keys,
    }))
}

/// Revoke one of the caller's sessions.
#[utoipa::path(delete, path = "/v1/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Revoked", body = Envelope<Revoked>),
        SignedInSession, BadInput, NotFound,
    ))]
pub async fn revoke_session(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<Revoked>>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::invalid_field("id", "must be a UUID"))?;
    state
        .sessions
        .revoke(who.user_id, id, "revoked_by_user", &client)
        .await?;
    Ok(ok(Revoked {
        session_id: id,
        revoked: true,
    }))
}
