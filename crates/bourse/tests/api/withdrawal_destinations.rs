//! The withdrawal allow-list end to end: saved destinations and their 24 h cool-down, the mode and its delayed
//! switch-off, refusals that hold and write nothing but an audit record, ownership, bad input; and withdrawal
//! rules of an asset added to the catalogue after start-up.

use crate::admin::admin_token;
use crate::helpers::{Storage, TEST_PASSWORD, TestApp, envelope, expect_error, spawn_with_options};
use crate::two_factor::{code, enable_two_factor, login_with_two_factor};
use crate::wallets::{customer, deposit};
use crate::withdrawals::{ADDRESS, IBAN, btc, limit, spawn, triple, wallet, withdraw, withdraw_ok, withdrawal_rows};
use bourse::BuildOptions;
use chrono::{DateTime, Duration, Utc};
use platform::{ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

const PATH: &str = "/v1/wallets/withdrawal-destinations";
const SETTINGS: &str = "/v1/wallets/withdrawal-destinations/settings";
const OTHER_ADDRESS: &str = "0x52908400098527886E0F7030069857D2E4169EE7";

fn start() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().expect("literal time")
}

async fn save(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post_authed(PATH, token, body).await
}

async fn save_ok(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, body) = envelope(save(app, token, body).await).await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

async fn set_mode(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(SETTINGS))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request sent")
}

