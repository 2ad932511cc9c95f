//! Wallets on the ledger, end to end: staff deposits, balances, transfers between users, every bad input refused
//! with its code and nothing written, many clients spending one balance at once, and the ledger audit.

use crate::admin::admin_token;
use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_with_options};
use bourse::BuildOptions;
use chrono::{DateTime, Utc};
use platform::{Db, ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

/// A server on a manual clock (staff log in with TOTP) without rate limits, and an admin's token.
pub(crate) async fn spawn_with_admin() -> (TestApp, String) {
    let (app, _, admin) = spawn_with_admin_and_clock().await;
    (app, admin)
}

/// [`spawn_with_admin`] and its clock, for tests that need TOTP codes or signed requests at its time.
pub(crate) async fn spawn_with_admin_and_clock() -> (TestApp, Arc<ManualClock>, String) {
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("literal time");
    let clock = Arc::new(ManualClock::new(start));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let app = spawn_with_options(
        Storage::fresh().await,
        |c| c.platform.rate_limits.enabled = false,
        options,
    )
    .await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    (app, clock, admin)
}

pub(crate) async fn customer(app: &TestApp, email: &str) -> (String, String) {
    let login = app.signed_up(email).await;
    let token = login["access_token"].as_str().expect("token").to_owned();
    let (_, me) = envelope(app.get_authed("/v1/users/me", &token).await).await;
    (token, me["data"]["id"].as_str().expect("user id").to_owned())
}

pub(crate) async fn deposit(app: &TestApp, admin: &str, user: &str, asset: &str, amount: &str) -> Value {
    let body = json!({"user": user, "asset": asset, "amount": amount, "reference": "counter-1"});
    let (status, body) = envelope(post_keyed(app, "/v1/admin/deposits", admin, &body).await).await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

pub(crate) async fn transfer(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    post_keyed(app, "/v1/wallets/transfers", token, body).await
}

/// A money-moving POST with a fresh `Idempotency-Key`.
pub(crate) async fn post_keyed(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(body)
        .send()
        .await
        .expect("request sent")
}

/// `asset → (available, locked, total)` of the holder of `token`.
async fn balances(app: &TestApp, token: &str) -> Vec<(String, String, String, String)> {
    let (status, body) = envelope(app.get_authed("/v1/wallets", token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| {
            let s = |k: &str| b[k].as_str().expect("string").to_owned();
            (s("asset"), s("available"), s("locked"), s("total"))
        })
        .collect()
}

async fn journal_rows(db: &Db) -> i64 {
    on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transfers").fetch_one(pool).await)
        .expect("count")
}

async fn audit(app: &TestApp, admin: &str) -> Value {
    let (status, body) = envelope(app.get_authed("/v1/admin/ledger/audit", admin).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

fn row(asset: &str, available: &str, locked: &str, total: &str) -> (String, String, String, String) {
    (asset.into(), available.into(), locked.into(), total.into())
}

#[tokio::test]
async fn deposits_appear_in_balances_and_transfers_move_money() {
    let (app, admin) = spawn_with_admin().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, bob_id) = customer(&app, "bob@example.com").await;
    assert!(balances(&app, &alice).await.is_empty());

    let deposited = deposit(&app, &admin, "alice@example.com", "USD", "100").await;
    assert_eq!(deposited["amount"], "100.00");
    assert_eq!(deposited["kind"], "deposit");
    deposit(&app, &admin, "alice@example.com", "BTC", "0.5").await;
    assert_eq!(
        balances(&app, &alice).await,
        vec![
            row("BTC", "0.50000000", "0.00000000", "0.50000000"),
            row("USD", "100.00", "0.00", "100.00")
        ]
    );

    let body = json!({"to": bob_id, "asset": "USD", "amount": "25.5", "memo": "Dinner"});
    let (status, sent) = envelope(transfer(&app, &alice, &body).await).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["data"]["amount"], "25.50");
    assert_eq!(sent["data"]["kind"], "transfer");
    assert!(sent["data"]["id"].is_string() && sent["data"]["created_at"].is_string());
    let body = json!({"to": "ALICE@example.com", "asset": "USD", "amount": "0.50"});
    let (status, back) = envelope(transfer(&app, &bob, &body).await).await;
    assert_eq!(status, 201, "{back}");

    assert_eq!(balances(&app, &alice).await[1], row("USD", "75.00", "0.00", "75.00"));
    assert_eq!(balances(&app, &bob).await, vec![row("USD", "25.00", "0.00", "25.00")]);
    let (_, alias) = envelope(app.get_authed("/v1/wallet/balance", &bob).await).await;
    assert_eq!(alias["data"]["items"][0]["available"], "25.00");

    let report = audit(&app, &admin).await;
    assert_eq!(report["clean"], true, "{report}");
    assert_eq!(report["discrepancies"], json!([]));
    assert_eq!(report["transfers"], 4);
    assert!(
        report["assets"]
            .as_array()
            .expect("assets")
            .iter()
            .all(|a| a["balanced"] == true)
    );
    let (_, log) = envelope(app.get_authed("/v1/admin/audit?action=ledger.deposit", &admin).await).await;
    assert_eq!(log["data"]["items"].as_array().expect("items").len(), 2, "{log}");
}

#[tokio::test]
async fn every_bad_transfer_is_refused_and_writes_nothing() {
    let (app, admin) = spawn_with_admin().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, bob_id) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, "alice@example.com", "USD", "10.00").await;
    on_db!(&app.db, pool => sqlx::query("UPDATE assets SET enabled = FALSE WHERE code = 'EUR'")
        .execute(pool).await.map(|_| ()))
    .expect("disable EUR");
    let before = (balances(&app, &alice).await, journal_rows(&app.db).await);

    let to = bob_id.as_str();
    let cases: Vec<(Value, u16, u64, Option<&str>)> = vec![
        (
            json!({"to": to, "asset": "USD", "amount": "0"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "0.00"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "-1"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1.001"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1e3"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": " 1"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1".repeat(60)}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1000000000000000.01"}),
            400,
            1000,
            Some("amount"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": 5}),
            400,
            1000,
            Some("amount"),
        ),
        (json!({"to": to, "asset": "USD"}), 400, 1000, Some("body")),
        (
            json!({"to": to, "asset": "ZZZ", "amount": "1"}),
            400,
            1000,
            Some("asset"),
        ),
        (
            json!({"to": to, "asset": "usd", "amount": "1"}),
            400,
            1000,
            Some("asset"),
        ),
        (
            json!({"to": to, "asset": "EUR", "amount": "1"}),
            400,
            1000,
            Some("asset"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1", "memo": "x".repeat(141)}),
            400,
            1000,
            Some("memo"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1", "memo": "a\u{7}b"}),
            400,
            1000,
            Some("memo"),
        ),
        (
            json!({"to": to, "asset": "USD", "amount": "1", "extra": 1}),
            400,
            1000,
            Some("extra"),
        ),
        (
            json!({"to": "alice@example.com", "asset": "USD", "amount": "1"}),
            400,
            1000,
            Some("to"),
        ),
        (
            json!({"to": "nobody@example.com", "asset": "USD", "amount": "1"}),
            404,
            3001,
            None,
        ),
        (
            json!({"to": uuid::Uuid::new_v4(), "asset": "USD", "amount": "1"}),
            404,
            3001,
            None,
        ),
        (
            json!({"to": "'; DROP TABLE users; --", "asset": "USD", "amount": "1"}),
            404,
            3001,
            None,
        ),
        (json!({"to": to, "asset": "USD", "amount": "10.01"}), 400, 1001, None),
        (json!({"to": to, "asset": "BTC", "amount": "0.1"}), 400, 1001, None),
    ];
    for (body, status, code, field) in cases {
        let error = expect_error(transfer(&app, &alice, &body).await, status, code).await;
        if let Some(field) = field {
            assert_eq!(error["details"]["field"], field, "{body} → {error}");
        }
    }
    // Deposits: a customer may not record one; bad input is refused the same way.
    let good = json!({"user": "alice@example.com", "asset": "USD", "amount": "1", "reference": "r"});
    expect_error(post_keyed(&app, "/v1/admin/deposits", &bob, &good).await, 403, 2004).await;
    for (patch, status, code) in [
        (json!({"user": "nobody@example.com"}), 404, 3001),
        (json!({"amount": "0"}), 400, 1000),
        (json!({"asset": "EUR"}), 400, 1000),
        (json!({"reference": " "}), 400, 1000),
    ] {
        let mut body = good.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        expect_error(
            post_keyed(&app, "/v1/admin/deposits", &admin, &body).await,
            status,
            code,
        )
        .await;
    }

    assert_eq!((balances(&app, &alice).await, journal_rows(&app.db).await), before);
    assert!(
        balances(&app, &bob).await.is_empty(),
        "a refused transfer creates no wallet"
    );
    assert_eq!(audit(&app, &admin).await["clean"], true);
}

#[tokio::test]
async fn concurrent_transfers_never_spend_more_than_the_balance() {
    const FUNDED: usize = 60;
    const ONE_UNIT_CLIENTS: usize = 120;
    const GREEDY_CLIENTS: usize = 12;
    let (app, admin) = spawn_with_admin().await;
    let (sender, _) = customer(&app, "sender@example.com").await;
    let mut recipients = Vec::new();
    for n in 0..3 {
        recipients.push(customer(&app, &format!("r{n}@example.com")).await);
    }
    deposit(&app, &admin, "sender@example.com", "JPY", &FUNDED.to_string()).await;
    let rows_before = journal_rows(&app.db).await;

    let mut tasks = Vec::new();
    for i in 0..ONE_UNIT_CLIENTS + GREEDY_CLIENTS {
        let client = app.client.clone();
        let url = app.url("/v1/wallets/transfers");
        let token = sender.clone();
        let amount = if i < ONE_UNIT_CLIENTS {
            "1".to_owned()
        } else {
            (FUNDED + 1).to_string()
        };
        let body = json!({"to": recipients[i % 3].1, "asset": "JPY", "amount": amount});
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                .json(&body)
                .send()
                .await
                .expect("request sent");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("JSON body");
            (status, body["error"]["code"].as_u64())
        }));
    }
    let mut moved = 0;
    for task in tasks {
        match task.await.expect("task") {
            (201, _) => moved += 1,
            (400, Some(1001)) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(moved, FUNDED, "exactly the funded units move");
    assert_eq!(balances(&app, &sender).await, vec![row("JPY", "0", "0", "0")]);
    let mut received = 0;
    for (token, _) in &recipients {
        for (_, available, _, _) in balances(&app, token).await {
            let units: i64 = available.parse().expect("integer yen");
            assert!(units >= 0);
            received += units;
        }
    }
    assert_eq!(received, FUNDED as i64);
    assert_eq!(journal_rows(&app.db).await - rows_before, FUNDED as i64);
    let report = audit(&app, &admin).await;
    assert_eq!(report["clean"], true, "{report}");
}

#[tokio::test]
async fn a_transfer_retried_with_its_idempotency_key_moves_money_once() {
    let (app, admin) = spawn_with_admin().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, "alice@example.com", "USD", "10").await;
    let body = json!({"to": "bob@example.com", "asset": "USD", "amount": "4"});
    let send = || {
        app.client
            .post(app.url("/v1/wallets/transfers"))
            .bearer_auth(&alice)
            .header("idempotency-key", "retry-me-1")
            .json(&body)
            .send()
    };
    let (first_status, first) = envelope(send().await.expect("sent")).await;
    let (second_status, second) = envelope(send().await.expect("sent")).await;
    assert_eq!((first_status, second_status), (201, 201));
    assert_eq!(first["data"]["id"], second["data"]["id"]);
    assert_eq!(balances(&app, &bob).await, vec![row("USD", "4.00", "0.00", "4.00")]);
    let missing = app.post_authed("/v1/wallets/transfers", &alice, &body).await;
    let error = expect_error(missing, 400, 1000).await;
    assert_eq!(error["details"]["field"], "Idempotency-Key");
}
