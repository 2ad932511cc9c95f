//! Adapters driving each engine with the same messages and counting the same totals.

use matching::{CancelReason, Event, OrderBook};

use crate::workload::{Msg, Totals};

pub trait Engine {
    const NAME: &'static str;
    /// How this engine takes a move and an IOC; printed next to its figures.
    const NOTE: &'static str;
    fn new(max_id: u64) -> Self;
    fn apply(&mut self, m: &Msg);
    fn totals(&self) -> Totals;
}

/// This crate.
pub struct Ours {
    book: OrderBook,
    out: Vec<Event>,
    seq: u64,
    totals: Totals,
}

impl Engine for Ours {
    const NAME: &'static str = "matching (this crate)";
    const NOTE: &'static str = "native amend and IOC";

    fn new(_: u64) -> Self {
        Ours {
            book: OrderBook::new(),
            out: Vec::with_capacity(256),
            seq: 0,
            totals: Totals::default(),
        }
    }

    #[inline]
    fn apply(&mut self, m: &Msg) {
        self.seq += 1;
        self.out.clear();
        self.book.process(&m.command(self.seq), &mut self.out);
        for e in &self.out {
            match e {
                Event::Trade { qty, .. } => self.totals.traded += u128::from(*qty),
                Event::Cancelled {
                    reason: CancelReason::User,
                    ..
                } => self.totals.cancels += 1,
                _ => {}
            }
        }
    }

    fn totals(&self) -> Totals {
        self.totals
    }
}

/// `lobster` 0.7: limit, market and cancel only.
pub struct Lobster {
    book: lobster::OrderBook,
    totals: Totals,
}

fn lobster_side(s: matching::Side) -> lobster::Side {
    match s {
        matching::Side::Buy => lobster::Side::Bid,
        matching::Side::Sell => lobster::Side::Ask,
    }
}

impl Lobster {
    fn fills(&mut self, e: &lobster::OrderEvent) -> bool {
        match e {
            lobster::OrderEvent::Filled { filled_qty, .. } => {
                self.totals.traded += u128::from(*filled_qty);
                false
            }
            lobster::OrderEvent::PartiallyFilled { filled_qty, .. } => {
                self.totals.traded += u128::from(*filled_qty);
                true
            }
            lobster::OrderEvent::Placed { .. } => true,
            _ => false,
        }
    }
}

impl Engine for Lobster {
    const NAME: &'static str = "lobster 0.7.0";
    const NOTE: &'static str = "move = cancel + new limit; IOC = limit + cancel of any rest";

    fn new(_: u64) -> Self {
        Lobster {
            book: lobster::OrderBook::new(1 << 16, 16, false),
            totals: Totals::default(),
        }
    }

    #[inline]
    fn apply(&mut self, m: &Msg) {
        use lobster::OrderType;
        match *m {
            Msg::Gtc {
                id, side, price, qty, ..
            } => {
                let e = self.book.execute(OrderType::Limit {
                    id: id.into(),
                    side: lobster_side(side),
                    qty,
                    price,
                });
                self.fills(&e);
            }
            Msg::Ioc {
                id, side, price, qty, ..
            } => {
                let e = self.book.execute(OrderType::Limit {
                    id: id.into(),
                    side: lobster_side(side),
                    qty,
                    price,
                });
                if self.fills(&e) {
                    self.book.execute(OrderType::Cancel { id: id.into() });
                }
            }
            Msg::Market { id, side, qty, .. } => {
                let e = self.book.execute(OrderType::Market {
                    id: id.into(),
                    side: lobster_side(side),
                    qty,
                });
                self.fills(&e);
            }
            Msg::Cancel { id } => {
                if let lobster::OrderEvent::Canceled { .. } = self.book.execute(OrderType::Cancel { id: id.into() }) {
                    self.totals.cancels += 1;
                }
            }
            Msg::Move { id, side, price, qty } => {
                self.book.execute(OrderType::Cancel { id: id.into() });
                let e = self.book.execute(OrderType::Limit {
                    id: id.into(),
                    side: lobster_side(side),
                    qty,
                    price,
                });
                self.fills(&e);
            }
        }
    }

    fn totals(&self) -> Totals {
        self.totals
    }
}

/// `rust-order-book` 0.0.2: assigns its own ids, so ours are mapped; its modify is itself a
/// cancel + new order under a new id.
pub struct RustOrderBook {
    book: rust_order_book::OrderBook,
    ids: Vec<u64>,
    totals: Totals,
}

fn rob_side(s: matching::Side) -> rust_order_book::Side {
    match s {
        matching::Side::Buy => rust_order_book::Side::Buy,
        matching::Side::Sell => rust_order_book::Side::Sell,
    }
}

impl RustOrderBook {
    fn limit(&mut self, id: u64, side: matching::Side, price: u64, qty: u64, tif: rust_order_book::TimeInForce) {
        if let Ok(r) = self.book.limit_raw(rob_side(side), qty, price, Some(tif), None) {
            self.totals.traded += u128::from(r.executed_qty.value());
            self.ids[id as usize] = r.order_id.0;
        }
    }
}

impl Engine for RustOrderBook {
    const NAME: &'static str = "rust-order-book 0.0.2";
    const NOTE: &'static str = "move = its native modify (cancel + new id); native IOC";

    fn new(max_id: u64) -> Self {
        RustOrderBook {
            book: rust_order_book::OrderBookBuilder::new("BENCH").build(),
            ids: vec![0; max_id as usize + 1],
            totals: Totals::default(),
        }
    }

    #[inline]
    fn apply(&mut self, m: &Msg) {
        use rust_order_book::TimeInForce;
        match *m {
            Msg::Gtc {
                id, side, price, qty, ..
            } => self.limit(id, side, price, qty, TimeInForce::GTC),
            Msg::Ioc {
                id, side, price, qty, ..
            } => self.limit(id, side, price, qty, TimeInForce::IOC),
            Msg::Market { side, qty, .. } => {
                if let Ok(r) = self.book.market_raw(rob_side(side), qty) {
                    self.totals.traded += u128::from(r.executed_qty.value());
                }
            }
            Msg::Cancel { id } => {
                if self.book.cancel_raw(self.ids[id as usize]).is_ok() {
                    self.totals.cancels += 1;
                }
            }
            Msg::Move { id, price, .. } => {
                if let Ok(r) = self.book.modify_raw(self.ids[id as usize], Some(price), None) {
                    self.totals.traded += u128::from(r.executed_qty.value());
                    self.ids[id as usize] = r.order_id.0;
                }
            }
        }
    }

    fn totals(&self) -> Totals {
        self.totals
    }
}
