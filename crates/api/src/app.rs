//! Building and running the server: `Application::build(config)` → `local_addr()` → `run_until_stopped()`.

use crate::middleware::rate_limit::{RateLimitSetupError, RateLimits};
use crate::middleware::{api_key, envelope_errors, metrics, rate_limit, request_id, security_headers};
use crate::openapi;
use crate::routes;
use crate::state::{AppState, Services};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use chrono::Duration as TimeSpan;
use identity::{
    AccessTokens, Accounts, ApiKeys, IdentityError, LockoutPolicy, PasswordHasher, SessionPolicy, SessionView,
    Sessions, Staff, TwoFactor,
};
use ledger::{AssetCatalogue, Ledger};
use platform::crypto::SecretBox;
use platform::outbox::Relay;
use platform::replay::{RedisTokens, ReplayGuard};
use platform::{Clock, Config, Db, DbError, EventBus, InProcessBus, KeyError, Keys, SystemClock};
use std::net::SocketAddr;
use std::sync::Arc;
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

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("cannot set up identity: {0}")]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot set up rate limits: {0}")]
    RateLimit(#[from] RateLimitSetupError),
    #[error("invalid configuration: {0}")]
    WithdrawalLimits(String),
    #[error("cannot set up the API-key replay guard: {0}")]
    Replay(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// What [`Application::build_with`] may replace.
pub struct BuildOptions {
    pub extra_routes: Router<AppState>,
    pub clock: Arc<dyn Clock>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            extra_routes: Router::new(),
            clock: Arc::new(SystemClock),
        }
    }
}

/// Configuration durations are whole seconds bounded by validation, so this cannot overflow in practice.
fn seconds(secs: u64) -> TimeSpan {
    TimeSpan::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    relay: Relay,
}

/// Opens the configured database and applies pending migrations; what `bourse migrate` does.
pub async fn open_database(config: &Config) -> Result<Db, StartupError> {
    let db = platform::db::connect(config).await?;
    db.migrate().await?;
    Ok(db)
}

