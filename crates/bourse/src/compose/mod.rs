//! Wiring: configuration in, a running server out. [`Server::build`] opens storage, builds each context's
//! services ([`services`]), binds the HTTP server over them and prepares the background workers ([`jobs`]);
//! [`Server::run_until_stopped`] starts the workers, serves, and on shutdown stops both and closes the database.

mod jobs;
mod prices;
mod services;

use crate::Settings;
use crate::workers::{Worker, Workers};
use api::{AppState, HttpServer};
use axum::Router;
use platform::{Clock, Config, Db, DbError, EventBus, InProcessBus, KeyError, Keys, SystemClock};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("cannot set up identity: {0}")]
    Identity(#[from] identity::IdentityError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot set up rate limits: {0}")]
    RateLimit(#[from] api::RateLimitSetupError),
    #[error("invalid configuration: {0}")]
    WithdrawalLimits(String),
    #[error("cannot set up the API-key replay guard: {0}")]
    Replay(String),
    #[error("cannot set up rates: {0}")]
    Rates(String),
    #[error("cannot start the markets: {0}")]
    Trading(#[from] trading::TradingError),
    #[error(transparent)]
    Bind(#[from] api::BindError),
}

/// What [`Server::build_with`] may replace.
pub struct BuildOptions {
    /// Routes served beside the real ones; tests add probes here.
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

/// Opens the configured database and applies pending migrations; what `bourse migrate` does.
pub async fn open_database(config: &Config) -> Result<Db, StartupError> {
    let db = platform::db::connect(&config.storage).await?;
    db.migrate().await?;
    Ok(db)
}

/// A built server: listening, with its workers ready, and serving nothing until
/// [`run_until_stopped`](Self::run_until_stopped).
pub struct Server {
    http: HttpServer,
    state: AppState,
    workers: Vec<Worker>,
}

impl Server {
    /// Opens storage, applies migrations, loads keys, builds the services, binds the listener.
    pub async fn build(settings: Settings) -> Result<Server, StartupError> {
        Self::build_with(settings, BuildOptions::default()).await
    }

    /// [`build`](Self::build) with a chosen clock and extra routes; for tests.
    pub async fn build_with(settings: Settings, options: BuildOptions) -> Result<Server, StartupError> {
        let BuildOptions { extra_routes, clock } = options;
        let keys = Keys::load_or_generate(&settings.platform.storage.data_dir, &settings.platform.secrets)?;
        let db = open_database(&settings.platform).await?;
        let released = api::idempotency::end_leases_at_start(&db, clock.now()).await?;
        if released > 0 {
            tracing::warn!(
                released,
                "idempotency claims left running by a stopped process can be retried now"
            );
        }
        let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::default());
        let workers_settings = settings.ledger.clone();
        let services = services::build(settings, keys, db, bus, clock).await?;
        let state = AppState::new(services);
        let workers = jobs::all(&state, &workers_settings);
        let http = HttpServer::bind(state.clone(), extra_routes).await?;
        Ok(Server { http, state, workers })
    }

    /// The address actually bound (port 0 in the configuration becomes a real port here).
    pub fn local_addr(&self) -> SocketAddr {
        self.http.local_addr().unwrap_or(self.state.config.server.listen)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Starts the workers and serves until `shutdown` resolves; then stops accepting, gives requests in flight
    /// up to `shutdown_grace_secs`, stops the workers (the relay publishes what is pending first) and closes
    /// the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Server { http, state, workers } = self;
        let workers = Workers::start(workers);
        let result = http.serve(shutdown).await;
        workers.stop().await;
        state.db.close().await;
        tracing::info!("stopped");
        result
    }
}
