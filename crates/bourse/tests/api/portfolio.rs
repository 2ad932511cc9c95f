//! The portfolio over HTTP: holdings CRUD scoped to their owner, bad input named, CSV import all-or-nothing and
//! export round trips, the Bourse wallet as a holding, and valuation through the live rates: exact with a static
//! table, partial and named when the provider cannot be reached.

use crate::admin::admin_token;
use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_with_options};
use crate::wallets::{customer, deposit, spawn_with_admin};
use bourse::BuildOptions;
use platform::ManualClock;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request sent")
}

async fn import(app: &TestApp, token: &str, csv: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/portfolio/activities/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("request sent")
}

async fn activities(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = envelope(app.get_authed("/v1/portfolio/activities", token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn holdings_can_be_created_listed_changed_and_deleted() {
    let (app, _) = spawn_with_admin().await;
    let (token, _) = customer(&app, "holder@example.com").await;
    let body = json!({"asset": "BTC", "amount": "0.5", "label": "Ledger Nano"});
    let (status, created) = envelope(app.post_authed("/v1/portfolio/holdings", &token, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let holding = &created["data"];
    assert_eq!(holding["amount"], "0.50000000");
    assert_eq!(
        (holding["source"].as_str(), holding["editable"].as_bool()),
        (Some("manual"), Some(true))
    );
    let id = holding["id"].as_str().expect("id");
    let path = format!("/v1/portfolio/holdings/{id}");

    let (status, list) = envelope(app.get_authed("/v1/portfolio/holdings", &token).await).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"]["items"][0]["label"], "Ledger Nano");

    let patch = json!({"amount": "0.75", "label": null});
    let (status, changed) = envelope(send(&app, reqwest::Method::PATCH, &path, &token, Some(&patch)).await).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["data"]["amount"].as_str(), &changed["data"]["label"]),
        (Some("0.75000000"), &Value::Null)
    );

    let (status, got) = envelope(app.get_authed(&path, &token).await).await;
    assert_eq!((status, got["data"]["amount"].as_str()), (200, Some("0.75000000")));
    let (status, _) = envelope(send(&app, reqwest::Method::DELETE, &path, &token, None).await).await;
    assert_eq!(status, 200);
    expect_error(app.get_authed(&path, &token).await, 404, 3001).await;
}

#[tokio::test]
async fn another_users_holding_is_not_found() {
    let (app, _) = spawn_with_admin().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    let body = json!({"asset": "ETH", "amount": "2"});
    let (_, created) = envelope(app.post_authed("/v1/portfolio/holdings", &alice, &body).await).await;
    let path = format!("/v1/portfolio/holdings/{}", created["data"]["id"].as_str().expect("id"));
    expect_error(app.get_authed(&path, &bob).await, 404, 3001).await;
    let patch = json!({"amount": "3"});
    expect_error(
        send(&app, reqwest::Method::PATCH, &path, &bob, Some(&patch)).await,
        404,
        3001,
    )
    .await;
    expect_error(send(&app, reqwest::Method::DELETE, &path, &bob, None).await, 404, 3001).await;
    let (_, list) = envelope(app.get_authed("/v1/portfolio/holdings", &bob).await).await;
    assert_eq!(list["data"]["items"], json!([]));
    let (status, mine) = envelope(app.get_authed(&path, &alice).await).await;
    assert_eq!(
        (status, mine["data"]["amount"].as_str()),
        (200, Some("2.000000000000000000"))
    );
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let (app, _) = spawn_with_admin().await;
    let (token, _) = customer(&app, "careless@example.com").await;
    let field = |e: &Value| e["details"]["field"].as_str().unwrap_or_default().to_owned();
    for (body, expected) in [
        (json!({"asset": "XYZ", "amount": "1"}), "asset"),
        (json!({"asset": "BTC", "amount": "0.123456789"}), "amount"),
        (json!({"asset": "BTC", "amount": 1}), "amount"),
        (json!({"asset": "BTC", "amount": "-1"}), "amount"),
        (json!({"asset": "BTC", "amount": "1", "label": "x".repeat(65)}), "label"),
    ] {
        let error = expect_error(
            app.post_authed("/v1/portfolio/holdings", &token, &body).await,
            400,
            1000,
        )
        .await;
        assert_eq!(field(&error), expected, "{body}: {error}");
    }
    let activity = json!({"time": "2026-01-01T00:00:00Z", "type": "sell", "asset": "BTC", "amount": "1",
                          "price": "100", "price_currency": "USD"});
    let error = expect_error(
        app.post_authed("/v1/portfolio/activities", &token, &activity).await,
        400,
        1000,
    )
    .await;
    assert_eq!(field(&error), "amount", "a sell of nothing held: {error}");
    let error = expect_error(app.get_authed("/v1/portfolio?currency=XYZ", &token).await, 400, 1000).await;
    assert_eq!(field(&error), "currency");
    let error = expect_error(
        app.get_authed("/v1/portfolio/history?range=2d", &token).await,
        400,
        1000,
    )
    .await;
    assert_eq!(field(&error), "range");
    for (targets, expected) in [
        (json!({"BTC": "60", "ETH": "30"}), "targets"),
        (json!({"BTC": "-10", "ETH": "110"}), "targets"),
        (json!({"BTC": 100}), "targets.BTC"),
    ] {
        let body = json!({"currency": "USD", "targets": targets});
        let error = expect_error(
            app.post_authed("/v1/portfolio/rebalance", &token, &body).await,
            400,
            1000,
        )
        .await;
        assert_eq!(field(&error), expected, "{targets}: {error}");
    }
    let body = json!({"currency": "XYZ", "targets": {"BTC": "100"}});
    let error = expect_error(
        app.post_authed("/v1/portfolio/rebalance", &token, &body).await,
        400,
        1000,
    )
    .await;
    assert_eq!(field(&error), "currency");
    let response = app
        .client
        .post(app.url("/v1/portfolio/activities/import"))
        .bearer_auth(&token)
        .json(&json!({"csv": "time,type,asset,amount"}))
        .send()
        .await
        .expect("sent");
    expect_error(response, 415, 1007).await;
}

#[tokio::test]
async fn a_csv_with_a_bad_row_imports_nothing_and_names_every_bad_row() {
    let (app, _) = spawn_with_admin().await;
    let (token, _) = customer(&app, "importer@example.com").await;
    let csv = "time,type,asset,amount,price,price_currency,fee,note\r\n\
               2026-01-01T00:00:00Z,buy,BTC,1,20000,USD,10,ok\r\n\
               2026-01-02T00:00:00Z,buy,BTC,0.123456789,20000,USD,,\r\n\
               2026-01-03T00:00:00Z,buy,NOPE,1,1,USD,,\r\n";
    let error = expect_error(import(&app, &token, csv).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "csv");
    let rows: Vec<(u64, &str)> = error["details"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["row"].as_u64().unwrap_or(0), r["field"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(rows, vec![(3, "amount"), (4, "asset")]);
    assert!(activities(&app, &token).await.is_empty(), "nothing imported");
}

#[tokio::test]
async fn an_export_imports_back_as_the_same_activities() {
    let (app, _) = spawn_with_admin().await;
    let (alice, _) = customer(&app, "exporter@example.com").await;
    let (bob, _) = customer(&app, "importer2@example.com").await;
    let body = json!({"asset": "BTC", "amount": "0.1", "label": "cold, \"deep\" storage"});
    assert_eq!(
        app.post_authed("/v1/portfolio/holdings", &alice, &body).await.status(),
        201
    );
    let csv = "time,type,asset,amount,price,price_currency,fee,note\n\
               2026-01-01T00:00:00Z,buy,BTC,1,20000.5,USD,1.25,\"first, with a comma\"\n\
               2026-02-01T00:00:00Z,sell,BTC,0.4,30000,USD,,\n";
    let (status, imported) = envelope(import(&app, &alice, csv).await).await;
    assert_eq!(
        (status, imported["data"]["imported"].as_u64()),
        (201, Some(2)),
        "{imported}"
    );

    let response = app.get_authed("/v1/portfolio/export.csv", &alice).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap_or("").to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let exported = response.text().await.expect("text");
    assert!(exported.contains("\"cold, \"\"deep\"\" storage\""), "{exported}");

    let (status, again) = envelope(import(&app, &bob, &exported).await).await;
    assert_eq!((status, again["data"]["imported"].as_u64()), (201, Some(2)), "{again}");
    let without_ids = |list: Vec<Value>| -> Vec<Value> {
        list.into_iter()
            .map(|mut a| {
                a["id"] = Value::Null;
                a
            })
            .collect()
    };
    assert_eq!(
        without_ids(activities(&app, &alice).await),
        without_ids(activities(&app, &bob).await)
    );
}

#[tokio::test]
async fn a_wallet_balance_is_a_bourse_holding_and_an_unreachable_provider_leaves_it_unvalued() {
    let (app, admin) = spawn_with_admin().await;
    let (token, user) = customer(&app, "wallet@example.com").await;
    deposit(&app, &admin, &user, "USD", "125.50").await;
    deposit(&app, &admin, &user, "BTC", "0.1").await;

    let (_, list) = envelope(app.get_authed("/v1/portfolio/holdings", &token).await).await;
    let items = list["data"]["items"].as_array().expect("items");
    let usd = items.iter().find(|h| h["asset"] == "USD").expect("the USD wallet");
    assert_eq!(
        (usd["source"].as_str(), usd["editable"].as_bool()),
        (Some("bourse"), Some(false))
    );
    assert_eq!((usd["amount"].as_str(), &usd["id"]), (Some("125.50"), &Value::Null));

    let (status, valuation) = envelope(app.get_authed("/v1/portfolio?currency=USD", &token).await).await;
    assert_eq!(status, 200, "{valuation}");
    let v = &valuation["data"];
    assert_eq!(
        (v["currency"].as_str(), v["partial"].as_bool()),
        (Some("USD"), Some(true))
    );
    // USD in USD needs no rate provider; BTC needs CoinGecko, which the test servers cannot reach.
    assert_eq!(v["total_value"], "125.50");
    let holdings = v["holdings"].as_array().expect("holdings");
    let usd = holdings.iter().find(|h| h["asset"] == "USD").expect("USD");
    assert_eq!(
        (usd["value"].as_str(), usd["price"]["rate"].as_str()),
        (Some("125.50"), Some("1"))
    );
    assert!(
        usd["price"]["as_of"].is_string() && usd["price"]["stale"] == false,
        "{usd}"
    );
    let btc = holdings.iter().find(|h| h["asset"] == "BTC").expect("BTC");
    assert_eq!(btc["value"], Value::Null);
    let reason = btc["unavailable_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("coingecko"), "{reason}");

    let body = json!({"currency": "USD", "targets": {"BTC": "50", "USD": "50"}});
    let error = expect_error(
        app.post_authed("/v1/portfolio/rebalance", &token, &body).await,
        503,
        5030,
    )
    .await;
    assert_eq!(error["details"]["provider"], "coingecko");
}

/// A server whose rates come from a static table (BTC and ETH in USD, EUR in USD), with an admin to deposit.
async fn spawn_with_static_rates() -> (TestApp, String) {
    let clock = Arc::new(ManualClock::new("2026-03-01T10:00:00Z".parse().expect("literal time")));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let adjust = |settings: &mut bourse::Settings| {
        settings.platform.rate_limits.enabled = false;
        let usd = |rate: &str| BTreeMap::from([("USD".to_owned(), rate.to_owned())]);
        settings.rates.static_rates = BTreeMap::from([
            ("BTC".to_owned(), usd("61234.56")),
            ("ETH".to_owned(), usd("3012.5")),
            ("EUR".to_owned(), usd("1.0842")),
        ]);
    };
    let app = spawn_with_options(Storage::fresh().await, adjust, options).await;
    let admin = admin_token(&app, &clock, "admin@example.com").await;
    (app, admin)
}

#[tokio::test]
async fn valuation_through_live_rates_is_exact_with_fifo_cost_basis_and_allocation() {
    let (app, admin) = spawn_with_static_rates().await;
    let (token, user) = customer(&app, "valued@example.com").await;
    deposit(&app, &admin, &user, "BTC", "0.1").await;
    for (asset, amount) in [("BTC", "0.25"), ("ETH", "2")] {
        let body = json!({"asset": asset, "amount": amount, "label": "Ledger Nano"});
        let (status, body) = envelope(app.post_authed("/v1/portfolio/holdings", &token, &body).await).await;
        assert_eq!(status, 201, "{body}");
    }
    // 0.4 BTC bought for 20,000 + 10 fee; 0.05 sold at 60,000 less 5 fee. FIFO: the sale consumes 0.05/0.4 of the
    // lot's 20,010 cost = 2,501.25, so realised = 2,995 − 2,501.25 = 493.75; 0.35 stay open at 17,508.75.
    for activity in [
        json!({"time": "2026-01-10T12:00:00Z", "type": "buy", "asset": "BTC", "amount": "0.4",
               "price": "50000", "price_currency": "USD", "fee": "10"}),
        json!({"time": "2026-02-10T12:00:00Z", "type": "sell", "asset": "BTC", "amount": "0.05",
               "price": "60000", "price_currency": "USD", "fee": "5"}),
    ] {
        let (status, body) = envelope(app.post_authed("/v1/portfolio/activities", &token, &activity).await).await;
        assert_eq!(status, 201, "{body}");
    }

    let (status, valuation) = envelope(app.get_authed("/v1/portfolio?currency=USD", &token).await).await;
    assert_eq!(status, 200, "{valuation}");
    let v = &valuation["data"];
    assert_eq!(v["partial"], false, "{v}");
    // 0.35 BTC × 61,234.56 = 21,432.096 → 21,432.10 (half-even to cents); 2 ETH × 3,012.5 = 6,025.00.
    assert_eq!(v["total_value"], "27457.10");
    let asset = |code: &str| {
        v["assets"]
            .as_array()
            .expect("assets")
            .iter()
            .find(|a| a["asset"] == code)
            .cloned()
            .expect("asset listed")
    };
    let btc = asset("BTC");
    assert_eq!(
        (
            btc["amount"].as_str(),
            btc["value"].as_str(),
            btc["allocation_pct"].as_str()
        ),
        (Some("0.35000000"), Some("21432.10"), Some("78.06"))
    );
    assert_eq!(
        (btc["price"]["rate"].as_str(), btc["price"]["source"].as_str()),
        (Some("61234.56"), Some("static"))
    );
    assert_eq!(
        (
            btc["open_quantity"].as_str(),
            btc["cost_basis"].as_str(),
            btc["unrealised_pnl"].as_str(),
            btc["realised_pnl"].as_str()
        ),
        (Some("0.35000000"), Some("17508.75"), Some("3923.35"), Some("493.75"))
    );
    let eth = asset("ETH");
    assert_eq!(
        (eth["value"].as_str(), eth["allocation_pct"].as_str()),
        (Some("6025.00"), Some("21.94"))
    );

    // In EUR both go through the pivot: 61,234.56 / 1.0842 and 3,012.5 / 1.0842, each rounded half-even to 18
    // places; 0.35 BTC is 19,767.66 EUR and 2 ETH 5,557.09 EUR.
    let (status, valuation) = envelope(app.get_authed("/v1/portfolio?currency=EUR", &token).await).await;
    assert_eq!(status, 200, "{valuation}");
    let v = &valuation["data"];
    assert_eq!(
        (v["total_value"].as_str(), v["partial"].as_bool()),
        (Some("25324.75"), Some(false))
    );
    let btc = v["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .find(|a| a["asset"] == "BTC")
        .cloned();
    assert_eq!(btc.expect("BTC")["price"]["rate"], "56479.026009961261759823");

    // Rebalancing to 50/50 in USD: each target is 13,728.55, so 7,703.55 of BTC is sold and as much ETH bought;
    // amounts round down to the asset's precision and their values down to the cent.
    let body = json!({"currency": "USD", "targets": {"BTC": "50", "ETH": "50"}});
    let (status, plan) = envelope(app.post_authed("/v1/portfolio/rebalance", &token, &body).await).await;
    assert_eq!(status, 200, "{plan}");
    let trade = |code: &str| {
        plan["data"]["trades"]
            .as_array()
            .expect("trades")
            .iter()
            .find(|t| t["asset"] == code)
            .cloned()
            .expect("trade listed")
    };
    let (btc, eth) = (trade("BTC"), trade("ETH"));
    assert_eq!(
        (
            btc["target_value"].as_str(),
            btc["action"].as_str(),
            btc["amount"].as_str(),
            btc["value"].as_str()
        ),
        (Some("13728.55"), Some("sell"), Some("0.12580395"), Some("7703.54"))
    );
    assert_eq!(
        (eth["action"].as_str(), eth["amount"].as_str(), eth["value"].as_str()),
        (Some("buy"), Some("2.557195020746887966"), Some("7703.54"))
    );
}

#[tokio::test]
async fn every_portfolio_route_is_documented_with_its_errors() {
    let (app, _) = spawn_with_admin().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.expect("JSON");
    for (path, method, statuses) in [
        ("/v1/portfolio", "get", &["200", "400", "401", "429"][..]),
        (
            "/v1/portfolio/holdings",
            "post",
            &["201", "400", "401", "403", "413", "415", "429"],
        ),
        ("/v1/portfolio/holdings/{id}", "patch", &["200", "400", "404"]),
        ("/v1/portfolio/holdings/{id}", "delete", &["200", "404"]),
        ("/v1/portfolio/activities", "post", &["201", "400"]),
        ("/v1/portfolio/activities/import", "post", &["201", "400", "413", "415"]),
        ("/v1/portfolio/history", "get", &["200", "400"]),
        ("/v1/portfolio/export.csv", "get", &["200", "401"]),
        ("/v1/portfolio/rebalance", "post", &["200", "400", "503"]),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        for status in statuses {
            assert!(
                responses[status].is_object(),
                "{method} {path} documents {status}: {responses}"
            );
        }
    }
}

#[tokio::test]
async fn tracking_more_than_max_holdings_is_refused() {
    let adjust = |c: &mut bourse::Settings| {
        c.platform.rate_limits.enabled = false;
        c.portfolio.max_holdings = 2;
    };
    let app = spawn_with_options(Storage::fresh().await, adjust, BuildOptions::default()).await;
    let (token, _) = customer(&app, "collector@example.com").await;
    let body = json!({"asset": "BTC", "amount": "1"});
    for _ in 0..2 {
        assert_eq!(
            app.post_authed("/v1/portfolio/holdings", &token, &body).await.status(),
            201
        );
    }
    expect_error(
        app.post_authed("/v1/portfolio/holdings", &token, &body).await,
        403,
        1004,
    )
    .await;
}

#[tokio::test]
async fn recording_more_than_max_activities_is_refused_and_an_import_past_it_records_nothing() {
    let adjust = |c: &mut bourse::Settings| {
        c.platform.rate_limits.enabled = false;
        c.portfolio.max_activities = 3;
    };
    let app = spawn_with_options(Storage::fresh().await, adjust, BuildOptions::default()).await;
    let (token, _) = customer(&app, "trader@example.com").await;
    let buy = json!({"time": "2026-01-10T12:00:00Z", "type": "buy", "asset": "BTC", "amount": "0.1",
                     "price": "50000", "price_currency": "USD"});
    for _ in 0..2 {
        let (status, body) = envelope(app.post_authed("/v1/portfolio/activities", &token, &buy).await).await;
        assert_eq!(status, 201, "{body}");
    }
    let csv = "time,type,asset,amount,price,price_currency\n\
               2026-01-11T12:00:00Z,buy,BTC,0.1,50000,USD\n\
               2026-01-12T12:00:00Z,buy,BTC,0.1,50000,USD\n";
    expect_error(import(&app, &token, csv).await, 403, 1004).await;
    assert_eq!(
        activities(&app, &token).await.len(),
        2,
        "nothing of the import is recorded"
    );
    let (status, body) = envelope(app.post_authed("/v1/portfolio/activities", &token, &buy).await).await;
    assert_eq!(status, 201, "{body}");
    expect_error(
        app.post_authed("/v1/portfolio/activities", &token, &buy).await,
        403,
        1004,
    )
    .await;
}
