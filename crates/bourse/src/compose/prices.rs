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
