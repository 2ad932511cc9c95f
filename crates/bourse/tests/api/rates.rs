//! `/v1/rates/*` over HTTP against a fake CoinGecko, and the refresher's snapshots and `rate.updated` events.

use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_with, spawn_with_options};
use axum::Router;
use bourse::{BuildOptions, Settings};
use chrono::{DateTime, Duration, Utc};
use platform::ManualClock;
use std::collections::BTreeMap;
use std::sync::Arc;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BTC_USD: &str = r#"{"bitcoin":{"usd":61234.567890123456789,"usd_24h_change":-1.5}}"#;

fn offline_table(settings: &mut Settings) {
    settings.rates.static_rates = BTreeMap::from([(
        "EUR".to_owned(),
        BTreeMap::from([("USD".to_owned(), "1.0842".to_owned())]),
    )]);
}

async fn fake_coingecko(body: &str) -> MockServer {
    let server = MockServer::start().await;
    serve(&server, body).await;
    server
}

async fn serve(server: &MockServer, body: &str) {
    Mock::given(method("GET"))
        .and(path("/simple/price"))
        .and(query_param("ids", "bitcoin"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json"))
        .mount(server)
        .await;
}

async fn spawn_against(server: &MockServer) -> TestApp {
    let url = server.uri();
    spawn_with(
        Storage::fresh().await,
        |s| {
            s.rates.coingecko_base_url = url;
            offline_table(s);
        },
        Router::new(),
    )
    .await
}

#[tokio::test]
async fn live_prices_are_exact_decimal_strings_with_source_as_of_and_staleness() {
    let server = fake_coingecko(BTC_USD).await;
    let app = spawn_against(&server).await;
    let (status, body) = envelope(app.get("/v1/rates/live?base=USD&symbols=BTC,EUR,USD").await).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["base"], "USD");
    let btc = &data["prices"][0];
    assert_eq!(btc["symbol"], "BTC");
    assert_eq!(btc["price"], "61234.567890123456789");
    assert_eq!(btc["source"], "coingecko");
    assert_eq!(btc["stale"], false);
    assert_eq!(btc["change_24h"], "-1.5");
    assert!(btc["as_of"].is_string());
    let eur = &data["prices"][1];
    assert_eq!(
        (eur["symbol"].as_str(), eur["price"].as_str(), eur["source"].as_str()),
        (Some("EUR"), Some("1.0842"), Some("static"))
    );
    assert_eq!(data["prices"][2]["price"], "1");
    // The second request is served from the cache.
    let (status, _) = envelope(app.get("/v1/rates/live?base=USD&symbols=BTC").await).await;
    assert_eq!(status, 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn convert_is_exact_and_rounds_half_even_to_the_target_precision() {
    let server = fake_coingecko(BTC_USD).await;
    let app = spawn_against(&server).await;
    let (status, body) = envelope(app.get("/v1/rates/convert?from=BTC&to=USD&amount=0.25").await).await;
    assert_eq!(status, 200, "{body}");
    // 0.25 × 61234.567890123456789 = 15308.64197253086419725 → 15308.64.
    let data = &body["data"];
    assert_eq!(data["amount"], "0.25000000");
    assert_eq!(data["result"], "15308.64");
    assert_eq!(data["rate"], "61234.567890123456789");
    assert_eq!(data["rounding"], "half_even");
    assert_eq!(data["source"], "coingecko");
    // 1 USD = 1 / 1.0842 EUR, inverted half-even to 18 places; 1000 USD → 922.339… → 922.34.
    let (status, body) = envelope(app.get("/v1/rates/convert?from=USD&to=EUR&amount=1000").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["rate"], "0.922339051835454713");
    assert_eq!(body["data"]["result"], "922.34");
    assert_eq!(body["data"]["source"], "inverse:static");
}

#[tokio::test]
async fn bad_input_on_every_rates_route_is_400_naming_the_field() {
    let server = fake_coingecko(BTC_USD).await;
    let app = spawn_against(&server).await;
    for (route, field) in [
        ("/v1/rates/live?base=ZZZ&symbols=BTC", "base"),
        ("/v1/rates/live?base=USD&symbols=BTC,ZZZ", "symbols"),
        ("/v1/rates/live?base=USD&symbols=btc", "symbols"),
        ("/v1/rates/live?base=USD&symbols=BTC,BTC", "symbols"),
        ("/v1/rates/live?base=USD&symbols=KES", "symbols"),
        ("/v1/rates/live?base=USD", "symbols"),
        ("/v1/rates/convert?from=ZZZ&to=USD&amount=1", "from"),
        ("/v1/rates/convert?from=BTC&to=ZZZ&amount=1", "to"),
        ("/v1/rates/convert?from=USD&to=EUR&amount=0.001", "amount"),
        ("/v1/rates/convert?from=USD&to=EUR&amount=-1", "amount"),
        ("/v1/rates/convert?from=USD&to=EUR&amount=1e3", "amount"),
        ("/v1/rates/history?base=BTC&quote=USD&interval=2h", "interval"),
        ("/v1/rates/history?base=BTC&quote=ZZZ&interval=1h", "quote"),
        (
            "/v1/rates/history?base=BTC&quote=USD&interval=1h&from=yesterday",
            "from",
        ),
        (
            "/v1/rates/history?base=BTC&quote=USD&interval=1h&from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            "from",
        ),
        (
            "/v1/rates/history?base=BTC&quote=USD&interval=5m&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z",
            "from",
        ),
    ] {
        let error = expect_error(app.get(route).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{route}: {error}");
    }
}

#[tokio::test]
async fn an_unreachable_provider_is_5030_naming_it_quickly() {
    // The suites' default: CoinGecko at a closed local port.
    let app = spawn_with(Storage::fresh().await, |_| {}, Router::new()).await;
    let started = std::time::Instant::now();
    let error = expect_error(app.get("/v1/rates/live?base=USD&symbols=BTC").await, 503, 5030).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(error["message"].as_str().unwrap().contains("coingecko"), "{error}");
    assert_eq!(error["details"]["provider"], "coingecko");
}

#[tokio::test]
async fn an_outage_serves_stale_rates_then_5030_after_max_stale() {
    let server = fake_coingecko(BTC_USD).await;
    let clock = Arc::new(ManualClock::new(
        "2026-12-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap(),
    ));
    let url = server.uri();
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let app = spawn_with_options(Storage::fresh().await, |s| s.rates.coingecko_base_url = url, options).await;
    let (_, fresh) = envelope(app.get("/v1/rates/live?base=USD&symbols=BTC").await).await;
    let as_of = fresh["data"]["prices"][0]["as_of"].clone();
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    clock.advance(Duration::seconds(300));
    let (status, stale) = envelope(app.get("/v1/rates/live?base=USD&symbols=BTC").await).await;
    assert_eq!(status, 200, "{stale}");
    let price = &stale["data"]["prices"][0];
    assert_eq!((price["stale"].clone(), price["as_of"].clone()), (true.into(), as_of));
    assert_eq!(price["price"], "61234.567890123456789");
    clock.advance(Duration::seconds(300));
    let error = expect_error(app.get("/v1/rates/live?base=USD&symbols=BTC").await, 503, 5030).await;
    assert!(error["message"].as_str().unwrap().contains("coingecko"), "{error}");
}

#[tokio::test]
async fn the_refresher_records_snapshots_publishes_rate_updated_and_feeds_history() {
    let app = spawn_with(
        Storage::fresh().await,
        |s| {
            offline_table(s);
            s.rates.refresh_pairs = vec!["EUR/USD".to_owned()];
            s.rates.refresh_interval_secs = 1;
        },
        Router::new(),
    )
    .await;
    let mut events = app.bus.subscribe(">");
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let event = events.recv().await.expect("the bus is open");
            if event.subject == rates::RATE_UPDATED {
                return event.payload.clone();
            }
        }
    })
    .await
    .expect("rate.updated within 10 s");
    assert_eq!(event["pair"], "EUR/USD");
    assert_eq!(event["rate"], "1.0842");
    assert_eq!(event["source"], "static");
    assert!(event["previous"].is_null());
    let (status, body) = envelope(app.get("/v1/rates/history?base=EUR&quote=USD&interval=5m").await).await;
    assert_eq!(status, 200, "{body}");
    let points = body["data"]["points"].as_array().unwrap();
    assert!(!points.is_empty(), "{body}");
    assert_eq!(points[0]["rate"], "1.0842");
    assert_eq!(points[0]["source"], "static");
}

#[tokio::test]
async fn breaker_states_show_in_readiness_and_metrics_and_the_routes_in_the_openapi_document() {
    let app = spawn_with(Storage::fresh().await, |_| {}, Router::new()).await;
    let (status, body) = envelope(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["rate_providers"]["coingecko"], "closed");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("rates_breaker_state"), "{metrics}");
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    for route in ["/v1/rates/live", "/v1/rates/convert", "/v1/rates/history"] {
        let responses = &doc["paths"][route]["get"]["responses"];
        for status in ["200", "400", "429", "503"] {
            assert!(responses[status].is_object(), "{route} documents {status}");
        }
    }
    assert!(doc["components"]["schemas"]["LiveRates"].is_object());
}
