//! `/v1/api-keys`: keys for programs that call the API on a user's behalf. Managing them needs a signed-in
//! session; a key cannot create, list or revoke keys. How a key signs a request is in README.md.

use crate::auth::{Client, SessionUser};
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::answers::{BadInput, JsonBody, NotFound, SignedInSession};
use crate::pagination;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use identity::{ApiKey, NewApiKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `label` and `scopes` default to empty so that leaving one out is reported against its own name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// A name to recognise the key by, 1 to 64 characters.
    #[serde(default)]
    #[schema(example = "trading bot", required = true)]
    pub label: String,
    /// One or more of `read` (GET routes), `trade`, `withdraw`. Scopes do not imply each other.
    #[serde(default)]
    #[schema(example = json!(["read", "trade"]), required = true)]
    pub scopes: Vec<String>,
    /// Source addresses allowed to use the key: IPs or CIDR networks, at most 32. Absent or empty: any.
    #[schema(example = json!(["203.0.113.7", "10.0.0.0/8"]))]
    pub ip_allowlist: Option<Vec<String>>,
    /// When the key stops working (RFC 3339, in the future). Absent: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
    /// A current TOTP code; required when the caller has two-factor authentication on.
    #[schema(example = "123456")]
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Sent as `X-Api-Key`.
    pub id: Uuid,
    pub label: String,
    #[schema(example = json!(["read"]))]
    pub scopes: Vec<&'static str>,
    /// Normalised CIDR networks (`127.0.0.1/32`); empty means any address.
    #[schema(example = json!(["10.0.0.0/8"]))]
    pub ip_allowlist: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// False once revoked or expired.
    pub active: bool,
}

impl ApiKeyView {
    fn new(key: ApiKey, now: DateTime<Utc>) -> ApiKeyView {
        ApiKeyView {
            active: key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now),
            id: key.id,
            label: key.label,
            scopes: key.scopes.iter().map(|s| s.as_str()).collect(),
            ip_allowlist: key.ip_allowlist.iter().map(ToString::to_string).collect(),
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyView {
    /// Sent as `X-Api-Key`.
    pub key_id: Uuid,
    /// The HMAC key for `X-Api-Signature`. Shown this once; it cannot be retrieved again.
    #[schema(example = "3f1c8e2a9b7d4f60a5e1c3b2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2")]
    pub secret: String,
    pub key: ApiKeyView,
}

/// Create an API key; the answer holds its secret, shown only this once.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "The key id and secret (shown once)", body = Envelope<CreatedApiKeyView>),
        SignedInSession, JsonBody,
        (status = 409, description = "Already 20 live keys (code 3002)", body = ErrorEnvelope),
    ))]
pub async fn create_api_key(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiJson(body): ApiJson<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<Envelope<CreatedApiKeyView>>), ApiError> {
    let request = NewApiKey {
        label: &body.label,
        scopes: &body.scopes,
        ip_allowlist: body.ip_allowlist.as_deref().unwrap_or_default(),
        expires_at: body.expires_at,
        code: body.code.as_deref(),
    };
    let created = state.api_keys.create(who.user_id, request, &client).await?;
    let view = CreatedApiKeyView {
        key_id: created.key.id,
        secret: created.secret,
        key: ApiKeyView::new(created.key, state.clock.now()),
    };
    Ok((StatusCode::CREATED, ok(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListApiKeysQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's API keys, newest first, revoked and expired ones included; never their secrets.
#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    params(ListApiKeysQuery),
    responses(
        (status = 200, description = "A page of keys", body = Envelope<Page<ApiKeyView>>),
        SignedInSession, BadInput,
    ))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    ApiQuery(query): ApiQuery<ListApiKeysQuery>,
) -> Result<Json<Envelope<Page<ApiKeyView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let before = pagination::cursor::<Uuid>(query.cursor.as_deref())?;
    let (keys, more) = state.api_keys.list(who.user_id, before, limit).await?;
    let next_cursor = pagination::next_cursor(&keys, more, |k| k.id.to_string());
    let now = state.clock.now();
    Ok(ok(Page {
        items: keys.into_iter().map(|k| ApiKeyView::new(k, now)).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyRevoked {
    pub key_id: Uuid,
    pub revoked: bool,
}

/// Revoke one of the caller's keys; it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "Revoked", body = Envelope<ApiKeyRevoked>),
        SignedInSession, BadInput, NotFound,
    ))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    SessionUser(who): SessionUser,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Envelope<ApiKeyRevoked>>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::invalid_field("id", "must be a UUID"))?;
    state.api_keys.revoke(who.user_id, id, &client).await?;
    Ok(ok(ApiKeyRevoked {
        key_id: id,
        revoked: true,
    }))
}
