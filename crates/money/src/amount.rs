use crate::decimal_string::write_scaled;
use crate::{DecimalString, MoneyError, Precision};
use serde::{Serialize, Serializer};
use std::fmt;

/// An exact quantity of some asset: an integer count of minor units and the precision they are counted in.
/// Arithmetic is checked (overflow and underflow are errors, never wraps) and only combines amounts of one
/// precision.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount {
    minor: u128,
    precision: Precision,
}

impl Amount {
    pub fn from_minor(minor: u128, precision: Precision) -> Amount {
        Amount { minor, precision }
    }

    pub fn zero(precision: Precision) -> Amount {
        Amount::from_minor(0, precision)
    }

    /// Reads decimal text at `precision`. More significant decimals than the precision allows is an error, never
    /// a rounding; trailing zeros beyond it (`"100.00"` of a 0-decimal asset) change nothing and are accepted.
    pub fn parse(text: &str, precision: Precision) -> Result<Amount, MoneyError> {
        Amount::from_decimal(&DecimalString::parse(text)?, precision)
    }

    /// As [`Amount::parse`], for text already known to be a decimal.
    pub fn from_decimal(text: &DecimalString, precision: Precision) -> Result<Amount, MoneyError> {
        let minor = text.to_scaled(precision.get())?;
        Ok(Amount { minor, precision })
    }

    /// As [`Amount::parse`], and zero is refused: what a request moves must be something.
    pub fn parse_positive(text: &str, precision: Precision) -> Result<Amount, MoneyError> {
        let amount = Amount::parse(text, precision)?;
        if amount.is_zero() {
            return Err(MoneyError::NotPositive);
        }
        Ok(amount)
    }

    pub fn minor(self) -> u128 {
        self.minor
    }

    pub fn precision(self) -> Precision {
        self.precision
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, MoneyError> {
        self.same_precision(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Amount { minor, ..self })
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, MoneyError> {
        self.same_precision(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Underflow)?;
        Ok(Amount { minor, ..self })
    }

    fn same_precision(self, other: Amount) -> Result<(), MoneyError> {
        if self.precision != other.precision {
            return Err(MoneyError::PrecisionMismatch);
        }
        Ok(())
    }
}

/// Always every decimal place of the precision: `"0.50000000"` for half a bitcoin, `"12"` for twelve yen.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, self.minor, self.precision.get())
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({self})")
    }
}

/// Serialised as its decimal string: money never travels as a JSON number.
impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(places: u8) -> Precision {
        Precision::new(places).unwrap()
    }

    #[test]
    fn decimals_become_minor_units() {
        assert_eq!(Amount::parse("12.5", p(2)).map(Amount::minor), Ok(1250));
        assert_eq!(Amount::parse("0.00000001", p(8)).map(Amount::minor), Ok(1));
        assert_eq!(Amount::parse("7", p(0)).map(Amount::minor), Ok(7));
        assert_eq!(
            Amount::parse("1.000000000000000001", p(18)).map(Amount::minor),
            Ok(1_000_000_000_000_000_001)
        );
    }

    #[test]
    fn more_decimals_than_the_precision_is_an_error_not_a_rounding() {
        assert_eq!(Amount::parse("0.001", p(2)), Err(MoneyError::TooManyDecimals(2)));
        assert_eq!(Amount::parse("1.5", p(0)), Err(MoneyError::TooManyDecimals(0)));
        assert_eq!(Amount::parse("0.000000001", p(8)), Err(MoneyError::TooManyDecimals(8)));
    }

    #[test]
    fn trailing_zeros_beyond_the_precision_change_nothing() {
        assert_eq!(Amount::parse("100.00", p(0)).map(Amount::minor), Ok(100));
        assert_eq!(Amount::parse("1.2300", p(2)).map(Amount::minor), Ok(123));
    }

    #[test]
    fn amounts_beyond_u128_are_too_large() {
        let max = u128::MAX.to_string();
        assert_eq!(Amount::parse(&max, p(0)).map(Amount::minor), Ok(u128::MAX));
        assert_eq!(Amount::parse(&format!("{max}0"), p(0)), Err(MoneyError::TooLarge));
        assert_eq!(Amount::parse("340282366920938463464", p(18)), Err(MoneyError::TooLarge));
    }

    #[test]
    fn zero_is_not_positive() {
        assert_eq!(Amount::parse_positive("0.00", p(2)), Err(MoneyError::NotPositive));
        assert!(Amount::parse_positive("0.01", p(2)).is_ok());
    }

    #[test]
    fn display_shows_every_place_of_the_precision() {
        assert_eq!(Amount::from_minor(50_000_000, p(8)).to_string(), "0.50000000");
        assert_eq!(Amount::from_minor(12, p(0)).to_string(), "12");
        assert_eq!(Amount::from_minor(1, p(18)).to_string(), "0.000000000000000001");
        assert_eq!(
            serde_json::to_string(&Amount::from_minor(105, p(2))).unwrap(),
            "\"1.05\""
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Amount::from_minor(u128::MAX, p(2));
        assert_eq!(a.checked_add(Amount::from_minor(1, p(2))), Err(MoneyError::Overflow));
        assert_eq!(
            Amount::zero(p(2)).checked_sub(Amount::from_minor(1, p(2))),
            Err(MoneyError::Underflow)
        );
        assert_eq!(
            Amount::zero(p(2)).checked_add(Amount::zero(p(8))),
            Err(MoneyError::PrecisionMismatch)
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_is_the_identity(minor in any::<u128>(), places in 0u8..=18) {
            let amount = Amount::from_minor(minor, p(places));
            prop_assert_eq!(Amount::parse(&amount.to_string(), p(places)), Ok(amount));
        }

        #[test]
        fn add_then_sub_gives_back_the_start(a in any::<u64>(), b in any::<u64>(), places in 0u8..=18) {
            let (x, y) = (Amount::from_minor(a.into(), p(places)), Amount::from_minor(b.into(), p(places)));
            let sum = x.checked_add(y).unwrap();
            prop_assert_eq!(sum.checked_sub(y), Ok(x));
            prop_assert_eq!(sum.minor(), u128::from(a) + u128::from(b));
        }

        #[test]
        fn parse_never_panics(text in "[0-9.]{0,45}", places in 0u8..=18) {
            let _ = Amount::parse(&text, p(places));
        }

        #[test]
        fn parsing_never_rounds(whole in 0u64.., fraction in "[0-9]{1,20}", places in 0u8..=18) {
            let text = format!("{whole}.{fraction}");
            match Amount::parse(&text, p(places)) {
                Ok(amount) => {
                    let shown = amount.to_string();
                    let trim = |s: &str| match s.contains('.') {
                        true => s.trim_end_matches('0').trim_end_matches('.').to_owned(),
                        false => s.to_owned(),
                    };
                    prop_assert_eq!(trim(&shown), trim(&text));
                }
                Err(e) => prop_assert_eq!(e, MoneyError::TooManyDecimals(places)),
            }
        }
    }
}
