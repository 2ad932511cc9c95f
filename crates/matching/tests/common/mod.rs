//! Shared test support: the reference model, command generators and an event ledger.
#![allow(dead_code)]

pub mod harness;
pub mod reference;

use std::collections::HashMap;

use matching::{
    Command, Event, NewOrder, Op, OrderBook, OrderId, OrderKind, OrderState, Price, Qty, Side, StpMode, TimeInForce,
    TraderId,
};
use proptest::prelude::*;
use reference::RefBook;

/// A step of a generated stream. Some steps are resolved against the reference book's state,
/// so that streams hit live orders and exact quantities far more often than chance would.
#[derive(Debug, Clone)]
pub enum Action {
    Place(NewOrder),
    Cancel(OrderId),
    Amend {
        id: OrderId,
        price: Price,
        qty: Qty,
    },
    /// Amend the `pick`-th resting order by small price and quantity deltas.
    AmendLive {
        pick: usize,
        dprice: i64,
        dqty: i64,
    },
    /// Cancel the `pick`-th resting order.
    CancelLive {
        pick: usize,
    },
    /// FOK for exactly the quantity available up to `price` (plus `delta`).
    FokExact {
        id: OrderId,
        account: TraderId,
        side: Side,
        price: Price,
        delta: i64,
        stp: StpMode,
    },
    /// A command whose sequence number repeats the previous one.
    Stale(OrderId),
}

pub fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn price() -> impl Strategy<Value = Price> {
    prop_oneof![40 => 95u64..=105, 1 => Just(0u64), 1 => Just(u64::MAX), 1 => Just(1u64)].prop_map(Price)
}

/// Trigger prices near the book.
fn trigger() -> impl Strategy<Value = Price> {
    (95u64..=105).prop_map(Price)
}

fn qty() -> impl Strategy<Value = Qty> {
    prop_oneof![30 => 1u64..=10, 5 => 1u64..=1000, 1 => Just(0u64), 2 => (u64::MAX - 3)..=u64::MAX].prop_map(Qty)
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![6 => Just(TimeInForce::Gtc), 2 => Just(TimeInForce::Ioc), 2 => Just(TimeInForce::Fok)]
}

fn stp() -> impl Strategy<Value = StpMode> {
    prop_oneof![
        6 => Just(StpMode::None),
        1 => Just(StpMode::CancelTaker),
        1 => Just(StpMode::CancelMaker),
        1 => Just(StpMode::CancelBoth),
        1 => Just(StpMode::DecrementAndCancel),
    ]
}

fn budget() -> impl Strategy<Value = Option<u128>> {
    prop_oneof![4 => Just(None), 2 => (0u128..=3000).prop_map(Some), 1 => Just(Some(u128::MAX))]
}

fn kind() -> impl Strategy<Value = OrderKind> {
    prop_oneof![
        30 => price().prop_map(|price| OrderKind::Limit { price }),
        6 => (proptest::option::of(price()), budget())
            .prop_map(|(protection, quote_budget)| OrderKind::Market { protection, quote_budget }),
        5 => (trigger(), price()).prop_map(|(trigger, price)| OrderKind::StopLimit { trigger, price }),
        4 => (trigger(), proptest::option::of(price()), budget()).prop_map(|(trigger, protection, quote_budget)| {
            OrderKind::StopMarket { trigger, protection, quote_budget }
        }),
    ]
}

/// Ids from a small range so duplicates, cancels and amends of live orders are common.
fn id() -> impl Strategy<Value = OrderId> {
    (1u64..=40).prop_map(OrderId)
}

fn account() -> impl Strategy<Value = TraderId> {
    (1u64..=4).prop_map(TraderId)
}

pub fn new_order() -> impl Strategy<Value = NewOrder> {
    (
        id(),
        account(),
        side(),
        kind(),
        qty(),
        tif(),
        prop::bool::weighted(0.15),
        stp(),
    )
        .prop_map(|(id, account, side, kind, qty, tif, post_only, stp)| NewOrder {
            id,
            account,
            side,
            kind,
            qty,
            tif,
            post_only,
            stp,
        })
}

pub fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        40 => new_order().prop_map(Action::Place),
        4 => id().prop_map(Action::Cancel),
        6 => any::<usize>().prop_map(|pick| Action::CancelLive { pick }),
        3 => (id(), price(), qty()).prop_map(|(id, price, qty)| Action::Amend { id, price, qty }),
        10 => (any::<usize>(), -2i64..=2, -3i64..=3)
            .prop_map(|(pick, dprice, dqty)| Action::AmendLive { pick, dprice, dqty }),
        4 => (id(), account(), side(), trigger(), -1i64..=1, stp())
            .prop_map(|(id, account, side, price, delta, stp)| Action::FokExact { id, account, side, price, delta, stp }),
        1 => id().prop_map(Action::Stale),
    ]
}

