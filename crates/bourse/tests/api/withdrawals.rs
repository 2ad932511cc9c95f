//! Withdrawals end to end: request (holds amount + fee), staff approval (posts), completion, the owner's cancel
//! and staff rejection (voids), 2FA, the per-asset minimum and daily limit, insufficient funds, ownership,
//! wrong-state transitions, idempotent retries and the destination sealed at rest.

use crate::admin::admin_token;
use crate::helpers::{Storage, TEST_PASSWORD, TestApp, envelope, expect_error, spawn_with_options};
use crate::two_factor::{code, enable_two_factor};
use crate::wallets::{customer, deposit, post_keyed};
use bourse::BuildOptions;
use chrono::{DateTime, Duration, Utc};
use funding::WithdrawalLimit;
use platform::{Db, ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) const ADDRESS: &str = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh";
pub(crate) const IBAN: &str = "DE89 3704 0044 0532 0130 00";

pub(crate) fn limit(min: &str, fee: &str, daily_limit: &str) -> WithdrawalLimit {
    WithdrawalLimit {
        min: min.into(),
        fee: fee.into(),
        daily_limit: daily_limit.into(),
    }
}

/// A server on a manual clock with BTC and USD withdrawal rules, and an admin's token.
pub(crate) async fn spawn() -> (TestApp, Arc<ManualClock>, String) {
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("literal time");
    let clock = Arc::new(ManualClock::new(start));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let adjust = |c: &mut bourse::Settings| {
        c.platform.rate_limits.enabled = false;
        c.funding
            .withdrawal_limits
            .insert("BTC".into(), limit("0.001", "0.0005", "1"));
        c.funding
            .withdrawal_limits
            .insert("USD".into(), limit("10", "1", "500"));
    };
    let app = spawn_with_options(Storage::fresh().await, adjust, options).await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    (app, clock, admin)
}

pub(crate) fn btc(amount: &str) -> Value {
    json!({"asset": "BTC", "amount": amount, "destination": {"address": ADDRESS}})
}

pub(crate) async fn withdraw(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    post_keyed(app, "/v1/wallets/withdrawals", token, body).await
}

pub(crate) async fn withdraw_ok(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, body) = envelope(withdraw(app, token, body).await).await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

async fn act(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.post_authed(path, token, body).await
}

async fn act_ok(app: &TestApp, token: &str, path: &str, body: &Value) -> Value {
    let (status, body) = envelope(act(app, token, path, body).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// `(available, locked, total)` of the holder's wallet in `asset`.
pub(crate) async fn wallet(app: &TestApp, token: &str, asset: &str) -> (String, String, String) {
    let (status, body) = envelope(app.get_authed("/v1/wallets", token).await).await;
    assert_eq!(status, 200, "{body}");
    let items = body["data"]["items"].as_array().expect("items");
    let w = items.iter().find(|w| w["asset"] == asset).expect("wallet");
    let s = |k: &str| w[k].as_str().expect("string").to_owned();
    (s("available"), s("locked"), s("total"))
}

pub(crate) fn triple(a: &str, l: &str, t: &str) -> (String, String, String) {
    (a.into(), l.into(), t.into())
}

async fn assert_audit_clean(app: &TestApp, admin: &str) {
    let (status, body) = envelope(app.get_authed("/v1/admin/ledger/audit", admin).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["clean"], true, "{body}");
}

async fn outbox_subjects(db: &Db) -> Vec<String> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT subject FROM outbox WHERE subject LIKE 'withdrawal.%' ORDER BY id"
    ).fetch_all(pool).await)
    .expect("subjects")
}

pub(crate) async fn withdrawal_rows(db: &Db) -> i64 {
    on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM ledger_withdrawals").fetch_one(pool).await)
        .expect("count")
}

