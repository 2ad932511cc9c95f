//! Request count and latency by method, route template and status. The route template (`/v1/assets/{code}`, not
//! the raw path) keeps the label set bounded whatever clients send.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Filled by [`record_route`] once routing has matched, read by [`layer`] on the way out.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<String>>);

pub async fn layer(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let slot = RouteSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let route = slot.0.get().cloned().unwrap_or_else(|| "unmatched".to_owned());
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Runs as a route layer, where the matched template is known.
pub async fn record_route(request: Request, next: Next) -> Response {
    if let (Some(slot), Some(path)) = (
        request.extensions().get::<RouteSlot>(),
        request.extensions().get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(path.as_str().to_owned());
    }
    next.run(request).await
}
