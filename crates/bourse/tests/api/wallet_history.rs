//! A wallet's history and single transactions, end to end: running balances that stay right across pages and
//! filters, bad queries refused with their field, and a transfer visible only to its two parties.

use crate::admin::admin_token;
use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_with_options};
use crate::wallets::{customer, deposit, transfer};
use bourse::BuildOptions;
use chrono::{DateTime, Duration, Utc};
use platform::ManualClock;
use serde_json::{Value, json};
use std::sync::Arc;

const START: &str = "2026-11-25T10:00:00Z";

/// A server on a manual clock without rate limits, an admin's token and the clock.
async fn spawn() -> (TestApp, String, Arc<ManualClock>) {
    let start: DateTime<Utc> = START.parse().expect("literal time");
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
    (app, admin, clock)
}

async fn history(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = envelope(app.get_authed(&format!("/v1/wallets/USD/history{query}"), token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// `(kind, direction, amount, balance_after)` of each item of a page.
fn rows(page: &Value) -> Vec<(String, String, String, String)> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().expect("string").to_owned();
            (s("kind"), s("direction"), s("amount"), s("balance_after"))
        })
        .collect()
}

fn row(kind: &str, direction: &str, amount: &str, balance: &str) -> (String, String, String, String) {
    (kind.into(), direction.into(), amount.into(), balance.into())
}

