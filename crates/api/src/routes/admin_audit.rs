//! `GET /v1/admin/audit`: the append-only audit log, newest first.

use crate::envelope::{Envelope, Page, ok};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::openapi::answers::{BadInput, Staff};
use crate::pagination;
use crate::permission::{AuditRead, Permitted};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use platform::audit::{self, AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

const MAX_TEXT: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor: Option<Uuid>,
    /// An action name, such as `auth.login` or `users.suspend`.
    pub action: Option<String>,
    /// What was acted on (usually a user id).
    pub target: Option<String>,
    /// Records at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Records before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    #[schema(example = "users.suspend")]
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            target: e.target,
            ip: e.ip,
            request_id: e.request_id,
            outcome: e.outcome,
            details: e.details.0,
        }
    }
}

fn bounded(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > MAX_TEXT => Err(ApiError::invalid_field(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        )),
        other => Ok(other),
    }
}

/// Search the audit log, newest first (permission `audit:read`).
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit records", body = Envelope<Page<AuditView>>),
        Staff, BadInput,
    ))]
pub async fn list_audit(
    State(state): State<AppState>,
    _: Permitted<AuditRead>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Envelope<Page<AuditView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let before = pagination::cursor::<i64>(query.cursor.as_deref())?;
    let filter = AuditFilter {
        actor: query.actor,
        action: bounded("action", query.action)?,
        target: bounded("target", query.target)?,
        from: query.from,
        to: query.to,
        before,
    };
    let mut entries = audit::list(&state.db, &filter, i64::from(limit) + 1).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_cursor = pagination::next_cursor(&entries, more, |e| e.id.to_string());
    Ok(ok(Page {
        items: entries.into_iter().map(AuditView::from).collect(),
        next_cursor,
    }))
}
