//! `/v1/auth/*`: registration, login, token refresh, logout and the caller's sessions.

use crate::auth::{Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::users::UserView;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use identity::{Credentials, IssuedTokens, NewAccount, Session};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/register", post(register))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/auth/sessions", get(list_sessions))
        .route("/v1/auth/sessions/{id}", delete(revoke_session))
}

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
        (status = 400, description = "Bad field (code 1000)", body = ErrorEnvelope),
        (status = 409, description = "Email already registered (code 3002)", body = ErrorEnvelope),
        (status = 503, description = "Too many passwords being checked at once (code 5030, `Retry-After`)", body = ErrorEnvelope),
    ))]
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Envelope<UserView>>), ApiError> {
    let origin = client.origin();
    let account = NewAccount {
        email: &body.email,
        password: &body.password,
        full_name: &body.full_name,
    };
    let user = state.accounts.register(account, &origin).await?;
    state.wake_relay();
    Ok((StatusCode::CREATED, ok(UserView::from(user))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "alice@example.com")]
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Single use: exchange it at `/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub session_id: Uuid,
}

impl From<IssuedTokens> for TokenPair {
    fn from(t: IssuedTokens) -> Self {
        TokenPair {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            expires_in: t.expires_in,
            token_type: "Bearer",
            session_id: t.session_id,
        }
    }
}

/// Log in with email and password.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens", body = Envelope<TokenPair>),
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
        (status = 401, description = "Not signed in (code 2001)", body = ErrorEnvelope),
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
        (status = 401, description = "Not signed in (code 2001)", body = ErrorEnvelope),
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

/// Revoke one of the caller's sessions.
#[utoipa::path(delete, path = "/v1/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 200, description = "Revoked", body = Envelope<Revoked>),
        (status = 400, description = "Malformed id (code 1000)", body = ErrorEnvelope),
        (status = 404, description = "No such live session of yours (code 3001)", body = ErrorEnvelope),
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
