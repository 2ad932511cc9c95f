use crate::MoneyError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A currency or coin code: 2 to 10 upper-case ASCII letters (`USD`, `BTC`, `USDT`). Kept inline so it is `Copy`
/// and costs no allocation on hot paths.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetCode {
    len: u8,
    bytes: [u8; AssetCode::MAX_LEN],
}

impl AssetCode {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 10;

    pub fn parse(text: &str) -> Result<AssetCode, MoneyError> {
        let raw = text.as_bytes();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len()) || !raw.iter().all(u8::is_ascii_uppercase) {
            return Err(MoneyError::BadAssetCode);
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(AssetCode {
            len: raw.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so the bytes are always valid UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl FromStr for AssetCode {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AssetCode::parse(text)
    }
}

impl fmt::Display for AssetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AssetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetCode({})", self.as_str())
    }
}

impl Serialize for AssetCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AssetCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        AssetCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn upper_case_letters_of_two_to_ten_are_codes() {
        for code in ["US", "USD", "BTC", "USDT", "ABCDEFGHIJ"] {
            assert_eq!(AssetCode::parse(code).map(|c| c.to_string()), Ok(code.to_owned()));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "B",
            "btc",
            "Btc",
            "BTC1",
            "BT C",
            "ABCDEFGHIJK",
            "ÄBC",
            "BTC\0",
            " BTC",
        ] {
            assert_eq!(AssetCode::parse(bad), Err(MoneyError::BadAssetCode), "{bad:?}");
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        let code: AssetCode = serde_json::from_str("\"ETH\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"ETH\"");
        assert!(serde_json::from_str::<AssetCode>("\"eth\"").is_err());
        assert!(serde_json::from_str::<AssetCode>("5").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(text in "\\PC{0,12}") {
            if let Ok(code) = AssetCode::parse(&text) {
                prop_assert_eq!(code.as_str(), text.as_str());
            }
        }

        #[test]
        fn ordering_follows_the_text(a in "[A-Z]{2,10}", b in "[A-Z]{2,10}") {
            let (x, y) = (AssetCode::parse(&a).unwrap(), AssetCode::parse(&b).unwrap());
            prop_assert_eq!(x.as_str().cmp(y.as_str()), a.cmp(&b));
        }
    }
}
