//! Authentication by API key: `X-Api-Key` (the key id), `X-Api-Timestamp` (Unix milliseconds) and
//! `X-Api-Signature` (hex HMAC-SHA256 of timestamp, method, path and query, `Idempotency-Key` and body, each
//! ended by a line feed but the body, keyed with the secret). A signature is accepted once.
//!
//! A middleware rather than an extractor because the signature covers the body, which only a layer can read
//! and then hand on to the handler. It runs as a route layer, inside the body-size limit and after routing, so
//! the body is bounded and the route template is known for the scope check. Requests without `X-Api-Key` pass
//! through untouched; a verified one carries an [`identity::ApiKeyPrincipal`] in its extensions, which
//! [`crate::auth::AuthUser`] accepts in place of a bearer token.

use crate::error::{ApiError, ErrorCode};
use crate::middleware::api_key_scopes::required_scope;
use crate::middleware::idempotency;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, MatchedPath, OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use identity::{IdentityError, SignedParts, SignedRequest};
use serde_json::json;
use std::net::SocketAddr;

pub const KEY_HEADER: &str = "x-api-key";
pub const TIMESTAMP_HEADER: &str = "x-api-timestamp";
pub const SIGNATURE_HEADER: &str = "x-api-signature";

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !request.headers().contains_key(KEY_HEADER) {
        return next.run(request).await;
    }
    match authenticate(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message)
}

/// One header as text; a repeated header is refused rather than guessing which copy was signed.
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value
            .to_str()
            .map_err(|_| unauthenticated(&format!("The {name} header is not valid text."))),
        (None, _) => Err(unauthenticated(
            "X-Api-Key needs X-Api-Timestamp and X-Api-Signature with it.",
        )),
        (Some(_), Some(_)) => Err(unauthenticated(&format!("The {name} header appears more than once."))),
    }
}

async fn authenticate(state: &AppState, request: Request) -> Result<Request, ApiError> {
    let headers = request.headers();
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(unauthenticated(
            "Authenticate with either a bearer token or an API key, not both.",
        ));
    }
    let key_id = single(headers, KEY_HEADER)?.to_owned();
    let timestamp = single(headers, TIMESTAMP_HEADER)?.to_owned();
    let signature = single(headers, SIGNATURE_HEADER)?.to_owned();
    // Signed whether or not the route reads it; a repeated header is refused by the idempotency layer anyway.
    let idempotency_key = headers
        .get(idempotency::HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    // The URI as the client sent it: a router that nests strips its prefix from `uri()`.
    let uri = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().clone(), |original| original.0.clone());
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());

    let (mut parts, body) = request.into_parts();
    let body = read_body(&parts, body).await?;
    let principal = state
        .api_keys
        .verify(&SignedRequest {
            key_id: &key_id,
            signature: &signature,
            parts: SignedParts {
                timestamp: &timestamp,
                method: method.as_str(),
                path_and_query: &path_and_query,
                idempotency_key: &idempotency_key,
                body: &body,
            },
        })
        .await
        .map_err(|e| match e {
            IdentityError::Unauthenticated => unauthenticated(
                "The API key is unknown, revoked or expired, the timestamp is outside the allowed window, or the \
                 signature does not match.",
            ),
            other => ApiError::from(other),
        })?;
    if !principal.allows_ip(ip) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "This API key may not be used from this address.",
        ));
    }
    match required_scope(&method, &route) {
        None => {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "API keys cannot be used on this route; sign in with a session instead.",
            ));
        }
        Some(scope) if !principal.has_scope(scope) => {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("This API key lacks the `{scope}` scope this route needs."),
            )
            .with_details(json!({ "required_scope": scope.as_str() })));
        }
        Some(_) => {}
    }
    parts.extensions.insert(principal);
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// Buffers the body through axum's own extractor, with the request's extensions (and so its body limit), so an
/// oversized body is answered 413 exactly as for a request without a key.
pub(crate) async fn read_body(parts: &axum::http::request::Parts, body: Body) -> Result<Bytes, ApiError> {
    let mut probe = Request::new(body);
    *probe.extensions_mut() = parts.extensions.clone();
    Bytes::from_request(probe, &()).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::of(ErrorCode::PayloadTooLarge)
        } else {
            ApiError::invalid_field("body", "the request body could not be read")
        }
    })
}
