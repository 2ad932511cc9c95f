//! Order storage: one slab of fixed-size slots, linked into per-level FIFO queues.
//!
//! Orders never move once placed, so a level's queue is an intrusive doubly linked list of
//! slot indices: appending, unlinking from the middle (cancel) and popping the head (fill) are
//! all O(1) and touch only the slots concerned. Freed slots form a free list threaded through
//! `next`, so after warm-up placing an order allocates nothing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::types::{OrderId, Qty, Side, StpMode, TraderId};

/// "No slot": the end of a list.
pub(crate) const NIL: u32 = u32::MAX;

/// A resting order. 48 bytes, so a cache line holds more than one and a level's queue is walked
/// with few misses. The price lives in the level, which the slot points to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub id: OrderId,
    pub account: TraderId,
    pub remaining: Qty,
    pub filled: Qty,
    pub next: u32,
    pub prev: u32,
    pub level: u32,
    pub side: Side,
    pub stp: StpMode,
    pub post_only: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Arena {
    pub slots: Vec<Slot>,
    free_head: u32,
    has_free: bool,
}

impl Arena {
    pub fn with_capacity(n: usize) -> Self {
        Arena {
            slots: Vec::with_capacity(n),
            free_head: NIL,
            has_free: false,
        }
    }

    /// Stores `slot`, reusing a freed slot when there is one.
    pub fn alloc(&mut self, slot: Slot) -> u32 {
        if self.has_free {
            let idx = self.free_head;
            let s = &mut self.slots[idx as usize];
            self.free_head = s.next;
            self.has_free = self.free_head != NIL;
            *s = slot;
            idx
        } else {
            // Slot indices are u32 to keep slots small; 4 billion live orders is out of reach
            // for one book in memory, so the truncation cannot happen in practice.
            let idx = self.slots.len() as u32;
            self.slots.push(slot);
            idx
        }
    }

    pub fn release(&mut self, idx: u32) {
        let s = &mut self.slots[idx as usize];
        s.next = self.free_head;
        s.remaining = Qty::ZERO;
        self.free_head = idx;
        self.has_free = true;
    }

    #[inline]
    pub fn get(&self, idx: u32) -> &Slot {
        &self.slots[idx as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, idx: u32) -> &mut Slot {
        &mut self.slots[idx as usize]
    }
}

/// Hash for caller-assigned order ids: one 64×64→128 multiply folded, instead of SipHash.
///
/// Ids come from the platform, not from an attacker choosing hash collisions, and lookups by id
/// are on every cancel and amend, so the cheaper hash is worth it. Map iteration order never
/// reaches the output, so the hasher cannot affect determinism.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        let m = u128::from(x ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

/// Order id → slot of a resting order.
pub(crate) type IdMap = HashMap<OrderId, u32, BuildHasherDefault<IdHasher>>;
