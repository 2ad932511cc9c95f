//! Where a withdrawal goes, as a request gives it; `funding` checks it against the asset's kind.

use funding::DestinationInput;
use serde::Deserialize;
use utoipa::ToSchema;

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

impl From<DestinationBody> for DestinationInput {
    fn from(body: DestinationBody) -> Self {
        DestinationInput {
            address: body.address,
            iban: body.iban,
            name: body.name,
        }
    }
}
