//! Small value types shared by commands, events and the book.

use serde::{Deserialize, Serialize};

/// A price in ticks of the market. Zero is not a valid price.
pub type Price = u64;
/// A quantity in lots of the market.
pub type Qty = u64;
/// Caller-assigned order identifier; unique among live (resting or pending) orders.
pub type OrderId = u64;
/// Caller-assigned account identifier, used only for self-trade prevention.
pub type AccountId = u64;

/// Side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// The side an order of this side trades against.
    #[must_use]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// How long an order may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Rests on the book until filled or cancelled.
    #[default]
    Gtc,
    /// Trades what it can immediately; the rest expires.
    Ioc,
    /// Fills completely at once or expires without trading.
    Fok,
}

/// What happens when an order would trade with an order of the same account.
///
/// The incoming (taker) order's mode decides; the resting order's mode matters only
/// when it becomes a taker again after an amend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StpMode {
    /// Self-trades are allowed.
    #[default]
    None,
    /// The incoming order's remainder is cancelled; the resting order stays.
    CancelTaker,
    /// The resting order is cancelled and matching continues.
    CancelMaker,
    /// Both orders are cancelled.
    CancelBoth,
    /// Both quantities shrink by the smaller of the two; the smaller order is cancelled.
    DecrementAndCancel,
}