/// Turns an action into a command, looking at the reference book where the action asks to.
pub fn resolve(action: &Action, book: &RefBook, seq: u64) -> Command {
    let op = match action {
        Action::Place(o) => Op::Place(o.clone()),
        Action::Cancel(id) | Action::Stale(id) => Op::Cancel { id: *id },
        Action::Amend { id, price, qty } => Op::Amend {
            id: *id,
            price: *price,
            qty: *qty,
        },
        Action::CancelLive { pick } => match live(book, *pick) {
            Some(o) => Op::Cancel { id: o.id },
            None => Op::Cancel { id: OrderId(1) },
        },
        Action::AmendLive { pick, dprice, dqty } => match live(book, *pick) {
            Some(o) => Op::Amend {
                id: o.id,
                price: Price(o.price.0.saturating_add_signed(*dprice)),
                qty: Qty(o.remaining.0.saturating_add_signed(*dqty)),
            },
            None => Op::Cancel { id: OrderId(2) },
        },
        Action::FokExact {
            id,
            account,
            side,
            price,
            delta,
            stp,
        } => {
            let opp = match side {
                Side::Buy => &book.asks,
                Side::Sell => &book.bids,
            };
            let available: u128 = opp
                .iter()
                .filter(|o| match side {
                    Side::Buy => o.price <= *price,
                    Side::Sell => o.price >= *price,
                })
                .map(|o| u128::from(o.remaining))
                .sum();
            let qty = Qty(u64::try_from(available)
                .unwrap_or(u64::MAX)
                .saturating_add_signed(*delta)
                .max(1));
            Op::Place(NewOrder {
                id: *id,
                account: *account,
                side: *side,
                kind: OrderKind::Limit { price: *price },
                qty,
                tif: TimeInForce::Fok,
                post_only: false,
                stp: *stp,
            })
        }
    };
    let seq = if matches!(action, Action::Stale(_)) {
        seq.saturating_sub(1)
    } else {
        seq
    };
    Command { seq, ts: seq * 10, op }
}

fn live(book: &RefBook, pick: usize) -> Option<&reference::RefOrder> {
    let n = book.bids.len() + book.asks.len();
    if n == 0 {
        return None;
    }
    let i = pick % n;
    book.bids.get(i).or_else(|| book.asks.get(i - book.bids.len()))
}

/// Open quantity of every live order as told by the events alone, to check that events are
/// self-consistent and agree with the book's own view.
#[derive(Default)]
pub struct Ledger {
    open: HashMap<OrderId, Qty>,
}

impl Ledger {
    pub fn apply(&mut self, cmd: &Command, events: &[Event]) -> Result<(), String> {
        for e in events {
            match *e {
                Event::Accepted { id } => {
                    let Op::Place(o) = &cmd.op else {
                        return Err(format!("accepted {id} for a non-place"));
                    };
                    self.open.insert(id, o.qty);
                }
                Event::Rejected { .. } | Event::Triggered { .. } => {}
                Event::Trade {
                    maker,
                    taker,
                    qty,
                    maker_done,
                    taker_done,
                    ..
                } => {
                    if qty == Qty(0) {
                        return Err("trade of zero".into());
                    }
                    let m = self.take(maker, qty)?;
                    let t = self.take(taker, qty)?;
                    if (m == Qty(0)) != maker_done || (t == Qty(0)) != taker_done {
                        return Err(format!("done flags wrong in {e:?}: maker {m} taker {t} left"));
                    }
                }
                Event::Cancelled { id, qty, remaining, .. } => {
                    if self.take(id, qty)? != remaining {
                        return Err(format!("cancel remainder wrong in {e:?}"));
                    }
                }
                Event::Expired { id, qty } => {
                    if self.take(id, qty)? != Qty(0) {
                        return Err(format!("expiry left quantity in {e:?}"));
                    }
                }
                Event::Amended { id, qty, .. } => {
                    if self.open.insert(id, qty).is_none() {
                        return Err(format!("amended unknown order {id}"));
                    }
                }
            }
        }
        Ok(())
    }

    fn take(&mut self, id: OrderId, q: Qty) -> Result<Qty, String> {
        let open = self
            .open
            .get_mut(&id)
            .ok_or_else(|| format!("event for unknown order {id}"))?;
        *open = open
            .0
            .checked_sub(q.0)
            .map(Qty)
            .ok_or_else(|| format!("order {id} over-filled"))?;
        let left = *open;
        if left == Qty(0) {
            self.open.remove(&id);
        }
        Ok(left)
    }

    /// Every order the events say is open is in exactly one place in the book with that
    /// quantity, and the book holds nothing else.
    pub fn check(&self, book: &OrderBook) -> Result<(), String> {
        for (&id, &open) in &self.open {
            match book.order(id) {
                Some(OrderState::Resting { remaining, .. }) if remaining == open => {}
                Some(OrderState::PendingStop { qty, .. }) if qty == open => {}
                other => return Err(format!("order {id} open {open} but book says {other:?}")),
            }
        }
        if book.resting_orders() + book.pending_stops() != self.open.len() {
            return Err("book holds orders the events do not account for".into());
        }
        Ok(())
    }
}

/// Replays actions through engine and reference, checking everything after every command.
pub fn differential(actions: &[Action]) -> Result<(), String> {
    let mut engine = OrderBook::with_capacity(64);
    let mut reference = RefBook::new();
    let mut ledger = Ledger::default();
    let mut out = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let cmd = resolve(a, &reference, i as u64 + 1);
        out.clear();
        engine.process(&cmd, &mut out);
        let expected = reference.process(&cmd);
        if out != expected {
            return Err(format!(
                "command {i} {cmd:?}\nengine:    {out:?}\nreference: {expected:?}"
            ));
        }
        engine
            .check_invariants()
            .map_err(|e| format!("command {i} {cmd:?}: {e}"))?;
        ledger
            .apply(&cmd, &out)
            .map_err(|e| format!("command {i} {cmd:?}: {e}"))?;
        ledger.check(&engine).map_err(|e| format!("command {i} {cmd:?}: {e}"))?;
        if engine.l3() != reference.l3() {
            return Err(format!(
                "command {i} {cmd:?}: books differ\n{:?}\n{:?}",
                engine.l3(),
                reference.l3()
            ));
        }
    }
    Ok(())
}
