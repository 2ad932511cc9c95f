//! Each context's services, built once from the configuration and shared by the HTTP handlers and the workers.

use super::StartupError;
use crate::Settings;
use api::RateLimits;
use api::state::Services;
use chrono::Duration as TimeSpan;
use funding::{Deposits, DestinationVault, WithdrawalDestinations, Withdrawals};
use identity::{
    AccessTokens, Accounts, ApiKeys, LockoutPolicy, PasswordHasher, SessionPolicy, SessionView, Sessions, Staff,
    TwoFactor,
};
use ledger::{AssetCatalogue, Ledger};
use platform::crypto::SecretBox;
use platform::replay::{RedisTokens, ReplayGuard};
use platform::{Clock, Config, Db, EventBus, Keys};
use portfolio::Portfolio;
use std::sync::Arc;
use std::time::Duration;

/// Signatures accepted in the last two windows can number at most what the global rate limit lets through; this
/// is far above that for any sane configuration, and bounds the memory a flood could take.
const LOCAL_REPLAY_CAPACITY: usize = 200_000;
/// Nodes that share Redis share this key space; key ids are UUIDs, so deployments sharing one Redis cannot collide.
const REDIS_REPLAY_PREFIX: &str = "bourse:api-key-seen";

/// Configuration durations are whole seconds bounded by validation, so this cannot overflow in practice.
fn seconds(secs: u64) -> TimeSpan {
    TimeSpan::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
}

pub(super) async fn build(
    settings: Settings,
    keys: Keys,
    db: Db,
    bus: Arc<dyn EventBus>,
    clock: Arc<dyn Clock>,
) -> Result<Services, StartupError> {
    let Settings {
        platform: config,
        identity,
        ledger: _,
        funding,
        rates,
        portfolio,
        trading,
    } = settings;
    let assets = AssetCatalogue::new(db.clone());
    funding::check_config(&funding, &assets)
        .await
        .map_err(StartupError::WithdrawalLimits)?;
    let hasher = PasswordHasher::from_config(&identity)?;
    let access_tokens = AccessTokens::new(keys.jwt_secret.expose(), identity.access_token_ttl_secs);
    let rate_limits = RateLimits::from_config(&config, clock.clone(), access_tokens.clone())?;
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
        lockout: LockoutPolicy {
            max_failures: identity.login_max_failures,
            window: seconds(identity.login_lockout_secs),
        },
        refresh_ttl: seconds(identity.refresh_token_ttl_secs),
    };
    let sessions = Sessions::new(db.clone(), clock.clone(), hasher.clone(), policy, two_factor.clone())
        .with_session_view(session_view.clone());
    let api_keys = ApiKeys::new(
        db.clone(),
        clock.clone(),
        SecretBox::new(keys.data_encryption_key.expose()),
        seconds(identity.api_key_window_secs),
        replay_guard(&config)?,
        two_factor.clone(),
    );
    let ledger = Ledger::new(db.clone(), clock.clone());
    let accounts = Accounts::new(db.clone(), clock.clone(), hasher.clone()).with_session_view(session_view.clone());
    let funding = Arc::new(funding);
    let vault = DestinationVault::new(keys.data_encryption_key.expose());
    let withdrawal_destinations = WithdrawalDestinations::new(
        ledger.clone(),
        db.clone(),
        funding.clone(),
        vault.clone(),
        two_factor.clone(),
    );
    let pro_users = accounts.users_of_tier(identity::Tier::Pro).await?;
    let trading =
        trading::Trading::open(db.clone(), ledger.clone(), Arc::new(trading), clock.clone(), pro_users).await?;
    let own = super::prices::MarketPrices(trading.clone());
    let rates = build_rates(&config, &rates, &assets, &db, &clock, own).await?;
    let portfolio = Portfolio::new(
        db.clone(),
        ledger.clone(),
        Arc::new(super::prices::LiveRates(rates.clone())),
        clock.clone(),
        Arc::new(portfolio),
    );
    Ok(Services {
        config: Arc::new(config),
        trading,
        portfolio,
        assets,
        deposits: Deposits::new(ledger.clone(), db.clone(), accounts.clone(), funding.clone()),
        withdrawals: Withdrawals::new(
            ledger.clone(),
            db.clone(),
            funding,
            vault,
            withdrawal_destinations.clone(),
            two_factor.clone(),
        ),
        withdrawal_destinations,
        ledger,
        accounts,
        sessions,
        two_factor,
        staff: Staff::new(db.clone(), clock.clone(), hasher.clone()).with_session_view(session_view),
        api_keys,
        password_hasher: hasher,
        rate_limits,
        db,
        bus,
        clock,
        keys: Arc::new(keys),
        rates,
    })
}

/// Where accepted API-key signatures are remembered: Redis when configured, so a request accepted by one node is
/// refused by every other; in process otherwise.
fn replay_guard(config: &Config) -> Result<ReplayGuard, StartupError> {
    match &config.storage.redis_url {
        Some(url) => {
            let timeout = Duration::from_millis(config.rate_limits.redis_timeout_ms);
            let tokens = RedisTokens::new(url.expose(), REDIS_REPLAY_PREFIX, timeout)
                .map_err(|e| StartupError::Replay(e.to_string()))?;
            Ok(ReplayGuard::Redis(tokens))
        }
        None => Ok(ReplayGuard::local(LOCAL_REPLAY_CAPACITY)),
    }
}

/// The rates service: its cache in Redis when configured (shared by the nodes), in process otherwise; the
/// configuration's assets checked against the catalogue.
async fn build_rates(
    config: &Config,
    rates: &rates::RatesConfig,
    assets: &AssetCatalogue,
    db: &Db,
    clock: &Arc<dyn Clock>,
    own: super::prices::MarketPrices,
) -> Result<rates::Rates, StartupError> {
    let cache = match &config.storage.redis_url {
        Some(url) => {
            let timeout = Duration::from_millis(config.rate_limits.redis_timeout_ms);
            rates::RateCache::redis(url.expose(), &rates.redis_prefix, timeout)
                .map_err(|e| StartupError::Rates(e.to_string()))?
        }
        None => rates::RateCache::local(),
    };
    let own: Vec<Box<dyn rates::RateProvider>> = vec![Box::new(own)];
    let service = rates::Rates::with_own(rates, cache, assets.clone(), db.clone(), clock.clone(), own)
        .map_err(StartupError::Rates)?;
    service.check_catalogue(rates).await.map_err(StartupError::Rates)?;
    Ok(service)
}
