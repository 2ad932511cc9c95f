//! Extractors that answer bad input in the error envelope and name the offending field, instead of axum's plain
//! text rejections.

use crate::error::{ApiError, ErrorCode};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A JSON request body. Requires `Content-Type: application/json` (415 otherwise), respects the body limit
/// (413), and reports malformed JSON, wrong types, missing and unknown fields as 400 code 1000 with the field.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_content_type(request.headers()) {
            return Err(ApiError::of(ErrorCode::UnsupportedMediaType));
        }
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::of(ErrorCode::PayloadTooLarge)
            } else {
                ApiError::invalid_field("body", "the request body could not be read")
            }
        })?;
        parse_json(&body).map(ApiJson)
    }
}

fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserializes `body`, naming the field that failed (`legs[0].amount`), or `body` when the JSON itself is bad.
/// Every request body is a JSON object: serde would otherwise accept a struct written as an array of its fields.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::invalid_field(
                "body",
                "the request body must be a JSON object",
            ));
        }
        None => {
            return Err(ApiError::invalid_field(
                "body",
                "the request body is empty; send a JSON object",
            ));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let field = field_name(e.path());
        let inner = e.into_inner();
        let reason = describe_json_error(&inner);
        // Broken JSON is a fault of the whole body, wherever the parser happened to be.
        let field = match inner.classify() {
            serde_json::error::Category::Data => field,
            _ => None,
        };
        ApiError::invalid_field(field.as_deref().unwrap_or("body"), reason)
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::invalid_field("body", "unexpected data after the JSON value"))?;
    Ok(value)
}

fn field_name(path: &serde_path_to_error::Path) -> Option<String> {
    let text = path.to_string();
    (text != "." && !text.is_empty()).then_some(text)
}

/// serde_json's message without its "at line 1 column 7" suffix for type errors, which only repeats the field.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => format!("malformed JSON: {error}"),
        Category::Io => "the request body could not be read".to_owned(),
        Category::Data => {
            let text = error.to_string();
            match text.rfind(" at line ") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

/// Query parameters, with the failing parameter named.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|e| {
                let field = field_name(e.path());
                let reason = e.into_inner().to_string();
                // A required parameter left out has no path; serde names it in its message.
                let missing = reason
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.strip_suffix('`'))
                    .map(str::to_owned);
                ApiError::invalid_field(field.or(missing).as_deref().unwrap_or("query"), reason)
            })
    }
}

/// Path parameters; a parameter that cannot be decoded is a 400 naming it, not a 500.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection: PathRejection| ApiError::invalid_field("path", rejection.body_text()))
    }
}

/// A path id that must be a UUID, else 400 naming `id`.
pub(crate) fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::invalid_field("id", "must be a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        legs: Vec<Leg>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Leg {
        amount: u32,
    }

    fn field_of(body: &str) -> String {
        let err = parse_json::<Body>(body.as_bytes()).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationError);
        err.details.unwrap()["field"].as_str().unwrap().to_owned()
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        assert_eq!(
            field_of(r#"{"name": "x", "legs": [{"amount": "x"}]}"#),
            "legs[0].amount"
        );
        assert_eq!(field_of(r#"{"name": 5, "legs": []}"#), "name");
    }

    #[test]
    fn unknown_and_missing_fields_are_refused() {
        assert_eq!(field_of(r#"{"name": "x", "legs": [], "extra": 1}"#), "extra");
        assert_eq!(field_of(r#"{"legs": []}"#), "body");
    }

    #[test]
    fn malformed_json_trailing_data_and_arrays_are_refused() {
        assert_eq!(field_of(r#"{"name": "#), "body");
        assert_eq!(field_of(r#"{"name": "x", "legs": []} trailing"#), "body");
        assert_eq!(field_of(r#"[1, 2]"#), "body");
        assert_eq!(field_of("{\"name\": \"\u{0}\""), "body");
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let err = parse_json::<Body>(b"{\"name\": \"\xff\xfe\", \"legs\": []}").unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationError);
    }
}
