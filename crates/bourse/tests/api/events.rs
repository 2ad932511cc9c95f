//! Events leave through the outbox as soon as the transaction that wrote them commits: the relay is woken by
//! the commit itself, whichever path wrote the events (a plain transaction, or the ledger's group commit).

use crate::admin::admin_token;
use crate::helpers::{Storage, TestApp, envelope, spawn_with_options};
use crate::wallets::{customer, deposit, transfer};
use bourse::BuildOptions;
use chrono::{DateTime, Utc};
use platform::{ManualClock, Subscription};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Far below the relay's poll, which the test sets to its longest: an event seen this soon was sent on commit.
const PROMPTLY: Duration = Duration::from_secs(3);

async fn spawn_with_slow_poll() -> (TestApp, String) {
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("literal time");
    let clock = Arc::new(ManualClock::new(start));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let app = spawn_with_options(
        Storage::fresh().await,
        |c| {
            c.platform.rate_limits.enabled = false;
            c.platform.outbox.poll_interval_ms = 60_000;
        },
        options,
    )
    .await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    (app, admin)
}

/// Waits for the first event with `subject` whose payload has `user_id`, or fails after [`PROMPTLY`].
async fn published(events: &mut Subscription, subject: &str, user_id: &str) -> serde_json::Value {
    let found = tokio::time::timeout(PROMPTLY, async {
        loop {
            let event = events.recv().await.expect("the bus is open");
            if event.subject == subject && event.payload["user_id"] == user_id {
                return event.payload.clone();
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no {subject} event for {user_id} within {PROMPTLY:?}"))
}

#[tokio::test]
async fn events_are_published_on_commit_without_waiting_for_the_poll() {
    let (app, admin) = spawn_with_slow_poll().await;
    let mut events = app.bus.subscribe(">");

    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    published(&mut events, "user.registered", &alice_id).await;
    let (_, bob_id) = customer(&app, "bob@example.com").await;
    published(&mut events, "user.registered", &bob_id).await;

    deposit(&app, &admin, &alice_id, "USD", "10.00").await;
    let credited = published(&mut events, "wallet.balance_changed", &alice_id).await;
    assert_eq!(credited["asset"], "USD");

    let body = json!({"to": "bob@example.com", "asset": "USD", "amount": "2.50"});
    let (status, sent) = envelope(transfer(&app, &alice, &body).await).await;
    assert_eq!(status, 201, "{sent}");
    let received = published(&mut events, "wallet.balance_changed", &bob_id).await;
    assert_eq!(received["asset"], "USD");
    app.stop().await;
}
