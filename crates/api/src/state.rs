use crate::middleware::rate_limit::RateLimits;
use funding::{Deposits, WithdrawalDestinations, Withdrawals};
use identity::{Accounts, ApiKeys, PasswordHasher, Sessions, Staff, TwoFactor};
use ledger::{AssetCatalogue, Ledger};
use platform::{Clock, Config, Db, EventBus, Keys};
use portfolio::Portfolio;
use std::sync::Arc;

/// What handlers reach, built once at start-up. Extractors and layers take a copy of the state for every
/// request, so the copy is one reference count: the services live behind a single `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind [`AppState`].
pub struct Services {
    /// The platform's tables of the configuration.
    pub config: Arc<Config>,
    pub db: Db,
    pub bus: Arc<dyn EventBus>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<Keys>,
    pub assets: AssetCatalogue,
    pub ledger: Ledger,
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub two_factor: TwoFactor,
    pub staff: Staff,
    pub api_keys: ApiKeys,
    pub deposits: Deposits,
    pub withdrawals: Withdrawals,
    pub withdrawal_destinations: WithdrawalDestinations,
    /// The one hasher the contexts above share, so they share its bound on concurrent hashes.
    pub password_hasher: PasswordHasher,
    /// The limiter behind the rate-limit layer, for limits only a handler can key (login per email).
    pub rate_limits: RateLimits,
    pub rates: rates::Rates,
    pub portfolio: Portfolio,
    pub trading: trading::Trading,
}