#[tokio::test]
async fn withdrawal_lifecycle_holds_posts_and_completes() {
    let (app, _clock, admin) = spawn().await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "2").await;

    let w = withdraw_ok(&app, &alice, &btc("0.5")).await;
    assert_eq!(w["status"], "PENDING");
    assert_eq!(w["user_id"], alice_id.as_str());
    assert_eq!(w["amount"], "0.50000000");
    assert_eq!(w["fee"], "0.00050000");
    assert_eq!(w["total"], "0.50050000");
    assert_eq!(w["destination"], json!({"kind": "crypto", "masked": "…0wlh"}));
    assert!(!w.to_string().contains(ADDRESS));
    let id = w["id"].as_str().expect("id").to_owned();
    assert_eq!(
        wallet(&app, &alice, "BTC").await,
        triple("1.49950000", "0.50050000", "2.00000000")
    );

    let (_, listed) = envelope(app.get_authed("/v1/wallets/withdrawals", &alice).await).await;
    assert_eq!(listed["data"]["items"][0]["id"], id.as_str(), "{listed}");
    let (_, pending) = envelope(app.get_authed("/v1/admin/withdrawals?status=PENDING", &admin).await).await;
    assert_eq!(
        pending["data"]["items"].as_array().expect("items").len(),
        1,
        "{pending}"
    );

    let approved = act_ok(&app, &admin, &format!("/v1/admin/withdrawals/{id}/approve"), &json!({})).await;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(
        wallet(&app, &alice, "BTC").await,
        triple("1.49950000", "0.00000000", "1.49950000")
    );
    // Approving twice or cancelling an approved withdrawal is a wrong-state transition.
    expect_error(
        act(&app, &admin, &format!("/v1/admin/withdrawals/{id}/approve"), &json!({})).await,
        409,
        3002,
    )
    .await;
    expect_error(
        act(
            &app,
            &alice,
            &format!("/v1/wallets/withdrawals/{id}/cancel"),
            &json!({}),
        )
        .await,
        409,
        3002,
    )
    .await;

    let body = json!({"txid": "4a5e1e4baab89f3a32518a88c31bc87f"});
    let completed = act_ok(&app, &admin, &format!("/v1/admin/withdrawals/{id}/complete"), &body).await;
    assert_eq!(completed["status"], "COMPLETED");
    assert_eq!(completed["payout_reference"], "4a5e1e4baab89f3a32518a88c31bc87f");
    expect_error(
        act(&app, &admin, &format!("/v1/admin/withdrawals/{id}/complete"), &body).await,
        409,
        3002,
    )
    .await;
    let (_, shown) = envelope(app.get_authed(&format!("/v1/wallets/withdrawals/{id}"), &alice).await).await;
    assert_eq!(shown["data"]["status"], "COMPLETED");
    assert_eq!(
        wallet(&app, &alice, "BTC").await,
        triple("1.49950000", "0.00000000", "1.49950000")
    );

    assert_eq!(
        outbox_subjects(&app.db).await,
        vec!["withdrawal.requested", "withdrawal.approved", "withdrawal.completed"]
    );
    let (_, log) = envelope(
        app.get_authed("/v1/admin/audit?action=withdrawal.approve", &admin)
            .await,
    )
    .await;
    assert_eq!(log["data"]["items"][0]["target"], id.as_str(), "{log}");
    assert_audit_clean(&app, &admin).await;
}

