//! A Frankfurter-compatible fiat source: `GET {base_url}/latest?from=USD&to=EUR,GBP` answers
//! `{"base":"USD","date":"2026-12-01","rates":{"EUR":0.9234,"GBP":0.79}}`.

use crate::decimal::rate_from_provider;
use crate::error::ProviderError;
use crate::http::Upstream;
use crate::provider::{FetchFuture, Fetched, Quoted, RateProvider};
use chrono::NaiveDate;
use ledger::{Asset, AssetKind};
use money::AssetCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

pub struct HttpFx {
    upstream: Upstream,
    base_url: String,
    currencies: Vec<String>,
}

#[derive(Deserialize)]
struct Answer {
    base: String,
    date: Option<String>,
    rates: HashMap<String, Box<RawValue>>,
}

impl HttpFx {
    pub fn new(upstream: Upstream, base_url: &str, currencies: Vec<String>) -> HttpFx {
        HttpFx {
            upstream,
            base_url: base_url.trim_end_matches('/').to_owned(),
            currencies,
        }
    }

    async fn fetch_rates(&self, base: &AssetCode, quotes: &[AssetCode]) -> Result<Fetched, ProviderError> {
        let to: Vec<&str> = quotes.iter().map(AssetCode::as_str).collect();
        let query = [("from", base.to_string()), ("to", to.join(","))];
        let url = format!("{}/latest", self.base_url);
        let body = self.upstream.get("fx", &url, &query, &[]).await?;
        let answer: Answer =
            serde_json::from_slice(&body).map_err(|e| ProviderError::BadAnswer(format!("malformed answer: {e}")))?;
        if answer.base != base.as_str() {
            return Err(ProviderError::BadAnswer(format!(
                "asked for {base} rates, answered for {}",
                answer.base
            )));
        }
        // The provider's date is the day its rates were set.
        let as_of = answer
            .date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        Ok(quotes
            .iter()
            .map(|quote| {
                let result = match answer.rates.get(quote.as_str()) {
                    None => Err(ProviderError::BadAnswer(format!("no {base}/{quote} rate"))),
                    Some(raw) => rate_from_provider(raw.get())
                        .map_err(ProviderError::BadAnswer)
                        .map(|rate| Quoted {
                            rate,
                            as_of,
                            change_24h: None,
                        }),
                };
                (*quote, result)
            })
            .collect())
    }
}

impl RateProvider for HttpFx {
    fn name(&self) -> &'static str {
        "fx"
    }

    fn knows(&self, base: &Asset, quote: &Asset) -> bool {
        let quoted =
            |asset: &Asset| asset.kind == AssetKind::Fiat && self.currencies.iter().any(|c| c == asset.code.as_str());
        quoted(base) && quoted(quote) && base.code != quote.code
    }

    fn fetch<'a>(&'a self, base: &'a AssetCode, quotes: &'a [AssetCode]) -> FetchFuture<'a> {
        Box::pin(self.fetch_rates(base, quotes))
    }
}
