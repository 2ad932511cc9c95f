//! Buckets in this process's memory: the default store, and the fallback when Redis does not answer.
//!
//! Memory stays bounded two ways. A full bucket is the same as no bucket, so idle keys are swept out as they
//! refill (each shard sweeps itself every `SWEEP_EVERY` decisions). And the number of keys has a ceiling: when
//! a sweep cannot get under it (a flood of distinct keys, each still partly used), arbitrary keys are dropped —
//! those clients get a full bucket back, which the global limit still bounds — and a warning is logged.

use super::bucket::{Bucket, Decision, Quota, take_all};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};

const SHARDS: usize = 16;
const SWEEP_EVERY: u32 = 1024;

struct Entry {
    bucket: Bucket,
    /// Kept with the bucket so a sweep can tell when it is full without knowing its route class.
    quota: Quota,
}

#[derive(Default)]
struct Shard {
    buckets: HashMap<String, Entry>,
    since_sweep: u32,
}

pub struct LocalBuckets {
    shards: Vec<Mutex<Shard>>,
    max_keys_per_shard: usize,
    hasher: RandomState,
}

impl LocalBuckets {
    pub fn new(max_keys: usize) -> LocalBuckets {
        LocalBuckets {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            max_keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
        }
    }

    fn shard_of(&self, key: &str) -> usize {
        // The remainder is below SHARDS, so it fits.
        (self.hasher.hash_one(key) % SHARDS as u64) as usize
    }

    /// Takes a token from every bucket or from none (see [`take_all`]), atomically with respect to other
    /// requests in this process.
    pub fn take(&self, keys: &[(&str, Quota)], now_ms: i64) -> Vec<Decision> {
        let shard_of: Vec<usize> = keys.iter().map(|(key, _)| self.shard_of(key)).collect();
        let mut order = shard_of.clone();
        order.sort_unstable();
        order.dedup();
        // Locks in ascending shard order, so two requests can never wait on each other.
        let mut guards: Vec<(usize, MutexGuard<'_, Shard>)> = order
            .iter()
            .map(|&i| {
                (
                    i,
                    self.shards[i].lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
                )
            })
            .collect();
        let guard_for = |shard: usize| -> usize { guards.iter().position(|(i, _)| *i == shard).unwrap_or(0) };
        let slots: Vec<usize> = shard_of.iter().map(|&s| guard_for(s)).collect();

        let current: Vec<(Option<Bucket>, Quota)> = keys
            .iter()
            .zip(&slots)
            .map(|((key, quota), &slot)| {
                let stored = guards[slot].1.buckets.get(*key).map(|e| e.bucket);
                (stored, *quota)
            })
            .collect();
        let outcome = take_all(&current, now_ms);
        let mut decisions = Vec::with_capacity(outcome.len());
        for (((key, quota), &slot), (bucket, decision)) in keys.iter().zip(&slots).zip(outcome) {
            let shard = &mut guards[slot].1;
            if let Some(entry) = shard.buckets.get_mut(*key) {
                entry.bucket = bucket;
                entry.quota = *quota;
            } else if !bucket.is_full_at(*quota, now_ms) {
                shard.buckets.insert((*key).to_owned(), Entry { bucket, quota: *quota });
            }
            decisions.push(decision);
        }
        for (_, shard) in &mut guards {
            shard.since_sweep += 1;
            if shard.since_sweep >= SWEEP_EVERY || shard.buckets.len() > self.max_keys_per_shard {
                sweep(shard, now_ms, self.max_keys_per_shard);
            }
        }
        decisions
    }

    /// Keys held now, for tests and metrics.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).buckets.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every bucket that has refilled by `now_ms`.
    pub fn sweep(&self, now_ms: i64) {
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            sweep(&mut shard, now_ms, self.max_keys_per_shard);
        }
    }
}

fn sweep(shard: &mut Shard, now_ms: i64, max_keys: usize) {
    shard.since_sweep = 0;
    shard
        .buckets
        .retain(|_, entry| !entry.bucket.is_full_at(entry.quota, now_ms));
    if shard.buckets.len() > max_keys {
        let excess = shard.buckets.len() - max_keys * 9 / 10;
        let victims: Vec<String> = shard.buckets.keys().take(excess).cloned().collect();
        for key in &victims {
            shard.buckets.remove(key);
        }
        metrics::counter!("rate_limit_keys_evicted_total").increment(victims.len() as u64);
        tracing::warn!(
            evicted = victims.len(),
            "rate limiter key table full: evicted partly used buckets (raise rate_limit_max_keys?)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn keys_are_limited_independently_and_together() {
        let store = LocalBuckets::new(1000);
        let q2 = Quota::new(2, 60_000).unwrap();
        let global = Quota::new(3, 60_000).unwrap();
        let ask = |key: &str| store.take(&[(key, q2), ("global", global)], T0);
        assert!(ask("a").iter().all(|d| d.allowed));
        assert!(ask("a").iter().all(|d| d.allowed));
        assert!(ask("a").iter().all(|d| !d.allowed), "a's own limit");
        assert!(ask("b").iter().all(|d| d.allowed));
        let refused = ask("c");
        assert!(refused.iter().all(|d| !d.allowed), "the global limit");
        assert_eq!(refused[0].remaining, 2, "c's bucket was not charged");
    }

    #[test]
    fn refilled_buckets_are_forgotten() {
        let store = LocalBuckets::new(1000);
        let q = Quota::new(10, 1_000).unwrap();
        for i in 0..50 {
            store.take(&[(&format!("ip:{i}"), q)], T0);
        }
        assert_eq!(store.len(), 50);
        store.sweep(T0 + 50);
        assert_eq!(store.len(), 50, "not yet full again");
        store.sweep(T0 + 100);
        assert!(store.is_empty());
    }

    #[test]
    fn the_key_table_has_a_ceiling() {
        let store = LocalBuckets::new(160);
        let q = Quota::new(10, 60_000).unwrap();
        for i in 0..10_000 {
            store.take(&[(&format!("ip:{i}"), q)], T0);
        }
        assert!(store.len() <= 160 + SHARDS, "{}", store.len());
    }
}
