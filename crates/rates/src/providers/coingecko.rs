//! CoinGecko's `/simple/price`: a crypto asset (by its configured coin id) priced in CoinGecko's
//! `vs_currencies`, with the 24 h change.

use crate::decimal::{change_from_provider, rate_from_provider};
use crate::error::ProviderError;
use crate::http::Upstream;
use crate::provider::{FetchFuture, Fetched, Quoted, RateProvider};
use ledger::Asset;
use money::AssetCode;
use platform::Secret;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

/// The `vs_currencies` CoinGecko quotes prices in (its `/simple/supported_vs_currencies`, upper-cased).
const VS_CURRENCIES: [&str; 61] = [
    "BTC", "ETH", "LTC", "BCH", "BNB", "EOS", "XRP", "XLM", "LINK", "DOT", "YFI", "SOL", "USD", "AED", "ARS", "AUD",
    "BDT", "BHD", "BMD", "BRL", "CAD", "CHF", "CLP", "CNY", "CZK", "DKK", "EUR", "GBP", "GEL", "HKD", "HUF", "IDR",
    "ILS", "INR", "JPY", "KRW", "KWD", "LKR", "MMK", "MXN", "MYR", "NGN", "NOK", "NZD", "PHP", "PKR", "PLN", "RUB",
    "SAR", "SEK", "SGD", "THB", "TRY", "TWD", "UAH", "VEF", "VND", "ZAR", "XDR", "XAG", "XAU",
];

pub struct CoinGecko {
    upstream: Upstream,
    base_url: String,
    api_key: Option<Secret<String>>,
    ids: BTreeMap<String, String>,
}

impl CoinGecko {
    pub fn new(
        upstream: Upstream,
        base_url: &str,
        api_key: Option<Secret<String>>,
        ids: BTreeMap<String, String>,
    ) -> CoinGecko {
        CoinGecko {
            upstream,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            ids,
        }
    }

    async fn fetch_prices(&self, base: &AssetCode, quotes: &[AssetCode]) -> Result<Fetched, ProviderError> {
        let id = self
            .ids
            .get(base.as_str())
            .ok_or_else(|| ProviderError::BadAnswer(format!("{base} has no CoinGecko id")))?;
        let vs: Vec<String> = quotes.iter().map(|q| q.as_str().to_ascii_lowercase()).collect();
        let query = [
            ("ids", id.clone()),
            ("vs_currencies", vs.join(",")),
            ("include_24hr_change", "true".to_owned()),
        ];
        let headers: Vec<(&'static str, String)> = self
            .api_key
            .iter()
            .map(|key| ("x-cg-demo-api-key", key.expose().clone()))
            .collect();
        let url = format!("{}/simple/price", self.base_url);
        let body = self.upstream.get("coingecko", &url, &query, &headers).await?;
        // Numbers stay text: every value is read exactly by `decimal`, never through f64.
        let answer: HashMap<String, HashMap<String, Box<RawValue>>> =
            serde_json::from_slice(&body).map_err(|e| ProviderError::BadAnswer(format!("malformed answer: {e}")))?;
        let prices = answer.get(id);
        Ok(quotes
            .iter()
            .zip(&vs)
            .map(|(quote, vs)| {
                let field = |name: &str| prices.and_then(|p| p.get(name)).map(|raw| raw.get());
                let result = match field(vs) {
                    None => Err(ProviderError::BadAnswer(format!("no {id} price in {vs}"))),
                    Some(text) => rate_from_provider(text)
                        .map_err(ProviderError::BadAnswer)
                        .map(|rate| Quoted {
                            rate,
                            as_of: None,
                            // A missing or absurd change leaves the price usable without it.
                            change_24h: field(&format!("{vs}_24h_change"))
                                .and_then(|text| change_from_provider(text).ok()),
                        }),
                };
                (*quote, result)
            })
            .collect())
    }
}

impl RateProvider for CoinGecko {
    fn name(&self) -> &'static str {
        "coingecko"
    }

    fn knows(&self, base: &Asset, quote: &Asset) -> bool {
        self.ids.contains_key(base.code.as_str()) && VS_CURRENCIES.contains(&quote.code.as_str())
    }

    fn fetch<'a>(&'a self, base: &'a AssetCode, quotes: &'a [AssetCode]) -> FetchFuture<'a> {
        Box::pin(self.fetch_prices(base, quotes))
    }
}
