//! Price levels of one side: a radix index of pages of 4,096 consecutive price keys.
//!
//! Almost all activity is within a few hundred ticks of the top of the book, so those prices
//! almost always fall in one or two pages. Inside a page a price maps straight to its level
//! (an array of level indices) and an occupancy bitmap with a one-word summary gives the best
//! level, or the next level below any price, with two `leading_zeros` instructions. Adding or
//! removing a level is setting or clearing a bit: no search, no shifting, no allocation.
//! Pages themselves sit in a short vector sorted by page number (best last), so prices far from
//! the others (any u64 is a valid price) still work, at the cost of one page each. A page is
//! 16 KiB of level indices, of which only the lines around used prices are ever touched, so
//! the hot part of the book stays in L1/L2. Level bodies live in a slab so orders can point to
//! their level by index and a cancel never has to search.

use crate::arena::NIL;
use crate::types::{Price, Side};

/// One price level: an aggregate and the ends of its FIFO queue of orders.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    pub price: Price,
    /// Sum of the remaining quantity of the orders; u128 so no number of orders can overflow it.
    pub total: u128,
    pub count: u32,
    pub head: u32,
    pub tail: u32,
}

/// Slab of level bodies shared by both sides of a book.
#[derive(Debug, Default)]
pub(crate) struct Levels {
    pub slab: Vec<Level>,
    free: Vec<u32>,
}

impl Levels {
    pub fn alloc(&mut self, price: Price) -> u32 {
        let level = Level {
            price,
            total: 0,
            count: 0,
            head: NIL,
            tail: NIL,
        };
        if let Some(idx) = self.free.pop() {
            self.slab[idx as usize] = level;
            idx
        } else {
            let idx = self.slab.len() as u32;
            self.slab.push(level);
            idx
        }
    }

    pub fn release(&mut self, idx: u32) {
        self.free.push(idx);
    }

    #[inline]
    pub fn get(&self, idx: u32) -> &Level {
        &self.slab[idx as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, idx: u32) -> &mut Level {
        &mut self.slab[idx as usize]
    }
}

const PAGE_BITS: u32 = 12;
const PAGE_SIZE: usize = 1 << PAGE_BITS;
const WORDS: usize = PAGE_SIZE / 64;

/// 4,096 consecutive keys: which are occupied, and their levels.
#[derive(Debug)]
struct Page {
    /// Key >> PAGE_BITS of every key in the page.
    no: u64,
    /// Bit w is set when `bits[w]` is not zero.
    summary: u64,
    bits: [u64; WORDS],
    /// Valid only where the bit is set.
    level: Box<[u32]>,
}

impl Page {
    fn new(no: u64) -> Self {
        Page {
            no,
            summary: 0,
            bits: [0; WORDS],
            level: vec![NIL; PAGE_SIZE].into_boxed_slice(),
        }
    }

    /// The highest occupied offset at or below `off`.
    #[inline]
    fn floor(&self, off: usize) -> Option<usize> {
        let w = off / 64;
        let in_word = self.bits[w] & (u64::MAX >> (63 - (off % 64)));
        if in_word != 0 {
            return Some(w * 64 + 63 - in_word.leading_zeros() as usize);
        }
        let below = if w == 0 {
            0
        } else {
            self.summary & (u64::MAX >> (64 - w))
        };
        if below == 0 {
            return None;
        }
        let w = 63 - below.leading_zeros() as usize;
        Some(w * 64 + 63 - self.bits[w].leading_zeros() as usize)
    }

    #[inline]
    fn top(&self) -> Option<usize> {
        self.floor(PAGE_SIZE - 1)
    }
}

/// The price index of one side.
#[derive(Debug)]
pub(crate) struct Ladder {
    side: Side,
    /// Non-empty pages, ascending by page number; the best price is in the last one.
    pages: Vec<Page>,
    /// Emptied pages kept for reuse, so a price that comes and goes does not allocate.
    spare: Vec<Page>,
}

impl Ladder {
    pub fn new(side: Side) -> Self {
        Ladder {
            side,
            pages: Vec::with_capacity(8),
            spare: Vec::new(),
        }
    }

    /// Maps a price so that "better" is always "larger": bids by price, asks by its complement.
    #[inline]
    pub fn key(&self, price: Price) -> u64 {
        match self.side {
            Side::Buy => price.0,
            Side::Sell => !price.0,
        }
    }

    #[inline]
    fn entry(page: &Page, off: usize) -> (u64, u32) {
        ((page.no << PAGE_BITS) | off as u64, page.level[off])
    }

    /// (key, level) of the best level.
    #[inline]
    pub fn best_entry(&self) -> Option<(u64, u32)> {
        let page = self.pages.last()?;
        page.top().map(|off| Self::entry(page, off))
    }

    #[inline]
    pub fn best(&self) -> Option<u32> {
        self.best_entry().map(|e| e.1)
    }

