//! Security headers on every response. The API gets a CSP that allows nothing (it serves JSON); the Swagger UI
//! under `/api` gets one that allows only its own embedded scripts and styles.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'";
const HSTS: &str = "max-age=31536000; includeSubDomains";

#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    pub hsts: bool,
}

pub async fn layer(State(config): State<SecurityHeaders>, request: Request, next: Next) -> Response {
    let docs = request.uri().path() == "/api" || request.uri().path().starts_with("/api/");
    let api = request.uri().path().starts_with("/v1");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        if docs { DOCS_CSP } else { API_CSP },
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if api {
        // Account data must not sit in shared caches.
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if config.hsts {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}
