//! Provider deposit notifications, end to end: signatures, pending then confirmed, idempotent and conflicting
//! repeats, concurrent duplicates, bad input, and a clean ledger audit afterwards.

use crate::admin::admin_token;
use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_with_options};
use bourse::BuildOptions;
use chrono::{DateTime, Utc};
use funding::DepositProvider;
use platform::hmac_sha256::sign_hex;
use platform::{Db, ManualClock, Secret, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

const PROVIDER: &str = "custody-one";
const SECRET: &str = "whsec_5d1f0c2a8e4b47f39a6c1d2e3f405162";
const OTHER: &str = "bank-two";
const OTHER_SECRET: &str = "whsec_other_0123456789abcdef0123456789";

/// A server with two providers (BTC needs 3 confirmations, the default), a customer and an admin's token.
async fn spawn() -> (TestApp, String, String) {
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
            c.funding.deposit_providers = vec![
                DepositProvider {
                    name: PROVIDER.to_owned(),
                    secret: Secret::new(SECRET.to_owned()),
                },
                DepositProvider {
                    name: OTHER.to_owned(),
                    secret: Secret::new(OTHER_SECRET.to_owned()),
                },
            ];
        },
        options,
    )
    .await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    let login = app.signed_up("alice@example.com").await;
    let token = login["access_token"].as_str().expect("token").to_owned();
    (app, admin, token)
}

async fn send(app: &TestApp, provider: Option<&str>, signature: Option<&str>, body: &[u8]) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/v1/webhooks/deposits"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(provider) = provider {
        request = request.header("x-provider", provider);
    }
    if let Some(signature) = signature {
        request = request.header("x-signature", signature);
    }
    request.send().await.expect("request sent")
}

/// `body` signed by the first provider.
async fn notify(app: &TestApp, body: &Value) -> reqwest::Response {
    let raw = serde_json::to_vec(body).expect("json");
    let signature = sign_hex(SECRET.as_bytes(), &[&raw]);
    send(app, Some(PROVIDER), Some(&signature), &raw).await
}

async fn notify_ok(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = envelope(notify(app, body).await).await;
    assert_eq!(status, 200, "{answer}");
    answer["data"].clone()
}

fn btc(tx: &str, confirmations: u64) -> Value {
    json!({"provider_tx_id": tx, "user": "alice@example.com", "asset": "BTC", "amount": "0.25",
           "confirmations": confirmations})
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    on_db!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).expect("count")
}

async fn outbox_subjects(db: &Db, prefix: &str) -> Vec<String> {
    let rows: Vec<String> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT subject FROM outbox WHERE subject LIKE $1 ORDER BY id"
    ).bind(format!("{prefix}%")).fetch_all(pool).await)
    .expect("subjects");
    rows
}