#[tokio::test]
async fn withdrawal_cancel_and_reject_release_the_hold() {
    let (app, _clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "USD", "100").await;
    let fiat = json!({"asset": "USD", "amount": "20", "destination": {"iban": IBAN, "name": "Alice Example"}});

    let w = withdraw_ok(&app, &alice, &fiat).await;
    assert_eq!(w["destination"], json!({"kind": "bank", "masked": "…3000"}));
    assert_eq!(wallet(&app, &alice, "USD").await, triple("79.00", "21.00", "100.00"));
    let id = w["id"].as_str().expect("id");
    let cancelled = act_ok(
        &app,
        &alice,
        &format!("/v1/wallets/withdrawals/{id}/cancel"),
        &json!({}),
    )
    .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(wallet(&app, &alice, "USD").await, triple("100.00", "0.00", "100.00"));
    expect_error(
        act(
            &app,
            &alice,
            &format!("/v1/wallets/withdrawals/{id}/cancel"),
            &json!({}),
        )
        .await,
        409,
        3002,
    )
    .await;

    let w = withdraw_ok(&app, &alice, &fiat).await;
    let id = w["id"].as_str().expect("id");
    // A customer lacks `withdrawals:approve`.
    expect_error(
        act(&app, &alice, &format!("/v1/admin/withdrawals/{id}/approve"), &json!({})).await,
        403,
        2004,
    )
    .await;
    let error = expect_error(
        act(
            &app,
            &admin,
            &format!("/v1/admin/withdrawals/{id}/reject"),
            &json!({"reason": " "}),
        )
        .await,
        400,
        1000,
    )
    .await;
    assert_eq!(error["details"]["field"], "reason");
    let body = json!({"reason": "Name does not match the account"});
    let rejected = act_ok(&app, &admin, &format!("/v1/admin/withdrawals/{id}/reject"), &body).await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["reason"], "Name does not match the account");
    assert_eq!(wallet(&app, &alice, "USD").await, triple("100.00", "0.00", "100.00"));
    expect_error(
        act(
            &app,
            &admin,
            &format!("/v1/admin/withdrawals/{id}/complete"),
            &json!({"txid": "x1"}),
        )
        .await,
        409,
        3002,
    )
    .await;
    assert_eq!(
        outbox_subjects(&app.db).await,
        vec![
            "withdrawal.requested",
            "withdrawal.cancelled",
            "withdrawal.requested",
            "withdrawal.rejected"
        ]
    );
    assert_audit_clean(&app, &admin).await;
}

