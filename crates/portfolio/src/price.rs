//! Where valuations get their prices: a small seam the composition root fills (live rates in production, a fixed
//! table in tests). A price of an asset in itself is 1 and never asked for.

use chrono::{DateTime, Utc};
use money::{AssetCode, Rate};
use platform::bus::BoxFuture;
use rust_decimal::Decimal;

/// How many units of `currency` one unit of an asset is worth, and where that figure comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub rate: Rate,
    pub source: String,
    pub as_of: DateTime<Utc>,
    /// Served from a cache past its freshness because the provider failed.
    pub stale: bool,
    /// The change over the last 24 hours, in percent, when the source gives it.
    pub change_24h: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The source does not price this pair.
    #[error("no price of {asset} in {currency} is available from any configured source")]
    Unsupported { asset: AssetCode, currency: AssetCode },
    /// The source prices the pair but cannot answer now.
    #[error("{provider} is unavailable: {reason}")]
    Unavailable { provider: String, reason: String },
}

pub trait PriceSource: Send + Sync {
    fn price<'a>(&'a self, asset: &'a AssetCode, currency: &'a AssetCode) -> BoxFuture<'a, Result<Price, PriceError>>;
}

/// The price of `asset` in `currency`: 1 for an asset in itself, else the source's answer.
pub(crate) async fn price_of(
    source: &dyn PriceSource,
    asset: &AssetCode,
    currency: &AssetCode,
    now: DateTime<Utc>,
) -> Result<Price, PriceError> {
    if asset == currency {
        return Ok(Price {
            rate: Rate::parse("1").map_err(|e| PriceError::Unavailable {
                provider: "identity".to_owned(),
                reason: e.to_string(),
            })?,
            source: "identity".to_owned(),
            as_of: now,
            stale: false,
            change_24h: Some(Decimal::ZERO),
        });
    }
    source.price(asset, currency).await
}
