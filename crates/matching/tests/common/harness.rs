//! A small driver for rule tests: numbers commands, checks invariants after each one.
#![allow(dead_code)]

use matching::{Command, Event, Event::Trade, NewOrder, Op, OrderBook, OrderKind, Qty, Side, StpMode, TimeInForce};

pub struct Book {
    pub book: OrderBook,
    pub seq: u64,
}

pub fn order(id: u64, side: Side, kind: OrderKind, qty: Qty) -> NewOrder {
    NewOrder {
        id,
        account: id,
        side,
        kind,
        qty,
        tif: TimeInForce::Gtc,
        post_only: false,
        stp: StpMode::None,
    }
}

pub fn limit(id: u64, side: Side, price: u64, qty: Qty) -> NewOrder {
    order(id, side, OrderKind::Limit { price }, qty)
}

pub fn market(id: u64, side: Side, qty: Qty) -> NewOrder {
    order(
        id,
        side,
        OrderKind::Market {
            protection: None,
            quote_budget: None,
        },
        qty,
    )
}

pub fn trade(maker: u64, taker: u64, price: u64, qty: Qty, maker_done: bool, taker_done: bool) -> Event {
    Trade {
        maker,
        taker,
        price,
        qty,
        maker_done,
        taker_done,
    }
}

impl Book {
    pub fn new() -> Self {
        Book {
            book: OrderBook::new(),
            seq: 0,
        }
    }

    pub fn op(&mut self, op: Op) -> Vec<Event> {
        self.seq += 1;
        let mut out = Vec::new();
        self.book.process(
            &Command {
                seq: self.seq,
                ts: self.seq,
                op,
            },
            &mut out,
        );
        self.book.check_invariants().unwrap();
        out
    }

    pub fn place(&mut self, o: NewOrder) -> Vec<Event> {
        self.op(Op::Place(o))
    }

    pub fn cancel(&mut self, id: u64) -> Vec<Event> {
        self.op(Op::Cancel { id })
    }

    pub fn amend(&mut self, id: u64, price: u64, qty: Qty) -> Vec<Event> {
        self.op(Op::Amend { id, price, qty })
    }

    pub fn queue(&self, side: Side, price: u64) -> Vec<u64> {
        let l3 = self.book.l3();
        let levels = if side == Side::Buy { l3.bids } else { l3.asks };
        levels
            .into_iter()
            .find(|l| l.price == price)
            .map(|l| l.orders.iter().map(|o| o.id).collect())
            .unwrap_or_default()
    }
}