#[tokio::test]
async fn withdrawal_needs_a_current_code_when_two_factor_is_on() {
    let (app, clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    let (secret, _) = enable_two_factor(&app, &clock, &alice).await;
    clock.advance(Duration::seconds(30));

    expect_error(withdraw(&app, &alice, &btc("0.1")).await, 401, 2003).await;
    let mut body = btc("0.1");
    body["code"] = json!("000000");
    let error = expect_error(withdraw(&app, &alice, &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "code");
    body["code"] = json!(code(&secret, &clock));
    let w = withdraw_ok(&app, &alice, &body).await;
    assert_eq!(w["status"], "PENDING");
    // The same code cannot confirm a second withdrawal.
    let error = expect_error(withdraw(&app, &alice, &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "code");
    assert_eq!(withdrawal_rows(&app.db).await, 1);
}

#[tokio::test]
async fn withdrawal_minimum_daily_limit_and_funds_are_enforced() {
    let (app, clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "0.7").await;

    let error = expect_error(withdraw(&app, &alice, &btc("0.0009")).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "amount");
    let first = withdraw_ok(&app, &alice, &btc("0.6")).await;
    // 0.6 + 0.3 is within the 1 BTC limit, but only 0.0995 is available.
    expect_error(withdraw(&app, &alice, &btc("0.3")).await, 400, 1001).await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    let error = expect_error(withdraw(&app, &alice, &btc("0.5")).await, 403, 1004).await;
    assert_eq!(error["type"], "LIMIT_EXCEEDED");
    // A cancelled withdrawal no longer counts.
    let id = first["id"].as_str().expect("id");
    act_ok(
        &app,
        &alice,
        &format!("/v1/wallets/withdrawals/{id}/cancel"),
        &json!({}),
    )
    .await;
    withdraw_ok(&app, &alice, &btc("0.5")).await;
    expect_error(withdraw(&app, &alice, &btc("0.6")).await, 403, 1004).await;
    assert_audit_clean(&app, &admin).await;
    // The window rolls: a day later the earlier withdrawal no longer counts (a new login: tokens expired).
    clock.advance(Duration::hours(25));
    let login = app.login("alice@example.com", TEST_PASSWORD).await;
    let alice = login["access_token"].as_str().expect("token");
    withdraw_ok(&app, alice, &btc("0.6")).await;
    assert_eq!(withdrawal_rows(&app.db).await, 3);
}

#[tokio::test]
async fn withdrawal_bad_destinations_name_their_field() {
    let (app, _clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    for destination in [
        json!({"iban": IBAN, "name": "Alice"}),
        json!({"address": "short"}),
        json!({"address": "bc1q with spaces in it"}),
        json!({}),
    ] {
        let body = json!({"asset": "BTC", "amount": "0.1", "destination": destination});
        let error = expect_error(withdraw(&app, &alice, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], "destination", "{destination}");
    }
    for destination in [
        json!({"address": ADDRESS}),
        json!({"iban": "DE89370400440532013001", "name": "Alice"}),
        json!({"iban": IBAN, "name": ""}),
    ] {
        let body = json!({"asset": "USD", "amount": "20", "destination": destination});
        let error = expect_error(withdraw(&app, &alice, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], "destination", "{destination}");
    }
    assert_eq!(withdrawal_rows(&app.db).await, 0);
}

#[tokio::test]
async fn withdrawal_of_another_user_is_not_found() {
    let (app, _clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    let w = withdraw_ok(&app, &alice, &btc("0.1")).await;
    let id = w["id"].as_str().expect("id");

    expect_error(
        app.get_authed(&format!("/v1/wallets/withdrawals/{id}"), &bob).await,
        404,
        3001,
    )
    .await;
    expect_error(
        act(&app, &bob, &format!("/v1/wallets/withdrawals/{id}/cancel"), &json!({})).await,
        404,
        3001,
    )
    .await;
    let (_, listed) = envelope(app.get_authed("/v1/wallets/withdrawals", &bob).await).await;
    assert_eq!(listed["data"]["items"], json!([]));
    let unknown = uuid::Uuid::now_v7();
    expect_error(
        act(
            &app,
            &admin,
            &format!("/v1/admin/withdrawals/{unknown}/approve"),
            &json!({}),
        )
        .await,
        404,
        3001,
    )
    .await;
    let (_, shown) = envelope(app.get_authed(&format!("/v1/wallets/withdrawals/{id}"), &alice).await).await;
    assert_eq!(shown["data"]["status"], "PENDING");
}

#[tokio::test]
async fn withdrawal_retried_with_its_key_is_created_once_and_sealed() {
    let (app, _clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    let send = || {
        app.client
            .post(app.url("/v1/wallets/withdrawals"))
            .bearer_auth(&alice)
            .header("idempotency-key", "withdraw-once-1")
            .json(&btc("0.2"))
            .send()
    };
    let (status, first) = envelope(send().await.expect("sent")).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = envelope(send().await.expect("sent")).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(first["data"]["id"], again["data"]["id"]);
    assert_eq!(withdrawal_rows(&app.db).await, 1);
    assert_eq!(
        wallet(&app, &alice, "BTC").await,
        triple("0.79950000", "0.20050000", "1.00000000")
    );

    let (sealed, masked): (Vec<u8>, String) = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT destination_sealed, destination_masked FROM ledger_withdrawals"
    ).fetch_one(pool).await)
    .expect("row");
    assert!(!sealed.windows(ADDRESS.len()).any(|w| w == ADDRESS.as_bytes()));
    assert!(!sealed.windows(8).any(|w| w == &ADDRESS.as_bytes()[..8]));
    assert_eq!(masked, "…0wlh");
}

#[tokio::test]
async fn a_disabled_asset_still_releases_held_withdrawals_but_none_is_approved() {
    let (app, _clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "USD", "100").await;
    let fiat = json!({"asset": "USD", "amount": "20", "destination": {"iban": IBAN, "name": "Alice Example"}});
    let first = withdraw_ok(&app, &alice, &fiat).await;
    let second = withdraw_ok(&app, &alice, &fiat).await;
    on_db!(&app.db, pool => sqlx::query("UPDATE assets SET enabled = FALSE WHERE code = 'USD'")
        .execute(pool).await.map(|_| ()))
    .unwrap();

    let approve = format!("/v1/admin/withdrawals/{}/approve", second["id"].as_str().expect("id"));
    let error = expect_error(act(&app, &admin, &approve, &json!({})).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "asset");
    let cancel = format!("/v1/wallets/withdrawals/{}/cancel", first["id"].as_str().expect("id"));
    assert_eq!(act_ok(&app, &alice, &cancel, &json!({})).await["status"], "CANCELLED");
    let reject = format!("/v1/admin/withdrawals/{}/reject", second["id"].as_str().expect("id"));
    let rejected = act_ok(&app, &admin, &reject, &json!({"reason": "asset delisted"})).await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(wallet(&app, &alice, "USD").await, triple("100.00", "0.00", "100.00"));
    assert_audit_clean(&app, &admin).await;
}
