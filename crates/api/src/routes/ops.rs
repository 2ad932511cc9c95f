//! Operational routes outside `/v1`: liveness, readiness and Prometheus metrics.

use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

const PROBE_DEADLINE: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "Alive", body = Envelope<Health>),
    ))]
pub async fn healthz() -> Json<Envelope<Health>> {
    ok(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Each dependency and `ok` or what is wrong with it.
    pub checks: BTreeMap<&'static str, String>,
    pub database: DatabaseReadiness,
    /// Each rate provider's circuit breaker: `closed`, `open` or `half_open`. Information only: an open breaker
    /// does not make the server unready (rates are served stale or answered 503 by the rate routes).
    #[schema(example = json!({"coingecko": "closed"}))]
    pub rate_providers: BTreeMap<&'static str, &'static str>,
}

/// What the database check found (at most a second old).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct DatabaseReadiness {
    /// It answered a query.
    pub reachable: bool,
    /// It committed a write.
    pub writable: bool,
}

/// Readiness: the database answers and takes a write, and Redis and NATS (when configured) answer.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Every dependency answers", body = Envelope<Readiness>),
        (status = 503, description = "A dependency does not answer, or the database takes no write (code 5030); \
            `details.unavailable` names it, `details.database` says whether the database is reachable and writable",
            body = ErrorEnvelope),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Envelope<Readiness>>, ApiError> {
    let mut checks = BTreeMap::new();
    let storage = state.db.check_storage(PROBE_DEADLINE).await;
    let database = DatabaseReadiness {
        reachable: storage.reachable,
        writable: storage.writable,
    };
    checks.insert("database", storage.problem.map_or(Ok(()), Err));
    let rate_providers: BTreeMap<&'static str, &'static str> = state
        .rates
        .breaker_states()
        .into_iter()
        .map(|(name, breaker)| (name, breaker.as_str()))
        .collect();
    if let Some(url) = &state.config.storage.redis_url {
        let result = platform::probe::redis(url.expose(), PROBE_DEADLINE).await;
        checks.insert("redis", result.map_err(|e| e.to_string()));
    }
    if let Some(url) = &state.config.storage.nats_url {
        let result = platform::probe::nats(url.expose(), PROBE_DEADLINE).await;
        checks.insert("nats", result.map_err(|e| e.to_string()));
    }
    let failing: BTreeMap<&str, String> = checks
        .iter()
        .filter_map(|(name, result)| result.as_ref().err().map(|e| (*name, e.clone())))
        .collect();
    if !failing.is_empty() {
        for (name, error) in &failing {
            tracing::warn!(dependency = name, error = %error, "readiness check failed");
        }
        // Names only: connection errors can carry host names that clients have no business seeing.
        let names: Vec<&str> = failing.keys().copied().collect();
        return Err(
            ApiError::new(ErrorCode::UpstreamUnavailable, "A dependency is not reachable.").with_details(
                serde_json::json!({
                    "unavailable": names,
                    "database": database,
                    "rate_providers": rate_providers,
                }),
            ),
        );
    }
    Ok(ok(Readiness {
        status: "ready",
        checks: checks.into_keys().map(|name| (name, "ok".to_owned())).collect(),
        database,
        rate_providers,
    }))
}

/// Prometheus metrics in the text exposition format. Open unless `metrics_token` is configured; then the
/// request needs `Authorization: Bearer <metrics_token>`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "`metrics_token` is configured and the request lacks it (code 2001)", body = ErrorEnvelope),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<impl IntoResponse, ApiError> {
    crate::metrics_access::check(state.config.server.metrics_token.as_ref(), &headers)?;
    let pool = state.db.pool_stats();
    let backend = state.db.backend().name();
    metrics::gauge!("db_pool_connections", "backend" => backend, "state" => "open").set(f64::from(pool.size));
    metrics::gauge!("db_pool_connections", "backend" => backend, "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("db_pool_max_connections", "backend" => backend).set(f64::from(pool.max));
    // Sets `rates_breaker_state` per provider, so a breaker that timed out into half-open shows as such.
    state.rates.breaker_states();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        platform::telemetry::prometheus().render(),
    ))
}
