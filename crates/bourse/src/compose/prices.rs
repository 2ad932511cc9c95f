//! Where portfolio valuations get their prices: the live rates of the `rates` context, so a valuation shares
//! its cache, its stale fallback and its breakers with the rate routes.

use money::{AssetCode, Precision, RoundingMode};
use platform::bus::BoxFuture;
use portfolio::{Price, PriceError, PriceSource};
use rates::{RateQuote, Rates, RatesError};

pub(super) struct LiveRates(pub(super) Rates);

impl PriceSource for LiveRates {
    fn price<'a>(&'a self, asset: &'a AssetCode, currency: &'a AssetCode) -> BoxFuture<'a, Result<Price, PriceError>> {
        Box::pin(async move {
            self.0
                .quote(asset, currency)
                .await
                .map(price_of)
                .map_err(|error| refusal(error, asset, currency))
        })
    }
}

fn price_of(quote: RateQuote) -> Price {
    Price {
        rate: quote.rate,
        source: quote.source,
        as_of: quote.as_of,
        stale: quote.stale,
        change_24h: quote.change_24h,
    }
}

/// A pair nobody prices is the portfolio's "unsupported"; anything else is an outage of the rates context,
/// named by its provider where it has one.
fn refusal(error: RatesError, asset: &AssetCode, currency: &AssetCode) -> PriceError {
    match error {
        RatesError::Invalid { .. } | RatesError::Unsupported { .. } => PriceError::Unsupported {
            asset: *asset,
            currency: *currency,
        },
        RatesError::Unavailable { provider, reason } => PriceError::Unavailable {
            provider: provider.to_owned(),
            reason,
        },
        other => PriceError::Unavailable {
            provider: "rates".to_owned(),
            reason: other.to_string(),
        },
    }
}

/// What the tier job values 30-day trading volume with: the same live rates, rounded down (volume never earns a
/// tier by rounding).
pub(crate) struct TradedVolume(pub(crate) Rates);

impl trading::VolumeValuer for TradedVolume {
    fn value<'a>(
        &'a self,
        asset: &'a AssetCode,
        precision: Precision,
        minor: u128,
        currency: &'a AssetCode,
        currency_precision: Precision,
    ) -> BoxFuture<'a, Option<u128>> {
        Box::pin(async move {
            let quote = self.0.quote(asset, currency).await.ok()?;
            quote
                .rate
                .convert(minor, precision, currency_precision, RoundingMode::Down)
                .ok()
        })
    }
}

/// The platform's own markets as a rate source: a pair one of them trades is priced at its last trade.
pub(crate) struct MarketPrices(pub(crate) trading::Trading);

impl rates::RateProvider for MarketPrices {
    fn name(&self) -> &'static str {
        "markets"
    }

    fn knows(&self, base: &ledger::Asset, quote: &ledger::Asset) -> bool {
        self.0.last_price(&base.code, &quote.code).is_some()
    }

    fn fetch<'a>(&'a self, base: &'a AssetCode, quotes: &'a [AssetCode]) -> rates::FetchFuture<'a> {
        Box::pin(async move {
            Ok(quotes
                .iter()
                .map(|quote| {
                    let priced = self
                        .0
                        .last_price(base, quote)
                        .ok_or_else(|| rates::ProviderError::BadAnswer(format!("no trade on {base}{quote} yet")))
                        .and_then(|text| {
                            money::Rate::parse(&text)
                                .map_err(|e| rates::ProviderError::BadAnswer(format!("{base}{quote} {text}: {e}")))
                        })
                        .map(|rate| rates::Quoted {
                            rate,
                            as_of: None,
                            change_24h: None,
                        });
                    (*quote, priced)
                })
                .collect())
        })
    }
}
