//! The portfolio context: what a user holds, on this platform and off it, and what it is worth. Holdings the user
//! tracks, their Bourse wallets, activities (buys, sells, transfers, fees) for a FIFO cost basis, valuation in a
//! chosen currency from a [`PriceSource`], daily snapshots for history, CSV import and export, and rebalancing
//! plans. The core ([`cost_basis`], [`valuation`], [`rebalance`], [`csv`]) is plain functions without I/O;
//! [`Portfolio`] is the service over the store; configuration is its `[portfolio]` table ([`PortfolioConfig`]).

pub mod activity;
mod config;
pub mod cost_basis;
pub mod csv;
mod error;
pub mod input;
mod price;
pub mod rebalance;
mod service;
mod store;
mod transfer;
pub mod valuation;
mod valuing;

pub use activity::{Activity, ActivityKind, Currency, Priced};
pub use config::PortfolioConfig;
pub use error::{PortfolioError, RowError};
pub use input::NewActivity;
pub use price::{Price, PriceError, PriceSource};
pub use service::{HoldingChange, NewHolding, Portfolio};
pub use store::{Holding, Snapshot};
pub use transfer::EXPORT_HEADER;
pub use valuing::Range;

#[cfg(test)]
mod service_tests;
