//! The ledger context: the asset catalogue today; accounts, the double-entry journal, holds and balances build
//! on it. It is the only code that changes a balance.

pub mod assets;
mod audit_report;
pub mod books;
mod deposits;
mod error;
mod expiry;
mod group_commit;
mod history;
mod posting;
mod service;
mod store;
pub mod withdrawal_destinations;
mod withdrawals;

pub use assets::{Asset, AssetCatalogue, AssetFilter, AssetKind};
pub use audit_report::{AssetCheck, AuditReport, describe as describe_discrepancy};
pub use deposits::{Deposit, DepositNotice, DepositStatus};
pub use error::LedgerError;
pub use history::{Direction, Entry, HistoryFilter};
pub use service::{Balance, Ledger, Movement, Purpose, StoredAccount, largest_amount};
pub use withdrawals::{Decision, Destination, Withdrawal, WithdrawalRequest, WithdrawalStatus};
