//! Decimal strings at the edge ⇄ integer ticks and lots inside the engine.
//!
//! The API speaks decimal strings ("0.00150000"); the engine only integers. Conversion is
//! exact or refused: no floats, no rounding, so a price that is not on the tick grid is an
//! error the caller reports rather than a silent change of the order.

use thiserror::Error;

/// Largest supported number of decimals; 10^38 is the u128 limit, 10^30 leaves headroom.
const MAX_DECIMALS: u32 = 30;

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
    decimals: u32,
    /// The increment in units of 10^-decimals.
    step: u128,
}

impl Scale {
    /// A grid from its increment as a decimal string, e.g. "0.01" or "0.005".
    /// Its number of decimals is the precision accepted and printed.
    pub fn from_increment(increment: &str) -> Result<Scale, DecimalError> {
        let (int, frac) = split(increment).map_err(|_| DecimalError::BadIncrement)?;
        let decimals = u32::try_from(frac.len()).map_err(|_| DecimalError::BadIncrement)?;
        if decimals > MAX_DECIMALS {
            return Err(DecimalError::BadIncrement);
        }
        let step = scaled(int, frac, decimals).map_err(|_| DecimalError::BadIncrement)?;
        if step == 0 {
            return Err(DecimalError::BadIncrement);
        }
        Ok(Scale { decimals, step })
    }

    #[must_use]
    pub fn decimals(&self) -> u32 {
        self.decimals
    }

    /// Parses a decimal string into a whole number of increments.
    pub fn parse(&self, s: &str) -> Result<u64, DecimalError> {
        let (int, frac) = split(s)?;
        let significant = frac.trim_end_matches('0');
        if significant.len() > self.decimals as usize {
            return Err(DecimalError::TooManyDecimals(self.decimals));
        }
        let v = scaled(int, significant, self.decimals)?;
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
        if self.decimals == 0 {
            return v.to_string();
        }
        let p = 10u128.pow(self.decimals);
        format!("{}.{:0width$}", v / p, v % p, width = self.decimals as usize)
    }
}

/// Splits "123.45" into ("123", "45"), rejecting anything but ASCII digits and one inner dot.
fn split(s: &str) -> Result<(&str, &str), DecimalError> {
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    if s.starts_with('-') {
        return Err(DecimalError::Negative);
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) if !f.is_empty() => (i, f),
        Some(_) => return Err(DecimalError::Malformed),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return Err(DecimalError::Malformed);
    }
    Ok((int, frac))
}

/// int.frac × 10^decimals as an integer; `frac` has at most `decimals` digits.
fn scaled(int: &str, frac: &str, decimals: u32) -> Result<u128, DecimalError> {
    let mut v: u128 = 0;
    let pad = decimals as usize - frac.len();
    for b in int.bytes().chain(frac.bytes()).chain(std::iter::repeat_n(b'0', pad)) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u128::from(b - b'0')))
            .ok_or(DecimalError::Overflow)?;
    }
    Ok(v)
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
