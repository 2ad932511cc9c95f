//! The bound on password hashes running at once. Each argon2id run holds its whole memory cost until it ends,
//! so without a bound a burst of logins grows the process by that cost per request. A few requests may wait
//! briefly for a turn; beyond that they are refused at once, which costs the server nothing.

use crate::IdentityError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a refused request is told to wait before trying again.
const RETRY_AFTER_SECS: u64 = 1;

/// How many hashes may run, how many requests may queue for a turn, and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HashLimits {
    pub concurrency: usize,
    pub max_waiting: usize,
    pub wait: Duration,
}

/// The right to run one hash, held from admission until that hash ends (dropping it gives the turn back).
#[derive(Debug)]
pub(crate) struct HashTurn {
    _permit: OwnedSemaphorePermit,
}

#[derive(Debug)]
pub(crate) struct HashGate {
    limits: HashLimits,
    turns: Arc<Semaphore>,
    waiting: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

impl HashGate {
    pub(crate) fn new(limits: HashLimits) -> HashGate {
        HashGate {
            limits,
            turns: Arc::new(Semaphore::new(limits.concurrency)),
            waiting: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Runs `work` on the blocking pool once a turn is free.
    pub(crate) async fn run<R, F>(self: &Arc<Self>, work: F) -> Result<R, IdentityError>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let turn = self.admit().await?;
        self.run_in(turn, work).await
    }

    /// Runs `work` on the blocking pool in a turn already taken. The turn travels with the work, so a request
    /// that goes away mid-hash still holds it until the hash ends: the bound counts hashes, not requests.
    pub(crate) async fn run_in<R, F>(self: &Arc<Self>, turn: HashTurn, work: F) -> Result<R, IdentityError>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let gate = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let _running = Running::enter(&gate);
            work()
        })
        .await
        .map_err(|e| IdentityError::Internal(format!("hashing task: {e}")))
    }

    /// The most hashes that have run at the same moment since start.
    pub(crate) fn peak_in_flight(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// A turn, at once, or after waiting in the bounded queue; [`IdentityError::Busy`] when there is none.
    pub(crate) async fn admit(&self) -> Result<HashTurn, IdentityError> {
        if let Ok(turn) = Arc::clone(&self.turns).try_acquire_owned() {
            return Ok(HashTurn { _permit: turn });
        }
        let _place = self.queue()?;
        match tokio::time::timeout(self.limits.wait, Arc::clone(&self.turns).acquire_owned()).await {
            Ok(Ok(turn)) => Ok(HashTurn { _permit: turn }),
            Ok(Err(closed)) => Err(IdentityError::Internal(format!("hashing turns: {closed}"))),
            Err(_elapsed) => Err(busy()),
        }
    }

    fn queue(&self) -> Result<Waiting<'_>, IdentityError> {
        let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
        let place = Waiting(&self.waiting);
        if ahead >= self.limits.max_waiting {
            return Err(busy());
        }
        Ok(place)
    }
}

fn busy() -> IdentityError {
    IdentityError::Busy {
        retry_after_secs: RETRY_AFTER_SECS,
    }
}

/// A place in the queue, given back however the wait ends (a turn, a timeout, a dropped request).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One hash running, counted for [`HashGate::peak_in_flight`].
struct Running<'a>(&'a AtomicUsize);

impl<'a> Running<'a> {
    fn enter(gate: &'a HashGate) -> Running<'a> {
        let now = gate.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        gate.peak.fetch_max(now, Ordering::AcqRel);
        Running(&gate.in_flight)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn gate(concurrency: usize, max_waiting: usize, wait_ms: u64) -> Arc<HashGate> {
        Arc::new(HashGate::new(HashLimits {
            concurrency,
            max_waiting,
            wait: Duration::from_millis(wait_ms),
        }))
    }

    /// Starts a hash that runs until `release` is dropped or sent to, once it has started.
    async fn hold(gate: &Arc<HashGate>) -> (tokio::task::JoinHandle<Result<(), IdentityError>>, mpsc::Sender<()>) {
        let (release, wait) = mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let gate = Arc::clone(gate);
        let task = tokio::spawn(async move {
            gate.run(move || {
                let _ = started.send(());
                let _ = wait.recv();
            })
            .await
        });
        running.await.unwrap();
        (task, release)
    }

    #[tokio::test]
    async fn beyond_the_turns_and_the_queue_requests_are_refused() {
        let gate = gate(1, 1, 5_000);
        let (first, release) = hold(&gate).await;
        let queued = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.run(|| ()).await }
        });
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = gate.run(|| ()).await;
        assert!(
            matches!(refused, Err(IdentityError::Busy { retry_after_secs: 1 })),
            "{refused:?}"
        );
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        queued.await.unwrap().unwrap();
        assert_eq!(gate.peak_in_flight(), 1);
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0, "the queue is empty again");
    }

    #[tokio::test]
    async fn a_waiter_gives_up_after_the_wait() {
        let gate = gate(1, 8, 20);
        let (first, release) = hold(&gate).await;
        let refused = gate.run(|| ()).await;
        assert!(matches!(refused, Err(IdentityError::Busy { .. })), "{refused:?}");
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
        drop(release);
        first.await.unwrap().unwrap();
        gate.run(|| ()).await.unwrap();
    }
}
