use crate::MoneyError;
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
    pub(crate) fn parts(&self) -> (&str, &str) {
        self.0.split_once('.').unwrap_or((&self.0, ""))
    }
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

    #[test]
    fn json_numbers_are_refused() {
        assert!(serde_json::from_str::<DecimalString>("1.5").is_err());
        assert!(serde_json::from_str::<DecimalString>("\"1.5\"").is_ok());
    }
}
