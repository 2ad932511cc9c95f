//! Brute-force protection: failed logins are counted per email and per client IP within a window; reaching the
//! limit locks logins for that key until the window has passed again. The lock is keyed on what the client
//! sent, so reporting it reveals nothing about whether an account exists.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
}

/// What is stored per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailureCount {
    pub failures: u32,
    pub window_start: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl LockoutPolicy {
    /// The end of the lock in force for this key at `now`, if any.
    pub(crate) fn locked_until(&self, state: Option<&FailureCount>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        state.and_then(|s| s.locked_until).filter(|until| *until > now)
    }

    /// The key's state after one more failure at `now`.
    pub(crate) fn after_failure(&self, state: Option<FailureCount>, now: DateTime<Utc>) -> FailureCount {
        let mut next = match state {
            Some(s) if now - s.window_start < self.window && self.locked_until(Some(&s), now).is_none() => s,
            _ => FailureCount {
                failures: 0,
                window_start: now,
                locked_until: None,
            },
        };
        next.failures = next.failures.saturating_add(1);
        if next.failures >= self.max_failures {
            next.locked_until = Some(now + self.window);
        }
        next
    }
}

pub(crate) fn email_key(email: &str) -> String {
    format!("email:{email}")
}

pub(crate) fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_failures: 3,
            window: Duration::minutes(15),
        }
    }

    #[test]
    fn the_limit_locks_for_the_window_then_expires() {
        let start = Utc::now();
        let mut state = None;
        for n in 0..3 {
            assert_eq!(
                policy().locked_until(state.as_ref(), start),
                None,
                "not locked after {n}"
            );
            state = Some(policy().after_failure(state, start));
        }
        let until = policy().locked_until(state.as_ref(), start).expect("locked after 3");
        assert_eq!(until, start + Duration::minutes(15));
        assert!(
            policy()
                .locked_until(state.as_ref(), until - Duration::seconds(1))
                .is_some()
        );
        assert_eq!(policy().locked_until(state.as_ref(), until), None);
        // After the lock, counting starts again.
        let after = policy().after_failure(state, until);
        assert_eq!(after.failures, 1);
        assert_eq!(after.locked_until, None);
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let start = Utc::now();
        let state = Some(policy().after_failure(Some(policy().after_failure(None, start)), start));
        let later = policy().after_failure(state, start + Duration::minutes(16));
        assert_eq!(later.failures, 1);
    }
}
