//! Where a withdrawal goes: checked against the asset's kind (an address for a crypto asset, an IBAN and the
//! holder's name for a fiat one), sealed at rest, shown only masked, and fingerprinted so the allow-list can
//! match two spellings of one destination without decrypting anything.

use crate::FundingError;
use ledger::{Asset, AssetKind};
use platform::crypto::SecretBox;
use platform::text::has_hidden_characters;
use platform::{Secret, hmac_sha256};
use serde_json::json;
use std::sync::Arc;

const MAX_NAME_CHARS: usize = 140;

/// A destination as a request gives it: `address` for a crypto asset, `iban` and `name` for a fiat one.
#[derive(Debug, Clone, Default)]
pub struct DestinationInput {
    pub address: Option<String>,
    pub iban: Option<String>,
    pub name: Option<String>,
}

/// Where the money goes, as stored: sealed (only [`DestinationVault`] can open it), with a masked form to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `crypto` or `bank`.
    pub kind: String,
    pub masked: String,
    pub sealed: Vec<u8>,
}

/// A destination checked against its asset's kind, not yet sealed.
pub(crate) struct CheckedDestination {
    /// What is sealed.
    plain: serde_json::Value,
    /// `crypto` or `bank`.
    kind: &'static str,
    pub masked: String,
    /// The canonical text two spellings of one destination share (IBAN spacing and case, the holder's name's
    /// case and spacing), which the allow-list fingerprints.
    normalized: String,
}

/// The destination checked against the asset's kind; refused naming `destination`.
pub(crate) fn check(input: DestinationInput, asset: &Asset) -> Result<CheckedDestination, FundingError> {
    let bad = |reason: &str| FundingError::Invalid {
        field: "destination",
        reason: reason.to_owned(),
    };
    let last4 = |text: &str| {
        let chars: Vec<char> = text.chars().collect();
        format!("…{}", chars[chars.len().saturating_sub(4)..].iter().collect::<String>())
    };
    match asset.kind {
        AssetKind::Crypto => {
            let (Some(address), None, None) = (input.address, input.iban, input.name) else {
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
            let (None, Some(iban), Some(name)) = (input.address, input.iban, input.name) else {
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

/// Seals destinations at rest and fingerprints them, both under the platform's data-encryption key.
#[derive(Clone)]
pub struct DestinationVault {
    sealer: SecretBox,
    fingerprint_key: Arc<Secret<[u8; 32]>>,
}

impl DestinationVault {
    pub fn new(data_encryption_key: &[u8; 32]) -> DestinationVault {
        DestinationVault {
            sealer: SecretBox::new(data_encryption_key),
            fingerprint_key: Arc::new(Secret::new(*data_encryption_key)),
        }
    }

    /// Keyed HMAC-SHA256 of a normalized destination. Keyed so the stored value cannot be checked against
    /// guessed addresses without the server's key; derived from the data-encryption key under its own label, so
    /// no second secret has to be provisioned and the fingerprint is no use as a MAC for anything else.
    pub(crate) fn fingerprint(&self, checked: &CheckedDestination) -> String {
        hmac_sha256::sign_hex(
            self.fingerprint_key.expose(),
            &[
                b"bourse withdrawal-destination fingerprint v1\n",
                checked.normalized.as_bytes(),
            ],
        )
    }

    /// The destination sealed with `associated` data binding it to its row and owner, so it cannot be moved
    /// to another row.
    pub(crate) fn seal(&self, checked: &CheckedDestination, associated: &[u8]) -> Result<Destination, FundingError> {
        let sealed = self
            .sealer
            .seal(checked.plain.to_string().as_bytes(), associated)
            .map_err(|e| FundingError::Seal(e.to_string()))?;
        Ok(Destination {
            kind: checked.kind.to_owned(),
            masked: checked.masked.clone(),
            sealed,
        })
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
