//! Token-bucket rate limiting: the bucket arithmetic (`bucket`), an in-process store (`local`) and a Redis store
//! shared by every node (`redis`). The HTTP layer decides which buckets a request draws from; this module only
//! answers whether it may.
//!
//! When Redis is configured but does not answer in time, the limiter fails over to the in-process buckets rather
//! than refusing every request (a limiter outage must not take login and trading down with it) or admitting every
//! request (it must not switch brute-force protection off either). Each node then enforces the limits on its own,
//! so a cluster of N nodes admits up to N times a limit until Redis is back. After a failure Redis is left alone
//! for `REDIS_RETRY_AFTER`, so an outage costs one timeout per interval rather than one per request.

mod bucket;
mod local;
mod redis;

pub use bucket::{Bucket, Decision, MAX_CAPACITY_UNITS, Quota, take_all, verdict};
pub use local::LocalBuckets;
pub use redis::{RedisBucketError, RedisBuckets};

use crate::Clock;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long Redis is bypassed after it failed to answer.
pub const REDIS_RETRY_AFTER: Duration = Duration::from_secs(5);

pub struct RateLimiter {
    local: LocalBuckets,
    shared: Option<Shared>,
    clock: Arc<dyn Clock>,
}

struct Shared {
    redis: RedisBuckets,
    /// Until when Redis is skipped after a failure.
    bypass_until: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// Buckets in this process only.
    pub fn in_process(clock: Arc<dyn Clock>, max_keys: usize) -> RateLimiter {
        RateLimiter {
            local: LocalBuckets::new(max_keys),
            shared: None,
            clock,
        }
    }

    /// Buckets in Redis, with the in-process ones as the fallback.
    pub fn shared(clock: Arc<dyn Clock>, max_keys: usize, redis: RedisBuckets) -> RateLimiter {
        RateLimiter {
            local: LocalBuckets::new(max_keys),
            shared: Some(Shared {
                redis,
                bypass_until: Mutex::new(None),
            }),
            clock,
        }
    }

    /// Takes a token from each of `buckets` (or from none, if one is empty) and answers the decision to report:
    /// see [`verdict`]. `None` only for an empty list.
    pub async fn check(&self, buckets: &[(&str, Quota)]) -> Option<Decision> {
        let now_ms = self.clock.now().timestamp_millis();
        if let Some(shared) = &self.shared
            && shared.available()
        {
            match shared.redis.take(buckets, now_ms).await {
                Ok(decisions) => return verdict(&decisions),
                Err(error) => shared.failed(&error),
            }
        }
        verdict(&self.local.take(buckets, now_ms))
    }

    /// The in-process buckets, for tests and metrics.
    pub fn local(&self) -> &LocalBuckets {
        &self.local
    }
}

impl Shared {
    fn available(&self) -> bool {
        let mut bypass = self
            .bypass_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match *bypass {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                *bypass = None;
                tracing::info!("rate limiter: trying Redis again");
                true
            }
            None => true,
        }
    }

    fn failed(&self, error: &RedisBucketError) {
        metrics::counter!("rate_limit_redis_failures_total").increment(1);
        let mut bypass = self
            .bypass_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if bypass.is_none() {
            tracing::warn!(
                error = %error,
                retry_in_secs = REDIS_RETRY_AFTER.as_secs(),
                "rate limiter: Redis unavailable; enforcing limits per process until it answers"
            );
        }
        *bypass = Some(Instant::now() + REDIS_RETRY_AFTER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use chrono::{DateTime, Duration as Span};

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_process_buckets() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_700_000_000, 0).unwrap()));
        let redis =
            RedisBuckets::new(&format!("redis://127.0.0.1:{port}"), "test", Duration::from_millis(200)).unwrap();
        let limiter = RateLimiter::shared(clock.clone(), 1000, redis);
        let quota = Quota::new(2, 60_000).unwrap();
        let first = limiter.check(&[("k", quota)]).await.unwrap();
        assert!(first.allowed);
        assert_eq!(first.remaining, 1);
        assert!(limiter.check(&[("k", quota)]).await.unwrap().allowed);
        let refused = limiter.check(&[("k", quota)]).await.unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_ms, 30_000);
        clock.advance(Span::seconds(30));
        assert!(limiter.check(&[("k", quota)]).await.unwrap().allowed);
    }

    #[tokio::test]
    async fn no_buckets_no_decision() {
        let limiter = RateLimiter::in_process(Arc::new(crate::SystemClock), 10);
        assert_eq!(limiter.check(&[]).await, None);
    }
}
