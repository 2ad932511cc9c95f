//! The ledger context: assets, accounts, the double-entry journal, holds and balances. It is the only code that
//! changes a balance; other contexts move money through [`Ledger`], and post inside their own transactions
//! through [`Ledger::within`] and the [`Posting`] it returns.

mod account;
pub mod assets;
mod audit_report;
pub mod books;
mod config;
mod engine;
mod error;
mod expiry;
mod group_commit;
mod history;
mod posting;
mod service;
mod store;

pub use account::{Balance, Movement, Purpose, StoredAccount, largest_amount};
pub use assets::{Asset, AssetCatalogue, AssetFilter, AssetKind};
pub use audit_report::{AssetCheck, AuditReport, describe as describe_discrepancy};
pub use config::LedgerConfig;
pub use error::LedgerError;
pub use history::{Direction, Entry, HistoryFilter};
pub use posting::Posting;
pub use service::Ledger;
