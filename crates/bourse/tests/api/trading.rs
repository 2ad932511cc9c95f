//! The spot exchange end to end: two users trading on BTCUSD (tick 1 USD, lot 0.01 BTC, fees 10/20 bps), every
//! balance, hold and fee checked to the last digit; the validation errors; market data; halting and closing.

use crate::helpers::{TestApp, envelope, expect_error};
use crate::wallets::{customer, deposit, post_keyed, spawn_with_admin};
use serde_json::{Value, json};

pub(crate) async fn place(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let (status, body) = envelope(post_keyed(app, "/v1/orders", token, &body).await).await;
    (
        status,
        body["data"]
            .clone()
            .as_object()
            .map_or(body.clone(), |_| body["data"].clone()),
    )
}

pub(crate) async fn placed(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, order) = place(app, token, body).await;
    assert!(status == 201 || status == 200, "{status} {order}");
    order
}

async fn refused(app: &TestApp, token: &str, body: Value) -> Value {
    let error = expect_error(post_keyed(app, "/v1/orders", token, &body).await, 400, 1005).await;
    error["details"].clone()
}

/// `asset → (available, locked)` of the holder of `token`.
pub(crate) async fn wallet(app: &TestApp, token: &str, asset: &str) -> (String, String) {
    let (status, body) = envelope(app.get_authed("/v1/wallets", token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|w| w["asset"] == asset)
        .map(|w| {
            (
                w["available"].as_str().expect("available").to_owned(),
                w["locked"].as_str().expect("locked").to_owned(),
            )
        })
        .unwrap_or_default()
}

fn pair(available: &str, locked: &str) -> (String, String) {
    (available.to_owned(), locked.to_owned())
}

pub(crate) async fn audit_is_clean(app: &TestApp, admin: &str) {
    let (status, audit) = envelope(app.get_authed("/v1/admin/ledger/audit", admin).await).await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["data"]["clean"], true, "{audit}");
}

fn limit(side: &str, price: &str, quantity: &str) -> Value {
    json!({"symbol": "BTCUSD", "side": side, "type": "LIMIT", "price": price, "quantity": quantity})
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    envelope(response).await
}

