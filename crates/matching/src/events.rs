//! The output of the engine.

use serde::{Deserialize, Serialize};

use crate::types::{OrderId, Price, Qty};

/// One thing a command caused. A command's events are appended in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The order passed validation; trades, a rest, a pending stop or an expiry follow.
    Accepted { id: OrderId },
    /// The command changed nothing.
    Rejected { id: OrderId, reason: RejectReason },
    Trade {
        maker: OrderId,
        taker: OrderId,
        /// Always the resting order's price.
        price: Price,
        qty: Qty,
        /// The maker is completely filled and gone from the book.
        maker_done: bool,
        /// The taker is completely filled.
        taker_done: bool,
    },
    /// Quantity removed by a cancel or by self-trade prevention. The order is gone when
    /// `remaining` is zero; only decrement-and-cancel leaves a remainder.
    Cancelled {
        id: OrderId,
        qty: Qty,
        remaining: Qty,
        reason: CancelReason,
    },
    /// The unfilled part of an IOC, FOK or market order, which never rests.
    Expired { id: OrderId, qty: Qty },
    /// A stop order reached its trigger price and now acts as a limit or market order.
    Triggered { id: OrderId },
    /// A resting order now has this price and open quantity.
    Amended {
        id: OrderId,
        price: Price,
        qty: Qty,
        kept_priority: bool,
    },
}

/// Why a command was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The sequence number is not above the previous command's.
    StaleSequence,
    ZeroQuantity,
    ZeroPrice,
    /// Another live (resting or pending) order has this id.
    DuplicateOrderId,
    /// No live order has this id.
    UnknownOrder,
    /// Pending stop orders cannot be amended; cancel and place again.
    NotAmendable,
    /// A post-only order (or amend of one) would have taken liquidity.
    PostOnlyWouldTake,
    /// Post-only is only meaningful for a GTC limit order.
    PostOnlyNotAllowed,
    /// A quote budget bounds how much a market buy spends; sells have none.
    QuoteBudgetOnSell,
}

/// Why quantity was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// A cancel command.
    User,
    /// Self-trade prevention.
    SelfTrade,
}
