//! The server's hold-expiry sweep: every `hold_expiry_interval_secs` the ledger releases the holds whose expiry
//! has passed, so locked money comes back to its owner without anyone asking.

use ledger::Ledger;
use std::time::Duration;
use tokio::sync::watch;

/// Sweeps until `stop` changes. A failed sweep is logged and retried at the next tick: the holds stay open and
/// are found again.
pub(crate) async fn run(ledger: Ledger, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => match ledger.expire_due_holds().await {
                Ok(0) => {}
                Ok(released) => tracing::info!(released, "released expired holds"),
                Err(error) => tracing::warn!(%error, "the hold-expiry sweep failed; retrying at the next tick"),
            },
            _ = stop.changed() => return,
        }
    }
}
