//! Request count and latency by method, route template and status. The route template (`/v1/assets/{code}`, not
//! the raw path) keeps the label set bounded whatever clients send.
//!
//! The label set is small (routes × methods × statuses), so each worker thread keeps the handles of the series it
//! has recorded: after its first request of a kind, a request costs a lookup in a map of its own and two atomic
//! updates, with no allocation, no shared lock and no registry lookup.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Filled by [`record_route`] once routing has matched, read by [`layer`] on the way out.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<MatchedPath>>);

const UNMATCHED: &str = "unmatched";

struct Series {
    requests: Counter,
    duration: Histogram,
}

/// One route template's series, by method and status.
type RouteSeries = HashMap<(Method, u16), Series>;

thread_local! {
    static SERIES: RefCell<HashMap<String, RouteSeries>> = RefCell::new(HashMap::new());
}

fn record(route: &str, method: Method, status: u16, seconds: f64) {
    SERIES.with(|series| {
        let mut series = series.borrow_mut();
        if !series.contains_key(route) {
            series.insert(route.to_owned(), HashMap::new());
        }
        let Some(by_route) = series.get_mut(route) else {
            return;
        };
        let entry = by_route.entry((method, status)).or_insert_with_key(|(method, status)| {
            let labels = [
                ("method", method.as_str().to_owned()),
                ("route", route.to_owned()),
                ("status", status.to_string()),
            ];
            Series {
                requests: metrics::counter!("http_requests_total", &labels),
                duration: metrics::histogram!("http_request_duration_seconds", &labels),
            }
        });
        entry.requests.increment(1);
        entry.duration.record(seconds);
    });
}

pub async fn layer(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let slot = RouteSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().clone();
    let response = next.run(request).await;
    let route = slot.0.get().map_or(UNMATCHED, MatchedPath::as_str);
    record(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Runs as a route layer, where the matched template is known.
pub async fn record_route(request: Request, next: Next) -> Response {
    if let (Some(slot), Some(path)) = (
        request.extensions().get::<RouteSlot>(),
        request.extensions().get::<MatchedPath>(),
    ) {
        let _ = slot.0.set(path.clone());
    }
    next.run(request).await
}
