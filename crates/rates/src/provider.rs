//! One small trait every rate source implements: CoinGecko, the HTTP FX source and the static table today; the
//! platform's own market prices plug in the same way.

use crate::error::ProviderError;
use chrono::{DateTime, Utc};
use ledger::Asset;
use money::{AssetCode, Rate};
use rust_decimal::Decimal;
use std::future::Future;
use std::pin::Pin;

/// What a provider says about one pair: 1 base = `rate` quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Quoted {
    pub rate: Rate,
    /// The provider's time for the value; `None` when it gives none, and the fetch time is used.
    pub as_of: Option<DateTime<Utc>>,
    /// Change over 24 hours in percent, where the provider gives it.
    pub change_24h: Option<Decimal>,
}

/// The answer for each quote asked for: a provider may price some and not others (a missing or absurd field
/// is an error for that pair alone).
pub type Fetched = Vec<(AssetCode, Result<Quoted, ProviderError>)>;

pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Fetched, ProviderError>> + Send + 'a>>;

pub trait RateProvider: Send + Sync + 'static {
    /// The name answers carry in `source` and errors name (`coingecko`, `fx`, `static`).
    fn name(&self) -> &'static str;

    /// Whether this provider prices `base` in `quote` directly, decided from configuration alone (no call).
    fn knows(&self, base: &Asset, quote: &Asset) -> bool;

    /// The price of `base` in each of `quotes`; an error of the whole call (unreachable, malformed body) is the
    /// outer `Err`.
    fn fetch<'a>(&'a self, base: &'a AssetCode, quotes: &'a [AssetCode]) -> FetchFuture<'a>;
}
