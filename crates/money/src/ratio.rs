//! Exact scaling by a ratio, for code that divides money: an allocation share, a target weight, an amount of an
//! asset bought with a sum of the quote. The product is kept whole in 256 bits and divided once, so nothing is
//! lost before the one rounding the caller names.

use crate::rounding::RoundingMode;
use crate::wide::U256;
use crate::{MoneyError, Precision, Rate};
use std::num::NonZeroU128;

/// `a · b / c`, rounded once by `mode`; a result beyond `u128` is [`MoneyError::Overflow`].
pub fn mul_div(a: u128, b: u128, c: NonZeroU128, mode: RoundingMode) -> Result<u128, MoneyError> {
    U256::product(a, b)
        .div_rounded(U256::from_u128(c.get()), mode)
        .to_u128()
        .ok_or(MoneyError::Overflow)
}

impl Rate {
    /// The way back of [`Rate::convert`]: `quote_minor` minor units of the quote (precision `quote`) divided by
    /// this rate, in minor units of the base (precision `base`), rounded once by `mode`. With 61234.5 EUR per
    /// BTC, 612.345 EUR is 0.01 BTC.
    pub fn convert_back(
        self,
        quote_minor: u128,
        quote: Precision,
        base: Precision,
        mode: RoundingMode,
    ) -> Result<u128, MoneyError> {
        let rate = self.as_decimal();
        let mantissa = rate.mantissa().unsigned_abs();
        // quote · 10^-q / (m · 10^-s) in units of 10^-b = quote · 10^(b + s) / (m · 10^q). b + s ≤ 36 and q ≤ 18.
        let up = 10u128.pow(u32::from(base.get()) + rate.scale());
        let numerator = U256::product(quote_minor, up);
        let denominator = U256::product(mantissa, 10u128.pow(u32::from(quote.get())));
        numerator
            .div_rounded(denominator, mode)
            .to_u128()
            .ok_or(MoneyError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(places: u8) -> Precision {
        Precision::new(places).unwrap()
    }

    #[test]
    fn mul_div_rounds_once_after_the_whole_product() {
        let three = NonZeroU128::new(3).unwrap();
        assert_eq!(mul_div(10, 1, three, RoundingMode::Down), Ok(3));
        assert_eq!(mul_div(10, 1, three, RoundingMode::Up), Ok(4));
        assert_eq!(mul_div(u128::MAX, 3, three, RoundingMode::Down), Ok(u128::MAX));
        assert_eq!(
            mul_div(u128::MAX, 4, three, RoundingMode::Down),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn convert_back_divides_by_the_rate_and_rounds_once() {
        let rate = Rate::parse("61234.5").unwrap();
        // 612.345 EUR at 61234.5 EUR per BTC is exactly 0.01 BTC.
        assert_eq!(
            rate.convert_back(612_345, p(3), p(8), RoundingMode::Down),
            Ok(1_000_000)
        );
        // 100.00 EUR is 0.001633067...: 0.00163306 BTC down, 0.00163307 up.
        assert_eq!(rate.convert_back(10_000, p(2), p(8), RoundingMode::Down), Ok(163_306));
        assert_eq!(rate.convert_back(10_000, p(2), p(8), RoundingMode::Up), Ok(163_307));
    }
}
