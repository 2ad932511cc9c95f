//! Who is calling: the `Authenticated` extractor for routes that need a signed-in user, and `Client` for where a
//! request comes from (kept with sessions and in the audit log).

use crate::error::{ApiError, ErrorCode};
use crate::middleware::request_id;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use identity::{ApiKeyPrincipal, AuthMethod, Authenticated};
use platform::RequestContext;
use std::net::SocketAddr;

/// A request with a valid access token (`Authorization: Bearer <token>`), or one signed with an API key and
/// verified by [`crate::middleware::api_key`]; `who.via` says which. Routes that manage credentials take
/// [`SessionUser`] instead.
pub struct AuthUser(pub Authenticated);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(principal) = parts.extensions.get::<ApiKeyPrincipal>() {
            return Ok(AuthUser(principal.authenticated()));
        }
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

/// A caller signed in with a session (bearer token). An API-key caller is refused with 403 code 2004: keys,
/// passwords, 2FA and sessions are managed by a person, so a leaked key cannot entrench itself.
pub struct SessionUser(pub Authenticated);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(who) = AuthUser::from_request_parts(parts, state).await?;
        match who.via {
            AuthMethod::Session => Ok(SessionUser(who)),
            AuthMethod::ApiKey(_) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "This route needs a signed-in session; API keys cannot use it.",
            )),
        }
    }
}

/// The client's address (the TCP peer), user agent and the request id. The actor stays empty here: a route
/// that authenticates names its caller to each service call, which knows whether that caller is the actor.
pub struct Client(pub RequestContext);

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
        Ok(Client(RequestContext {
            actor: None,
            ip,
            user_agent,
            request_id: request_id::current(),
        }))
    }
}
