//! Live exchange rates: what one unit of an asset is worth in another, exact to the last digit.
//!
//! - **Providers** behind [`RateProvider`]: the `static_rates` table of the configuration, CoinGecko's
//!   `/simple/price` for crypto assets, and a Frankfurter-compatible FX source for fiat pairs.
//! - **Resolution** of a pair (base, quote): the static table alone when it reaches the pair (as asked,
//!   inverted, or crossed through the pivot); else the first provider, in that order, that prices it as asked or
//!   the other way round (then inverted); otherwise a cross rate through the pivot currency (both assets priced
//!   in the pivot). Inverses and crosses round half-even ([`ROUNDING`]) to the [`money::Rate`] budget. A pair no
//!   provider prices is [`RatesError::Unsupported`]; nothing invents a rate.
//! - **Cache** ([`RateCache`]): fresh for `ttl_secs`, served stale while the provider fails up to
//!   `max_stale_secs`, then [`RatesError::Unavailable`]. Concurrent misses of one key make one upstream call.
//! - **Resilience**: a time budget per fetch with jittered retries, and a [`breaker`] per calling provider.
//! - **Snapshots**: [`Rates::refresh`] (the refresher worker) records `refresh_pairs` in `rates_snapshots` and
//!   publishes [`RATE_UPDATED`] through the outbox when a rate changes; [`Rates::history`] reads them back.

pub mod breaker;
mod cache;
mod config;
mod decimal;
mod error;
mod http;
mod provider;
mod providers;
mod service;
mod store;

pub use breaker::BreakerState;
pub use cache::RateCache;
pub use config::RatesConfig;
pub use decimal::{change_from_provider, rate_from_provider};
pub use error::{ProviderError, RatesError};
pub use provider::{FetchFuture, Fetched, Quoted, RateProvider};
pub use service::{Conversion, History, Interval, MAX_HISTORY_POINTS, MAX_LIVE_SYMBOLS, ROUNDING, RateQuote, Rates};
pub use store::{RATE_UPDATED, StoredPoint as HistoryPoint};
