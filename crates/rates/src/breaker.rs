//! A circuit breaker per provider, on the passed-in clock. Closed, it counts fetches in a fixed window of
//! `window` and trips when at least `min_requests` were made and at least `failure_percent` of them failed. Open,
//! it refuses every call for `open_for`. Then half-open: up to `half_open_trials` calls go through; the first
//! success closes it, a failure opens it again.

use chrono::{DateTime, Duration, Utc};
use platform::Clock;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy)]
pub struct BreakerSettings {
    pub min_requests: u32,
    pub window: Duration,
    pub failure_percent: u32,
    pub open_for: Duration,
    pub half_open_trials: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// The `rates_breaker_state` gauge: 0 closed, 1 half-open, 2 open.
    pub fn gauge(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

#[derive(Debug)]
enum State {
    Closed {
        since: DateTime<Utc>,
        requests: u32,
        failures: u32,
    },
    Open {
        until: DateTime<Utc>,
    },
    HalfOpen {
        trials: u32,
        since: DateTime<Utc>,
    },
}

pub struct Breaker {
    settings: BreakerSettings,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(settings: BreakerSettings, clock: Arc<dyn Clock>) -> Breaker {
        let since = clock.now();
        Breaker {
            settings,
            clock,
            state: Mutex::new(State::Closed {
                since,
                requests: 0,
                failures: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Held only for counter updates; a poisoned lock still holds consistent counters.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a call may go upstream now; every `true` must be followed by one [`record`](Self::record).
    pub fn allow(&self) -> bool {
        let now = self.clock.now();
        let mut state = self.lock();
        match &mut *state {
            State::Closed { .. } => true,
            State::Open { until } if now < *until => false,
            State::Open { .. } => {
                *state = State::HalfOpen { trials: 1, since: now };
                true
            }
            State::HalfOpen { trials, .. } if *trials < self.settings.half_open_trials => {
                *trials += 1;
                true
            }
            // A trial whose caller went away (a client hung up, a request timed out) never reports. So that
            // such trials cannot hold the breaker half-open for good, the trials start again once they have
            // had as long as an open breaker waits.
            State::HalfOpen { since, .. } if now - *since >= self.settings.open_for => {
                *state = State::HalfOpen { trials: 1, since: now };
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    /// The outcome of an allowed call.
    pub fn record(&self, success: bool) {
        let now = self.clock.now();
        let settings = self.settings;
        let mut state = self.lock();
        match &mut *state {
            State::Closed {
                since,
                requests,
                failures,
            } => {
                if now - *since >= settings.window {
                    (*since, *requests, *failures) = (now, 0, 0);
                }
                *requests += 1;
                *failures += u32::from(!success);
                let tripped = *requests >= settings.min_requests
                    && u64::from(*failures) * 100 >= u64::from(settings.failure_percent) * u64::from(*requests);
                if tripped {
                    *state = State::Open {
                        until: now + settings.open_for,
                    };
                }
            }
            State::HalfOpen { .. } if success => {
                *state = State::Closed {
                    since: now,
                    requests: 0,
                    failures: 0,
                };
            }
            State::HalfOpen { .. } => {
                *state = State::Open {
                    until: now + settings.open_for,
                }
            }
            // A call allowed before the breaker opened ends after: it changes nothing.
            State::Open { .. } => {}
        }
    }

    /// The state as callers would find it now (an open breaker whose time is over shows as half-open).
    pub fn state(&self) -> BreakerState {
        let now = self.clock.now();
        match &*self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if now < *until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::ManualClock;

    fn breaker() -> (Breaker, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(1_800_000_000, 0).unwrap()));
        let settings = BreakerSettings {
            min_requests: 10,
            window: Duration::seconds(60),
            failure_percent: 60,
            open_for: Duration::seconds(30),
            half_open_trials: 5,
        };
        (Breaker::new(settings, clock.clone()), clock)
    }

    fn call(breaker: &Breaker, success: bool) -> bool {
        let allowed = breaker.allow();
        if allowed {
            breaker.record(success);
        }
        allowed
    }

    #[test]
    fn it_opens_only_after_the_minimum_requests_at_the_failure_percent() {
        let (breaker, _) = breaker();
        for _ in 0..9 {
            assert!(call(&breaker, false));
        }
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "9 requests are below the minimum"
        );
        assert!(call(&breaker, false));
        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[test]
    fn below_the_failure_percent_it_stays_closed() {
        let (breaker, _) = breaker();
        for i in 0..20 {
            // 10 of 20 fail: 50 % < 60 %.
            assert!(call(&breaker, i % 2 == 0));
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn failures_of_an_old_window_do_not_count() {
        let (breaker, clock) = breaker();
        for _ in 0..9 {
            call(&breaker, false);
        }
        clock.advance(Duration::seconds(61));
        call(&breaker, false);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn while_open_it_fails_fast_then_half_opens_after_its_timeout_with_at_most_the_trials() {
        let (breaker, clock) = breaker();
        for _ in 0..10 {
            call(&breaker, false);
        }
        assert!(!breaker.allow(), "open: no call goes upstream");
        clock.advance(Duration::seconds(29));
        assert!(!breaker.allow());
        clock.advance(Duration::seconds(1));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        for trial in 0..5 {
            assert!(breaker.allow(), "trial {trial} is allowed");
        }
        assert!(!breaker.allow(), "a sixth concurrent trial is refused");
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed, "a successful trial closes it");
        assert!(breaker.allow());
        breaker.record(true);
    }

    #[test]
    fn a_failed_trial_opens_it_again() {
        let (breaker, clock) = breaker();
        for _ in 0..10 {
            call(&breaker, false);
        }
        clock.advance(Duration::seconds(30));
        assert!(breaker.allow());
        breaker.record(false);
        assert_eq!(breaker.state(), BreakerState::Open);
        clock.advance(Duration::seconds(29));
        assert!(!breaker.allow());
        clock.advance(Duration::seconds(1));
        assert!(breaker.allow());
    }

    #[test]
    fn trials_that_never_report_do_not_hold_it_half_open_for_good() {
        let (breaker, clock) = breaker();
        for _ in 0..10 {
            call(&breaker, false);
        }
        clock.advance(Duration::seconds(30));
        for _ in 0..5 {
            assert!(breaker.allow(), "a trial whose caller goes away before it reports");
        }
        assert!(!breaker.allow());
        clock.advance(Duration::seconds(29));
        assert!(!breaker.allow(), "the trials still have time to report");
        clock.advance(Duration::seconds(1));
        assert!(breaker.allow(), "after the open time the trials start again");
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
