//! Token-bucket arithmetic, pure and in integers, with the time passed in. The Redis script (`redis.rs`) is the
//! same arithmetic in Lua; keep the two in step.
//!
//! A bucket holds `limit` tokens and refills continuously at `limit` tokens per `period`. To stay exact without
//! floating point, the level is counted in units where one token is `period_ms` units: the bucket then refills
//! `limit` units per millisecond, is full at `limit * period_ms` units, and a request costs `period_ms` units.
//! Configuration bounds `limit * period_ms` below 2^53, so the Lua side (doubles) computes the same integers.

/// `limit` requests per `period_ms`, with bursts of up to `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    limit: u32,
    period_ms: u64,
}

/// The largest `limit * period_ms` allowed: exact in a double, which is what Lua computes with.
pub const MAX_CAPACITY_UNITS: u64 = 1 << 53;

impl Quota {
    /// `None` when either part is zero or the capacity would not be exact in Lua.
    pub fn new(limit: u32, period_ms: u64) -> Option<Quota> {
        let units = u64::from(limit).checked_mul(period_ms)?;
        (limit > 0 && period_ms > 0 && units <= MAX_CAPACITY_UNITS).then_some(Quota { limit, period_ms })
    }

    pub fn limit(self) -> u32 {
        self.limit
    }

    pub fn period_ms(self) -> u64 {
        self.period_ms
    }

    pub(crate) fn capacity_units(self) -> u64 {
        // Checked in `new`.
        u64::from(self.limit) * self.period_ms
    }
}

/// A bucket's stored state. A missing bucket is a full one, so an idle bucket can be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Tokens left, in units of `1 / period_ms` token.
    level: u64,
    /// When `level` was last brought up to date, in Unix milliseconds.
    updated_ms: i64,
}

/// What one bucket says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Whole tokens left after this request (0 when refused).
    pub remaining: u32,
    /// When refused: how long until one token is back. 0 when allowed.
    pub retry_after_ms: u64,
}

impl Bucket {
    pub fn full(quota: Quota, now_ms: i64) -> Bucket {
        Bucket {
            level: quota.capacity_units(),
            updated_ms: now_ms,
        }
    }

    /// The level at `now_ms`. A clock that went backwards (another node's, or a step) refills nothing and does not
    /// move `updated_ms` back, so skew can only delay a refill, never grant extra tokens.
    pub fn refilled(self, quota: Quota, now_ms: i64) -> Bucket {
        if now_ms <= self.updated_ms {
            return self;
        }
        let elapsed = u64::try_from(now_ms - self.updated_ms).unwrap_or(u64::MAX);
        let level = elapsed
            .saturating_mul(u64::from(quota.limit))
            .saturating_add(self.level)
            .min(quota.capacity_units());
        Bucket {
            level,
            updated_ms: now_ms,
        }
    }

    /// A full bucket carries no information: it can be evicted and re-created full later.
    pub fn is_full_at(self, quota: Quota, now_ms: i64) -> bool {
        self.refilled(quota, now_ms).level >= quota.capacity_units()
    }

    /// What taking one token would give, without taking it.
    pub fn peek(self, quota: Quota, now_ms: i64) -> Decision {
        let current = self.refilled(quota, now_ms);
        if current.level >= quota.period_ms {
            Decision {
                allowed: true,
                limit: quota.limit,
                remaining: remaining(current.level - quota.period_ms, quota),
                retry_after_ms: 0,
            }
        } else {
            let missing = quota.period_ms - current.level;
            Decision {
                allowed: false,
                limit: quota.limit,
                remaining: 0,
                retry_after_ms: missing.div_ceil(u64::from(quota.limit)),
            }
        }
    }

    /// Takes one token if there is one; the bucket is brought up to date either way.
    pub fn take(self, quota: Quota, now_ms: i64) -> (Bucket, Decision) {
        let current = self.refilled(quota, now_ms);
        let decision = current.peek(quota, now_ms);
        let level = if decision.allowed {
            current.level - quota.period_ms
        } else {
            current.level
        };
        (Bucket { level, ..current }, decision)
    }

    /// Milliseconds until this bucket is full again: how long its Redis key needs to live.
    pub fn ms_until_full(self, quota: Quota) -> u64 {
        (quota.capacity_units() - self.level.min(quota.capacity_units())).div_ceil(u64::from(quota.limit))
    }
}

fn remaining(level: u64, quota: Quota) -> u32 {
    u32::try_from(level / quota.period_ms).unwrap_or(u32::MAX)
}

/// Takes a token from every bucket, or from none: a request refused by one bucket must not use up another
/// (a client hammering its own limit would otherwise drain the global one for everybody). Answers each bucket's
/// new state and decision, in order.
pub fn take_all(buckets: &[(Option<Bucket>, Quota)], now_ms: i64) -> Vec<(Bucket, Decision)> {
    let current: Vec<(Bucket, Quota)> = buckets
        .iter()
        .map(|(bucket, quota)| {
            let bucket = bucket.unwrap_or_else(|| Bucket::full(*quota, now_ms));
            (bucket.refilled(*quota, now_ms), *quota)
        })
        .collect();
    let all_allowed = current.iter().all(|(b, q)| b.peek(*q, now_ms).allowed);
    current
        .into_iter()
        .map(|(bucket, quota)| {
            if all_allowed {
                bucket.take(quota, now_ms)
            } else {
                let mut decision = bucket.peek(quota, now_ms);
                if decision.allowed {
                    // Not refused by this bucket, so it is not the one to wait for; show what it has left.
                    decision.remaining = remaining(bucket.level, quota);
                }
                decision.allowed = false;
                (bucket, decision)
            }
        })
        .collect()
}

