//! The HTTP server over built services: `HttpServer::bind(state, extra_routes)` → `local_addr()` → `serve()`.

use crate::middleware::{api_key, envelope_errors, metrics, rate_limit, request_id, security_headers};
use crate::openapi;
use crate::routes;
use crate::serve::ServeLimits;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::Modify;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// The HTTP side of the server: the bound listener and the finished router over already-built services. The
/// binary composes the services and the background workers around it.
pub struct HttpServer {
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    grace: Duration,
}

impl HttpServer {
    /// Binds `state.config.server.listen` and builds the router: the contexts' routes, `extra_routes` (for tests), the
    /// OpenAPI document and Swagger UI, and the middleware stack. Nothing is served until [`serve`](Self::serve).
    pub async fn bind(state: AppState, extra_routes: Router<AppState>) -> Result<HttpServer, BindError> {
        let addr = state.config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| BindError { addr, source })?;
        let limits = ServeLimits::from_config(&state.config);
        let grace = Duration::from_secs(state.config.server.shutdown_grace_secs);
        Ok(HttpServer {
            listener,
            router: router(state, extra_routes),
            limits,
            grace,
        })
    }

    /// The address actually bound (port 0 in the configuration becomes a real port here).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting and gives requests in flight up to
    /// `shutdown_grace_secs` to finish; connections still busy after that are cut.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let HttpServer {
            listener,
            router,
            limits,
            grace,
        } = self;
        let (signalled, mut on_signal) = watch::channel(false);
        let server = crate::serve::serve(listener, router, limits, async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            let _ = signalled.send(true);
        });
        tokio::select! {
            result = server => result,
            _ = async {
                if on_signal.wait_for(|s| *s).await.is_err() {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(grace_secs = grace.as_secs(), "requests still in flight after the grace period; closing");
                Ok(())
            }
        }
    }
}

/// The configured address cannot be listened on.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    pub addr: SocketAddr,
    pub source: std::io::Error,
}

fn router(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config.clone();
    let limit = config.server.body_limit_bytes;
    let rate_limits = state.rate_limits.clone();
    let api_key_state = state.clone();
    let idempotency_state = state.clone();
    let (routes, mut doc) = OpenApiRouter::with_openapi(openapi::base())
        .merge(routes::identity::router())
        .merge(routes::wallets::router())
        .merge(routes::funding::router())
        .merge(routes::assets::router())
        .merge(routes::admin_audit::router())
        .merge(routes::ops::router())
        .merge(routes::rates::router())
        .merge(routes::portfolio::router())
        .merge(routes::trading::router())
        .split_for_parts();
    openapi::GlobalAnswers.modify(&mut doc);
    routes
        .merge(extra)
        .with_state(state)
        .merge(SwaggerUi::new("/api").url("/api/openapi.json", doc))
        .route_layer(from_fn_with_state(api_key_state, api_key::layer))
        .route_layer(from_fn(metrics::record_route))
        // The idempotency layer is applied per route, where no state value is at hand; it finds the state here.
        .layer(axum::Extension(idempotency_state))
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.server.request_timeout_secs),
        ))
        .layer(from_fn(envelope_errors::layer))
        .layer(from_fn_with_state(rate_limits, rate_limit::layer))
        .layer(CompressionLayer::new())
        .layer(cors(&config.server.cors_allowed_origins))
        .layer(from_fn_with_state(
            security_headers::SecurityHeaders {
                hsts: config.server.hsts,
            },
            security_headers::layer,
        ))
        .layer(from_fn(metrics::layer))
        .layer(from_fn(request_id::layer))
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let custom = |name: &'static str| HeaderName::from_static(name);
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            custom("idempotency-key"),
            custom(request_id::HEADER),
            custom("x-api-key"),
            custom("x-api-timestamp"),
            custom("x-api-signature"),
        ])
        .expose_headers([
            custom(request_id::HEADER),
            custom("x-ratelimit-limit"),
            custom("x-ratelimit-remaining"),
            custom(crate::middleware::idempotency::REPLAYED_HEADER),
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(600))
}
