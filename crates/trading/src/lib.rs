//! The trading context: a spot exchange on the pure matching engine. Markets and their grids, orders held in the
//! ledger before they reach the engine, trades settled into the ledger as one atomic batch each with maker and
//! taker fees by tier, the engine runner that batches each step's ledger work into one transaction and rebuilds
//! its book from a snapshot and the command log, and market data (depth, trades, ticker, candles) kept as trades
//! happen.

pub mod config;
mod error;
pub mod market;
pub mod market_data;
pub mod order;
mod runner;
mod service;
mod store;
mod tiers;

pub use config::{FeeRates, TradingConfig};
pub use error::TradingError;
pub use market::{Market, MarketSpec, MarketStatus};
pub use runner::{DEPTH_LEVELS, Placement};
pub use service::{MarketInput, OrderInput, Placed, Trading};
pub use store::OrderFilter;
pub use tiers::{TierRun, VolumeValuer};
