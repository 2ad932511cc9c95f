//! Who is calling: the `Authenticated` extractor for routes that need a signed-in user, and `Client` for where a
//! request comes from (kept with sessions and in the audit log).

use crate::error::{ApiError, ErrorCode};
use crate::middleware::request_id;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use identity::{Authenticated, ClientInfo};
use std::net::SocketAddr;

/// A request with a valid access token: `Authorization: Bearer <token>`.
pub struct AuthUser(pub Authenticated);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "An access token is required."))?;
        let who = state.sessions.authenticate(token).await?;
        Ok(AuthUser(who))
    }
}

/// The client's address (the TCP peer), user agent and the request id.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Client(ClientInfo {
            ip,
            user_agent,
            request_id: request_id::current(),
        }))
    }
}