impl Application {
    /// Opens storage, applies migrations, loads keys, binds the listener. Nothing is served until
    /// [`run_until_stopped`](Self::run_until_stopped).
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        Self::build_with(config, BuildOptions::default()).await
    }

    /// [`build`](Self::build) with a chosen clock and extra routes; for tests.
    #[doc(hidden)]
    pub async fn build_with(config: Config, options: BuildOptions) -> Result<Application, StartupError> {
        let BuildOptions { extra_routes, clock } = options;
        let keys = Keys::load_or_generate(&config)?;
        let db = open_database(&config).await?;
        let released = crate::idempotency::end_leases_at_start(&db, clock.now()).await?;
        if released > 0 {
            tracing::warn!(
                released,
                "idempotency claims left running by a stopped process can be retried now"
            );
        }
        crate::withdrawal_rules::check_config(&config, &AssetCatalogue::new(db.clone()))
            .await
            .map_err(StartupError::WithdrawalLimits)?;
        let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::default());
        let relay = Relay::new(db.clone(), bus.clone(), clock.clone());
        let hasher = PasswordHasher::from_config(&config)?;
        let access_tokens = AccessTokens::new(keys.jwt_secret.expose(), config.access_token_ttl_secs);
        let rate_limits = RateLimits::from_config(&config, clock.clone(), access_tokens.clone())?;
        let lockout = LockoutPolicy {
            max_failures: config.login_max_failures,
            window: seconds(config.login_lockout_secs),
        };
        // One view of live sessions for every service that can end one.
        let session_view = SessionView::new();
        let two_factor = TwoFactor::new(
            db.clone(),
            clock.clone(),
            SecretBox::new(keys.data_encryption_key.expose()),
        )
        .with_session_view(session_view.clone());
        let policy = SessionPolicy {
            tokens: access_tokens,
            lockout,
            refresh_ttl: seconds(config.refresh_token_ttl_secs),
        };
        let sessions = Sessions::new(db.clone(), clock.clone(), hasher.clone(), policy, two_factor.clone())
            .with_session_view(session_view.clone());
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Bind {
                addr: config.listen,
                source,
            })?;
        let api_keys = ApiKeys::new(
            db.clone(),
            clock.clone(),
            SecretBox::new(keys.data_encryption_key.expose()),
            seconds(config.api_key_window_secs),
            replay_guard(&config)?,
            two_factor.clone(),
        );
        let state = AppState::new(Services {
            config: Arc::new(config),
            assets: AssetCatalogue::new(db.clone()),
            ledger: Ledger::new(db.clone(), clock.clone()),
            accounts: Accounts::new(db.clone(), clock.clone(), hasher.clone()).with_session_view(session_view.clone()),
            sessions,
            two_factor,
            staff: Staff::new(db.clone(), clock.clone(), hasher.clone()).with_session_view(session_view),
            api_keys,
            password_hasher: hasher,
            relay_waker: relay.waker(),
            rate_limits,
            db,
            bus,
            clock,
            keys: Arc::new(keys),
        });
        let router = router(state.clone(), extra_routes);
        Ok(Application {
            listener,
            router,
            state,
            relay,
        })
    }

    /// The address actually bound (port 0 in the configuration becomes a real port here).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.listen)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, gives in-flight requests up to
    /// `shutdown_grace_secs` to finish, flushes the outbox and closes the pool.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Application {
            listener,
            router,
            state,
            relay,
        } = self;
        let (stop_background, background_stopped) = watch::channel(false);
        let relay_task = tokio::spawn(relay.run(
            Duration::from_millis(state.config.outbox_poll_interval_ms),
            background_stopped.clone(),
        ));
        let expiry_task = tokio::spawn(crate::hold_expiry::run(
            state.ledger.clone(),
            Duration::from_secs(state.config.hold_expiry_interval_secs),
            background_stopped.clone(),
        ));
        let sessions_task = tokio::spawn(state.sessions.view().clone().watch(
            state.db.clone(),
            state.clock.clone(),
            background_stopped.clone(),
        ));
        let upkeep_task = tokio::spawn(metrics_upkeep(background_stopped));

        let (signalled, mut on_signal) = watch::channel(false);
        let limits = crate::serve::ServeLimits::from_config(&state.config);
        let server = crate::serve::serve(listener, router, limits, async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            let _ = signalled.send(true);
        });
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let result = tokio::select! {
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
        };
        let _ = stop_background.send(true);
        let _ = relay_task.await;
        let _ = upkeep_task.await;
        let _ = sessions_task.await;
        let _ = expiry_task.await;
        state.db.close().await;
        tracing::info!("stopped");
        result
    }
}

/// Signatures accepted in the last two windows can number at most what the global rate limit lets through; this
/// is far above that for any sane configuration, and bounds the memory a flood could take.
const LOCAL_REPLAY_CAPACITY: usize = 200_000;
/// Nodes that share Redis share this key space; key ids are UUIDs, so deployments sharing one Redis cannot collide.
const REDIS_REPLAY_PREFIX: &str = "bourse:api-key-seen";

/// Where accepted API-key signatures are remembered: Redis when configured, so a request accepted by one node is
/// refused by every other; in process otherwise.
fn replay_guard(config: &Config) -> Result<ReplayGuard, StartupError> {
    match &config.redis_url {
        Some(url) => {
            let timeout = Duration::from_millis(config.rate_limit_redis_timeout_ms);
            let tokens = RedisTokens::new(url.expose(), REDIS_REPLAY_PREFIX, timeout)
                .map_err(|e| StartupError::Replay(e.to_string()))?;
            Ok(ReplayGuard::Redis(tokens))
        }
        None => Ok(ReplayGuard::local(LOCAL_REPLAY_CAPACITY)),
    }
}

/// Histograms of the Prometheus recorder need periodic upkeep to drain their buffers.
async fn metrics_upkeep(mut stop: watch::Receiver<bool>) {
    let handle = platform::telemetry::prometheus();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => handle.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

fn router(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config.clone();
    let limit = config.body_limit_bytes;
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
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(from_fn(envelope_errors::layer))
        .layer(from_fn_with_state(rate_limits, rate_limit::layer))
        .layer(CompressionLayer::new())
        .layer(cors(&config.cors_allowed_origins))
        .layer(from_fn_with_state(
            security_headers::SecurityHeaders { hsts: config.hsts },
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
