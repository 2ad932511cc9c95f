//! Read-only views of a book.

use serde::{Deserialize, Serialize};

use crate::book::OrderBook;
use crate::types::{OrderId, Price, Qty, Side};

/// Aggregated price levels, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    pub bids: Vec<DepthLevel>,
    pub asks: Vec<DepthLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthLevel {
    pub price: Price,
    pub qty: u128,
    pub orders: u32,
}

/// Where a live order is. Orders that are done (filled, cancelled, expired) are not kept:
/// the caller has their final events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Resting {
        side: Side,
        price: Price,
        remaining: Qty,
        filled: Qty,
    },
    PendingStop {
        side: Side,
        trigger: Price,
        qty: Qty,
    },
}

impl OrderBook {
    /// Highest bid price, O(1).
    #[must_use]
    pub fn best_bid(&self) -> Option<Price> {
        self.bids.best().map(|l| self.levels.get(l).price)
    }

    /// Lowest ask price, O(1).
    #[must_use]
    pub fn best_ask(&self) -> Option<Price> {
        self.asks.best().map(|l| self.levels.get(l).price)
    }

    /// Price of the last trade, which stop orders are triggered by.
    #[must_use]
    pub fn last_trade_price(&self) -> Option<Price> {
        self.last_price
    }

    /// Sequence number of the last accepted command.
    #[must_use]
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Number of resting orders.
    #[must_use]
    pub fn resting_orders(&self) -> usize {
        self.ids.len()
    }

    /// Number of stop orders waiting for their trigger.
    #[must_use]
    pub fn pending_stops(&self) -> usize {
        self.stops.len()
    }

    /// The top `n` levels of each side.
    #[must_use]
    pub fn depth(&self, n: usize) -> Depth {
        let side = |side: Side| {
            self.ladder(side)
                .iter_best_first()
                .take(n)
                .map(|l| {
                    let level = self.levels.get(l);
                    DepthLevel {
                        price: level.price,
                        qty: level.total,
                        orders: level.count,
                    }
                })
                .collect()
        };
        Depth {
            bids: side(Side::Buy),
            asks: side(Side::Sell),
        }
    }

    #[must_use]
    pub fn order(&self, id: OrderId) -> Option<OrderState> {
        if let Some(&slot) = self.ids.get(&id) {
            let s = self.arena.get(slot);
            return Some(OrderState::Resting {
                side: s.side,
                price: self.levels.get(s.level).price,
                remaining: s.remaining,
                filled: s.filled,
            });
        }
        self.stops.get(id).map(|p| OrderState::PendingStop {
            side: p.order.side,
            trigger: p.trigger,
            qty: p.order.qty,
        })
    }
}
