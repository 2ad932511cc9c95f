//! The outbox against a real database (SQLite, or PostgreSQL when `BOURSE_TEST_DATABASE_URL` is set): events
//! are published only if their transaction commits, in order, once.

use chrono::Utc;
use platform::outbox::{self, Relay};
use platform::test_support::MigratedDb;
use platform::{Db, EventBus, InProcessBus, SystemClock};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

struct Fixture {
    db: Db,
    bus: Arc<InProcessBus>,
    relay: Relay,
    _store: MigratedDb,
}

async fn fixture() -> Fixture {
    let store = MigratedDb::fresh().await;
    let bus = Arc::new(InProcessBus::new(64));
    let relay = Relay::new(store.db.clone(), bus.clone(), Arc::new(SystemClock));
    Fixture {
        db: store.db.clone(),
        bus,
        relay,
        _store: store,
    }
}

#[tokio::test]
async fn committed_events_are_published_and_rolled_back_ones_are_not() {
    let f = fixture().await;
    let mut events = f.bus.subscribe(">");

    let mut tx = f.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, "user.registered", &json!({"user": "kept"}), Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = f.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, "user.registered", &json!({"user": "phantom"}), Utc::now())
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    assert_eq!(f.relay.publish_pending().await.unwrap(), 1);
    let event = events.recv().await.unwrap();
    assert_eq!(event.subject, "user.registered");
    assert_eq!(event.payload, json!({"user": "kept"}));
    assert_eq!(f.relay.publish_pending().await.unwrap(), 0, "published once");
}

#[tokio::test]
async fn events_are_published_in_order() {
    let f = fixture().await;
    let mut events = f.bus.subscribe("order.*");
    for n in 0..20 {
        let mut tx = f.db.begin().await.unwrap();
        outbox::enqueue(&mut tx, "order.created", &json!({"n": n}), Utc::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(f.relay.publish_pending().await.unwrap(), 20);
    let mut last_id = 0;
    for n in 0..20 {
        let event = events.recv().await.unwrap();
        assert_eq!(event.payload["n"], n);
        assert!(event.id > last_id);
        last_id = event.id;
    }
    let replay = outbox::read_after(&f.db, 0, 100).await.unwrap();
    assert_eq!(replay.len(), 20, "the outbox keeps events for catch-up");
}

#[tokio::test]
async fn the_running_relay_publishes_on_commit_and_flushes_on_shutdown() {
    let f = fixture().await;
    let mut events = f.bus.subscribe(">");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(f.relay.run(Duration::from_secs(3600), stopped));

    let mut tx = f.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, "rate.updated", &json!({"pair": "BTC-USD"}), Utc::now())
        .await
        .unwrap();
    // The poll is an hour away: only the commit itself can wake the relay in time.
    tx.commit().await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.subject, "rate.updated");

    let mut tx = f.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, "rate.updated", &json!({"pair": "ETH-USD"}), Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    stop.send(true).unwrap();
    task.await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event.payload["pair"], "ETH-USD",
        "pending events go out before the relay stops"
    );
}
