//! The matching loop: an incoming order against the opposite side, best price first, oldest
//! order first within a price.

use crate::arena::NIL;
use crate::book::OrderBook;
use crate::commands::{NewOrder, OrderKind};
use crate::events::{CancelReason, Event};
use crate::types::{OrderId, Price, Qty, Side, StpMode, TimeInForce, TraderId};

/// An order about to trade: a new order, a triggered stop, or an amend that lost priority.
///
/// Prices are unpacked from `OrderKind` field by field: copying the enum whole compiles to
/// 16-byte loads that stall on the caller's just-written 8-byte stores (store forwarding).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exec {
    pub id: OrderId,
    pub account: TraderId,
    pub side: Side,
    /// `Some(limit price)` for a limit order; `None` for a market order.
    pub limit: Option<Price>,
    /// The worst price a market order may trade at.
    pub protection: Option<Price>,
    pub budget: Option<u128>,
    pub qty: Qty,
    pub tif: TimeInForce,
    pub stp: StpMode,
    pub post_only: bool,
    /// Quantity filled before (an amended order keeps its history).
    pub filled: Qty,
}

impl Exec {
    /// The order as it trades; a stop order trades as what it turns into.
    pub fn from_order(o: &NewOrder) -> Self {
        let (limit, protection, budget) = match &o.kind {
            OrderKind::Limit { price } | OrderKind::StopLimit { price, .. } => (Some(*price), None, None),
            OrderKind::Market {
                protection,
                quote_budget,
            }
            | OrderKind::StopMarket {
                protection,
                quote_budget,
                ..
            } => (None, *protection, *quote_budget),
        };
        Exec {
            id: o.id,
            account: o.account,
            side: o.side,
            limit,
            protection,
            budget,
            qty: o.qty,
            tif: o.tif,
            stp: o.stp,
            post_only: o.post_only,
            filled: Qty::ZERO,
        }
    }
}

/// What is left of an order after matching, to be put on the book.
pub(crate) struct Rest {
    pub price: Price,
    pub qty: Qty,
    /// Filled over the order's life, including before an amend.
    pub filled: Qty,
}

/// The mutable state of the incoming order during matching.
struct Taker {
    id: OrderId,
    account: TraderId,
    /// Opposite levels with a key below this are beyond the order's price.
    limit_key: u64,
    remaining: Qty,
    /// Traded so far; differs from quantity minus remaining after decrement-and-cancel.
    traded: Qty,
    budget: Option<u128>,
    stp: StpMode,
}

/// How matching ended for the taker.
#[derive(PartialEq, Eq)]
enum End {
    /// Filled, out of eligible liquidity, or out of budget.
    Open,
    /// Self-trade prevention cancelled the taker's remainder.
    Cancelled,
}

impl OrderBook {
    /// Matches an order; returns what must rest (a GTC limit remainder). Expiry and
    /// self-trade cancellations are emitted here.
    pub(crate) fn execute(&mut self, e: Exec, out: &mut Vec<Event>) -> Option<Rest> {
        let worst = match (e.limit, e.protection, e.side) {
            (Some(price), _, _) | (None, Some(price), _) => price,
            (None, None, Side::Buy) => Price::MAX,
            (None, None, Side::Sell) => Price(0),
        };
        let budget = e.budget;
        let mut t = Taker {
            id: e.id,
            account: e.account,
            limit_key: self.ladder(e.side.opposite()).key(worst),
            remaining: e.qty,
            traded: Qty::ZERO,
            budget,
            stp: e.stp,
        };
        if e.tif == TimeInForce::Fok && !self.fok_fillable(&t, e.side) {
            out.push(Event::Expired { id: e.id, qty: e.qty });
            return None;
        }
        let end = self.match_taker(&mut t, e.side, out);
        if end == End::Cancelled || t.remaining.is_zero() {
            return None;
        }
        match (e.limit, e.tif) {
            (Some(price), TimeInForce::Gtc) => Some(Rest {
                price,
                qty: t.remaining,
                filled: e.filled.saturating_add(t.traded),
            }),
            _ => {
                out.push(Event::Expired {
                    id: e.id,
                    qty: t.remaining,
                });
                None
            }
        }
    }

