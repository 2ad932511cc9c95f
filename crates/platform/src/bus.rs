//! The event bus: where the outbox relay publishes and where WebSocket fan-out, notifications and other
//! contexts subscribe. In process by default; a networked bus (NATS JetStream) implements the same trait.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One published fact, e.g. `user.registered` with its payload. `id` is the outbox id: increasing, so a
/// subscriber can detect a gap or a duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub subject: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

pub trait EventBus: Send + Sync + 'static {
    /// Publishes one event. Returning `Ok` means the bus has taken responsibility for it; the relay marks the
    /// outbox row published only then.
    fn publish<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), BusError>>;

    /// Subscribes to the subjects matching `pattern` (NATS syntax: `order.*`, `trade.>`, `>`).
    fn subscribe(&self, pattern: &str) -> Subscription;
}

/// Events published in this process. A subscriber that falls more than `capacity` events behind loses the oldest
/// ones and is told how many (slow consumers are dropped, never buffered without bound).
#[derive(Debug, Clone)]
pub struct InProcessBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl InProcessBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        InProcessBus { sender }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        InProcessBus::new(4096)
    }
}

impl EventBus for InProcessBus {
    fn publish<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), BusError>> {
        // No subscriber is not an error: the outbox keeps the event for anyone who reads it later.
        let _ = self.sender.send(Arc::new(event.clone()));
        Box::pin(async { Ok(()) })
    }

    fn subscribe(&self, pattern: &str) -> Subscription {
        Subscription {
            receiver: self.sender.subscribe(),
            pattern: pattern.to_owned(),
        }
    }
}

#[derive(Debug)]
pub struct Subscription {
    receiver: broadcast::Receiver<Arc<Event>>,
    pattern: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    #[error("subscriber fell behind and missed {0} events")]
    Lagged(u64),
    #[error("the bus is closed")]
    Closed,
}

impl Subscription {
    /// The next event whose subject matches the pattern.
    pub async fn recv(&mut self) -> Result<Arc<Event>, RecvError> {
        loop {
            match self.receiver.recv().await {
                Ok(event) if subject_matches(&self.pattern, &event.subject) => return Ok(event),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(RecvError::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => return Err(RecvError::Closed),
            }
        }
    }
}

/// NATS subject matching: tokens separated by `.`, `*` matches one token, `>` as the last token matches one or
/// more.
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    let mut pattern_tokens = pattern.split('.').peekable();
    while let Some(p) = pattern_tokens.next() {
        if p == ">" && pattern_tokens.peek().is_none() {
            return subject_tokens.next().is_some();
        }
        match subject_tokens.next() {
            Some(s) if p == "*" || p == s => continue,
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_like_nats() {
        assert!(subject_matches("user.registered", "user.registered"));
        assert!(!subject_matches("user.registered", "user.deleted"));
        assert!(subject_matches("order.*", "order.created"));
        assert!(!subject_matches("order.*", "order.created.now"));
        assert!(!subject_matches("order.*", "order"));
        assert!(subject_matches("order.>", "order.created.now"));
        assert!(!subject_matches("order.>", "order"));
        assert!(subject_matches(">", "anything.at.all"));
        assert!(!subject_matches("user", "user.registered"));
    }

    fn event(id: i64, subject: &str) -> Event {
        Event {
            id,
            subject: subject.to_owned(),
            payload: serde_json::json!({ "n": id }),
            created_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn subscribers_get_matching_events_in_order() {
        let bus = InProcessBus::new(16);
        let mut orders = bus.subscribe("order.*");
        let mut all = bus.subscribe(">");
        for (id, subject) in [(1, "order.created"), (2, "user.registered"), (3, "order.cancelled")] {
            bus.publish(&event(id, subject)).await.unwrap();
        }
        assert_eq!(orders.recv().await.unwrap().id, 1);
        assert_eq!(orders.recv().await.unwrap().id, 3);
        for id in 1..=3 {
            assert_eq!(all.recv().await.unwrap().id, id);
        }
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_it_lagged() {
        let bus = InProcessBus::new(2);
        let mut slow = bus.subscribe(">");
        for id in 1..=5 {
            bus.publish(&event(id, "x.y")).await.unwrap();
        }
        assert_eq!(slow.recv().await, Err(RecvError::Lagged(3)));
        assert_eq!(slow.recv().await.unwrap().id, 4);
    }
}
