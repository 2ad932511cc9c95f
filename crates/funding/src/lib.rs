//! The funding context: money entering and leaving the platform. Deposits recorded by staff or notified by
//! providers (credited once confirmed), withdrawals (checked against the asset's rules and the user's allow-list,
//! confirmed with the 2FA code, held until staff decide), and the withdrawal destination allow-list. Its rows and
//! the money move together through the ledger's posting seam ([`ledger::Ledger::within`]); configuration is its
//! `[funding]` table ([`FundingConfig`]).

mod allow_list;
mod config;
mod deposits;
mod destination;
mod error;
mod rules;
mod withdrawals;

pub use allow_list::{
    AllowList, MAX_DESTINATIONS, NewDestination, SavedDestination, Screening, WithdrawalDestinations,
};
pub use config::{DepositProvider, FundingConfig, WithdrawalLimit};
pub use deposits::{Deposit, DepositNotice, DepositStatus, Deposits, Provider, TellerDeposit};
pub use destination::{Destination, DestinationInput, DestinationVault};
pub use error::FundingError;
pub use rules::{WithdrawalRules, check_config, rules_for};
pub use withdrawals::{Decision, Withdrawal, WithdrawalOrder, WithdrawalStatus, Withdrawals};
