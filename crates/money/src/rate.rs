//! Exact exchange rates, and conversion of amounts through them.
//!
//! A [`Rate`] says how many units of one asset (the quote) one whole unit of another (the base) is worth:
//! `61234.56789` EUR per BTC. It carries no asset codes; whoever holds it knows which pair it prices.
//!
//! # How many digits a rate carries
//!
//! Written without trailing zeros, a rate has **at most 18 decimal places and at most 28 digits in all**
//! (leading zeros not counted), and is greater than zero. The smallest rate is `0.000000000000000001`, the largest
//! `9999999999999999999999999999`. 28 digits is what `rust_decimal` always holds exactly; 18 places matches the
//! finest asset precision and keeps every intermediate of a conversion within 256 bits.
//!
//! - [`Rate::parse`] accepts only text that is such a rate, as written: anything longer is refused, never
//!   rounded.
//! - A rate derived from others ([`Rate::invert`], [`Rate::cross`]) is rounded with the mode the caller gives to
//!   18 decimal places, or to fewer when its integer part is long enough that 18 would exceed 28 digits. One
//!   that rounds to zero or whose integer part alone exceeds 28 digits is [`MoneyError::RateOutOfRange`].
//! - [`Rate::convert`] computes the exact product and rounds once, to the target asset's precision.

use crate::rounding::RoundingMode;
use crate::wide::U256;
use crate::{DecimalString, MoneyError, Precision};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A positive exchange rate within the digits rule of the module. Kept normalised (no trailing zeros), so equal
/// rates are equal values whatever zeros they were written with.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rate(Decimal);

impl Rate {
    pub const MAX_PLACES: u8 = 18;
    pub const MAX_DIGITS: u32 = 28;

    /// A rate from decimal text (`"61234.56789"`): zero, a sign, an exponent, more than 18 decimal places or
    /// more than 28 digits are refused.
    pub fn parse(text: &str) -> Result<Rate, MoneyError> {
        let text = DecimalString::parse(text)?;
        // The parser caps text at 80 characters, so the places always fit.
        let places = u8::try_from(text.written_places()).map_err(|_| MoneyError::RateTooPrecise)?;
        let mantissa = text.to_scaled(places).map_err(|_| MoneyError::RateTooPrecise)?;
        if mantissa == 0 {
            return Err(MoneyError::NotPositive);
        }
        Rate::from_parts(mantissa, u32::from(places)).ok_or(MoneyError::RateTooPrecise)
    }

    /// The rate as a `rust_decimal` value, for code that computes with rates beyond conversion.
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// `amount_minor` of an asset of precision `from`, converted at this rate into minor units of an asset of
    /// precision `to`: the exact product, rounded once by `mode`. A result beyond `u128` is
    /// [`MoneyError::Overflow`].
    pub fn convert(
        self,
        amount_minor: u128,
        from: Precision,
        to: Precision,
        mode: RoundingMode,
    ) -> Result<u128, MoneyError> {
        // amount · 10^-from · mantissa · 10^-places in units of 10^-to.
        let product = U256::product(amount_minor, self.mantissa());
        let down = self.places() + u32::from(from.get());
        let up = u32::from(to.get());
        let result = match up.checked_sub(down) {
            Some(extra) => product.checked_mul(pow10(extra)),
            None => Some(product.div_rounded(U256::from_u128(pow10(down - up)), mode)),
        };
        result.and_then(U256::to_u128).ok_or(MoneyError::Overflow)
    }

    /// The rate the other way round (EUR per BTC becomes BTC per EUR), rounded by `mode` as the module says.
    pub fn invert(self, mode: RoundingMode) -> Result<Rate, MoneyError> {
        Rate::from_ratio(
            U256::from_u128(pow10(self.places())),
            U256::from_u128(self.mantissa()),
            mode,
        )
    }

    /// The rate from one asset to another through a pivot both are priced in: with `from_in_pivot` USD per BTC
    /// and `to_in_pivot` USD per EUR, EUR per BTC. Rounded once by `mode` as the module says.
    pub fn cross(from_in_pivot: Rate, to_in_pivot: Rate, mode: RoundingMode) -> Result<Rate, MoneyError> {
        // (a / 10^sa) / (b / 10^sb) = a · 10^sb / (b · 10^sa)
        let numerator = U256::product(from_in_pivot.mantissa(), pow10(to_in_pivot.places()));
        let denominator = U256::product(to_in_pivot.mantissa(), pow10(from_in_pivot.places()));
        Rate::from_ratio(numerator, denominator, mode)
    }

    fn mantissa(self) -> u128 {
        self.0.mantissa().unsigned_abs()
    }

    fn places(self) -> u32 {
        self.0.scale()
    }

    /// `numerator / denominator` (not zero) rounded to the most places the digits rule allows.
    fn from_ratio(numerator: U256, denominator: U256, mode: RoundingMode) -> Result<Rate, MoneyError> {
        let max_places = u32::from(Rate::MAX_PLACES);
        let finest = numerator
            .checked_mul(pow10(max_places))
            .ok_or(MoneyError::RateOutOfRange)?
            .div_floor(denominator);
        // Every place given up makes room for one more integer digit.
        let given_up = (0..=max_places)
            .find(|&k| finest < U256::product(pow10(Rate::MAX_DIGITS), pow10(k)))
            .ok_or(MoneyError::RateOutOfRange)?;
        let places = max_places - given_up;
        let scaled = numerator.checked_mul(pow10(places)).ok_or(MoneyError::RateOutOfRange)?;
        let mantissa = scaled
            .div_rounded(denominator, mode)
            .to_u128()
            .ok_or(MoneyError::RateOutOfRange)?;
        if mantissa == 0 {
            return Err(MoneyError::RateOutOfRange);
        }
        Rate::from_parts(mantissa, places).ok_or(MoneyError::RateOutOfRange)
    }

    /// `mantissa · 10^-places` (mantissa not zero), normalised, if it keeps the digits rule.
    fn from_parts(mut mantissa: u128, mut places: u32) -> Option<Rate> {
        while places > 0 && mantissa.is_multiple_of(10) {
            mantissa /= 10;
            places -= 1;
        }
        if places > u32::from(Rate::MAX_PLACES) || mantissa >= pow10(Rate::MAX_DIGITS) {
            return None;
        }
        let mantissa = i128::try_from(mantissa).ok()?;
        Decimal::try_from_i128_with_scale(mantissa, places).ok().map(Rate)
    }
}

/// 10^n for the exponents this module uses, all at most 36.
fn pow10(n: u32) -> u128 {
    10u128.pow(n)
}

impl FromStr for Rate {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Rate, MoneyError> {
        Rate::parse(text)
    }
}

/// The decimal with no trailing zeros: `"61234.56789"`, `"1"`.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Places are at most 18.
        let places = u8::try_from(self.places()).map_err(|_| fmt::Error)?;
        crate::decimal_string::write_scaled(f, self.mantissa(), places)
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rate({self})")
    }
}

/// A string, like every rate in JSON.
impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Only from a string: a JSON number is refused, since a float may already have changed its digits.
impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Rate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate as a decimal string such as \"61234.56789\" (a JSON string, not a number)")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Rate, E> {
                Rate::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
#[path = "rate_tests.rs"]
mod tests;
