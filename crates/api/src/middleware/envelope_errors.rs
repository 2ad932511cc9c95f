//! Answers made outside handlers (no route, wrong method, body over the limit, timeout) come from the router and
//! from tower layers as bare statuses; this layer turns each into the standard error envelope, so a client sees
//! one error format whatever produced the error.

use crate::error::{ApiError, ErrorCode};
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Headers of the original answer that still mean something on the enveloped one.
const KEPT_HEADERS: [header::HeaderName; 3] = [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE];

pub async fn layer(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let code = ErrorCode::for_status(status);
    let error = match code {
        ErrorCode::NotFound => ApiError::new(code, format!("No route for {method} {}.", truncate(&path))),
        ErrorCode::MethodNotAllowed => ApiError::new(code, format!("{method} is not allowed on {}.", truncate(&path))),
        _ => ApiError::of(code),
    };
    let mut enveloped = error.into_response();
    *enveloped.status_mut() = status;
    for name in KEPT_HEADERS {
        if let Some(value) = response.headers().get(&name) {
            enveloped.headers_mut().insert(name, value.clone());
        }
    }
    enveloped
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Paths are echoed for the client's benefit, but an absurd one is not worth echoing whole.
fn truncate(path: &str) -> String {
    const MAX: usize = 200;
    if path.len() <= MAX {
        return path.to_owned();
    }
    let mut end = MAX;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &path[..end])
}
