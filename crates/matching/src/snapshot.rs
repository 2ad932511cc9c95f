//! Versioned snapshot of a book, and the full (L3) view it is made of.
//!
//! A snapshot holds what decides future events and nothing else: orders in queue order with
//! their remaining and filled quantities, pending stops in arrival order, the last sequence
//! number and trade price, and the stop arrival counter. Slab indices and hash map layout are
//! not part of it, because no event depends on them; that is what lets
//! `restore(snapshot) + replay(rest)` equal `replay(all)`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::book::{OrderBook, Resting};
use crate::stop::PendingStop;
use crate::types::{OrderId, Price, Qty, Side, StpMode, TraderId};

/// The format version written by this crate. Bump it when the shape or meaning changes and
/// keep reading the old versions that can be converted.
pub const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub last_seq: Option<u64>,
    pub last_ts: u64,
    pub last_price: Option<Price>,
    pub next_arrival: u64,
    pub book: L3Book,
}

/// Every live order: levels best first, orders oldest first, then pending stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L3Book {
    pub bids: Vec<L3Level>,
    pub asks: Vec<L3Level>,
    pub stops: Vec<PendingStop>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L3Level {
    pub price: Price,
    pub orders: Vec<L3Order>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L3Order {
    pub id: OrderId,
    pub account: TraderId,
    pub remaining: Qty,
    pub filled: Qty,
    pub stp: StpMode,
    pub post_only: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SnapshotError {
    #[error("snapshot version {0} is not supported (this build reads version {SNAPSHOT_VERSION})")]
    UnsupportedVersion(u32),
    #[error("order {0} appears more than once")]
    DuplicateOrder(OrderId),
    #[error("level at price {0} is invalid (zero price, empty, or out of order)")]
    BadLevel(Price),
    #[error("order {0} has no remaining quantity")]
    EmptyOrder(OrderId),
    #[error("the book is crossed")]
    Crossed,
    #[error("stop order {0} is invalid")]
    BadStop(OrderId),
}

impl OrderBook {
    /// The full book, for tests and diagnostics.
    #[must_use]
    pub fn l3(&self) -> L3Book {
        L3Book {
            bids: self.l3_side(Side::Buy),
            asks: self.l3_side(Side::Sell),
            stops: self.stops.all(),
        }
    }

    fn l3_side(&self, side: Side) -> Vec<L3Level> {
        self.ladder(side)
            .iter_best_first()
            .map(|lvl| {
                let level = self.levels.get(lvl);
                let mut orders = Vec::with_capacity(level.count as usize);
                let mut cur = level.head;
                while cur != crate::arena::NIL {
                    let s = self.arena.get(cur);
                    orders.push(L3Order {
                        id: s.id,
                        account: s.account,
                        remaining: s.remaining,
                        filled: s.filled,
                        stp: s.stp,
                        post_only: s.post_only,
                    });
                    cur = s.next;
                }
                L3Level {
                    price: level.price,
                    orders,
                }
            })
            .collect()
    }

    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            last_seq: self.last_seq,
            last_ts: self.last_ts,
            last_price: self.last_price,
            next_arrival: self.next_arrival,
            book: self.l3(),
        }
    }

    /// Rebuilds a book from a snapshot, checking it is one this engine could have produced.
    pub fn restore(snap: &Snapshot) -> Result<OrderBook, SnapshotError> {
        if snap.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion(snap.version));
        }
        let resting: usize = snap
            .book
            .bids
            .iter()
            .chain(&snap.book.asks)
            .map(|l| l.orders.len())
            .sum();
        let mut book = OrderBook::with_capacity(resting.max(1024));
        book.last_seq = snap.last_seq;
        book.last_ts = snap.last_ts;
        book.last_price = snap.last_price;
        book.next_arrival = snap.next_arrival;
        for (side, levels) in [(Side::Buy, &snap.book.bids), (Side::Sell, &snap.book.asks)] {
            let mut prev_key: Option<u64> = None;
            for level in levels {
                let key = book.ladder(side).key(level.price);
                if level.price == Price(0) || level.orders.is_empty() || prev_key.is_some_and(|p| key >= p) {
                    return Err(SnapshotError::BadLevel(level.price));
                }
                prev_key = Some(key);
                for o in &level.orders {
                    if o.remaining.is_zero() {
                        return Err(SnapshotError::EmptyOrder(o.id));
                    }
                    if book.ids.contains_key(&o.id) {
                        return Err(SnapshotError::DuplicateOrder(o.id));
                    }
                    book.rest(Resting {
                        id: o.id,
                        account: o.account,
                        side,
                        price: level.price,
                        qty: o.remaining,
                        filled: o.filled,
                        stp: o.stp,
                        post_only: o.post_only,
                    });
                }
            }
        }
        if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask())
            && bid >= ask
        {
            return Err(SnapshotError::Crossed);
        }
        for stop in &snap.book.stops {
            let id = stop.order.id;
            if book.ids.contains_key(&id) || book.stops.contains(id) {
                return Err(SnapshotError::DuplicateOrder(id));
            }
            if book.validate(&stop.order).is_err()
                || stop.order.kind.trigger() != Some(stop.trigger)
                || stop.arrival >= snap.next_arrival
            {
                return Err(SnapshotError::BadStop(id));
            }
            book.stops.insert(stop.clone());
        }
        Ok(book)
    }
}
