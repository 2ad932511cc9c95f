//! The order book: command dispatch, validation, resting and removing orders.

use crate::arena::{Arena, IdMap, NIL, Slot};
use crate::commands::{Command, NewOrder, Op, OrderKind};
use crate::events::{CancelReason, Event, RejectReason};
use crate::ladder::{Ladder, Levels};
use crate::matching::Exec;
use crate::stop::{PendingStop, StopBook};
use crate::types::{OrderId, Price, Qty, Side, StpMode, TimeInForce, TraderId};

/// One market's book and matching engine. Single-threaded and deterministic: the same
/// commands always give the same events.
#[derive(Debug)]
pub struct OrderBook {
    pub(crate) arena: Arena,
    pub(crate) levels: Levels,
    pub(crate) bids: Ladder,
    pub(crate) asks: Ladder,
    pub(crate) ids: IdMap,
    pub(crate) stops: StopBook,
    pub(crate) last_seq: Option<u64>,
    pub(crate) last_ts: u64,
    pub(crate) last_price: Option<Price>,
    pub(crate) next_arrival: u64,
    /// Reused buffer for triggered stops, so a cascade does not allocate each time.
    triggered: Vec<PendingStop>,
}

impl Default for OrderBook {
    fn default() -> Self {
        Self::new()
    }
}

/// A resting order as placed by `rest`.
pub(crate) struct Resting {
    pub id: OrderId,
    pub account: TraderId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub filled: Qty,
    pub stp: StpMode,
    pub post_only: bool,
}

