//! The ledger context: the asset catalogue today; accounts, the double-entry journal, holds and balances build
//! on it. It is the only code that changes a balance.

pub mod assets;
pub mod books;
mod error;

pub use assets::{Asset, AssetCatalogue, AssetFilter, AssetKind};
pub use error::LedgerError;
