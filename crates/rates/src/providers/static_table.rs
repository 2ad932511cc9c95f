//! Rates fixed in configuration (`static_rates`): offline installs and deterministic tests. Their `as_of` is
//! the time the server loaded them.

use crate::error::ProviderError;
use crate::provider::{FetchFuture, Fetched, Quoted, RateProvider};
use chrono::{DateTime, Utc};
use ledger::Asset;
use money::{AssetCode, Rate};
use std::collections::BTreeMap;

pub struct StaticTable {
    rates: BTreeMap<(String, String), Rate>,
    loaded_at: DateTime<Utc>,
}

impl StaticTable {
    pub fn new(rates: BTreeMap<(String, String), Rate>, loaded_at: DateTime<Utc>) -> StaticTable {
        StaticTable { rates, loaded_at }
    }

    fn get(&self, base: &AssetCode, quote: &AssetCode) -> Option<Rate> {
        self.rates.get(&(base.to_string(), quote.to_string())).copied()
    }

    /// The configured pairs, for the start-up check that each names a listed asset.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.rates.keys().flat_map(|(b, q)| [b.as_str(), q.as_str()])
    }
}

impl RateProvider for StaticTable {
    fn name(&self) -> &'static str {
        "static"
    }

    fn knows(&self, base: &Asset, quote: &Asset) -> bool {
        self.get(&base.code, &quote.code).is_some()
    }

    fn fetch<'a>(&'a self, base: &'a AssetCode, quotes: &'a [AssetCode]) -> FetchFuture<'a> {
        let fetched = quotes
            .iter()
            .map(|quote| {
                let result = self
                    .get(base, quote)
                    .map(|rate| Quoted {
                        rate,
                        as_of: Some(self.loaded_at),
                        change_24h: None,
                    })
                    .ok_or_else(|| ProviderError::BadAnswer(format!("no static rate for {base}/{quote}")));
                (*quote, result)
            })
            .collect::<Fetched>();
        Box::pin(std::future::ready(Ok(fetched)))
    }
}
