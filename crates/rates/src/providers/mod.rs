//! The rate sources behind [`crate::provider::RateProvider`].

pub mod coingecko;
pub mod fx;
pub mod static_table;
