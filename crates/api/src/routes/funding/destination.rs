//! Where a withdrawal goes, as a request gives it and as it is checked against the asset's kind.

use crate::error::ApiError;
use ledger::{Asset, AssetKind};
use platform::text::has_hidden_characters;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

const MAX_NAME_CHARS: usize = 140;

/// Where the money goes: `{ "address" }` for a crypto asset, `{ "iban", "name" }` for a fiat one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationBody {
    /// Crypto assets: the address, 8 to 128 letters and digits.
    #[schema(example = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh")]
    pub address: Option<String>,
    /// Fiat assets: the account's IBAN (spaces allowed), checked with its mod-97 check digits.
    #[schema(example = "DE89 3704 0044 0532 0130 00")]
    pub iban: Option<String>,
    /// Fiat assets: the account holder, at most 140 characters.
    #[schema(example = "Alice Example")]
    pub name: Option<String>,
}

/// A destination checked against its asset's kind.
pub(crate) struct CheckedDestination {
    /// What is sealed.
    pub plain: serde_json::Value,
    /// `crypto` or `bank`.
    pub kind: &'static str,
    pub masked: String,
    /// The canonical text two spellings of one destination share (IBAN spacing and case, the holder's name's
    /// case and spacing), which the allow-list fingerprints.
    pub normalized: String,
}

/// The destination checked against the asset's kind.
pub(crate) fn destination(body: DestinationBody, asset: &Asset) -> Result<CheckedDestination, ApiError> {
    let bad = |reason: &str| ApiError::invalid_field("destination", reason);
    let last4 = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        format!("…{}", chars[chars.len().saturating_sub(4)..].iter().collect::<String>())
    };
    match asset.kind {
        AssetKind::Crypto => {
            let (Some(address), None, None) = (body.address, body.iban, body.name) else {
                return Err(bad("a crypto withdrawal takes exactly { \"address\" }"));
            };
            let address = address.trim().to_owned();
            if !(8..=128).contains(&address.len()) || !address.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad("address must be 8 to 128 letters and digits"));
            }
            Ok(CheckedDestination {
                masked: last4(&address),
                normalized: format!("crypto\n{address}"),
                plain: json!({ "address": address }),
                kind: "crypto",
            })
        }
        AssetKind::Fiat => {
            let (None, Some(iban), Some(name)) = (body.address, body.iban, body.name) else {
                return Err(bad("a fiat withdrawal takes exactly { \"iban\", \"name\" }"));
            };
            let iban: String = iban
                .chars()
                .filter(|c| *c != ' ')
                .collect::<String>()
                .to_ascii_uppercase();
            if !valid_iban(&iban) {
                return Err(bad("iban is not a valid IBAN"));
            }
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || has_hidden_characters(&name) {
                return Err(bad(
                    "name must be 1 to 140 characters without control, bidirectional-override or zero-width characters",
                ));
            }
            let holder = name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            Ok(CheckedDestination {
                masked: last4(&iban),
                normalized: format!("bank\n{iban}\n{holder}"),
                plain: json!({ "iban": iban, "name": name }),
                kind: "bank",
            })
        }
    }
}

/// ISO 13616: 15 to 34 characters, a country code, two check digits, letters and digits; mod 97 equals 1.
fn valid_iban(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut remainder: u32 = 0;
    for b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::valid_iban;

    #[test]
    fn iban_check_digits() {
        assert!(valid_iban("DE89370400440532013000"));
        assert!(valid_iban("GB82WEST12345698765432"));
        assert!(!valid_iban("DE89370400440532013001"));
        assert!(!valid_iban("DE8937"));
    }
}
