//! Brute-force protection: login attempts are counted per email and per client IP within a window; reaching the
//! limit locks logins for that key until the window has passed again. The lock is keyed on what the client
//! sent, so reporting it reveals nothing about whether an account exists.
//!
//! An attempt is counted before its password is checked, in one statement per key (see
//! [`store::count_login_attempt`](crate::store::count_login_attempt)), so simultaneous attempts cannot all see
//! the count below the limit. A right password then gives its attempt back (see [`Sessions`](crate::Sessions)).

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
}

/// The bounds one attempt at `now` is counted against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptWindow {
    pub now: DateTime<Utc>,
    /// A count whose window started at or before this has expired: the attempt starts a new one.
    pub expired_before: DateTime<Utc>,
    pub max_failures: i64,
    /// The end of the lock this attempt sets if it reaches the limit.
    pub lock_until: DateTime<Utc>,
}

impl LockoutPolicy {
    pub(crate) fn window_at(&self, now: DateTime<Utc>) -> AttemptWindow {
        AttemptWindow {
            now,
            expired_before: now - self.window,
            max_failures: i64::from(self.max_failures),
            lock_until: now + self.window,
        }
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
    use crate::store::{self, LoginAttempt};
    use chrono::SubsecRound;
    use platform::test_support::MigratedDb;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_failures: 3,
            window: Duration::minutes(15),
        }
    }

    async fn attempt(db: &MigratedDb, at: DateTime<Utc>) -> LoginAttempt {
        let mut tx = db.db.begin().await.unwrap();
        let attempt = store::count_login_attempt(&mut tx, "email:a@example.com", &policy().window_at(at))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        attempt
    }

    #[tokio::test]
    async fn the_limit_locks_for_the_window_then_expires() {
        let db = MigratedDb::fresh().await;
        let start = Utc::now().trunc_subsecs(0);
        for n in 1..=3 {
            let counted = attempt(&db, start).await;
            let expected_lock = (n == 3).then_some(start + Duration::minutes(15));
            assert_eq!(counted, LoginAttempt::Counted { lock: expected_lock }, "attempt {n}");
        }
        let until = start + Duration::minutes(15);
        assert_eq!(attempt(&db, start).await, LoginAttempt::Locked { until });
        assert_eq!(
            attempt(&db, until - Duration::seconds(1)).await,
            LoginAttempt::Locked { until }
        );
        // After the lock, counting starts again.
        assert_eq!(attempt(&db, until).await, LoginAttempt::Counted { lock: None });
        assert_eq!(attempt(&db, until).await, LoginAttempt::Counted { lock: None });
        assert_eq!(
            attempt(&db, until).await,
            LoginAttempt::Counted {
                lock: Some(until + Duration::minutes(15))
            }
        );
    }

    #[tokio::test]
    async fn failures_outside_the_window_are_forgotten() {
        let db = MigratedDb::fresh().await;
        let start = Utc::now().trunc_subsecs(0);
        attempt(&db, start).await;
        attempt(&db, start).await;
        let later = start + Duration::minutes(16);
        for _ in 0..2 {
            assert_eq!(attempt(&db, later).await, LoginAttempt::Counted { lock: None });
        }
    }

    #[tokio::test]
    async fn a_given_back_attempt_lifts_the_lock_it_set() {
        let db = MigratedDb::fresh().await;
        let start = Utc::now().trunc_subsecs(0);
        for _ in 0..3 {
            attempt(&db, start).await;
        }
        let mut tx = db.db.begin().await.unwrap();
        store::give_back_login_attempt(&mut tx, "email:a@example.com", policy().max_failures)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            attempt(&db, start).await,
            LoginAttempt::Counted {
                lock: Some(start + Duration::minutes(15))
            }
        );
    }
}