/// The wallet of `asset` as `(available, locked, total)`, if the holder has one.
async fn wallet(app: &TestApp, token: &str, asset: &str) -> Option<(String, String, String)> {
    let (status, body) = envelope(app.get_authed("/v1/wallets", token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|b| b["asset"] == asset)
        .map(|b| {
            let s = |k: &str| b[k].as_str().expect("string").to_owned();
            (s("available"), s("locked"), s("total"))
        })
}

async fn assert_audit_clean(app: &TestApp, admin: &str) {
    let (status, body) = envelope(app.get_authed("/v1/admin/ledger/audit", admin).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["clean"], true, "{body}");
    assert_eq!(body["data"]["discrepancies"], json!([]));
}

/// The README's worked example; change both together.
#[test]
fn the_readme_signing_example() {
    let body =
        br#"{"provider_tx_id":"tx-1001","user":"alice@example.com","asset":"BTC","amount":"0.25","confirmations":1}"#;
    assert_eq!(
        sign_hex(b"whsec_5d1f0c2a8e4b47f39a6c1d2e3f405162", &[body]),
        "f77ef191cbe2a59be741e38975182765ae90bbde66d3a961161047e262523bc2"
    );
}

#[tokio::test]
async fn deposit_webhook_refuses_bad_missing_and_unknown_signatures() {
    let (app, _admin, _token) = spawn().await;
    let raw = serde_json::to_vec(&btc("tx-sig", 5)).expect("json");
    let good = sign_hex(SECRET.as_bytes(), &[&raw]);
    let other = sign_hex(OTHER_SECRET.as_bytes(), &[&raw]);
    let tampered = {
        let mut body = raw.clone();
        body.extend_from_slice(b" ");
        body
    };
    let cases: Vec<(Option<&str>, Option<&str>, &[u8])> = vec![
        (Some(PROVIDER), Some("00"), &raw),
        (Some(PROVIDER), Some("not hex at all"), &raw),
        (Some(PROVIDER), None, &raw),
        (None, Some(&good), &raw),
        (Some("nobody"), Some(&good), &raw),
        (Some(PROVIDER), Some(&other), &raw),
        (Some(OTHER), Some(&good), &raw),
        (Some(PROVIDER), Some(&good), &tampered),
        (Some(PROVIDER), Some(""), &raw),
    ];
    for (provider, signature, body) in cases {
        let error = expect_error(send(&app, provider, signature, body).await, 401, 2001).await;
        assert_eq!(error["type"], "UNAUTHENTICATED", "{provider:?} {signature:?}");
    }
    assert_eq!(count(&app.db, "ledger_provider_deposits").await, 0);
    assert_eq!(count(&app.db, "ledger_transfers").await, 0);
    // Upper-case hex is the same signature.
    let (status, body) = envelope(send(&app, Some(PROVIDER), Some(&good.to_uppercase()), &raw).await).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn deposit_webhook_holds_until_confirmed_then_credits() {
    let (app, admin, token) = spawn().await;
    let first = notify_ok(&app, &btc("tx-1", 1)).await;
    assert_eq!(first["status"], "PENDING");
    assert_eq!(first["confirmations"], 1);
    assert_eq!(first["required_confirmations"], 3);
    assert_eq!(first["asset"], "BTC");
    assert_eq!(first["amount"], "0.25000000");
    // Incoming and unconfirmed: not the user's yet, so no part of the balance.
    let zero = "0.00000000".to_owned();
    assert_eq!(
        wallet(&app, &token, "BTC").await,
        Some((zero.clone(), zero.clone(), zero.clone()))
    );

    let second = notify_ok(&app, &btc("tx-1", 2)).await;
    assert_eq!(
        (second["id"].clone(), second["status"].clone()),
        (first["id"].clone(), json!("PENDING"))
    );
    assert_eq!(second["confirmations"], 2);
    // Fewer confirmations than already seen change nothing.
    let stale = notify_ok(&app, &btc("tx-1", 1)).await;
    assert_eq!(stale, second);
    assert_eq!(count(&app.db, "ledger_transfers").await, 1);

    let confirmed = notify_ok(&app, &btc("tx-1", 3)).await;
    assert_eq!(confirmed["status"], "CONFIRMED");
    assert_eq!(confirmed["confirmations"], 3);
    assert_eq!(confirmed["id"], first["id"]);
    assert_eq!(confirmed["created_at"], first["created_at"]);
    let credited = "0.25000000".to_owned();
    assert_eq!(
        wallet(&app, &token, "BTC").await,
        Some((credited.clone(), zero, credited))
    );

    // Repeats after confirmation answer the same and move nothing.
    for confirmations in [3, 7, 0] {
        assert_eq!(notify_ok(&app, &btc("tx-1", confirmations)).await, confirmed);
    }
    assert_eq!(count(&app.db, "ledger_transfers").await, 2);
    assert_eq!(
        outbox_subjects(&app.db, "deposit.").await,
        vec!["deposit.pending".to_owned(), "deposit.confirmed".to_owned()]
    );
    assert_eq!(outbox_subjects(&app.db, "wallet.balance_changed").await.len(), 2);
    assert_audit_clean(&app, &admin).await;
}

#[tokio::test]
async fn deposit_webhook_at_the_threshold_credits_at_once() {
    let (app, admin, token) = spawn().await;
    // USD is not configured: one confirmation suffices.
    let body = json!({"provider_tx_id": "wire-77", "user": "alice@example.com", "asset": "USD", "amount": "120.5",
                      "confirmations": 1});
    let deposit = notify_ok(&app, &body).await;
    assert_eq!(deposit["status"], "CONFIRMED");
    assert_eq!(deposit["required_confirmations"], 1);
    assert_eq!(deposit["amount"], "120.50");
    assert_eq!(notify_ok(&app, &body).await, deposit);
    assert_eq!(count(&app.db, "ledger_transfers").await, 1);
    assert_eq!(
        wallet(&app, &token, "USD").await,
        Some(("120.50".to_owned(), "0.00".to_owned(), "120.50".to_owned()))
    );
    // The same transaction id from another provider is another deposit.
    let raw = serde_json::to_vec(&body).expect("json");
    let signature = sign_hex(OTHER_SECRET.as_bytes(), &[&raw]);
    let (status, other) = envelope(send(&app, Some(OTHER), Some(&signature), &raw).await).await;
    assert_eq!(status, 200, "{other}");
    assert_ne!(other["data"]["id"], deposit["id"]);
    assert_eq!(outbox_subjects(&app.db, "deposit.").await.len(), 2);
    assert_audit_clean(&app, &admin).await;
}

#[tokio::test]
async fn deposit_webhook_conflicting_repeat_is_409() {
    let (app, admin, _token) = spawn().await;
    app.signed_up("bob@example.com").await;
    notify_ok(&app, &btc("tx-c", 1)).await;
    let mut changed = Vec::new();
    for (field, value) in [
        ("amount", json!("0.26")),
        ("user", json!("bob@example.com")),
        ("asset", json!("ETH")),
    ] {
        let mut body = btc("tx-c", 2);
        body[field] = value;
        changed.push(body);
    }
    for body in changed {
        let error = expect_error(notify(&app, &body).await, 409, 3002).await;
        assert_eq!(error["type"], "CONFLICT", "{body}");
    }
    let unchanged = notify_ok(&app, &btc("tx-c", 1)).await;
    assert_eq!(unchanged["confirmations"], 1);
    assert_eq!(count(&app.db, "ledger_transfers").await, 1);
    assert_audit_clean(&app, &admin).await;
}

#[tokio::test]
async fn deposit_webhook_concurrent_duplicates_credit_once() {
    let (app, admin, token) = spawn().await;
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { notify_ok(&app, &btc("tx-race", 4)).await }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let deposit = task.await.expect("task");
        assert_eq!(deposit["status"], "CONFIRMED");
        ids.insert(deposit["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(count(&app.db, "ledger_provider_deposits").await, 1);
    assert_eq!(count(&app.db, "ledger_transfers").await, 1);
    let credited = "0.25000000".to_owned();
    assert_eq!(
        wallet(&app, &token, "BTC").await,
        Some((credited.clone(), "0.00000000".to_owned(), credited))
    );
    assert_audit_clean(&app, &admin).await;
}

#[tokio::test]
async fn deposit_webhook_bad_inputs_name_their_fields() {
    let (app, _admin, _token) = spawn().await;
    let long = "x".repeat(129);
    let cases: Vec<(&str, &str, Value)> = vec![
        ("provider_tx_id", "", json!("")),
        ("provider_tx_id", "", json!(long)),
        ("provider_tx_id", "", json!("a\u{0}b")),
        ("provider_tx_id", "", json!(12)),
        ("asset", "", json!("btc")),
        ("asset", "", json!("ZZZ")),
        ("amount", "", json!("-1")),
        ("amount", "", json!("0")),
        ("amount", "", json!("0.123456789")),
        ("amount", "", json!("1e3")),
        ("amount", "", json!(1.5)),
        ("confirmations", "", json!(-1)),
        ("confirmations", "", json!("3")),
        ("confirmations", "", json!(1.5)),
        ("confirmations", "", json!(u64::MAX)),
    ];
    for (field, _, value) in cases {
        let mut body = btc("tx-bad", 1);
        body[field] = value.clone();
        let error = expect_error(notify(&app, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{field} = {value}: {error}");
    }
    let mut missing = btc("tx-bad", 1);
    missing.as_object_mut().expect("object").remove("user");
    let error = expect_error(notify(&app, &missing).await, 400, 1000).await;
    // The shared JSON extractor reports a missing field on `body`, naming it in the reason.
    assert!(
        error["details"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("`user`")),
        "{error}"
    );
    let mut extra = btc("tx-bad", 1);
    extra["memo"] = json!("hi");
    expect_error(notify(&app, &extra).await, 400, 1000).await;
    let mut nobody = btc("tx-bad", 1);
    nobody["user"] = json!("nobody@example.com");
    expect_error(notify(&app, &nobody).await, 404, 3001).await;
    assert_eq!(count(&app.db, "ledger_provider_deposits").await, 0);
    assert_eq!(count(&app.db, "ledger_transfers").await, 0);
}

#[tokio::test]
async fn deposit_webhook_is_documented() {
    let app = crate::helpers::spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.expect("JSON");
    let operation = &doc["paths"]["/v1/webhooks/deposits"]["post"];
    assert!(operation.is_object(), "documented");
    assert!(operation["responses"]["401"].is_object(), "{operation}");
    assert!(doc["components"]["schemas"]["DepositNotificationBody"].is_object());
}

/// The BTC wallet's `incoming` and `available`.
async fn incoming(app: &TestApp, token: &str) -> (Value, Value) {
    let (status, body) = envelope(app.get_authed("/v1/wallets", token).await).await;
    assert_eq!(status, 200, "{body}");
    let btc = body["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|b| b["asset"] == "BTC")
        .cloned()
        .expect("a BTC wallet");
    (btc["incoming"].clone(), btc["available"].clone())
}

#[tokio::test]
async fn a_pending_deposit_shows_as_incoming_and_in_the_owners_deposit_list_only() {
    let (app, admin, token) = spawn().await;
    let pending = notify_ok(&app, &btc("tx-in", 1)).await;
    assert_eq!(incoming(&app, &token).await, (json!("0.25000000"), json!("0.00000000")));
    let balance_events: Vec<sqlx::types::Json<Value>> = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE subject = 'wallet.balance_changed' ORDER BY id"
    ).fetch_all(pool).await)
    .expect("events");
    assert_eq!(balance_events.len(), 1);
    assert_eq!(balance_events[0].0["incoming"], "0.25000000");

    let (status, list) = envelope(app.get_authed("/v1/wallets/deposits", &token).await).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"]["items"], json!([pending.clone()]));
    assert_eq!(list["data"]["next_cursor"], Value::Null);
    let id = pending["id"].as_str().expect("id");
    let (status, one) = envelope(app.get_authed(&format!("/v1/wallets/deposits/{id}"), &token).await).await;
    assert_eq!((status, one["data"].clone()), (200, pending.clone()));

    // Another user sees neither the deposit nor that it exists.
    let bob = app.signed_up("bob@example.com").await;
    let bob = bob["access_token"].as_str().expect("token");
    let (_, theirs) = envelope(app.get_authed("/v1/wallets/deposits", bob).await).await;
    assert_eq!(theirs["data"]["items"], json!([]));
    expect_error(
        app.get_authed(&format!("/v1/wallets/deposits/{id}"), bob).await,
        404,
        3001,
    )
    .await;

    let confirmed = notify_ok(&app, &btc("tx-in", 3)).await;
    notify_ok(&app, &btc("tx-second", 1)).await;
    assert_eq!(incoming(&app, &token).await, (json!("0.25000000"), json!("0.25000000")));
    let (_, only) = envelope(app.get_authed("/v1/wallets/deposits?status=CONFIRMED", &token).await).await;
    assert_eq!(only["data"]["items"], json!([confirmed]));
    let (_, first_page) = envelope(app.get_authed("/v1/wallets/deposits?limit=1", &token).await).await;
    assert_eq!(first_page["data"]["items"][0]["provider_tx_id"], "tx-second");
    let cursor = first_page["data"]["next_cursor"].as_str().expect("a next page");
    let (_, second_page) = envelope(
        app.get_authed(&format!("/v1/wallets/deposits?limit=1&cursor={cursor}"), &token)
            .await,
    )
    .await;
    assert_eq!(second_page["data"]["items"][0]["provider_tx_id"], "tx-in");
    assert_eq!(second_page["data"]["next_cursor"], Value::Null);

    for bad in ["status=SETTLED", "limit=0", "cursor=nope", "colour=red"] {
        expect_error(
            app.get_authed(&format!("/v1/wallets/deposits?{bad}"), &token).await,
            400,
            1000,
        )
        .await;
    }
    expect_error(
        app.get_authed("/v1/wallets/deposits/not-a-uuid", &token).await,
        400,
        1000,
    )
    .await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.expect("JSON");
    assert!(doc["paths"]["/v1/wallets/deposits"]["get"].is_object());
    assert!(doc["paths"]["/v1/wallets/deposits/{id}"]["get"].is_object());
    assert_audit_clean(&app, &admin).await;
}