    #[inline]
    pub fn best_key(&self) -> Option<u64> {
        self.best_entry().map(|e| e.0)
    }

    /// (key, level) of the best level whose key is at most `key`.
    fn floor(&self, key: u64) -> Option<(u64, u32)> {
        let no = key >> PAGE_BITS;
        let mut i = match self.page_pos(no) {
            Ok(i) => {
                let page = &self.pages[i];
                if let Some(off) = page.floor(key as usize & (PAGE_SIZE - 1)) {
                    return Some(Self::entry(page, off));
                }
                i
            }
            Err(i) => i,
        };
        while i > 0 {
            i -= 1;
            let page = &self.pages[i];
            if let Some(off) = page.top() {
                return Some(Self::entry(page, off));
            }
        }
        None
    }

    /// Levels from the best one outwards, as (key, level).
    pub fn iter_entries_best_first(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let mut next = self.best_entry();
        std::iter::from_fn(move || {
            let cur = next?;
            next = cur.0.checked_sub(1).and_then(|k| self.floor(k));
            Some(cur)
        })
    }

    /// Levels from the best one outwards.
    pub fn iter_best_first(&self) -> impl Iterator<Item = u32> + '_ {
        self.iter_entries_best_first().map(|e| e.1)
    }

    /// (key, level) pairs, worst first.
    pub fn entries(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let mut all: Vec<(u64, u32)> = self.iter_entries_best_first().collect();
        all.reverse();
        all.into_iter()
    }

    /// Position of page `no`, searched from the best end where the activity is.
    #[inline]
    fn page_pos(&self, no: u64) -> Result<usize, usize> {
        match self.pages.last() {
            Some(p) if p.no == no => Ok(self.pages.len() - 1),
            Some(p) if p.no < no => Err(self.pages.len()),
            _ => self.pages.binary_search_by_key(&no, |p| p.no),
        }
    }

    /// The level at `price`, creating it with `make` when missing.
    #[inline]
    pub fn get_or_insert(&mut self, price: Price, make: impl FnOnce() -> u32) -> u32 {
        let key = self.key(price);
        let no = key >> PAGE_BITS;
        let i = match self.page_pos(no) {
            Ok(i) => i,
            Err(i) => {
                let mut page = self.spare.pop().unwrap_or_else(|| Page::new(no));
                page.no = no;
                self.pages.insert(i, page);
                i
            }
        };
        let page = &mut self.pages[i];
        let off = key as usize & (PAGE_SIZE - 1);
        let (w, bit) = (off / 64, 1u64 << (off % 64));
        if page.bits[w] & bit != 0 {
            return page.level[off];
        }
        let level = make();
        page.bits[w] |= bit;
        page.summary |= 1 << w;
        page.level[off] = level;
        level
    }

    /// Drops the level at `price`.
    #[inline]
    pub fn remove(&mut self, price: Price) {
        let key = self.key(price);
        let Ok(i) = self.page_pos(key >> PAGE_BITS) else {
            return;
        };
        let page = &mut self.pages[i];
        let off = key as usize & (PAGE_SIZE - 1);
        let w = off / 64;
        page.bits[w] &= !(1u64 << (off % 64));
        if page.bits[w] == 0 {
            page.summary &= !(1u64 << w);
            if page.summary == 0 {
                let page = self.pages.remove(i);
                self.spare.push(page);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_orders_levels_on_both_sides() {
        for side in [Side::Buy, Side::Sell] {
            let mut ladder = Ladder::new(side);
            let prices = [
                50u64,
                7,
                300,
                8,
                9,
                10,
                4095,
                4096,
                4097,
                1,
                u64::MAX,
                299,
                1 << 40,
                63,
                64,
            ];
            for (i, &p) in prices.iter().enumerate() {
                assert_eq!(ladder.get_or_insert(Price(p), || i as u32), i as u32);
            }
            for (i, &p) in prices.iter().enumerate() {
                assert_eq!(ladder.get_or_insert(Price(p), || 999), i as u32, "{side:?} {p}");
            }
            let keys: Vec<u64> = ladder.entries().map(|e| e.0).collect();
            assert_eq!(keys.len(), prices.len());
            assert!(keys.windows(2).all(|w| w[0] < w[1]));
            let mut expected: Vec<u64> = prices.iter().map(|&p| ladder.key(Price(p))).collect();
            expected.sort_unstable();
            assert_eq!(keys, expected);
            let best = if side == Side::Buy { u64::MAX } else { 1 };
            assert_eq!(ladder.best_key(), Some(ladder.key(Price(best))));
            for &p in &prices {
                ladder.remove(Price(p));
                assert!(ladder.entries().all(|(k, _)| k != ladder.key(Price(p))));
            }
            assert_eq!(ladder.best(), None);
            assert!(ladder.pages.is_empty());
        }
    }
}
