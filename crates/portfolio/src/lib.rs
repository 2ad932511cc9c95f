//! The portfolio context: what a user holds, on this platform and off it, and what it is worth. Holdings the user
//! tracks, their Bourse wallets, activities (buys, sells, transfers, fees) for a FIFO cost basis, valuation in a
//! chosen currency from a [`PriceSource`], daily snapshots for history, CSV import and export, and rebalancing
//! plans. The core ([`cost_basis`], [`valuation`], [`rebalance`], [`csv`]) is plain functions without I/O;
//! [`Portfolio`] is the service over the store; configuration is its `[portfolio]` table ([`PortfolioConfig`]).

pub mod activity;
pub mod cost_basis;
pub mod rebalance;
pub mod valuation;
mod price;

pub use activity::{Activity, ActivityKind, Currency, Priced};
pub use price::{Price, PriceError, PriceSource};