async fn sent(app: &TestApp, token: &str, to: &str, amount: &str, memo: &str) -> Value {
    let (status, body) = envelope(
        transfer(
            app,
            token,
            &json!({"to": to, "asset": "USD", "amount": amount, "memo": memo}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn history_shows_running_balances_newest_first_across_pages() {
    let (app, admin, _clock) = spawn().await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, &alice_id, "USD", "100").await;
    deposit(&app, &admin, &alice_id, "USD", "50.25").await;
    sent(&app, &alice, "bob@example.com", "30", "rent").await;
    sent(&app, &bob, "alice@example.com", "5.05", "change").await;

    let first = history(&app, &alice, "?limit=3").await;
    assert_eq!(
        rows(&first),
        [
            row("transfer", "credit", "5.05", "125.30"),
            row("transfer", "debit", "30.00", "120.25"),
            row("deposit", "credit", "50.25", "150.25"),
        ]
    );
    let items = first["items"].as_array().expect("items");
    assert_eq!(items[0]["counterparty"], "bob@example.com");
    assert_eq!(items[0]["memo"], "change");
    assert_eq!(items[0]["status"], "posted");
    assert_eq!(items[1]["counterparty"], "bob@example.com");
    assert_eq!(items[2]["counterparty"], Value::Null, "a system account is never named");
    assert_eq!(items[2]["reference"], "counter-1");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = history(&app, &alice, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(rows(&second), [row("deposit", "credit", "100.00", "100.00")]);
    assert_eq!(second["next_cursor"], Value::Null);

    let bobs = history(&app, &bob, "").await;
    assert_eq!(
        rows(&bobs),
        [
            row("transfer", "debit", "5.05", "24.95"),
            row("transfer", "credit", "30.00", "30.00"),
        ]
    );
    assert_eq!(bobs["items"][1]["counterparty"], "alice@example.com");

    // No wallet in that asset yet: an empty page, not an error.
    let (status, body) = envelope(app.get_authed("/v1/wallets/EUR/history", &alice).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["items"], json!([]));
    assert_eq!(body["data"]["next_cursor"], Value::Null);
}

#[tokio::test]
async fn history_filters_by_kind_and_time_and_keeps_the_true_balance() {
    let (app, admin, clock) = spawn().await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    customer(&app, "bob@example.com").await;
    deposit(&app, &admin, &alice_id, "USD", "100").await;
    clock.advance(Duration::minutes(2));
    sent(&app, &alice, "bob@example.com", "40", "one").await;
    clock.advance(Duration::minutes(2));
    deposit(&app, &admin, &alice_id, "USD", "10").await;

    let deposits = history(&app, &alice, "?kind=deposit").await;
    assert_eq!(
        rows(&deposits),
        [
            row("deposit", "credit", "10.00", "70.00"),
            row("deposit", "credit", "100.00", "100.00"),
        ]
    );
    let transfers = history(&app, &alice, "?kind=transfer").await;
    assert_eq!(rows(&transfers), [row("transfer", "debit", "40.00", "60.00")]);

    let middle = history(&app, &alice, "?from=2026-11-25T10:01:00Z&to=2026-11-25T10:03:00Z").await;
    assert_eq!(rows(&middle), [row("transfer", "debit", "40.00", "60.00")]);
    let since = history(&app, &alice, "?from=2026-11-25T10:01:00Z&limit=1").await;
    assert_eq!(rows(&since), [row("deposit", "credit", "10.00", "70.00")]);
    let cursor = since["next_cursor"].as_str().expect("a next page");
    let rest = history(
        &app,
        &alice,
        &format!("?from=2026-11-25T10:01:00Z&limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(rows(&rest), [row("transfer", "debit", "40.00", "60.00")]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let before = history(&app, &alice, "?to=2026-11-25T10:01:00Z").await;
    assert_eq!(rows(&before), [row("deposit", "credit", "100.00", "100.00")]);
}

#[tokio::test]
async fn bad_history_queries_are_refused_with_their_field() {
    let (app, _admin, _clock) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    for (path, field) in [
        ("/v1/wallets/ZZZ/history", "asset"),
        ("/v1/wallets/usd/history", "asset"),
        ("/v1/wallets/USD/history?kind=gift", "kind"),
        ("/v1/wallets/USD/history?from=yesterday", "from"),
        ("/v1/wallets/USD/history?to=2026-13-01T00:00:00Z", "to"),
        (
            "/v1/wallets/USD/history?from=2026-11-25T10:00:00Z&to=2026-11-24T10:00:00Z",
            "from",
        ),
        ("/v1/wallets/USD/history?limit=0", "limit"),
        ("/v1/wallets/USD/history?limit=201", "limit"),
        ("/v1/wallets/USD/history?cursor=abc", "cursor"),
    ] {
        let error = expect_error(app.get_authed(path, &alice).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{path} → {error}");
    }
    let response = app
        .client
        .get(app.url("/v1/wallets/USD/history"))
        .send()
        .await
        .expect("sent");
    expect_error(response, 401, 2001).await;
}

#[tokio::test]
async fn a_transaction_is_shown_to_its_parties_only() {
    let (app, admin, _clock) = spawn().await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    let (carol, _) = customer(&app, "carol@example.com").await;
    let funded = deposit(&app, &admin, &alice_id, "USD", "20").await;
    let id = sent(&app, &alice, "bob@example.com", "7.50", "lunch").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/v1/wallets/transactions/{id}");

    let (status, body) = envelope(app.get_authed(&path, &alice).await).await;
    assert_eq!(status, 200, "{body}");
    let seen = &body["data"];
    assert_eq!(
        (seen["id"].as_str(), seen["direction"].as_str()),
        (Some(id.as_str()), Some("debit"))
    );
    assert_eq!(seen["counterparty"], "bob@example.com");
    assert_eq!(seen["amount"], "7.50");
    assert_eq!(seen["balance_after"], "12.50");
    assert_eq!(seen["memo"], "lunch");
    let (status, body) = envelope(app.get_authed(&path, &bob).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["direction"], "credit");
    assert_eq!(body["data"]["counterparty"], "alice@example.com");
    assert_eq!(body["data"]["balance_after"], "7.50");

    let others = expect_error(app.get_authed(&path, &carol).await, 404, 3001).await;
    let unknown = format!("/v1/wallets/transactions/{}", uuid::Uuid::now_v7());
    let missing = expect_error(app.get_authed(&unknown, &carol).await, 404, 3001).await;
    assert_eq!(
        others["message"], missing["message"],
        "another user's transfer looks like no transfer"
    );
    let deposit_path = format!(
        "/v1/wallets/transactions/{}",
        funded["id"].as_str().expect("deposit id")
    );
    expect_error(app.get_authed(&deposit_path, &bob).await, 404, 3001).await;
    let (status, body) = envelope(app.get_authed(&deposit_path, &alice).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["kind"], "deposit");
    assert_eq!(body["data"]["counterparty"], Value::Null);

    let error = expect_error(
        app.get_authed("/v1/wallets/transactions/not-a-uuid", &alice).await,
        400,
        1000,
    )
    .await;
    assert_eq!(error["details"]["field"], "id");
}
