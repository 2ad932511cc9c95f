//! A deliberately simple reference model of the matching rules: each side is one vector
//! sorted by priority, matching takes from the front, fill-or-kill is a dry run on a clone.
//! It shares no code with the engine beyond the public command and event types.

use matching::{
    CancelReason, Command, Event, L3Book, L3Level, L3Order, NewOrder, Op, OrderId, OrderKind, PendingStop, Price, Qty,
    RejectReason, Side, StpMode, TimeInForce, TraderId,
};

#[derive(Debug, Clone)]
pub struct RefOrder {
    pub id: OrderId,
    pub account: TraderId,
    pub side: Side,
    pub price: Price,
    pub remaining: Qty,
    pub filled: Qty,
    pub time: u64,
    pub stp: StpMode,
    pub post_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RefBook {
    /// Best first: highest price then oldest.
    pub bids: Vec<RefOrder>,
    /// Best first: lowest price then oldest.
    pub asks: Vec<RefOrder>,
    pub stops: Vec<PendingStop>,
    pub last_seq: Option<u64>,
    pub last_price: Option<Price>,
    pub clock: u64,
    pub arrivals: u64,
}

fn sort_key(o: &RefOrder) -> (u64, u64) {
    match o.side {
        Side::Buy => (u64::MAX - o.price.0, o.time),
        Side::Sell => (o.price.0, o.time),
    }
}

impl RefBook {
    pub fn new() -> Self {
        Self::default()
    }

    fn side_mut(&mut self, side: Side) -> &mut Vec<RefOrder> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn find(&self, id: OrderId) -> Option<(Side, usize)> {
        if let Some(i) = self.bids.iter().position(|o| o.id == id) {
            return Some((Side::Buy, i));
        }
        self.asks.iter().position(|o| o.id == id).map(|i| (Side::Sell, i))
    }

    pub fn is_resting(&self, id: OrderId) -> bool {
        self.find(id).is_some()
    }

    pub fn is_pending(&self, id: OrderId) -> bool {
        self.stops.iter().any(|s| s.order.id == id)
    }

    pub fn resting_qty(&self, id: OrderId) -> Option<(Price, Qty)> {
        self.find(id).map(|(side, i)| {
            let o = match side {
                Side::Buy => &self.bids[i],
                Side::Sell => &self.asks[i],
            };
            (o.price, o.remaining)
        })
    }

    pub fn best(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.bids.first().map(|o| o.price),
            Side::Sell => self.asks.first().map(|o| o.price),
        }
    }

    fn crosses(&self, side: Side, price: Price) -> bool {
        match side {
            Side::Buy => self.best(Side::Sell).is_some_and(|a| a <= price),
            Side::Sell => self.best(Side::Buy).is_some_and(|b| b >= price),
        }
    }

    pub fn process(&mut self, cmd: &Command) -> Vec<Event> {
        let mut out = Vec::new();
        let target = match &cmd.op {
            Op::Place(o) => o.id,
            Op::Cancel { id } | Op::Amend { id, .. } => *id,
        };
        if let Some(last) = self.last_seq
            && cmd.seq <= last
        {
            out.push(Event::Rejected {
                id: target,
                reason: RejectReason::StaleSequence,
            });
            return out;
        }
        self.last_seq = Some(cmd.seq);
        match &cmd.op {
            Op::Place(o) => self.place(o, &mut out),
            Op::Cancel { id } => self.cancel(*id, &mut out),
            Op::Amend { id, price, qty } => self.amend(*id, *price, *qty, &mut out),
        }
        self.trigger_stops(&mut out);
        out
    }

    fn check(&self, o: &NewOrder) -> Option<RejectReason> {
        let mut prices = Vec::new();
        let mut budget = None;
        match o.kind {
            OrderKind::Limit { price } => prices.push(Some(price)),
            OrderKind::Market {
                protection,
                quote_budget,
            } => {
                prices.push(protection);
                budget = quote_budget;
            }
            OrderKind::StopLimit { trigger, price } => prices.extend([Some(trigger), Some(price)]),
            OrderKind::StopMarket {
                trigger,
                protection,
                quote_budget,
            } => {
                prices.extend([Some(trigger), protection]);
                budget = quote_budget;
            }
        }
        let is_limit = matches!(o.kind, OrderKind::Limit { .. });
        if o.qty == Qty(0) || budget == Some(0) {
            Some(RejectReason::ZeroQuantity)
        } else if prices.contains(&Some(Price(0))) {
            Some(RejectReason::ZeroPrice)
        } else if budget.is_some() && o.side == Side::Sell {
            Some(RejectReason::QuoteBudgetOnSell)
        } else if o.post_only && !(is_limit && o.tif == TimeInForce::Gtc) {
            Some(RejectReason::PostOnlyNotAllowed)
        } else if self.is_resting(o.id) || self.is_pending(o.id) {
            Some(RejectReason::DuplicateOrderId)
        } else if let OrderKind::Limit { price } = o.kind
            && o.post_only
            && self.crosses(o.side, price)
        {
            Some(RejectReason::PostOnlyWouldTake)
        } else {
            None
        }
    }

