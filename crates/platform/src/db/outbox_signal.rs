//! How a commit that wrote outbox events tells the relay, so an event goes out right after its transaction
//! instead of at the relay's next poll, and no caller has to remember to do it.

use std::sync::Arc;
use tokio::sync::Notify;

/// Shared by every handle on one database: transactions that enqueued events raise it once they commit, and
/// the relay of that database waits on it. Raising it while nobody waits is kept, so a commit made while the
/// relay is busy publishing sends it round once more.
#[derive(Debug, Clone, Default)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    /// Events were committed.
    pub fn raise(&self) {
        self.0.notify_one();
    }

    /// Resolves once events were committed since the last wait ended.
    pub async fn raised(&self) {
        self.0.notified().await;
    }
}
