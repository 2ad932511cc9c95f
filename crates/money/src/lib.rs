//! Exact money types. An amount is an integer count of an asset's minor units (`u128`, wide enough for
//! 18-decimal assets) and only ever meets decimal text at the edges, through [`DecimalString`] and
//! [`Amount::parse`]. There is no floating point anywhere in this crate, and nothing here ever rounds: input with
//! more decimals than an asset allows is an error.

mod amount;
mod asset_code;
mod decimal_string;
mod error;
mod precision;
mod signed_amount;

pub use amount::Amount;
pub use asset_code::AssetCode;
pub use decimal_string::DecimalString;
pub use error::MoneyError;
pub use precision::Precision;
pub use signed_amount::SignedAmount;
