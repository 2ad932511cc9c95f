//! The one decimal syntax of the platform, and the one conversion between decimal text and an integer count of
//! `10^-places` units (minor units of an asset, ticks and lots of a market, the digits of a rate). Every crate
//! that reads or writes a decimal goes through here.

use crate::MoneyError;
use crate::rounding::{Dropped, Rounded, RoundingMode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Text that is a plain non-negative decimal number: digits, optionally a point and more digits (`"12"`, `"0.5"`).
/// No sign, exponent, spaces, separators or JSON number: a request body states money only this way. It knows
/// nothing of an asset yet; [`crate::Amount::parse`] checks it against one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DecimalString(String);

impl DecimalString {
    /// Longer text is refused before any arithmetic: 39 digits fill a `u128`, so 80 leaves room for a
    /// long fraction and a point without letting a client send megabytes of digits.
    pub const MAX_LEN: usize = 80;

    pub fn parse(text: &str) -> Result<DecimalString, MoneyError> {
        if text.len() > Self::MAX_LEN {
            return Err(MoneyError::TooLarge);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
            return Err(MoneyError::Malformed);
        }
        Ok(DecimalString(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits before and after the point (the latter empty when there is no point).
    fn parts(&self) -> (&str, &str) {
        self.0.split_once('.').unwrap_or((&self.0, ""))
    }

    /// How many digits follow the point as written, trailing zeros included (`"0.010"`: 3).
    pub fn written_places(&self) -> usize {
        self.parts().1.len()
    }

    /// The value in units of `10^-places`, exactly: more significant decimals than `places` is
    /// [`MoneyError::TooManyDecimals`], never a rounding; trailing zeros beyond them are accepted. Beyond `u128`
    /// is [`MoneyError::TooLarge`].
    pub fn to_scaled(&self, places: u8) -> Result<u128, MoneyError> {
        let (whole, fraction) = self.parts();
        let significant = fraction.trim_end_matches('0');
        if significant.len() > usize::from(places) {
            return Err(MoneyError::TooManyDecimals(places));
        }
        scaled(whole, significant, places)
    }

    /// The value in units of `10^-places`, rounded by `mode` when it has more decimals, and whether it was exact.
    /// Beyond `u128` (after rounding) is [`MoneyError::TooLarge`].
    pub fn to_scaled_rounded(&self, places: u8, mode: RoundingMode) -> Result<Rounded, MoneyError> {
        let (whole, fraction) = self.parts();
        let (kept, dropped) = fraction.split_at(fraction.len().min(usize::from(places)));
        let dropped = Dropped::of_digits(dropped.as_bytes());
        let truncated = scaled(whole, kept, places)?;
        let value = match mode.bumps(dropped, truncated) {
            true => truncated.checked_add(1).ok_or(MoneyError::TooLarge)?,
            false => truncated,
        };
        Ok(Rounded {
            value,
            exact: dropped == Dropped::Nothing,
        })
    }

    /// `units` of `10^-places` written with exactly `places` decimals (`1234` at 2: `"12.34"`; at 0: `"1234"`).
    pub fn from_scaled(units: u128, places: u8) -> DecimalString {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = write_scaled(&mut text, units, places);
        DecimalString(text)
    }
}

/// `whole.fraction` in units of `10^-places`; `fraction` has at most `places` digits, all ASCII digits.
fn scaled(whole: &str, fraction: &str, places: u8) -> Result<u128, MoneyError> {
    let padding = std::iter::repeat_n(b'0', usize::from(places) - fraction.len());
    whole
        .bytes()
        .chain(fraction.bytes())
        .chain(padding)
        .try_fold(0u128, |value, digit| {
            value.checked_mul(10)?.checked_add(u128::from(digit - b'0'))
        })
        .ok_or(MoneyError::TooLarge)
}

/// Writes `units` of `10^-places` with exactly `places` decimals, without allocating: the formatter behind
/// [`DecimalString::from_scaled`] and the `Display` of amounts.
pub(crate) fn write_scaled(out: &mut impl fmt::Write, units: u128, places: u8) -> fmt::Result {
    let places = usize::from(places);
    if places == 0 {
        return write!(out, "{units}");
    }
    // 10^39 and above do not fit a u128, and every u128 is below them: all of it is fraction then.
    let (whole, fraction) = match 10u128.checked_pow(places as u32) {
        Some(scale) => (units / scale, units % scale),
        None => (0, units),
    };
    write!(out, "{whole}.{fraction:0places$}")
}

impl fmt::Display for DecimalString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DecimalString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecimalString({})", self.0)
    }
}

impl Serialize for DecimalString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DecimalString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DecimalString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"12.50\" (a JSON string, not a number)")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<DecimalString, E> {
                DecimalString::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_are_accepted() {
        for good in ["0", "1", "12.50", "0.00000001", "1000000"] {
            assert_eq!(DecimalString::parse(good).map(|d| d.to_string()), Ok(good.to_owned()));
        }
    }

    #[test]
    fn signs_exponents_and_stray_characters_are_refused() {
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e5", "1E5", "1,000", " 1", "1 ", "0x10", "1.2.3", "NaN", "١",
        ] {
            assert_eq!(DecimalString::parse(bad), Err(MoneyError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn absurdly_long_text_is_too_large() {
        assert_eq!(DecimalString::parse(&"9".repeat(81)), Err(MoneyError::TooLarge));
    }

    fn d(text: &str) -> DecimalString {
        DecimalString::parse(text).unwrap()
    }

    #[test]
    fn scaled_values_are_exact_or_refused() {
        assert_eq!(d("12.5").to_scaled(2), Ok(1250));
        assert_eq!(d("12.500").to_scaled(1), Ok(125));
        assert_eq!(d("0.001").to_scaled(2), Err(MoneyError::TooManyDecimals(2)));
        assert_eq!(d("0").to_scaled(60), Ok(0));
        assert_eq!(d(&u128::MAX.to_string()).to_scaled(0), Ok(u128::MAX));
        assert_eq!(d(&u128::MAX.to_string()).to_scaled(1), Err(MoneyError::TooLarge));
        assert_eq!(d("0.010").written_places(), 3);
        assert_eq!(d("7").written_places(), 0);
    }

    #[test]
    fn scaled_values_round_as_asked() {
        let rounded = |text: &str, places, mode| d(text).to_scaled_rounded(places, mode);
        let r = |value, exact| Ok(Rounded { value, exact });
        assert_eq!(rounded("1.25", 1, RoundingMode::Down), r(12, false));
        assert_eq!(rounded("1.25", 1, RoundingMode::Up), r(13, false));
        assert_eq!(rounded("1.25", 1, RoundingMode::HalfEven), r(12, false));
        assert_eq!(rounded("1.35", 1, RoundingMode::HalfEven), r(14, false));
        assert_eq!(rounded("1.2500001", 1, RoundingMode::HalfEven), r(13, false));
        assert_eq!(rounded("1.2000", 1, RoundingMode::Up), r(12, true));
        assert_eq!(rounded("0.9", 0, RoundingMode::Up), r(1, false));
        assert_eq!(
            rounded(&format!("{}.1", u128::MAX), 0, RoundingMode::Up),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            rounded(&format!("{}.1", u128::MAX), 0, RoundingMode::Down),
            r(u128::MAX, false)
        );
    }

    #[test]
    fn scaled_values_are_written_with_every_place() {
        assert_eq!(DecimalString::from_scaled(1234, 2).as_str(), "12.34");
        assert_eq!(DecimalString::from_scaled(5, 3).as_str(), "0.005");
        assert_eq!(DecimalString::from_scaled(7, 0).as_str(), "7");
        assert_eq!(DecimalString::from_scaled(0, 2).as_str(), "0.00");
        assert_eq!(
            DecimalString::from_scaled(12, 40).as_str(),
            format!("0.{}12", "0".repeat(38))
        );
        let max = u128::MAX.to_string();
        assert_eq!(
            DecimalString::from_scaled(u128::MAX, 38).as_str(),
            format!("{}.{}", &max[..1], &max[1..])
        );
    }

    proptest::proptest! {
        #[test]
        fn writing_then_reading_scaled_units_is_the_identity(units in proptest::prelude::any::<u128>(), places in 0u8..=40) {
            let text = DecimalString::from_scaled(units, places);
            proptest::prop_assert_eq!(DecimalString::parse(text.as_str()).and_then(|t| t.to_scaled(places)), Ok(units));
        }
    }

    #[test]
    fn json_numbers_are_refused() {
        assert!(serde_json::from_str::<DecimalString>("1.5").is_err());
        assert!(serde_json::from_str::<DecimalString>("\"1.5\"").is_ok());
    }
}