#[tokio::test]
async fn two_users_trade_and_every_balance_hold_and_fee_is_exact() {
    let (app, admin) = spawn_with_admin().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (bob, _) = customer(&app, "bob@example.com").await;
    deposit(&app, &admin, "alice@example.com", "USD", "100000").await;
    deposit(&app, &admin, "bob@example.com", "BTC", "2").await;

    // Bob rests 1 BTC at 60,000: the BTC is held.
    let ask = placed(&app, &bob, limit("SELL", "60000", "1")).await;
    assert_eq!(ask["status"], "NEW", "{ask}");
    assert_eq!(
        (ask["held"].as_str(), ask["hold_asset"].as_str()),
        (Some("1.00000000"), Some("BTC"))
    );
    assert_eq!(wallet(&app, &bob, "BTC").await, pair("1.00000000", "1.00000000"));

    // Alice takes 0.40 of it: 24,000 USD; she receives 0.40 BTC less 20 bps, Bob 24,000 USD less 10 bps.
    let buy = placed(&app, &alice, limit("BUY", "60000", "0.4")).await;
    assert_eq!(buy["status"], "FILLED", "{buy}");
    assert_eq!(buy["filled_quote"], "24000.00");
    assert_eq!(
        (buy["fees_paid"].as_str(), buy["fee_asset"].as_str()),
        (Some("0.00080000"), Some("BTC"))
    );
    assert_eq!(buy["held"], "0.00");
    assert_eq!(wallet(&app, &alice, "USD").await, pair("76000.00", "0.00"));
    assert_eq!(wallet(&app, &alice, "BTC").await, pair("0.39920000", "0.00000000"));
    assert_eq!(wallet(&app, &bob, "USD").await, pair("23976.00", "0.00"));
    assert_eq!(wallet(&app, &bob, "BTC").await, pair("1.00000000", "0.60000000"));

    // Alice bids 1 BTC at 61,000: 0.60 trades at Bob's 60,000 and 0.40 rests, holding exactly 0.40 × 61,000.
    let bid = placed(&app, &alice, limit("BUY", "61000", "1")).await;
    assert_eq!(bid["status"], "PARTIALLY_FILLED", "{bid}");
    assert_eq!(bid["filled_quantity"], "0.60");
    assert_eq!(bid["filled_quote"], "36000.00");
    assert_eq!(bid["held"], "24400.00");
    assert_eq!(wallet(&app, &alice, "USD").await, pair("15600.00", "24400.00"));
    assert_eq!(wallet(&app, &alice, "BTC").await, pair("0.99800000", "0.00000000"));
    assert_eq!(wallet(&app, &bob, "USD").await, pair("59940.00", "0.00"));
    assert_eq!(wallet(&app, &bob, "BTC").await, pair("1.00000000", "0.00000000"));
    let (_, detail) = envelope(
        app.get_authed(&format!("/v1/orders/{}", ask["id"].as_str().unwrap()), &bob)
            .await,
    )
    .await;
    assert_eq!(detail["data"]["status"], "FILLED");
    assert_eq!(detail["data"]["fills"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["data"]["fills"][1]["role"], "maker");
    assert_eq!(detail["data"]["fills"][1]["fee"], "36.00");

    // A post-only sell at the bid would take: refused, nothing held.
    let mut post_only = limit("SELL", "61000", "0.1");
    post_only["post_only"] = json!(true);
    assert_eq!(refused(&app, &bob, post_only).await["reason"], "post_only_would_take");
    assert_eq!(wallet(&app, &bob, "BTC").await, pair("1.00000000", "0.00000000"));

    // Bob sells 0.10 IOC at 61,000 and takes from Alice's bid: 6,100 USD less 20 bps for Bob (taker).
    let mut ioc = limit("SELL", "61000", "0.1");
    ioc["time_in_force"] = json!("IOC");
    let sold = placed(&app, &bob, ioc).await;
    assert_eq!(sold["status"], "FILLED", "{sold}");
    assert_eq!(sold["fees_paid"], "12.20");
    assert_eq!(wallet(&app, &bob, "USD").await, pair("66027.80", "0.00"));
    assert_eq!(wallet(&app, &alice, "BTC").await, pair("1.09790000", "0.00000000"));
    assert_eq!(wallet(&app, &alice, "USD").await, pair("15600.00", "18300.00"));

    // FOK for more than the book has: expires whole, nothing trades, the hold is released.
    let mut fok = limit("SELL", "61000", "0.5");
    fok["time_in_force"] = json!("FOK");
    let killed = placed(&app, &bob, fok).await;
    assert_eq!(
        (killed["status"].as_str(), killed["filled_quantity"].as_str()),
        (Some("EXPIRED"), Some("0.00"))
    );
    assert_eq!(wallet(&app, &bob, "BTC").await, pair("0.90000000", "0.00000000"));

    // Self-trade prevention: Alice's sell into her own bid cancels the incoming order.
    let mut own = limit("SELL", "61000", "0.1");
    own["stp"] = json!("CANCEL_TAKER");
    let prevented = placed(&app, &alice, own).await;
    assert_eq!(
        (prevented["status"].as_str(), prevented["filled_quantity"].as_str()),
        (Some("CANCELLED"), Some("0.00"))
    );
    assert_eq!(wallet(&app, &alice, "BTC").await, pair("1.09790000", "0.00000000"));

    // Amend the bid down to 60,500 and 0.50 in total: the hold follows (0.10 open × 60,500).
    let path = format!("/v1/orders/{}", bid["id"].as_str().unwrap());
    let amended = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&alice)
        .json(&json!({"price": "60500", "quantity": "0.8"}))
        .send()
        .await
        .expect("sent");
    let (status, amended) = envelope(amended).await;
    assert_eq!(status, 200, "{amended}");
    assert_eq!(amended["data"]["remaining_quantity"], "0.10");
    assert_eq!(amended["data"]["held"], "6050.00");
    assert_eq!(wallet(&app, &alice, "USD").await, pair("27850.00", "6050.00"));

    // Cancel it: the hold comes back; a second cancel is a conflict.
    let (status, cancelled) = delete(&app, &alice, &path).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["data"]["status"], "CANCELLED");
    assert_eq!(wallet(&app, &alice, "USD").await, pair("33900.00", "0.00"));
    let (status, again) = delete(&app, &alice, &path).await;
    assert_eq!((status, again["error"]["code"].as_u64()), (409, Some(3002)));

    // A market buy for 3,025 USD against Bob's ask at 60,500: exactly 0.05 BTC.
    placed(&app, &bob, limit("SELL", "60500", "0.5")).await;
    let market = placed(
        &app,
        &alice,
        json!({"symbol": "BTCUSD", "side": "BUY", "type": "MARKET", "quote_quantity": "3025"}),
    )
    .await;
    assert_eq!(market["filled_quantity"], "0.05", "{market}");
    assert_eq!(market["filled_quote"], "3025.00");
    assert_eq!(market["held"], "0.00");
    assert_eq!(wallet(&app, &alice, "USD").await, pair("30875.00", "0.00"));
    assert_eq!(wallet(&app, &alice, "BTC").await, pair("1.14780000", "0.00000000"));

    // Cancel all of Bob's: his remaining 0.45 BTC comes back.
    let (status, all) = delete(&app, &bob, "/v1/orders?symbol=BTCUSD").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["data"]["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(wallet(&app, &bob, "BTC").await, pair("0.85000000", "0.00000000"));

    // The fees are on the platform's accounts; conservation and every balance hold.
    audit_is_clean(&app, &admin).await;
    let (_, fills) = envelope(app.get_authed("/v1/trades?symbol=BTCUSD", &alice).await).await;
    assert_eq!(fills["data"]["items"].as_array().map(Vec::len), Some(4));

    // Market data reflects the trades.
    let (_, ticker) = envelope(app.get("/v1/markets/BTCUSD/ticker").await).await;
    let t = &ticker["data"];
    assert_eq!(
        (t["open"].as_str(), t["high"].as_str(), t["low"].as_str()),
        (Some("60000"), Some("61000"), Some("60000"))
    );
    assert_eq!(
        (t["last"].as_str(), t["volume"].as_str(), t["trades"].as_u64()),
        (Some("60500"), Some("1.15"), Some(4))
    );
    assert_eq!(t["quote_volume"], "69125.00");
    let (_, trades) = envelope(app.get("/v1/markets/BTCUSD/trades?limit=2").await).await;
    assert_eq!(trades["data"]["items"][0]["price"], "60500");
    let (_, candles) = envelope(app.get("/v1/markets/BTCUSD/candles?interval=1m").await).await;
    let c = &candles["data"]["items"][0];
    assert_eq!(
        (
            c["open"].as_str(),
            c["high"].as_str(),
            c["close"].as_str(),
            c["trades"].as_u64()
        ),
        (Some("60000"), Some("61000"), Some("60500"), Some(4))
    );
    // The last trade is a rate: the markets are a rate source once they trade.
    let (_, live) = envelope(app.get("/v1/rates/live?base=USD&symbols=BTC").await).await;
    assert_eq!(live["data"]["prices"][0]["price"], "60500", "{live}");
    assert_eq!(live["data"]["prices"][0]["source"], "markets", "{live}");
    let (_, depth) = envelope(app.get("/v1/markets/BTCUSD/depth").await).await;
    assert_eq!(depth["data"]["bids"], json!([]));
    assert_eq!(depth["data"]["asks"], json!([]));
}

