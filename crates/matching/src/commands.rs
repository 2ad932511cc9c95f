//! The input of the engine: one command per call, numbered and timed by the caller.

use serde::{Deserialize, Serialize};

use crate::types::{OrderId, Price, Qty, Side, StpMode, TimeInForce, TraderId};

/// A command with the sequence number and timestamp given by the caller.
///
/// The engine has no clock: carrying time in the command is what makes replay exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// Strictly increasing; a command whose number is not above the last one is rejected.
    pub seq: u64,
    /// Caller's timestamp (any unit); recorded, never read from a clock.
    pub ts: u64,
    pub op: Op,
}

/// What a command asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Place(NewOrder),
    Cancel {
        id: OrderId,
    },
    /// Change a resting order. A pure quantity reduction keeps time priority; a new price or a
    /// larger quantity re-enters the order at the back of the queue (and it may trade).
    Amend {
        id: OrderId,
        price: Price,
        /// The new open (remaining) quantity.
        qty: Qty,
    },
}

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub id: OrderId,
    pub account: TraderId,
    pub side: Side,
    pub kind: OrderKind,
    /// Base quantity in lots. A quote-bounded market buy may give `Qty::MAX` to be bounded
    /// by its budget only.
    pub qty: Qty,
    pub tif: TimeInForce,
    /// Rejected instead of taking liquidity; only valid for GTC limit orders.
    pub post_only: bool,
    pub stp: StpMode,
}

/// Order type and its prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Limit {
        price: Price,
    },
    /// Trades against the book and never rests. `protection` is the worst price it may trade
    /// at; `quote_budget` (buys only) caps the sum of price × quantity spent, in tick·lots.
    Market {
        protection: Option<Price>,
        quote_budget: Option<u128>,
    },
    /// Becomes a limit order when the last trade price reaches `trigger`
    /// (at or above it for a buy, at or below it for a sell).
    StopLimit {
        trigger: Price,
        price: Price,
    },
    /// Becomes a market order when the last trade price reaches `trigger`.
    StopMarket {
        trigger: Price,
        protection: Option<Price>,
        quote_budget: Option<u128>,
    },
}

impl OrderKind {
    /// The trigger price of a stop order.
    #[must_use]
    pub fn trigger(&self) -> Option<Price> {
        match *self {
            OrderKind::StopLimit { trigger, .. } | OrderKind::StopMarket { trigger, .. } => Some(trigger),
            OrderKind::Limit { .. } | OrderKind::Market { .. } => None,
        }
    }

    /// The order this stop becomes once triggered.
    #[must_use]
    pub fn triggered(self) -> OrderKind {
        match self {
            OrderKind::StopLimit { price, .. } => OrderKind::Limit { price },
            OrderKind::StopMarket {
                protection,
                quote_budget,
                ..
            } => OrderKind::Market {
                protection,
                quote_budget,
            },
            other => other,
        }
    }
}