    fn place(&mut self, o: &NewOrder, out: &mut Vec<Event>) {
        if let Some(reason) = self.check(o) {
            out.push(Event::Rejected { id: o.id, reason });
            return;
        }
        out.push(Event::Accepted { id: o.id });
        match o.kind {
            OrderKind::StopLimit { trigger, .. } | OrderKind::StopMarket { trigger, .. } => {
                self.stops.push(PendingStop {
                    order: o.clone(),
                    arrival: self.arrivals,
                    trigger,
                });
                self.arrivals += 1;
            }
            _ => self.execute(o, o.kind, o.qty, Qty(0), out),
        }
    }

    fn cancel(&mut self, id: OrderId, out: &mut Vec<Event>) {
        let qty = if let Some((side, i)) = self.find(id) {
            self.side_mut(side).remove(i).remaining
        } else if let Some(i) = self.stops.iter().position(|s| s.order.id == id) {
            self.stops.remove(i).order.qty
        } else {
            out.push(Event::Rejected {
                id,
                reason: RejectReason::UnknownOrder,
            });
            return;
        };
        out.push(Event::Cancelled {
            id,
            qty,
            remaining: Qty(0),
            reason: CancelReason::User,
        });
    }

    fn amend(&mut self, id: OrderId, price: Price, qty: Qty, out: &mut Vec<Event>) {
        let reason = if qty == Qty(0) {
            Some(RejectReason::ZeroQuantity)
        } else if price == Price(0) {
            Some(RejectReason::ZeroPrice)
        } else if self.find(id).is_none() {
            Some(if self.is_pending(id) {
                RejectReason::NotAmendable
            } else {
                RejectReason::UnknownOrder
            })
        } else {
            None
        };
        if let Some(reason) = reason {
            out.push(Event::Rejected { id, reason });
            return;
        }
        let Some((side, i)) = self.find(id) else { return };
        let o = self.side_mut(side)[i].clone();
        if price == o.price && qty <= o.remaining {
            self.side_mut(side)[i].remaining = qty;
            out.push(Event::Amended {
                id,
                price,
                qty,
                kept_priority: true,
            });
            return;
        }
        if o.post_only && self.crosses(side, price) {
            out.push(Event::Rejected {
                id,
                reason: RejectReason::PostOnlyWouldTake,
            });
            return;
        }
        self.side_mut(side).remove(i);
        out.push(Event::Amended {
            id,
            price,
            qty,
            kept_priority: false,
        });
        let as_order = NewOrder {
            id,
            account: o.account,
            side,
            kind: OrderKind::Limit { price },
            qty,
            tif: TimeInForce::Gtc,
            post_only: o.post_only,
            stp: o.stp,
        };
        self.execute(&as_order, as_order.kind, qty, o.filled, out);
    }

    fn trigger_stops(&mut self, out: &mut Vec<Event>) {
        while let Some(last) = self.last_price {
            let (mut fire, keep): (Vec<PendingStop>, Vec<PendingStop>) =
                self.stops.drain(..).partition(|s| match s.order.side {
                    Side::Buy => last >= s.trigger,
                    Side::Sell => last <= s.trigger,
                });
            self.stops = keep;
            if fire.is_empty() {
                break;
            }
            fire.sort_by_key(|s| s.arrival);
            for s in fire {
                out.push(Event::Triggered { id: s.order.id });
                let kind = match s.order.kind {
                    OrderKind::StopLimit { price, .. } => OrderKind::Limit { price },
                    OrderKind::StopMarket {
                        protection,
                        quote_budget,
                        ..
                    } => OrderKind::Market {
                        protection,
                        quote_budget,
                    },
                    k => k,
                };
                self.execute(&s.order, kind, s.order.qty, Qty(0), out);
            }
        }
    }