#[tokio::test]
async fn orders_that_cannot_be_paid_for_or_are_malformed_are_refused_and_hold_nothing() {
    let (app, admin) = spawn_with_admin().await;
    let (carol, _) = customer(&app, "carol@example.com").await;
    let error = expect_error(
        post_keyed(&app, "/v1/orders", &carol, &limit("BUY", "60000", "0.1")).await,
        400,
        1001,
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("6000.00 USD"), "{error}");
    deposit(&app, &admin, "carol@example.com", "USD", "1000").await;

    let cases = [
        (limit("BUY", "60000.5", "0.01"), "price_off_tick", "price"),
        (limit("BUY", "600", "0.001"), "quantity_off_lot", "quantity"),
        (limit("BUY", "600", "5000"), "quantity_above_maximum", "quantity"),
        (limit("BUY", "1", "0.01"), "notional_below_minimum", "quantity"),
        (
            json!({"symbol": "BTCUSD", "side": "BUY", "type": "MARKET", "price": "600", "quantity": "0.01"}),
            "price_not_allowed",
            "price",
        ),
        (
            json!({"symbol": "BTCUSD", "side": "BUY", "type": "STOP_LIMIT", "price": "600", "quantity": "0.01"}),
            "stop_price_required",
            "stop_price",
        ),
        (
            json!({"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "quantity": "0.01"}),
            "price_required",
            "price",
        ),
        (
            json!({"symbol": "BTCUSD", "side": "HOLD", "type": "LIMIT", "price": "600", "quantity": "0.01"}),
            "invalid_side",
            "side",
        ),
        (
            json!({"symbol": "BTCUSD", "side": "SELL", "type": "MARKET", "quote_quantity": "10"}),
            "quote_quantity_not_allowed",
            "quote_quantity",
        ),
        (
            json!({"symbol": "BTCUSD", "side": "BUY", "type": "MARKET", "quantity": "0.01"}),
            "no_liquidity",
            "",
        ),
    ];
    for (body, reason, field) in cases {
        let details = refused(&app, &carol, body.clone()).await;
        assert_eq!(details["reason"], reason, "{body}: {details}");
        if !field.is_empty() {
            assert_eq!(details["field"], field, "{body}: {details}");
        }
    }
    expect_error(
        post_keyed(
            &app,
            "/v1/orders",
            &carol,
            &json!({"symbol": "DOGEUSD", "side": "BUY", "type": "LIMIT", "price": "1", "quantity": "1"}),
        )
        .await,
        404,
        3001,
    )
    .await;
    expect_error(
        post_keyed(&app, "/v1/orders", &carol, &json!({"symbol": "BTCUSD"})).await,
        400,
        1000,
    )
    .await;
    assert_eq!(wallet(&app, &carol, "USD").await, pair("1000.00", "0.00"));

    // A client order id answers with the first order when used again.
    let mut keyed = limit("BUY", "600", "0.5");
    keyed["client_order_id"] = json!("my-first");
    let (first_status, first) = place(&app, &carol, keyed.clone()).await;
    let (again_status, again) = place(&app, &carol, keyed).await;
    assert_eq!((first_status, again_status), (201, 200));
    assert_eq!(first["id"], again["id"]);
    assert_eq!(wallet(&app, &carol, "USD").await, pair("700.00", "300.00"));
    audit_is_clean(&app, &admin).await;
}

#[tokio::test]
async fn halting_refuses_orders_and_closing_releases_every_hold() {
    let (app, admin) = spawn_with_admin().await;
    let (dave, _) = customer(&app, "dave@example.com").await;
    deposit(&app, &admin, "dave@example.com", "USD", "1000").await;
    placed(&app, &dave, limit("BUY", "500", "1")).await;
    assert_eq!(wallet(&app, &dave, "USD").await, pair("500.00", "500.00"));

    let patch = |status: &'static str| {
        app.client
            .patch(app.url("/v1/admin/markets/BTCUSD"))
            .bearer_auth(&admin)
            .json(&json!({ "status": status }))
            .send()
    };
    let (status, halted) = envelope(patch("halted").await.expect("sent")).await;
    assert_eq!(
        (status, halted["data"]["status"].as_str()),
        (200, Some("halted")),
        "{halted}"
    );
    assert_eq!(
        refused(&app, &dave, limit("BUY", "500", "0.1")).await["reason"],
        "market_halted"
    );
    let (_, depth) = envelope(app.get("/v1/markets/BTCUSD/depth").await).await;
    assert_eq!(
        depth["data"]["bids"][0]["quantity"], "1.00",
        "the book is kept: {depth}"
    );

    let (status, resumed) = envelope(patch("open").await.expect("sent")).await;
    assert_eq!((status, resumed["data"]["status"].as_str()), (200, Some("open")));
    placed(&app, &dave, limit("BUY", "400", "1")).await;

    let (status, closed) = envelope(patch("closed").await.expect("sent")).await;
    assert_eq!((status, closed["data"]["status"].as_str()), (200, Some("closed")));
    assert_eq!(wallet(&app, &dave, "USD").await, pair("1000.00", "0.00"));
    assert_eq!(
        refused(&app, &dave, limit("BUY", "500", "0.1")).await["reason"],
        "market_closed"
    );
    let (_, open) = envelope(app.get_authed("/v1/orders?status=open", &dave).await).await;
    assert_eq!(open["data"]["items"], json!([]));
    let (_, audit) = envelope(
        app.get_authed("/v1/admin/audit?action=trading.market_halt", &admin)
            .await,
    )
    .await;
    assert!(audit.to_string().contains("trading.market_halt"), "{audit}");
    audit_is_clean(&app, &admin).await;
}

#[tokio::test]
async fn staff_create_markets_with_an_exact_grid() {
    let (app, admin) = spawn_with_admin().await;
    let body = json!({"base": "ETH", "quote": "USD", "tick_size": "0.01", "lot_size": "0.0001",
                      "max_qty": "1000", "min_notional": "1", "price_band_pct": "5"});
    let error = expect_error(post_keyed(&app, "/v1/admin/markets", &admin, &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "tick_size", "{error}");
    let mut good = body.clone();
    good["lot_size"] = json!("1");
    good["tick_size"] = json!("0.01");
    let (status, created) = envelope(post_keyed(&app, "/v1/admin/markets", &admin, &good).await).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["symbol"], "ETHUSD");
    expect_error(post_keyed(&app, "/v1/admin/markets", &admin, &good).await, 409, 3002).await;
    let (_, market) = envelope(app.get("/v1/markets/ETHUSD").await).await;
    assert_eq!(market["data"]["status"], "open");
    let (customer_token, eve) = customer(&app, "eve@example.com").await;
    expect_error(
        post_keyed(&app, "/v1/admin/markets", &customer_token, &good).await,
        403,
        2004,
    )
    .await;

    // Staff pin a tier: orders placed from then on carry its fees.
    deposit(&app, &admin, "eve@example.com", "USD", "1000").await;
    let before = placed(&app, &customer_token, limit("BUY", "100", "1")).await;
    assert_eq!(
        (before["maker_fee_bps"].as_u64(), before["taker_fee_bps"].as_u64()),
        (Some(10), Some(20))
    );
    let pin = |tier: Value| {
        app.client
            .put(app.url(&format!("/v1/admin/users/{eve}/tier")))
            .bearer_auth(&admin)
            .json(&json!({ "tier": tier }))
            .send()
    };
    let (status, pinned) = envelope(pin(json!("PRO")).await.expect("sent")).await;
    assert_eq!(status, 200, "{pinned}");
    assert_eq!(
        (pinned["data"]["tier"].as_str(), pinned["data"]["pinned"].as_bool()),
        (Some("PRO"), Some(true))
    );
    let after = placed(&app, &customer_token, limit("BUY", "100", "1")).await;
    assert_eq!(
        (after["maker_fee_bps"].as_u64(), after["taker_fee_bps"].as_u64()),
        (Some(5), Some(10))
    );
    let (_, me) = envelope(app.get_authed("/v1/users/me", &customer_token).await).await;
    assert_eq!(me["data"]["tier"], "PRO");
    let (status, _) = envelope(pin(json!("GOLD")).await.expect("sent")).await;
    assert_eq!(status, 400);
}

/// Every open order of `token`'s holder holds exactly what its remaining quantity needs on BTCUSD (tick × lot is
/// one cent), and together they are what the wallets show locked.
async fn holds_match_open_orders(app: &TestApp, token: &str) {
    let (status, open) = envelope(
        app.get_authed("/v1/orders?status=open&symbol=BTCUSD&limit=200", token)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{open}");
    let cents = |text: &str| -> i128 {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let frac = format!("{frac:0<8}");
        whole.parse::<i128>().unwrap() * 100_000_000 + frac[..8].parse::<i128>().unwrap()
    };
    let (mut usd, mut btc) = (0i128, 0i128);
    for o in open["data"]["items"].as_array().expect("items") {
        let remaining = cents(o["remaining_quantity"].as_str().unwrap());
        let held = cents(o["held"].as_str().unwrap());
        match o["side"].as_str().unwrap() {
            "BUY" => {
                let price = cents(o["price"].as_str().unwrap()) / 100_000_000;
                assert_eq!(held, remaining * price, "{o}");
                usd += held;
            }
            _ => {
                assert_eq!(held, remaining, "{o}");
                btc += held;
            }
        }
    }
    assert_eq!(cents(&wallet(app, token, "USD").await.1), usd);
    assert_eq!(cents(&wallet(app, token, "BTC").await.1), btc);
}

#[tokio::test]
async fn fifty_clients_trading_at_once_leave_the_books_and_the_ledger_agreeing() {
    let (app, admin) = spawn_with_admin().await;
    let mut tokens = Vec::new();
    for n in 0..50 {
        let email = format!("trader{n}@example.com");
        let (token, _) = customer(&app, &email).await;
        deposit(&app, &admin, &email, "USD", "100000").await;
        deposit(&app, &admin, &email, "BTC", "2").await;
        tokens.push(token);
    }
    let mut clients = tokio::task::JoinSet::new();
    for (n, token) in tokens.iter().enumerate() {
        let (client, base, token) = (app.client.clone(), app.url(""), token.clone());
        clients.spawn(async move {
            let n = n as u32;
            for i in 0..6u32 {
                let side = if (n + i).is_multiple_of(2) { "BUY" } else { "SELL" };
                let price = 59_990 + (n * 7 + i * 3) % 21;
                let quantity = format!("0.{:02}", 1 + (n + i) % 9);
                let response = client
                    .post(format!("{base}/v1/orders"))
                    .bearer_auth(&token)
                    .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                    .json(&limit(side, &price.to_string(), &quantity))
                    .send()
                    .await
                    .expect("sent");
                let (status, order) = envelope(response).await;
                assert_eq!(status, 201, "{order}");
                let order = &order["data"];
                if i % 3 == 2 && order["status"] == "NEW" {
                    let response = client
                        .delete(format!("{base}/v1/orders/{}", order["id"].as_str().unwrap()))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("sent");
                    let (status, body) = envelope(response).await;
                    assert!(status == 200 || status == 409, "{status} {body}");
                }
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.expect("a client panicked");
    }
    for token in &tokens {
        holds_match_open_orders(&app, token).await;
    }
    audit_is_clean(&app, &admin).await;
    let (_, ticker) = envelope(app.get("/v1/markets/BTCUSD/ticker").await).await;
    assert!(ticker["data"]["trades"].as_u64().unwrap() > 0, "{ticker}");
}
