//! Background jobs behind one abstraction: a [`Worker`] is a name and a run loop that ends when told to stop.
//! [`Workers`] starts a chosen set together and stops them together, so which jobs a process runs is a matter of
//! which workers it is given.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

type RunLoop = Box<dyn FnOnce(watch::Receiver<bool>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One background job. Its loop receives a stop signal and must return soon after it turns true, having
/// finished (or safely abandoned) the round under way.
pub struct Worker {
    name: &'static str,
    run: RunLoop,
}

impl Worker {
    /// A worker whose loop is `run`.
    pub fn new<F, Fut>(name: &'static str, run: F) -> Worker
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Worker {
            name,
            run: Box::new(move |stop| Box::pin(run(stop))),
        }
    }

    /// A worker that calls `tick` once every `interval` (the first time one interval after it starts), until
    /// stopped. A tick under way when the stop comes is finished first.
    pub fn every<F, Fut>(name: &'static str, interval: Duration, mut tick: F) -> Worker
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Worker::new(name, move |mut stop| async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => tick().await,
                    // The signal only ever turns true; a dropped sender means stop as well.
                    _ = stop.changed() => return,
                }
            }
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Workers that were started together and are stopped together.
pub struct Workers {
    stop: watch::Sender<bool>,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Workers {
    /// Spawns every worker's loop.
    pub fn start(workers: Vec<Worker>) -> Workers {
        let (stop, stopping) = watch::channel(false);
        let running = workers
            .into_iter()
            .map(|worker| {
                tracing::debug!(worker = worker.name, "starting");
                (worker.name, tokio::spawn((worker.run)(stopping.clone())))
            })
            .collect();
        Workers { stop, running }
    }

    /// The names of the running workers, in start order.
    pub fn names(&self) -> Vec<&'static str> {
        self.running.iter().map(|(name, _)| *name).collect()
    }

    /// Tells every worker to stop and waits until all have returned. A worker that panicked is reported, not
    /// propagated: the others still get to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, task) in self.running {
            if let Err(error) = task.await {
                tracing::error!(worker = name, %error, "a background worker ended abnormally");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn periodic_workers_tick_until_stopped_and_all_stop_together() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let finished = Arc::new(AtomicUsize::new(0));
        let on_stop = finished.clone();
        let workers = Workers::start(vec![
            Worker::every("counter", Duration::from_millis(20), move || {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }),
            Worker::new("waiter", move |mut stop| async move {
                let _ = stop.changed().await;
                on_stop.fetch_add(1, Ordering::SeqCst);
            }),
        ]);
        assert_eq!(workers.names(), ["counter", "waiter"]);
        tokio::time::sleep(Duration::from_millis(200)).await;
        workers.stop().await;
        let counted = ticks.load(Ordering::SeqCst);
        assert!(counted >= 2, "ticked {counted} times");
        assert_eq!(finished.load(Ordering::SeqCst), 1, "the stop reached every worker");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), counted, "no tick after the stop");
    }
}
