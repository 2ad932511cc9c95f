//! Pending stop orders, indexed by trigger price so a new last price finds its stops by range.
//!
//! Stops are rare next to limit orders and never on the matching hot path, so ordered maps
//! (which allocate per entry) are an acceptable price for simple, ordered code.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::commands::NewOrder;
use crate::types::{OrderId, Price, Side};

/// A stop order waiting for its trigger price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingStop {
    pub order: NewOrder,
    /// Order of acceptance among stops; triggered stops run oldest first.
    pub arrival: u64,
    pub trigger: Price,
}

#[derive(Debug, Default)]
pub(crate) struct StopBook {
    by_id: BTreeMap<OrderId, PendingStop>,
    /// Buy stops trigger when the last price is at or above the trigger.
    buys: BTreeSet<(Price, u64, OrderId)>,
    /// Sell stops trigger when the last price is at or below the trigger.
    sells: BTreeSet<(Price, u64, OrderId)>,
}

impl StopBook {
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn contains(&self, id: OrderId) -> bool {
        !self.by_id.is_empty() && self.by_id.contains_key(&id)
    }

    pub fn get(&self, id: OrderId) -> Option<&PendingStop> {
        self.by_id.get(&id)
    }

    pub fn insert(&mut self, stop: PendingStop) {
        let key = (stop.trigger, stop.arrival, stop.order.id);
        match stop.order.side {
            Side::Buy => self.buys.insert(key),
            Side::Sell => self.sells.insert(key),
        };
        self.by_id.insert(stop.order.id, stop);
    }

    pub fn remove(&mut self, id: OrderId) -> Option<PendingStop> {
        let stop = self.by_id.remove(&id)?;
        let key = (stop.trigger, stop.arrival, stop.order.id);
        match stop.order.side {
            Side::Buy => self.buys.remove(&key),
            Side::Sell => self.sells.remove(&key),
        };
        Some(stop)
    }

    /// Moves every stop triggered by `last` into `out`, oldest first.
    pub fn take_triggered(&mut self, last: Price, out: &mut Vec<PendingStop>) {
        let mut ids: Vec<OrderId> = Vec::new();
        ids.extend(self.buys.range(..=(last, u64::MAX, OrderId::MAX)).map(|k| k.2));
        ids.extend(self.sells.range((last, 0, OrderId(0))..).map(|k| k.2));
        for id in ids {
            if let Some(stop) = self.remove(id) {
                out.push(stop);
            }
        }
        out.sort_by_key(|s| s.arrival);
    }

    /// All pending stops, oldest first.
    pub fn all(&self) -> Vec<PendingStop> {
        let mut v: Vec<PendingStop> = self.by_id.values().cloned().collect();
        v.sort_by_key(|s| s.arrival);
        v
    }
}