async fn set_mode_ok(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, body) = envelope(set_mode(app, token, body).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

async fn mode(app: &TestApp, token: &str) -> Value {
    let (status, body) = envelope(app.get_authed(SETTINGS, token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

async fn remove(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("{PATH}/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent")
}

async fn listed(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = envelope(app.get_authed(PATH, token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["items"].as_array().expect("items").clone()
}

/// A fresh access token: a day on the manual clock outlives the previous one.
async fn relogin(app: &TestApp, email: &str) -> String {
    let login = app.login(email, TEST_PASSWORD).await;
    login["access_token"].as_str().expect("token").to_owned()
}

async fn destination_rows(app: &TestApp) -> i64 {
    on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM ledger_withdrawal_destinations")
        .fetch_one(pool).await)
    .expect("count")
}

/// `(action, outcome)` of the audit records of withdrawals and the allow-list, oldest first.
async fn audited(app: &TestApp) -> Vec<(String, String)> {
    on_db!(&app.db, pool => sqlx::query_as(
        "SELECT action, outcome FROM audit_log WHERE action LIKE 'withdrawal%' ORDER BY id"
    ).fetch_all(pool).await)
    .expect("audit records")
}

fn refused_because(error: &Value, reason: &str) {
    assert_eq!(error["type"], "FORBIDDEN", "{error}");
    assert_eq!(error["details"]["field"], "destination", "{error}");
    assert_eq!(error["details"]["reason"], reason, "{error}");
}

#[tokio::test]
async fn allow_list_admits_a_saved_destination_only_after_its_cool_down() {
    let (app, clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "2").await;
    deposit(&app, &admin, "alice@example.com", "ETH", "5").await;
    deposit(&app, &admin, "alice@example.com", "USD", "100").await;

    assert_eq!(
        mode(&app, &alice).await,
        json!({"enabled": false, "disables_at": null, "cooldown_secs": 86400})
    );
    let on = set_mode_ok(&app, &alice, &json!({"enabled": true})).await;
    assert_eq!(on["enabled"], true);
    assert_eq!(on["disables_at"], Value::Null);

    // On, with nothing saved: refused, nothing held, nothing written but the audit record.
    let error = expect_error(withdraw(&app, &alice, &btc("0.1")).await, 403, 2004).await;
    refused_because(&error, "not_allow_listed");
    assert_eq!(
        wallet(&app, &alice, "BTC").await,
        triple("2.00000000", "0.00000000", "2.00000000")
    );

    let saved = save_ok(
        &app,
        &alice,
        &json!({"asset": "BTC", "destination": {"address": ADDRESS}, "label": "cold wallet"}),
    )
    .await;
    assert_eq!(saved["asset"], "BTC");
    assert_eq!(saved["label"], "cold wallet");
    assert_eq!(saved["destination"], json!({"kind": "crypto", "masked": "…0wlh"}));
    assert_eq!(saved["usable"], false);
    let usable_from: DateTime<Utc> = saved["usable_from"].as_str().expect("time").parse().expect("RFC 3339");
    // Signing the admin in with 2FA moved the clock on: the cool-down runs from the save.
    assert_eq!(usable_from, clock_now(&clock) + Duration::hours(24));
    assert!(!saved.to_string().contains(ADDRESS));
    let fiat = save_ok(
        &app,
        &alice,
        &json!({"asset": "USD", "destination": {"iban": IBAN, "name": "Alice Example"}}),
    )
    .await;
    assert_eq!(fiat["destination"], json!({"kind": "bank", "masked": "…3000"}));
    assert_eq!(fiat["label"], Value::Null);

    let error = expect_error(withdraw(&app, &alice, &btc("0.1")).await, 403, 2004).await;
    refused_because(&error, "cooling_down");
    assert_eq!(error["details"]["usable_from"], saved["usable_from"]);
    clock.advance(Duration::hours(24) - Duration::seconds(1));
    let alice = relogin(&app, "alice@example.com").await;
    let error = expect_error(withdraw(&app, &alice, &btc("0.1")).await, 403, 2004).await;
    refused_because(&error, "cooling_down");
    assert_eq!(withdrawal_rows(&app.db).await, 0);

    clock.advance(Duration::seconds(1));
    let w = withdraw_ok(&app, &alice, &btc("0.1")).await;
    assert_eq!(w["status"], "PENDING");
    assert_eq!(listed(&app, &alice).await[1]["usable"], true);
    // The entry is for BTC only; another address is refused too.
    let eth = json!({"asset": "ETH", "amount": "1", "destination": {"address": ADDRESS}});
    refused_because(
        &expect_error(withdraw(&app, &alice, &eth).await, 403, 2004).await,
        "not_allow_listed",
    );
    let other = json!({"asset": "BTC", "amount": "0.1", "destination": {"address": OTHER_ADDRESS}});
    refused_because(
        &expect_error(withdraw(&app, &alice, &other).await, 403, 2004).await,
        "not_allow_listed",
    );
    // Another spelling of the saved IBAN and holder matches; another holder does not.
    let usd =
        |iban: &str, name: &str| json!({"asset": "USD", "amount": "20", "destination": {"iban": iban, "name": name}});
    withdraw_ok(&app, &alice, &usd("de89370400440532013000", "  alice   EXAMPLE ")).await;
    refused_because(
        &expect_error(withdraw(&app, &alice, &usd(IBAN, "Mallory")).await, 403, 2004).await,
        "not_allow_listed",
    );
    assert_eq!(withdrawal_rows(&app.db).await, 2);
    assert_eq!(wallet(&app, &alice, "ETH").await.1, "0.000000000000000000");

    let failures = |records: &[(String, String)]| {
        records
            .iter()
            .filter(|(a, o)| a == "withdrawal.request" && o == "failure")
            .count()
    };
    let records = audited(&app).await;
    assert_eq!(failures(&records), 6, "{records:?}");
    for action in ["withdrawal_allowlist.enable", "withdrawal_destination.add"] {
        assert!(
            records.iter().any(|(a, o)| a == action && o == "success"),
            "{records:?}"
        );
    }
}

#[tokio::test]
async fn with_the_mode_off_any_destination_is_accepted() {
    let (app, _clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    save_ok(
        &app,
        &alice,
        &json!({"asset": "BTC", "destination": {"address": ADDRESS}}),
    )
    .await;
    // Saved entries alone change nothing: neither the saved (still cooling down) nor another address is refused.
    withdraw_ok(&app, &alice, &btc("0.1")).await;
    let other = json!({"asset": "BTC", "amount": "0.1", "destination": {"address": OTHER_ADDRESS}});
    withdraw_ok(&app, &alice, &other).await;
    assert_eq!(mode(&app, &alice).await["enabled"], false);
    // Switching off when off writes nothing and needs nothing.
    assert_eq!(
        set_mode_ok(&app, &alice, &json!({"enabled": false})).await["enabled"],
        false
    );
    assert!(
        !audited(&app)
            .await
            .iter()
            .any(|(a, _)| a.starts_with("withdrawal_allowlist"))
    );
}

#[tokio::test]
async fn switching_off_needs_the_code_and_waits_for_the_cool_down() {
    let (app, clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    let (secret, _) = enable_two_factor(&app, &clock, &alice).await;
    clock.advance(Duration::seconds(30));

    // On needs no code; adding a destination does.
    set_mode_ok(&app, &alice, &json!({"enabled": true})).await;
    let add = json!({"asset": "BTC", "destination": {"address": ADDRESS}});
    expect_error(save(&app, &alice, &add).await, 401, 2003).await;
    assert_eq!(destination_rows(&app).await, 0);

    expect_error(set_mode(&app, &alice, &json!({"enabled": false})).await, 401, 2003).await;
    let error = expect_error(
        set_mode(&app, &alice, &json!({"enabled": false, "code": "000000"})).await,
        400,
        1000,
    )
    .await;
    assert_eq!(error["details"]["field"], "code");
    assert_eq!(mode(&app, &alice).await["disables_at"], Value::Null);

    let off = set_mode_ok(&app, &alice, &json!({"enabled": false, "code": code(&secret, &clock)})).await;
    let due = clock_now(&clock) + Duration::hours(24);
    assert_eq!(off["enabled"], true, "{off}");
    assert_eq!(parse_time(&off["disables_at"]), due);
    assert_eq!(mode(&app, &alice).await, off);
    // Asking again changes nothing and does not push the time back.
    clock.advance(Duration::minutes(1));
    let again = set_mode_ok(&app, &alice, &json!({"enabled": false})).await;
    assert_eq!(parse_time(&again["disables_at"]), due);

    let body =
        |code: String| json!({"asset": "BTC", "amount": "0.1", "destination": {"address": ADDRESS}, "code": code});
    clock.advance(Duration::seconds(30));
    refused_because(
        &expect_error(withdraw(&app, &alice, &body(code(&secret, &clock))).await, 403, 2004).await,
        "not_allow_listed",
    );
    assert_eq!(withdrawal_rows(&app.db).await, 0);

    clock.set(due - Duration::seconds(1));
    let login = login_with_two_factor(&app, &clock, "alice@example.com", &secret).await;
    let alice = login["access_token"].as_str().expect("token").to_owned();
    clock.set(due);
    assert_eq!(
        mode(&app, &alice).await,
        json!({"enabled": false, "disables_at": null, "cooldown_secs": 86400})
    );
    clock.advance(Duration::seconds(30));
    withdraw_ok(&app, &alice, &body(code(&secret, &clock))).await;

    // Switching on again cancels a pending switch-off at once.
    set_mode_ok(&app, &alice, &json!({"enabled": true})).await;
    clock.advance(Duration::seconds(30));
    set_mode_ok(&app, &alice, &json!({"enabled": false, "code": code(&secret, &clock)})).await;
    let on = set_mode_ok(&app, &alice, &json!({"enabled": true})).await;
    assert_eq!(
        on,
        json!({"enabled": true, "disables_at": null, "cooldown_secs": 86400})
    );
    clock.advance(Duration::hours(25));
    let login = login_with_two_factor(&app, &clock, "alice@example.com", &secret).await;
    let alice = login["access_token"].as_str().expect("token").to_owned();
    assert_eq!(mode(&app, &alice).await["enabled"], true);

    let actions: Vec<String> = audited(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a.starts_with("withdrawal_allowlist"))
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "withdrawal_allowlist.enable",
            "withdrawal_allowlist.disable",
            "withdrawal_allowlist.enable",
            "withdrawal_allowlist.disable",
            "withdrawal_allowlist.enable"
        ]
    );
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use platform::Clock;
    clock.now()
}

fn parse_time(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("time").parse().expect("RFC 3339")
}

#[tokio::test]
async fn a_deleted_destination_is_refused_and_another_users_is_not_found() {
    let (app, clock, admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, "alice@example.com", "BTC", "1").await;
    let saved = save_ok(
        &app,
        &alice,
        &json!({"asset": "BTC", "destination": {"address": ADDRESS}}),
    )
    .await;
    let id = saved["id"].as_str().expect("id").to_owned();
    set_mode_ok(&app, &alice, &json!({"enabled": true})).await;

    expect_error(remove(&app, &bob, &id).await, 404, 3001).await;
    assert!(listed(&app, &bob).await.is_empty());
    expect_error(remove(&app, &alice, "not-a-uuid").await, 400, 1000).await;
    expect_error(remove(&app, &alice, &uuid::Uuid::now_v7().to_string()).await, 404, 3001).await;
    assert_eq!(destination_rows(&app).await, 1);

    clock.advance(Duration::hours(24));
    let alice = relogin(&app, "alice@example.com").await;
    withdraw_ok(&app, &alice, &btc("0.1")).await;
    let (status, removed) = envelope(remove(&app, &alice, &id).await).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["data"]["id"], id.as_str());
    assert!(listed(&app, &alice).await.is_empty());
    expect_error(remove(&app, &alice, &id).await, 404, 3001).await;
    refused_because(
        &expect_error(withdraw(&app, &alice, &btc("0.1")).await, 403, 2004).await,
        "not_allow_listed",
    );
    assert_eq!(withdrawal_rows(&app.db).await, 1);
    let records = audited(&app).await;
    assert!(
        records.iter().any(|(a, _)| a == "withdrawal_destination.delete"),
        "{records:?}"
    );
}

#[tokio::test]
async fn saving_a_destination_refuses_bad_input_naming_the_field() {
    let (app, _clock, _admin) = spawn().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let crypto = |asset: &str, destination: Value| json!({"asset": asset, "destination": destination});
    for (body, field) in [
        (crypto("XYZ", json!({"address": ADDRESS})), "asset"),
        (crypto("btc", json!({"address": ADDRESS})), "asset"),
        (crypto("BTC", json!({"address": "short"})), "destination"),
        (
            crypto("BTC", json!({"address": "bc1q with spaces in it"})),
            "destination",
        ),
        (crypto("BTC", json!({"iban": IBAN, "name": "Alice"})), "destination"),
        (crypto("USD", json!({"address": ADDRESS})), "destination"),
        (
            crypto("USD", json!({"iban": "DE89370400440532013001", "name": "Alice"})),
            "destination",
        ),
        (
            json!({"asset": "BTC", "destination": {"address": ADDRESS}, "label": "x".repeat(65)}),
            "label",
        ),
        (
            json!({"asset": "BTC", "destination": {"address": ADDRESS}, "label": "line\nbreak"}),
            "label",
        ),
        (
            json!({"asset": "BTC", "destination": {"address": ADDRESS}, "label": "  "}),
            "label",
        ),
    ] {
        let error = expect_error(save(&app, &alice, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{body}");
    }
    // Unknown fields, wrong types and a missing destination are refused too.
    for body in [
        json!({"asset": "BTC", "destination": {"address": ADDRESS}, "extra": 1}),
        json!({"asset": "BTC", "destination": {"address": ADDRESS}, "label": 7}),
        json!({"asset": "BTC"}),
    ] {
        expect_error(save(&app, &alice, &body).await, 400, 1000).await;
    }
    expect_error(set_mode(&app, &alice, &json!({"enabled": "yes"})).await, 400, 1000).await;
    expect_error(set_mode(&app, &alice, &json!({})).await, 400, 1000).await;
    assert_eq!(destination_rows(&app).await, 0);

    let ok = json!({"asset": "BTC", "destination": {"address": ADDRESS}, "label": "x".repeat(64)});
    save_ok(&app, &alice, &ok).await;
    let error = expect_error(save(&app, &alice, &ok).await, 409, 3002).await;
    assert_eq!(error["type"], "CONFLICT");
    // The same address for another asset is another entry.
    save_ok(
        &app,
        &alice,
        &json!({"asset": "ETH", "destination": {"address": ADDRESS}}),
    )
    .await;
    assert_eq!(destination_rows(&app).await, 2);
    expect_error(app.get(PATH).await, 401, 2001).await;
}

#[tokio::test]
async fn rules_of_an_asset_added_after_start_up_follow_its_current_precision() {
    let clock = Arc::new(ManualClock::new(start()));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    // XTZ is not in the catalogue at start-up, so its rules cannot be checked then; they have more decimals than
    // the precision the asset is later added with.
    let adjust = |c: &mut bourse::Settings| {
        c.platform.rate_limits.enabled = false;
        c.funding
            .withdrawal_limits
            .insert("XTZ".into(), limit("0.005", "0.0001", "2.999"));
    };
    let app = spawn_with_options(Storage::fresh().await, adjust, options).await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    on_db!(&app.db, pool => sqlx::query(
        "INSERT INTO assets (code, name, kind, precision, enabled) VALUES ('XTZ', 'Tezos', 'crypto', 2, TRUE)"
    ).execute(pool).await.map(|_| ()))
    .expect("asset added");
    let (alice, _) = customer(&app, "alice@example.com").await;
    deposit(&app, &admin, "alice@example.com", "XTZ", "10").await;
    let xtz = |amount: &str| json!({"asset": "XTZ", "amount": amount, "destination": {"address": ADDRESS}});

    // Rounded in the platform's favour: minimum and fee up to 0.01, the daily limit down to 2.99.
    let w = withdraw_ok(&app, &alice, &xtz("0.01")).await;
    assert_eq!((w["amount"].as_str(), w["fee"].as_str()), (Some("0.01"), Some("0.01")));
    let error = expect_error(withdraw(&app, &alice, &xtz("2.99")).await, 403, 1004).await;
    assert!(error["message"].as_str().expect("message").contains("2.99"), "{error}");
    withdraw_ok(&app, &alice, &xtz("2.98")).await;
    // Held: 0.01 + 0.01 fee, then 2.98 + 0.01 fee.
    assert_eq!(wallet(&app, &alice, "XTZ").await, triple("6.99", "3.01", "10.00"));
}