/// The decision to report for a request checked against several buckets: when refused, the bucket with the
/// longest wait; when admitted, the one with the fewest tokens left (the first on a tie: the most specific).
pub fn verdict(decisions: &[Decision]) -> Option<Decision> {
    if decisions.iter().all(|d| d.allowed) {
        decisions.iter().copied().min_by_key(|d| d.remaining)
    } else {
        decisions
            .iter()
            .copied()
            .filter(|d| d.retry_after_ms > 0)
            .max_by_key(|d| d.retry_after_ms)
            .or_else(|| decisions.first().copied())
            .map(|d| Decision { allowed: false, ..d })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: u64 = 60_000;
    const T0: i64 = 1_700_000_000_000;

    fn quota(limit: u32) -> Quota {
        Quota::new(limit, MINUTE).unwrap()
    }

    #[test]
    fn a_fresh_bucket_admits_exactly_its_limit_then_refuses() {
        let q = quota(5);
        let mut bucket = Bucket::full(q, T0);
        for expected_remaining in (0..5).rev() {
            let (next, d) = bucket.take(q, T0);
            assert!(d.allowed);
            assert_eq!((d.limit, d.remaining), (5, expected_remaining));
            bucket = next;
        }
        let (_, refused) = bucket.take(q, T0);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        // One token comes back every 60 s / 5 = 12 s.
        assert_eq!(refused.retry_after_ms, 12_000);
    }

    #[test]
    fn tokens_come_back_at_the_quota_rate_and_no_further_than_full() {
        let q = quota(5);
        let mut bucket = Bucket::full(q, T0);
        for _ in 0..5 {
            bucket = bucket.take(q, T0).0;
        }
        assert!(!bucket.peek(q, T0 + 11_999).allowed);
        assert_eq!(bucket.peek(q, T0 + 11_999).retry_after_ms, 1);
        let (after, d) = bucket.take(q, T0 + 12_000);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        // A long idle time refills to the limit, not beyond.
        assert_eq!(after.peek(q, T0 + 10 * 60_000).remaining, 4);
        assert!(after.is_full_at(q, T0 + 12_000 + 60_000));
        assert!(!after.is_full_at(q, T0 + 12_000 + 59_999));
    }

    #[test]
    fn a_clock_going_backwards_grants_nothing() {
        let q = quota(2);
        let bucket = Bucket::full(q, T0).take(q, T0).0.take(q, T0).0;
        let (later, d) = bucket.take(q, T0 - 30_000);
        assert!(!d.allowed);
        assert_eq!(later.updated_ms, T0);
        assert_eq!(later.peek(q, T0 + 30_000).remaining, 0);
        assert!(later.peek(q, T0 + 30_000).allowed);
    }

    #[test]
    fn ms_until_full_is_how_long_an_idle_bucket_matters() {
        let q = quota(4);
        let bucket = Bucket::full(q, T0);
        assert_eq!(bucket.ms_until_full(q), 0);
        let used = bucket.take(q, T0).0;
        assert_eq!(used.ms_until_full(q), 15_000);
        assert!(used.is_full_at(q, T0 + 15_000));
    }

    #[test]
    fn quotas_out_of_range_are_refused() {
        assert!(Quota::new(0, MINUTE).is_none());
        assert!(Quota::new(1, 0).is_none());
        assert!(Quota::new(u32::MAX, u64::MAX).is_none());
        assert!(Quota::new(1_000_000, 86_400_000).is_some());
    }

    #[test]
    fn several_buckets_take_all_or_nothing() {
        let (small, big) = (quota(1), quota(100));
        let first = take_all(&[(None, small), (None, big)], T0);
        assert!(first.iter().all(|(_, d)| d.allowed));
        let (s, b) = (first[0].0, first[1].0);
        let second = take_all(&[(Some(s), small), (Some(b), big)], T0);
        assert!(second.iter().all(|(_, d)| !d.allowed));
        // The big bucket was not charged for the refused request.
        assert_eq!(second[1].0, b);
        assert_eq!(second[1].1.remaining, 99);
        let report = verdict(&second.iter().map(|(_, d)| *d).collect::<Vec<_>>()).unwrap();
        assert_eq!(
            (report.allowed, report.limit, report.retry_after_ms),
            (false, 1, 60_000)
        );
    }

    #[test]
    fn an_admitted_request_reports_the_scarcest_bucket() {
        let decisions = [
            Decision {
                allowed: true,
                limit: 60,
                remaining: 59,
                retry_after_ms: 0,
            },
            Decision {
                allowed: true,
                limit: 1000,
                remaining: 3,
                retry_after_ms: 0,
            },
        ];
        assert_eq!(verdict(&decisions).unwrap().limit, 1000);
        assert_eq!(verdict(&[]), None);
    }
}
