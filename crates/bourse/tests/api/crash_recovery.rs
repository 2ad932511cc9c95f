//! A process that dies between a transfer's commit and the storing of its answer, or before the commit, leaves
//! its `Idempotency-Key` claimed. After a restart the retry with that key gets the committed transfer, or runs
//! afresh when nothing committed; money moves once either way.

use crate::admin::admin_token;
use crate::helpers::{Storage, TestApp, envelope, spawn_with_options};
use crate::wallets::{customer, deposit};
use bourse::BuildOptions;
use chrono::{DateTime, Duration, Utc};
use platform::{Backend, Clock, ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

async fn spawn_on(storage: Storage, clock: &Arc<ManualClock>) -> TestApp {
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    spawn_with_options(storage, |c| c.platform.rate_limits.enabled = false, options).await
}

async fn send(app: &TestApp, token: &str, key: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/wallets/transfers"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({"to": "bob@example.com", "asset": "USD", "amount": "10.00"}))
        .send()
        .await
        .expect("sent")
}

async fn available(app: &TestApp, token: &str) -> Value {
    let (_, wallets) = envelope(app.get_authed("/v1/wallets", token).await).await;
    wallets["data"]["items"][0]["available"].clone()
}

#[tokio::test]
async fn after_a_crash_a_retry_gets_the_committed_transfer_or_runs_afresh() {
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("literal time");
    let clock = Arc::new(ManualClock::new(start));
    let app = spawn_on(Storage::fresh().await, &clock).await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, &alice_id, "USD", "100.00").await;

    let (status, first) = envelope(send(&app, &alice, "pay-1").await).await;
    assert_eq!(status, 201, "{first}");
    let committed_id = first["data"]["id"].clone();

    // The crash, as the rows it leaves: `pay-1` committed its transfer but its answer was never stored; `pay-2`
    // (the same request under another key) was claimed and died before its transfer committed. On the embedded
    // database the restart ends every lease; on PostgreSQL other nodes may be alive, so the lease must be over.
    let lease_until = match app.db.backend() {
        Backend::Sqlite => clock.now() + Duration::hours(1),
        Backend::Postgres => clock.now() - Duration::seconds(1),
    };
    on_db!(&app.db, pool => sqlx::query(
        "UPDATE api_idempotency_keys SET state = 'in_progress', status_code = NULL, content_type = NULL, \
         response_body = NULL, lease_until = $1 WHERE idem_key = 'pay-1'"
    ).bind(lease_until).execute(pool).await.map(|_| ()))
    .expect("claim left running");
    on_db!(&app.db, pool => sqlx::query(
        "INSERT INTO api_idempotency_keys (user_id, idem_key, request_hash, state, created_at, expires_at, \
         operation_id, lease_until) SELECT user_id, 'pay-2', request_hash, 'in_progress', created_at, expires_at, \
         $1, lease_until FROM api_idempotency_keys WHERE idem_key = 'pay-1'"
    ).bind(uuid::Uuid::now_v7()).execute(pool).await.map(|_| ()))
    .expect("claim that never committed");

    let app = spawn_on(app.stop().await, &clock).await;

    let (status, again) = envelope(send(&app, &alice, "pay-1").await).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(
        again["data"]["id"], committed_id,
        "the committed transfer, not a new one"
    );
    let replayed = send(&app, &alice, "pay-1").await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    let (_, replayed) = envelope(replayed).await;
    assert_eq!(replayed["data"]["id"], committed_id);

    let (status, afresh) = envelope(send(&app, &alice, "pay-2").await).await;
    assert_eq!(status, 201, "{afresh}");
    assert_ne!(
        afresh["data"]["id"], committed_id,
        "nothing had committed for pay-2: it runs now"
    );

    assert_eq!(available(&app, &alice).await, "80.00");
    assert_eq!(available(&app, &bob).await, "20.00");
    let (status, audit) = envelope(app.get_authed("/v1/admin/ledger/audit", &admin).await).await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["data"]["clean"], true, "{audit}");
}