impl OrderBook {
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(4096)
    }

    /// A book with room for `orders` resting orders before any allocation.
    #[must_use]
    pub fn with_capacity(orders: usize) -> Self {
        let mut ids = IdMap::default();
        ids.reserve(orders);
        OrderBook {
            arena: Arena::with_capacity(orders),
            levels: Levels::default(),
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
            ids,
            stops: StopBook::default(),
            last_seq: None,
            last_ts: 0,
            last_price: None,
            next_arrival: 0,
            triggered: Vec::new(),
        }
    }

    /// Applies one command, appending the events it caused to `out`. Never panics on any
    /// command: anything invalid becomes a `Rejected` event and changes nothing.
    pub fn process(&mut self, cmd: &Command, out: &mut Vec<Event>) {
        let target = match &cmd.op {
            Op::Place(o) => o.id,
            Op::Cancel { id } | Op::Amend { id, .. } => *id,
        };
        if self.last_seq.is_some_and(|last| cmd.seq <= last) {
            out.push(Event::Rejected {
                id: target,
                reason: RejectReason::StaleSequence,
            });
            return;
        }
        self.last_seq = Some(cmd.seq);
        self.last_ts = cmd.ts;
        match &cmd.op {
            Op::Place(o) => self.place(o, out),
            Op::Cancel { id } => self.cancel(*id, out),
            Op::Amend { id, price, qty } => self.amend(*id, *price, *qty, out),
        }
        if !self.stops.is_empty() {
            self.run_stops(out);
        }
    }

    /// Checks a new order against the rules and the live orders; the first failing rule wins.
    pub(crate) fn validate(&self, o: &NewOrder) -> Result<(), RejectReason> {
        let (prices, budget): (&[Option<Price>], Option<u128>) = match &o.kind {
            OrderKind::Limit { price } => (&[Some(*price)], None),
            OrderKind::Market {
                protection,
                quote_budget,
            } => (&[*protection], *quote_budget),
            OrderKind::StopLimit { trigger, price } => (&[Some(*trigger), Some(*price)], None),
            OrderKind::StopMarket {
                trigger,
                protection,
                quote_budget,
            } => (&[Some(*trigger), *protection], *quote_budget),
        };
        if o.qty.is_zero() || budget == Some(0) {
            return Err(RejectReason::ZeroQuantity);
        }
        if prices.contains(&Some(Price(0))) {
            return Err(RejectReason::ZeroPrice);
        }
        if budget.is_some() && o.side == Side::Sell {
            return Err(RejectReason::QuoteBudgetOnSell);
        }
        if o.post_only && !(matches!(o.kind, OrderKind::Limit { .. }) && o.tif == TimeInForce::Gtc) {
            return Err(RejectReason::PostOnlyNotAllowed);
        }
        if self.ids.contains_key(&o.id) || self.stops.contains(o.id) {
            return Err(RejectReason::DuplicateOrderId);
        }
        if let OrderKind::Limit { price } = o.kind
            && o.post_only
            && self.would_take(o.side, price)
        {
            return Err(RejectReason::PostOnlyWouldTake);
        }
        Ok(())
    }

    /// Whether a limit order at `price` would trade against the current book.
    pub(crate) fn would_take(&self, side: Side, price: Price) -> bool {
        let opp = self.ladder(side.opposite());
        opp.best_key().is_some_and(|k| k >= opp.key(price))
    }

    fn place(&mut self, o: &NewOrder, out: &mut Vec<Event>) {
        if let Err(reason) = self.validate(o) {
            out.push(Event::Rejected { id: o.id, reason });
            return;
        }
        out.push(Event::Accepted { id: o.id });
        if let Some(trigger) = o.kind.trigger() {
            let arrival = self.next_arrival;
            self.next_arrival = self.next_arrival.saturating_add(1);
            self.stops.insert(PendingStop {
                order: o.clone(),
                arrival,
                trigger,
            });
            return;
        }
        self.execute_and_rest(Exec::from_order(o), out);
    }

    fn cancel(&mut self, id: OrderId, out: &mut Vec<Event>) {
        if let Some(slot) = self.ids.remove(&id) {
            let qty = self.arena.get(slot).remaining;
            self.unlink(slot);
            self.arena.release(slot);
            out.push(Event::Cancelled {
                id,
                qty,
                remaining: Qty::ZERO,
                reason: CancelReason::User,
            });
        } else if let Some(stop) = self.stops.remove(id) {
            out.push(Event::Cancelled {
                id,
                qty: stop.order.qty,
                remaining: Qty::ZERO,
                reason: CancelReason::User,
            });
        } else {
            out.push(Event::Rejected {
                id,
                reason: RejectReason::UnknownOrder,
            });
        }
    }

    fn amend(&mut self, id: OrderId, price: Price, qty: Qty, out: &mut Vec<Event>) {
        let reject = |reason| Event::Rejected { id, reason };
        if qty.is_zero() {
            return out.push(reject(RejectReason::ZeroQuantity));
        }
        if price == Price(0) {
            return out.push(reject(RejectReason::ZeroPrice));
        }
        let Some(&slot) = self.ids.get(&id) else {
            let reason = if self.stops.contains(id) {
                RejectReason::NotAmendable
            } else {
                RejectReason::UnknownOrder
            };
            return out.push(reject(reason));
        };
        let s = *self.arena.get(slot);
        let level = self.levels.get_mut(s.level);
        if price == level.price && qty <= s.remaining {
            level.total -= u128::from(s.remaining - qty);
            self.arena.get_mut(slot).remaining = qty;
            return out.push(Event::Amended {
                id,
                price,
                qty,
                kept_priority: true,
            });
        }
        if s.post_only && self.would_take(s.side, price) {
            return out.push(reject(RejectReason::PostOnlyWouldTake));
        }
        // The order keeps its slot and index entry while it trades as a taker at the new price,
        // so a move that ends up resting again costs no hash map update or slot allocation.
        self.unlink(slot);
        out.push(Event::Amended {
            id,
            price,
            qty,
            kept_priority: false,
        });
        let exec = Exec {
            id,
            account: s.account,
            side: s.side,
            limit: Some(price),
            protection: None,
            budget: None,
            qty,
            tif: TimeInForce::Gtc,
            stp: s.stp,
            post_only: s.post_only,
            filled: s.filled,
        };
        match self.execute(exec, out) {
            Some(rest) => {
                let o = self.arena.get_mut(slot);
                o.remaining = rest.qty;
                o.filled = rest.filled;
                self.link(slot, s.side, price);
            }
            None => {
                self.ids.remove(&id);
                self.arena.release(slot);
            }
        }
    }

    /// Triggers stops until the last price triggers no more (a cascade), oldest stop first
    /// within each round.
    fn run_stops(&mut self, out: &mut Vec<Event>) {
        let mut batch = std::mem::take(&mut self.triggered);
        while let Some(last) = self.last_price {
            batch.clear();
            self.stops.take_triggered(last, &mut batch);
            if batch.is_empty() {
                break;
            }
            for stop in batch.drain(..) {
                out.push(Event::Triggered { id: stop.order.id });
                self.execute_and_rest(Exec::from_order(&stop.order), out);
            }
        }
        self.triggered = batch;
    }

    #[inline]
    pub(crate) fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Matches an order and rests what is left of it as a new resting order.
    fn execute_and_rest(&mut self, e: Exec, out: &mut Vec<Event>) {
        if let Some(rest) = self.execute(e, out) {
            self.rest(Resting {
                id: e.id,
                account: e.account,
                side: e.side,
                price: rest.price,
                qty: rest.qty,
                filled: rest.filled,
                stp: e.stp,
                post_only: e.post_only,
            });
        }
    }

    /// Stores a new resting order at the back of its price level.
    pub(crate) fn rest(&mut self, r: Resting) {
        let slot = self.arena.alloc(Slot {
            id: r.id,
            account: r.account,
            remaining: r.qty,
            filled: r.filled,
            next: NIL,
            prev: NIL,
            level: NIL,
            side: r.side,
            stp: r.stp,
            post_only: r.post_only,
        });
        self.link(slot, r.side, r.price);
        self.ids.insert(r.id, slot);
    }

    /// Appends an allocated order slot at the back of the level at `price`.
    fn link(&mut self, slot: u32, side: Side, price: Price) {
        let levels = &mut self.levels;
        let ladder = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let lvl = ladder.get_or_insert(price, || levels.alloc(price));
        let level = self.levels.get_mut(lvl);
        let tail = level.tail;
        level.tail = slot;
        if tail == NIL {
            level.head = slot;
        }
        let o = self.arena.get_mut(slot);
        o.prev = tail;
        o.next = NIL;
        o.level = lvl;
        let qty = o.remaining;
        if tail != NIL {
            self.arena.get_mut(tail).next = slot;
        }
        let level = self.levels.get_mut(lvl);
        level.total += u128::from(qty);
        level.count += 1;
    }

    /// Unlinks a resting order and frees its slot, dropping its level when it empties.
    pub(crate) fn remove_resting(&mut self, slot: u32) {
        let id = self.arena.get(slot).id;
        self.unlink(slot);
        self.ids.remove(&id);
        self.arena.release(slot);
    }

    /// Takes an order out of its level's queue (dropping the level when it empties), leaving
    /// its slot and index entry alone.
    fn unlink(&mut self, slot: u32) {
        let s = *self.arena.get(slot);
        if s.prev == NIL {
            self.levels.get_mut(s.level).head = s.next;
        } else {
            self.arena.get_mut(s.prev).next = s.next;
        }
        if s.next == NIL {
            self.levels.get_mut(s.level).tail = s.prev;
        } else {
            self.arena.get_mut(s.next).prev = s.prev;
        }
        let level = self.levels.get_mut(s.level);
        level.total -= u128::from(s.remaining);
        level.count -= 1;
        if level.count == 0 {
            let price = level.price;
            match s.side {
                Side::Buy => self.bids.remove(price),
                Side::Sell => self.asks.remove(price),
            }
            self.levels.release(s.level);
        }
    }
}
