//! What this node knows of live sessions, so checking an access token needs no database read.
//!
//! An entry is only ever a session the database showed live for an active user. Every write that ends sessions
//! or changes what they may do records a row in `session_revocations` in its own transaction: the node that made
//! it forgets the entries at once (right after its commit), and every node, this one included, reads the rows
//! recorded since its previous poll every [`POLL_INTERVAL`], so a change made elsewhere (another node, the command
//! line) is honoured within that bound. A node whose polls stop succeeding stops trusting its entries once
//! [`TRUST_FOR`] has passed since the last good one, and reads the database again.

use crate::IdentityError;
use crate::model::Role;
use crate::revocations_store;
use chrono::{DateTime, Duration as TimeSpan, Utc};
use platform::{Clock, Db};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

/// How often each node reads the revocations recorded since its previous read: the bound on how long a session
/// ended elsewhere still works here.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long entries are trusted after the last successful poll.
const TRUST_FOR: Duration = Duration::from_secs(3);
/// Rows committed late (a transaction that took its time) are still seen: each poll looks back this far before
/// the start of the previous one. Also the clock difference between nodes the bound tolerates.
const LOOK_BACK_SECS: i64 = 5;
/// Rows older than this have done their work on every node that polls.
const KEEP_ROWS_SECS: i64 = 3600;
/// Beyond this many entries the view starts afresh rather than grow without bound.
const MAX_ENTRIES: usize = 100_000;

/// A session known to be live, as the database showed it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LiveSession {
    pub user_id: Uuid,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// Shared by every service that can end a session in this process; a clone is one reference count.
#[derive(Clone)]
pub struct SessionView {
    inner: Arc<Inner>,
}

struct Inner {
    entries: RwLock<HashMap<Uuid, LiveSession>>,
    /// Bumped by every forgetting, so a database read that began before one cannot store what it found after.
    generation: AtomicU64,
    started: Instant,
    /// Milliseconds after `started` until which entries are trusted; zero before the first poll.
    trusted_until_ms: AtomicU64,
}

impl Default for SessionView {
    fn default() -> Self {
        SessionView {
            inner: Arc::new(Inner {
                entries: RwLock::new(HashMap::new()),
                generation: AtomicU64::new(0),
                started: Instant::now(),
                trusted_until_ms: AtomicU64::new(0),
            }),
        }
    }
}

impl SessionView {
    pub fn new() -> SessionView {
        SessionView::default()
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.inner.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn trusted(&self) -> bool {
        self.elapsed_ms() < self.inner.trusted_until_ms.load(Ordering::Acquire)
    }

    /// The session if this node holds it and its polls are current.
    pub(crate) fn get(&self, session: Uuid) -> Option<LiveSession> {
        if !self.trusted() {
            return None;
        }
        let entries = self.inner.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(&session).copied()
    }

    /// Taken before the database read whose result may be stored with [`remember`](Self::remember).
    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Stores a session the database showed live, unless something was forgotten since `generation` was read.
    pub(crate) fn remember(&self, generation: u64, session: Uuid, live: LiveSession) {
        let mut entries = self.inner.entries.write().unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock: `forget` bumps the generation under it too.
        if self.inner.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(session, live);
    }

    /// Forgets one session, or every session of `user` when `session` is `None`.
    pub(crate) fn forget(&self, user: Uuid, session: Option<Uuid>) {
        let mut entries = self.inner.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        match session {
            Some(session) => {
                entries.remove(&session);
            }
            None => entries.retain(|_, live| live.user_id != user),
        }
    }

    fn trust_until(&self, from_ms: u64) {
        let until = from_ms.saturating_add(u64::try_from(TRUST_FOR.as_millis()).unwrap_or(u64::MAX));
        self.inner.trusted_until_ms.store(until, Ordering::Release);
    }

    /// Reads the revocations recorded since `since` and forgets what they name; answers when this poll began,
    /// the next one's `since`.
    async fn poll(&self, db: &Db, clock: &dyn Clock, since: DateTime<Utc>) -> Result<DateTime<Utc>, IdentityError> {
        let began_ms = self.elapsed_ms();
        let began = clock.now();
        for (user, session) in revocations_store::since(db, since).await? {
            self.forget(user, session);
        }
        self.trust_until(began_ms);
        Ok(began)
    }

    /// Polls until `stop` turns true. Started once per process that serves requests.
    pub async fn watch(self, db: Db, clock: Arc<dyn Clock>, mut stop: watch::Receiver<bool>) {
        let look_back = TimeSpan::seconds(LOOK_BACK_SECS);
        // Entries stored before the first poll came from reads made after the poller's start time, so the first
        // poll need only look back as far as any other.
        let mut since = clock.now() - look_back;
        let mut polls: u64 = 0;
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
            match self.poll(&db, clock.as_ref(), since).await {
                Ok(began) => since = began - look_back,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read session revocations; checking sessions in the database")
                }
            }
            polls += 1;
            if polls.is_multiple_of(600)
                && let Err(err) = revocations_store::prune(&db, clock.now() - TimeSpan::seconds(KEEP_ROWS_SECS)).await
            {
                tracing::warn!(error = %err, "cannot prune old session revocations");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(user: Uuid) -> LiveSession {
        LiveSession {
            user_id: user,
            role: Role::Customer,
            expires_at: Utc::now(),
        }
    }

    fn trusted_view() -> SessionView {
        let view = SessionView::new();
        view.trust_until(view.elapsed_ms());
        view
    }

    #[test]
    fn nothing_is_trusted_before_the_first_poll() {
        let view = SessionView::new();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        view.remember(view.generation(), session, live(user));
        assert!(view.get(session).is_none());
        view.trust_until(view.elapsed_ms());
        assert!(view.get(session).is_some());
    }

    #[test]
    fn a_read_that_began_before_a_forgetting_is_not_stored() {
        let view = trusted_view();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let generation = view.generation();
        view.forget(user, Some(session));
        view.remember(generation, session, live(user));
        assert!(view.get(session).is_none());
    }

    #[test]
    fn forgetting_a_user_forgets_only_their_sessions() {
        let view = trusted_view();
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let (a1, a2, b1) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        for (session, user) in [(a1, alice), (a2, alice), (b1, bob)] {
            view.remember(view.generation(), session, live(user));
        }
        view.forget(alice, None);
        assert!(view.get(a1).is_none() && view.get(a2).is_none());
        assert!(view.get(b1).is_some());
    }
}
