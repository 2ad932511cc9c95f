//! Decimal strings at the edge ⇄ integer ticks and lots inside the engine.
//!
//! The API speaks decimal strings ("0.00150000"); the engine only integers. Conversion is
//! exact or refused: no floats, no rounding, so a price that is not on the tick grid is an
//! error the caller reports rather than a silent change of the order. The syntax and the
//! digit arithmetic are `money`'s ([`DecimalString`]), so a price reads exactly as an amount
//! does; this module adds only the market's grid.

use money::{DecimalString, MoneyError};
use thiserror::Error;

/// Largest supported number of decimals of an increment; 10^38 is the u128 limit, 10^30 leaves
/// headroom.
const MAX_DECIMALS: u8 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecimalError {
    #[error("empty number")]
    Empty,
    #[error("not a plain decimal number (digits with an optional fractional part)")]
    Malformed,
    #[error("negative numbers are not allowed")]
    Negative,
    #[error("more than {0} decimal places")]
    TooManyDecimals(u32),
    #[error("not a multiple of the increment")]
    OffGrid,
    #[error("number too large")]
    Overflow,
    #[error("the increment must be a positive decimal with at most {MAX_DECIMALS} places")]
    BadIncrement,
}

/// The grid of one quantity of a market: a tick for prices, a lot for quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Decimal places written out and accepted.
    decimals: u8,
    /// The increment in units of 10^-decimals.
    step: u128,
}

impl Scale {
    /// A grid from its increment as a decimal string, e.g. "0.01" or "0.005".
    /// Its number of decimals is the precision accepted and printed.
    pub fn from_increment(increment: &str) -> Result<Scale, DecimalError> {
        let text = DecimalString::parse(increment).map_err(|_| DecimalError::BadIncrement)?;
        let decimals = u8::try_from(text.written_places())
            .ok()
            .filter(|&d| d <= MAX_DECIMALS)
            .ok_or(DecimalError::BadIncrement)?;
        let step = text.to_scaled(decimals).map_err(|_| DecimalError::BadIncrement)?;
        if step == 0 {
            return Err(DecimalError::BadIncrement);
        }
        Ok(Scale { decimals, step })
    }

    #[must_use]
    pub fn decimals(&self) -> u32 {
        u32::from(self.decimals)
    }

    /// Parses a decimal string into a whole number of increments.
    pub fn parse(&self, s: &str) -> Result<u64, DecimalError> {
        let v = DecimalString::parse(s)
            .and_then(|text| text.to_scaled(self.decimals))
            .map_err(|e| match e {
                MoneyError::TooManyDecimals(_) => DecimalError::TooManyDecimals(self.decimals()),
                MoneyError::TooLarge => DecimalError::Overflow,
                // The one syntax refuses these as malformed; the engine's callers are told why.
                _ if s.is_empty() => DecimalError::Empty,
                _ if s.starts_with('-') => DecimalError::Negative,
                _ => DecimalError::Malformed,
            })?;
        if v % self.step != 0 {
            return Err(DecimalError::OffGrid);
        }
        u64::try_from(v / self.step).map_err(|_| DecimalError::Overflow)
    }

    /// Writes a number of increments with exactly `decimals` places.
    #[must_use]
    pub fn format(&self, units: u64) -> String {
        // A u64 times a step below 10^30 can exceed u128 only for absurd grids; saturate then.
        let v = u128::from(units).saturating_mul(self.step);
        DecimalString::from_scaled(v, self.decimals).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents() -> Scale {
        Scale::from_increment("0.01").unwrap()
    }

    #[test]
    fn parses_exact_multiples_of_the_tick() {
        let s = Scale::from_increment("0.005").unwrap();
        assert_eq!(s.parse("1.005"), Ok(201));
        assert_eq!(s.parse("1.01"), Ok(202));
        assert_eq!(s.parse("0"), Ok(0));
        assert_eq!(s.parse("1.003"), Err(DecimalError::OffGrid));
    }

    #[test]
    fn trailing_zeros_beyond_the_precision_are_accepted() {
        assert_eq!(cents().parse("12.3400000"), Ok(1234));
        assert_eq!(cents().parse("12.345"), Err(DecimalError::TooManyDecimals(2)));
    }

    #[test]
    fn rejects_malformed_and_negative_input() {
        for bad in [
            "", "-1", "1.", ".5", "1.2.3", "1e5", " 1", "1 ", "+1", "0x10", "１", "1,5", "NaN",
        ] {
            assert!(cents().parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(cents().parse("-1"), Err(DecimalError::Negative));
    }

    #[test]
    fn rejects_numbers_beyond_u64_ticks() {
        assert_eq!(cents().parse("184467440737095516.15"), Ok(u64::MAX));
        assert_eq!(cents().parse("184467440737095516.16"), Err(DecimalError::Overflow));
        assert_eq!(cents().parse(&"9".repeat(60)), Err(DecimalError::Overflow));
    }

    #[test]
    fn formats_with_fixed_decimals() {
        assert_eq!(cents().format(1234), "12.34");
        assert_eq!(cents().format(5), "0.05");
        assert_eq!(Scale::from_increment("1").unwrap().format(7), "7");
        assert_eq!(
            Scale::from_increment("0.00000001").unwrap().format(150_000),
            "0.00150000"
        );
    }

    #[test]
    fn rejects_bad_increments() {
        for bad in ["0", "0.000", "-0.01", "abc", ""] {
            assert_eq!(Scale::from_increment(bad), Err(DecimalError::BadIncrement), "{bad:?}");
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        let s = Scale::from_increment("0.25").unwrap();
        for units in [0u64, 1, 3, 4, 1_000_003, u64::MAX / 1000] {
            assert_eq!(s.parse(&s.format(units)), Ok(units));
        }
    }
}
