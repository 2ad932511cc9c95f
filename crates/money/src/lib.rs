//! Exact money types. An amount is an integer count of an asset's minor units (`u128`, wide enough for
//! 18-decimal assets) and only ever meets decimal text at the edges, through [`DecimalString`], the platform's
//! one decimal parser and formatter. There is no floating point anywhere in this crate. Parsing never rounds:
//! input with more decimals than an asset allows is an error. Where a computation must round (a conversion
//! through a [`Rate`], a configured value finer than its asset), the caller names a [`RoundingMode`], usually
//! [`RoundingMode::for_house`].

mod amount;
mod asset_code;
mod decimal_string;
mod error;
mod precision;
mod rate;
mod ratio;
mod rounding;
mod signed_amount;
mod wide;

pub use amount::Amount;
pub use asset_code::AssetCode;
pub use decimal_string::DecimalString;
pub use error::MoneyError;
pub use precision::Precision;
pub use rate::Rate;
pub use ratio::mul_div;
pub use rounding::{HouseFlow, Rounded, RoundingMode};
pub use signed_amount::SignedAmount;
