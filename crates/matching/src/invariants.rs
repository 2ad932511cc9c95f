//! Structural self-check, run by the property tests after every command.

use crate::arena::NIL;
use crate::book::OrderBook;
use crate::types::Side;

impl OrderBook {
    /// Checks every structural invariant, returning the first violation. O(book size): for tests
    /// and diagnostics, not for the hot path.
    ///
    /// - the book is not crossed;
    /// - each side's levels are strictly ordered and each level's total and count equal the sum
    ///   and number of its orders;
    /// - queue links are consistent, each order points to its level and side, and has quantity;
    /// - the id index holds exactly the resting orders, and no id is both resting and a stop;
    /// - no pending stop is already triggered by the last trade price.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let (Some(b), Some(a)) = (self.best_bid(), self.best_ask())
            && b >= a
        {
            return Err(format!("crossed book: bid {b} >= ask {a}"));
        }
        let mut orders = 0usize;
        for side in [Side::Buy, Side::Sell] {
            let ladder = self.ladder(side);
            let mut prev_key = None;
            for (key, lvl) in ladder.entries() {
                let level = self.levels.get(lvl);
                if ladder.key(level.price) != key || prev_key.is_some_and(|p| p >= key) {
                    return Err(format!("{side:?} level {} out of order", level.price));
                }
                prev_key = Some(key);
                let (mut sum, mut count, mut prev, mut cur) = (0u128, 0u32, NIL, level.head);
                while cur != NIL {
                    let s = self.arena.get(cur);
                    if s.prev != prev || s.level != lvl || s.side != side || s.remaining.is_zero() {
                        return Err(format!("order {} badly linked at {}", s.id, level.price));
                    }
                    if self.ids.get(&s.id) != Some(&cur) || self.stops.contains(s.id) {
                        return Err(format!("order {} missing from or duplicated in the index", s.id));
                    }
                    sum += u128::from(s.remaining);
                    count += 1;
                    prev = cur;
                    cur = s.next;
                }
                if prev != level.tail || sum != level.total || count != level.count || count == 0 {
                    return Err(format!(
                        "level {} holds {sum} in {count} orders but records {} in {}",
                        level.price, level.total, level.count
                    ));
                }
                orders += count as usize;
            }
        }
        if orders != self.ids.len() {
            return Err(format!("{} ids indexed for {orders} resting orders", self.ids.len()));
        }
        if let Some(last) = self.last_price {
            let mut scratch = Vec::new();
            let mut stops = crate::stop::StopBook::default();
            for s in self.stops.all() {
                stops.insert(s);
            }
            stops.take_triggered(last, &mut scratch);
            if let Some(s) = scratch.first() {
                return Err(format!("stop {} should have triggered at {last}", s.order.id));
            }
        }
        Ok(())
    }
}
