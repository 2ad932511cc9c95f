//! The response envelope every route answers with (CONVENTIONS.md).

use axum::Json;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub const API_VERSION: &str = "v1";

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A successful response: `data` holds the resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
    /// When the response was made (RFC 3339, UTC).
    #[schema(example = "2026-01-01T00:00:00.000Z")]
    pub timestamp: String,
    #[schema(example = "v1")]
    pub version: &'static str,
}

impl<T> Envelope<T> {
    pub fn new(data: T) -> Self {
        Envelope {
            success: true,
            data,
            timestamp: now_rfc3339(),
            version: API_VERSION,
        }
    }
}

/// `Json(Envelope::new(data))`, the usual handler result.
pub fn ok<T: Serialize>(data: T) -> Json<Envelope<T>> {
    Json(Envelope::new(data))
}

/// A failed response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorBody,
    #[schema(example = "2026-01-01T00:00:00.000Z")]
    pub timestamp: String,
    #[schema(example = "v1")]
    pub version: &'static str,
}

impl ErrorEnvelope {
    pub fn new(error: ErrorBody) -> Self {
        ErrorEnvelope {
            success: false,
            error,
            timestamp: now_rfc3339(),
            version: API_VERSION,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable numeric code (see the error table in the API description).
    #[schema(example = 1000)]
    pub code: u16,
    /// The code's upper-case name.
    #[schema(example = "VALIDATION_ERROR")]
    pub r#type: String,
    /// A sentence for people; do not parse it.
    pub message: String,
    /// Machine-readable specifics, e.g. `{"field": "amount", "reason": "..."}` for a validation error.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
    /// The request's id, also in the `X-Request-Id` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A page of a cursor-paginated list: pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `null` on the last page.
    pub next_cursor: Option<String>,
}
