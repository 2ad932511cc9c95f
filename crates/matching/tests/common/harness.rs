//! A small driver for rule tests: numbers commands, checks invariants after each one.
#![allow(dead_code)]

use matching::{
    Command, Event, Event::Trade, NewOrder, Op, OrderBook, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce,
    TraderId,
};

pub struct Book {
    pub book: OrderBook,
    pub seq: u64,
}

/// Ids, prices and quantities are plain numbers here, so the rule tests read as the rules do.
pub fn order(id: u64, side: Side, kind: OrderKind, qty: u64) -> NewOrder {
    NewOrder {
        id: OrderId(id),
        account: TraderId(id),
        side,
        kind,
        qty: Qty(qty),
        tif: TimeInForce::Gtc,
        post_only: false,
        stp: StpMode::None,
    }
}

pub fn limit(id: u64, side: Side, price: u64, qty: u64) -> NewOrder {
    order(id, side, OrderKind::Limit { price: Price(price) }, qty)
}

pub fn market(id: u64, side: Side, qty: u64) -> NewOrder {
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

pub fn trade(maker: u64, taker: u64, price: u64, qty: u64, maker_done: bool, taker_done: bool) -> Event {
    Trade {
        maker: OrderId(maker),
        taker: OrderId(taker),
        price: Price(price),
        qty: Qty(qty),
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
        self.op(Op::Cancel { id: OrderId(id) })
    }

    pub fn amend(&mut self, id: u64, price: u64, qty: u64) -> Vec<Event> {
        self.op(Op::Amend {
            id: OrderId(id),
            price: Price(price),
            qty: Qty(qty),
        })
    }

    pub fn queue(&self, side: Side, price: u64) -> Vec<u64> {
        let l3 = self.book.l3();
        let levels = if side == Side::Buy { l3.bids } else { l3.asks };
        levels
            .into_iter()
            .find(|l| l.price == Price(price))
            .map(|l| l.orders.iter().map(|o| o.id.0).collect())
            .unwrap_or_default()
    }
}