    /// Matches an order (limit or market) and rests or expires what is left.
    fn execute(&mut self, o: &NewOrder, kind: OrderKind, qty: Qty, filled: Qty, out: &mut Vec<Event>) {
        if o.tif == TimeInForce::Fok {
            let mut dry = self.clone();
            let mut scratch = Vec::new();
            let (traded, _) = dry.match_order(o, kind, qty, &mut scratch);
            if traded != qty {
                out.push(Event::Expired { id: o.id, qty });
                return;
            }
        }
        let (traded, left) = self.match_order(o, kind, qty, out);
        let Some(left) = left else { return };
        if left == Qty(0) {
            return;
        }
        match (kind, o.tif) {
            (OrderKind::Limit { price }, TimeInForce::Gtc) => {
                let order = RefOrder {
                    id: o.id,
                    account: o.account,
                    side: o.side,
                    price,
                    remaining: left,
                    filled: filled.saturating_add(traded),
                    time: self.clock,
                    stp: o.stp,
                    post_only: o.post_only,
                };
                self.clock += 1;
                let key = sort_key(&order);
                let v = self.side_mut(o.side);
                let pos = v.partition_point(|x| sort_key(x) <= key);
                v.insert(pos, order);
            }
            _ => out.push(Event::Expired { id: o.id, qty: left }),
        }
    }

    /// Returns the traded quantity and what is left open, or `None` when self-trade prevention
    /// cancelled the order.
    fn match_order(&mut self, o: &NewOrder, kind: OrderKind, qty: Qty, out: &mut Vec<Event>) -> (Qty, Option<Qty>) {
        let (limit, mut budget) = match kind {
            OrderKind::Limit { price } => (Some(price), None),
            OrderKind::Market {
                protection,
                quote_budget,
            } => (protection, quote_budget),
            _ => (None, None),
        };
        let mut left = qty;
        let mut traded = Qty(0);
        let opp = o.side.opposite();
        let cancel = |id, qty, remaining| Event::Cancelled {
            id,
            qty,
            remaining,
            reason: CancelReason::SelfTrade,
        };
        while left > Qty(0) {
            let Some(m) = self.side_mut(opp).first().cloned() else {
                break;
            };
            let acceptable = match (o.side, limit) {
                (_, None) => true,
                (Side::Buy, Some(l)) => m.price <= l,
                (Side::Sell, Some(l)) => m.price >= l,
            };
            if !acceptable {
                break;
            }
            if o.stp != StpMode::None && m.account == o.account {
                match o.stp {
                    StpMode::CancelTaker => {
                        out.push(cancel(o.id, left, Qty(0)));
                        return (traded, None);
                    }
                    StpMode::CancelMaker => {
                        self.side_mut(opp).remove(0);
                        out.push(cancel(m.id, m.remaining, Qty(0)));
                    }
                    StpMode::CancelBoth => {
                        self.side_mut(opp).remove(0);
                        out.push(cancel(m.id, m.remaining, Qty(0)));
                        out.push(cancel(o.id, left, Qty(0)));
                        return (traded, None);
                    }
                    StpMode::DecrementAndCancel | StpMode::None => {
                        let d = left.min(m.remaining);
                        if d == m.remaining {
                            self.side_mut(opp).remove(0);
                        } else {
                            self.side_mut(opp)[0].remaining -= d;
                        }
                        out.push(cancel(m.id, d, m.remaining - d));
                        left -= d;
                        out.push(cancel(o.id, d, left));
                        if left == Qty(0) {
                            return (traded, None);
                        }
                    }
                }
                continue;
            }
            let mut q = left.min(m.remaining);
            if let Some(b) = budget {
                let afford = b / u128::from(m.price);
                if afford < u128::from(q) {
                    q = Qty(afford as u64);
                }
                if q == Qty(0) {
                    break;
                }
                budget = Some(b - u128::from(q) * u128::from(m.price));
            }
            left -= q;
            traded += q;
            let maker_done = q == m.remaining;
            out.push(Event::Trade {
                maker: m.id,
                taker: o.id,
                price: m.price,
                qty: q,
                maker_done,
                taker_done: left == Qty(0),
            });
            self.last_price = Some(m.price);
            if maker_done {
                self.side_mut(opp).remove(0);
            } else {
                let first = &mut self.side_mut(opp)[0];
                first.remaining -= q;
                first.filled = first.filled.saturating_add(q);
            }
        }
        (traded, Some(left))
    }

    /// The same view as `OrderBook::l3`.
    pub fn l3(&self) -> L3Book {
        let levels = |v: &Vec<RefOrder>| {
            let mut out: Vec<L3Level> = Vec::new();
            for o in v {
                let order = L3Order {
                    id: o.id,
                    account: o.account,
                    remaining: o.remaining,
                    filled: o.filled,
                    stp: o.stp,
                    post_only: o.post_only,
                };
                match out.last_mut() {
                    Some(l) if l.price == o.price => l.orders.push(order),
                    _ => out.push(L3Level {
                        price: o.price,
                        orders: vec![order],
                    }),
                }
            }
            out
        };
        let mut stops = self.stops.clone();
        stops.sort_by_key(|s| s.arrival);
        L3Book {
            bids: levels(&self.bids),
            asks: levels(&self.asks),
            stops,
        }
    }
}