    /// Walks the opposite side exactly as matching would, without changing anything, to see
    /// whether a fill-or-kill order fills completely.
    fn fok_fillable(&self, t: &Taker, side: Side) -> bool {
        let opp = self.ladder(side.opposite());
        let mut need = t.remaining;
        let mut budget = t.budget;
        for lvl in opp.iter_best_first() {
            let level = self.levels.get(lvl);
            if opp.key(level.price) < t.limit_key {
                return false;
            }
            if t.stp == StpMode::None && budget.is_none() {
                if level.total >= u128::from(need) {
                    return true;
                }
                // level.total < need, so it fits in a Qty.
                need -= Qty(level.total as u64);
                continue;
            }
            let mut cur = level.head;
            while cur != NIL {
                let m = self.arena.get(cur);
                cur = m.next;
                if t.stp != StpMode::None && m.account == t.account {
                    if t.stp == StpMode::CancelMaker {
                        continue;
                    }
                    return false;
                }
                let mut q = need.min(m.remaining);
                if let Some(b) = budget.as_mut() {
                    q = affordable(q, *b, level.price);
                    if q.is_zero() {
                        return false;
                    }
                    *b -= u128::from(q) * u128::from(level.price);
                }
                need -= q;
                if need.is_zero() {
                    return true;
                }
            }
        }
        false
    }

    fn match_taker(&mut self, t: &mut Taker, side: Side, out: &mut Vec<Event>) -> End {
        let opp_side = side.opposite();
        loop {
            if t.remaining.is_zero() {
                return End::Open;
            }
            let opp = self.ladder(opp_side);
            let Some((key, lvl)) = opp.best_entry() else {
                return End::Open;
            };
            if key < t.limit_key {
                return End::Open;
            }
            let price = self.levels.get(lvl).price;
            let mut cur = self.levels.get(lvl).head;
            while cur != NIL && !t.remaining.is_zero() {
                let m = *self.arena.get(cur);
                let next = m.next;
                if t.stp != StpMode::None && m.account == t.account {
                    if self.self_trade(t, cur, out) == End::Cancelled {
                        return End::Cancelled;
                    }
                    cur = next;
                    continue;
                }
                let mut q = t.remaining.min(m.remaining);
                if let Some(b) = t.budget.as_mut() {
                    q = affordable(q, *b, price);
                    if q.is_zero() {
                        return End::Open;
                    }
                    *b -= u128::from(q) * u128::from(price);
                }
                t.remaining -= q;
                t.traded += q;
                let maker_done = m.remaining == q;
                out.push(Event::Trade {
                    maker: m.id,
                    taker: t.id,
                    price,
                    qty: q,
                    maker_done,
                    taker_done: t.remaining.is_zero(),
                });
                self.last_price = Some(price);
                if maker_done {
                    self.remove_resting(cur);
                    cur = next;
                } else {
                    // The maker stays at the head: the taker is filled or out of budget.
                    let s = self.arena.get_mut(cur);
                    s.remaining -= q;
                    s.filled = s.filled.saturating_add(q);
                    self.levels.get_mut(lvl).total -= u128::from(q);
                }
            }
        }
    }

    /// Applies the taker's self-trade prevention mode against the resting order in `slot`.
    fn self_trade(&mut self, t: &mut Taker, slot: u32, out: &mut Vec<Event>) -> End {
        let m = *self.arena.get(slot);
        let cancel = |id, qty, remaining| Event::Cancelled {
            id,
            qty,
            remaining,
            reason: CancelReason::SelfTrade,
        };
        match t.stp {
            StpMode::None => End::Open,
            StpMode::CancelTaker => {
                out.push(cancel(t.id, t.remaining, Qty::ZERO));
                t.remaining = Qty::ZERO;
                End::Cancelled
            }
            StpMode::CancelMaker => {
                self.remove_resting(slot);
                out.push(cancel(m.id, m.remaining, Qty::ZERO));
                End::Open
            }
            StpMode::CancelBoth => {
                self.remove_resting(slot);
                out.push(cancel(m.id, m.remaining, Qty::ZERO));
                out.push(cancel(t.id, t.remaining, Qty::ZERO));
                t.remaining = Qty::ZERO;
                End::Cancelled
            }
            StpMode::DecrementAndCancel => {
                let d = t.remaining.min(m.remaining);
                if d == m.remaining {
                    self.remove_resting(slot);
                } else {
                    self.arena.get_mut(slot).remaining -= d;
                    self.levels.get_mut(m.level).total -= u128::from(d);
                }
                out.push(cancel(m.id, d, m.remaining - d));
                t.remaining -= d;
                out.push(cancel(t.id, d, t.remaining));
                if t.remaining.is_zero() {
                    End::Cancelled
                } else {
                    End::Open
                }
            }
        }
    }
}

/// How much of `q` a quote budget `b` pays for at `price`.
#[inline]
fn affordable(q: Qty, b: u128, price: Price) -> Qty {
    let max = b / u128::from(price.0.max(1));
    if max < u128::from(q) { Qty(max as u64) } else { q }
}
