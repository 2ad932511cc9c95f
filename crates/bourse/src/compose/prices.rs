//! Where portfolio valuations get their prices. No rate provider is part of this server yet, so the source
//! answers every pair honestly as unavailable; valuations then list the holdings without a value and mark
//! themselves partial, and rebalancing answers 503. Nothing invents a price.

use money::AssetCode;
use platform::bus::BoxFuture;
use portfolio::{Price, PriceError, PriceSource};

pub(super) struct NoRateProvider;

impl PriceSource for NoRateProvider {
    fn price<'a>(
        &'a self,
        _asset: &'a AssetCode,
        _currency: &'a AssetCode,
    ) -> BoxFuture<'a, Result<Price, PriceError>> {
        Box::pin(std::future::ready(Err(PriceError::Unavailable {
            provider: "rates".to_owned(),
            reason: "no rate provider is configured".to_owned(),
        })))
    }
}
