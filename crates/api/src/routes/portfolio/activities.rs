//! Activities for the cost basis: one at a time, a CSV import (all rows or none), and the CSV export of
//! holdings and activities, which the import takes back.

use crate::auth::AuthUser;
use crate::envelope::{Envelope, ErrorEnvelope, Page, ok};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::answers::{All, BadInput, JsonBody, SignedIn, TooLarge};
use crate::pagination;
use crate::routes::portfolio::views::ActivityView;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use portfolio::NewActivity;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityBody {
    /// When it happened (RFC 3339), not in the future.
    #[schema(example = "2026-01-31T12:00:00Z")]
    pub time: String,
    /// `buy`, `sell`, `transfer_in`, `transfer_out` or `fee` (paid in the asset itself).
    #[serde(rename = "type")]
    #[schema(example = "buy")]
    pub kind: String,
    #[schema(example = "BTC")]
    pub asset: String,
    /// Positive, at the asset's precision.
    #[schema(example = "0.5")]
    pub amount: String,
    /// Per whole unit, in `price_currency`: required for a buy or a sell, optional for a transfer in (its cost;
    /// none means zero), unused otherwise.
    #[schema(example = "30000.5")]
    pub price: Option<String>,
    /// An asset of the catalogue; required with a price or a fee.
    #[schema(example = "USD")]
    pub price_currency: Option<String>,
    /// Only on a buy (added to the lot's cost) or a sell (deducted from the proceeds), in `price_currency`.
    #[schema(example = "1.25")]
    pub fee: Option<String>,
    /// At most 200 characters.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivitiesQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub imported: usize,
    pub items: Vec<ActivityView>,
}

/// The caller's activities, most recently recorded first.
#[utoipa::path(
    get, path = "/v1/portfolio/activities", tag = "portfolio",
    security(("bearer" = [])),
    params(ActivitiesQuery),
    responses(
        (status = 200, description = "A page of activities", body = Envelope<Page<ActivityView>>),
        SignedIn, BadInput,
    )
)]
pub async fn list_activities(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<ActivitiesQuery>,
) -> Result<Json<Envelope<Page<ActivityView>>>, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let before: Option<Uuid> = pagination::cursor(query.cursor.as_deref())?;
    let (items, more) = state.portfolio.activities(who.user_id, before, limit).await?;
    let next_cursor = pagination::next_cursor(&items, more, |a| a.id.to_string());
    Ok(ok(Page {
        items: items.iter().map(ActivityView::from).collect(),
        next_cursor,
    }))
}

/// Record an activity. Refused when a disposal (sell, transfer out, fee) would take more than the activities
/// before it leave.
#[utoipa::path(
    post, path = "/v1/portfolio/activities", tag = "portfolio",
    security(("bearer" = [])),
    request_body = ActivityBody,
    responses(
        (status = 201, description = "The activity", body = Envelope<ActivityView>),
        All<(SignedIn, JsonBody)>,
        (status = 400, description = "A bad field, or a disposal beyond what is held (code 1000, `details.field` names it)", body = ErrorEnvelope),
    )
)]
pub async fn add_activity(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiJson(body): ApiJson<ActivityBody>,
) -> Result<(StatusCode, Json<Envelope<ActivityView>>), ApiError> {
    let new = NewActivity {
        time: body.time,
        kind: body.kind,
        asset: body.asset,
        amount: body.amount,
        price: body.price,
        price_currency: body.price_currency,
        fee: body.fee,
        note: body.note,
    };
    let activity = state.portfolio.add_activity(who.user_id, new).await?;
    Ok((StatusCode::CREATED, ok(ActivityView::from(&activity))))
}

/// Import activities from CSV (`Content-Type: text/csv`, UTF-8): a header row naming the columns (`time`,
/// `type`, `asset`, `amount`, and optionally `price`, `price_currency`, `fee`, `note`), then one activity per
/// row. All rows are imported or none: any bad row is a 400 whose `details.rows` lists every bad field with its
/// row number (the header is row 1). At most `portfolio.import_max_rows` rows; the body at most
/// `server.body_limit_bytes`. The export's file imports back as its activities (its holding rows are skipped).
#[utoipa::path(
    post, path = "/v1/portfolio/activities/import", tag = "portfolio",
    security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "time,type,asset,amount,price,price_currency,fee,note"),
    responses(
        (status = 201, description = "Every activity imported", body = Envelope<ImportView>),
        SignedIn, TooLarge,
        (status = 400, description = "Bad rows (code 1000): `details.rows` lists `{row, field, reason}` for each; nothing was imported", body = ErrorEnvelope),
        (status = 415, description = "The body is not `text/csv` (code 1007)", body = ErrorEnvelope),
    )
)]
pub async fn import_activities(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Envelope<ImportView>>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("text/csv") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "The body must be CSV (Content-Type: text/csv).",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid_field("csv", "is not valid UTF-8"))?;
    let imported = state.portfolio.import(who.user_id, text).await?;
    Ok((
        StatusCode::CREATED,
        ok(ImportView {
            imported: imported.len(),
            items: imported.iter().map(ActivityView::from).collect(),
        }),
    ))
}

/// The caller's holdings and activities as one CSV file (`text/csv`): the header
/// `record,id,time,type,asset,amount,price,price_currency,fee,note,label,source`, a `holding` row per holding
/// (tracked and Bourse wallets), then an `activity` row per activity in the cost basis's order.
#[utoipa::path(
    get, path = "/v1/portfolio/export.csv", tag = "portfolio",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        SignedIn,
    )
)]
pub async fn export_csv(State(state): State<AppState>, AuthUser(who): AuthUser) -> Result<impl IntoResponse, ApiError> {
    let text = state.portfolio.export(who.user_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"portfolio.csv\""),
        ],
        text,
    ))
}
