//! The rates service against a fake CoinGecko (wiremock) and real storage, on a manual clock.

use chrono::{DateTime, Duration, Utc};
use ledger::AssetCatalogue;
use money::AssetCode;
use platform::test_support::MigratedDb;
use platform::{Clock, ManualClock};
use rates::{BreakerState, RateCache, Rates, RatesConfig, RatesError};
use std::collections::BTreeMap;
use std::sync::Arc;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Setup {
    rates: Rates,
    server: MockServer,
    clock: Arc<ManualClock>,
    config: RatesConfig,
    storage: MigratedDb,
}

fn code(text: &str) -> AssetCode {
    AssetCode::parse(text).unwrap()
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// A cache for the tests: the real Redis when `BOURSE_TEST_REDIS_URL` is set, in process otherwise.
fn test_cache() -> RateCache {
    match std::env::var("BOURSE_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let prefix = format!("rates-test:{}", uuid_like());
            RateCache::redis(&url, &prefix, std::time::Duration::from_secs(2)).expect("redis url")
        }
        _ => RateCache::local(),
    }
}

fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn setup(adjust: impl FnOnce(&mut RatesConfig)) -> Setup {
    let server = MockServer::start().await;
    let mut config = RatesConfig {
        coingecko_base_url: server.uri(),
        retries: 0,
        ..RatesConfig::default()
    };
    adjust(&mut config);
    let storage = MigratedDb::fresh().await;
    let clock = Arc::new(ManualClock::new(start()));
    let rates = build(&config, test_cache(), &storage, clock.clone());
    rates
        .check_catalogue(&config)
        .await
        .expect("configuration fits the catalogue");
    Setup {
        rates,
        server,
        clock,
        config,
        storage,
    }
}

fn build(config: &RatesConfig, cache: RateCache, storage: &MigratedDb, clock: Arc<ManualClock>) -> Rates {
    let clock: Arc<dyn Clock> = clock;
    Rates::new(
        config,
        cache,
        AssetCatalogue::new(storage.db.clone()),
        storage.db.clone(),
        clock,
    )
    .unwrap()
}

fn price(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

async fn serve_bitcoin(server: &MockServer, body: &str) {
    Mock::given(method("GET"))
        .and(path("/simple/price"))
        .and(query_param("ids", "bitcoin"))
        .respond_with(price(body))
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn coingecko_prices_are_exact_to_the_last_digit_with_the_change_and_the_key_header() {
    let s = setup(|c| c.coingecko_api_key = Some(platform::Secret::new("CG-test-key".to_owned()))).await;
    serve_bitcoin(
        &s.server,
        r#"{"bitcoin":{"usd":61234.567890123456789,"usd_24h_change":-1.2345678912}}"#,
    )
    .await;
    let quote = s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert_eq!(quote.rate.to_string(), "61234.567890123456789");
    assert_eq!(quote.source, "coingecko");
    assert_eq!(quote.as_of, start());
    assert!(!quote.stale);
    assert_eq!(quote.change_24h.map(|c| c.to_string()).as_deref(), Some("-1.23456789"));
    let sent = &s.server.received_requests().await.unwrap()[0];
    assert_eq!(sent.headers.get("x-cg-demo-api-key").unwrap(), "CG-test-key");
    let query: BTreeMap<_, _> = sent.url.query_pairs().into_owned().collect();
    assert_eq!(query["vs_currencies"], "usd");
    assert_eq!(query["include_24hr_change"], "true");
}

#[tokio::test]
async fn a_cache_hit_avoids_the_upstream_until_the_ttl_passes() {
    let s = setup(|_| {}).await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.5}}"#).await;
    for _ in 0..3 {
        s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    }
    assert_eq!(requests(&s.server).await, 1);
    s.clock.advance(Duration::seconds(59));
    s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert_eq!(requests(&s.server).await, 1);
    s.clock.advance(Duration::seconds(1));
    s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert_eq!(requests(&s.server).await, 2, "fresh for ttl_secs only");
}

#[tokio::test]
async fn a_hundred_concurrent_misses_make_one_upstream_request() {
    let s = setup(|_| {}).await;
    Mock::given(method("GET"))
        .and(path("/simple/price"))
        .respond_with(price(r#"{"bitcoin":{"usd":61234.5}}"#).set_delay(std::time::Duration::from_millis(300)))
        .mount(&s.server)
        .await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let rates = s.rates.clone();
        tasks.push(tokio::spawn(
            async move { rates.quote(&code("BTC"), &code("USD")).await },
        ));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().rate.to_string(), "61234.5");
    }
    assert_eq!(requests(&s.server).await, 1);
}

#[tokio::test]
async fn during_an_outage_a_recent_rate_is_served_stale_then_5030_after_max_stale() {
    let s = setup(|_| {}).await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.5}}"#).await;
    let first = s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    s.server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&s.server)
        .await;
    s.clock.advance(Duration::seconds(61));
    let stale = s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert!(stale.stale);
    assert_eq!(stale.as_of, first.as_of, "the original as_of");
    assert_eq!(stale.rate, first.rate);
    s.clock.advance(Duration::seconds(600 - 61 - 1));
    assert!(s.rates.quote(&code("BTC"), &code("USD")).await.unwrap().stale);
    s.clock.advance(Duration::seconds(1));
    match s.rates.quote(&code("BTC"), &code("USD")).await {
        Err(RatesError::Unavailable { provider, .. }) => assert_eq!(provider, "coingecko"),
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_and_absurd_answers_are_refused_without_poisoning_the_cache() {
    let s = setup(|_| {}).await;
    for body in [
        "{not json",
        r#"{"bitcoin":{"usd":-61234.5}}"#,
        r#"{"bitcoin":{"usd":0}}"#,
        r#"{"bitcoin":{"usd":1e40}}"#,
        r#"{"bitcoin":{"usd":"61234.5"}}"#,
        r#"{"bitcoin":{"eur":61234.5}}"#,
        r#"{"bitcoin":{"usd":null}}"#,
        r#"[]"#,
    ] {
        s.server.reset().await;
        serve_bitcoin(&s.server, body).await;
        let answer = s.rates.quote(&code("BTC"), &code("USD")).await;
        assert!(
            matches!(
                answer,
                Err(RatesError::Unavailable {
                    provider: "coingecko",
                    ..
                })
            ),
            "{body}: {answer:?}"
        );
    }
    // A good value is served once the provider sends one: nothing bad was cached.
    s.server.reset().await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.5}}"#).await;
    let good = s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert_eq!(good.rate.to_string(), "61234.5");
    // And an absurd value after it does not replace it: the good one is served stale.
    s.server.reset().await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":-1}}"#).await;
    s.clock.advance(Duration::seconds(61));
    let after = s.rates.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert_eq!((after.rate.to_string().as_str(), after.stale), ("61234.5", true));
}

#[tokio::test]
async fn inverse_and_cross_rates_round_half_even_and_say_where_they_come_from() {
    let s = setup(|c| {
        c.static_rates = BTreeMap::from([
            (
                "EUR".to_owned(),
                BTreeMap::from([("USD".to_owned(), "1.0842".to_owned())]),
            ),
            (
                "GBP".to_owned(),
                BTreeMap::from([("USD".to_owned(), "1.2671".to_owned())]),
            ),
            (
                "USD".to_owned(),
                BTreeMap::from([("KES".to_owned(), "129.25".to_owned())]),
            ),
        ]);
    })
    .await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.5}}"#).await;
    let direct = s.rates.quote(&code("EUR"), &code("USD")).await.unwrap();
    assert_eq!(
        (direct.rate.to_string().as_str(), direct.source.as_str()),
        ("1.0842", "static")
    );
    assert_eq!(direct.as_of, start());
    // 1 / 1.0842 = 0.92233905183545471315…: 18 places, the 19th digit (3) rounds down.
    let inverse = s.rates.quote(&code("USD"), &code("EUR")).await.unwrap();
    assert_eq!(inverse.rate.to_string(), "0.922339051835454713");
    assert_eq!(inverse.source, "inverse:static");
    // 1.0842 / 1.2671 = 0.85565464446373609024…: rounds to …090, written without the trailing zero.
    let cross = s.rates.quote(&code("EUR"), &code("GBP")).await.unwrap();
    assert_eq!(cross.rate.to_string(), "0.85565464446373609");
    assert_eq!(cross.source, "cross:static+static");
    // BTC/KES: CoinGecko has no KES; BTC in USD from CoinGecko, KES in USD as the inverse of USD/KES.
    // 1/129.25 → 0.007736943907156673 (half-even), then 61234.5 / that → 7914559.125000000116739747.
    let btc_kes = s.rates.quote(&code("BTC"), &code("KES")).await.unwrap();
    assert_eq!(btc_kes.rate.to_string(), "7914559.125000000116739747");
    assert_eq!(btc_kes.source, "cross:coingecko+inverse:static");
    assert_eq!(btc_kes.change_24h, None);
}

#[tokio::test]
async fn conversions_are_exact_and_round_half_even_to_the_target_precision() {
    let s = setup(|c| {
        c.static_rates = BTreeMap::from([("GBP".to_owned(), BTreeMap::from([("USD".to_owned(), "1.5".to_owned())]))]);
    })
    .await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.56789}}"#).await;
    let btc = s.rates.convert(&code("BTC"), &code("USD"), "0.25").await.unwrap();
    // 0.25 × 61234.56789 = 15308.6419725 → 15308.64.
    assert_eq!(
        (btc.amount.to_string().as_str(), btc.result.to_string().as_str()),
        ("0.25000000", "15308.64")
    );
    // Exact halves go to the even cent: 0.015 → 0.02, 0.045 → 0.04.
    let tie_up = s.rates.convert(&code("GBP"), &code("USD"), "0.01").await.unwrap();
    assert_eq!(tie_up.result.to_string(), "0.02");
    let tie_down = s.rates.convert(&code("GBP"), &code("USD"), "0.03").await.unwrap();
    assert_eq!(tie_down.result.to_string(), "0.04");
    match s.rates.convert(&code("USD"), &code("GBP"), "0.001").await {
        Err(RatesError::Invalid { field: "amount", .. }) => {}
        other => panic!("expected an invalid amount, got {other:?}"),
    }
    match s.rates.convert(&code("USD"), &code("GBP"), "1e3").await {
        Err(RatesError::Invalid { field: "amount", .. }) => {}
        other => panic!("expected an invalid amount, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_assets_and_unpriced_pairs_are_bad_input_naming_the_field() {
    let s = setup(|_| {}).await;
    match s.rates.quote(&code("ZZZ"), &code("USD")).await {
        Err(RatesError::Invalid { field: "base", .. }) => {}
        other => panic!("expected an invalid base, got {other:?}"),
    }
    match s.rates.convert(&code("BTC"), &code("ZZZ"), "1").await {
        Err(RatesError::Invalid { field: "to", .. }) => {}
        other => panic!("expected an invalid to, got {other:?}"),
    }
    // No FX source and no static rate: nobody prices Kenyan shillings.
    match s.rates.quote(&code("KES"), &code("EGP")).await {
        Err(RatesError::Unsupported { field: "base", .. }) => {}
        other => panic!("expected an unsupported pair, got {other:?}"),
    }
    match s.rates.live(&code("USD"), &[code("BTC"), code("KES")]).await {
        Err(RatesError::Unsupported { field: "symbols", .. }) => {}
        other => panic!("expected an unsupported symbol, got {other:?}"),
    }
    assert_eq!(
        requests(&s.server).await,
        0,
        "nothing is asked upstream for a pair nobody prices"
    );
}

#[tokio::test]
async fn the_breaker_opens_after_the_threshold_fails_fast_and_half_opens_after_its_timeout() {
    let s = setup(|c| {
        c.breaker_min_requests = 3;
        c.breaker_open_secs = 30;
        c.breaker_half_open_trials = 1;
    })
    .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&s.server)
        .await;
    for _ in 0..3 {
        assert!(s.rates.quote(&code("BTC"), &code("USD")).await.is_err());
    }
    assert_eq!(requests(&s.server).await, 3);
    assert_eq!(s.rates.breaker_states(), vec![("coingecko", BreakerState::Open)]);
    match s.rates.quote(&code("BTC"), &code("USD")).await {
        Err(RatesError::Unavailable {
            provider: "coingecko",
            reason,
        }) => assert!(reason.contains("breaker"), "{reason}"),
        other => panic!("expected a fast failure, got {other:?}"),
    }
    assert_eq!(requests(&s.server).await, 3, "an open breaker calls nobody");
    s.clock.advance(Duration::seconds(30));
    assert_eq!(s.rates.breaker_states(), vec![("coingecko", BreakerState::HalfOpen)]);
    s.server.reset().await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.5}}"#).await;
    assert_eq!(
        s.rates
            .quote(&code("BTC"), &code("USD"))
            .await
            .unwrap()
            .rate
            .to_string(),
        "61234.5"
    );
    assert_eq!(s.rates.breaker_states(), vec![("coingecko", BreakerState::Closed)]);
}

#[tokio::test]
async fn nodes_sharing_the_cache_share_fetched_rates() {
    let s = setup(|_| {}).await;
    serve_bitcoin(&s.server, r#"{"bitcoin":{"usd":61234.5}}"#).await;
    let cache = test_cache();
    let first = build(&s.config, cache.clone(), &s.storage, s.clock.clone());
    let second = build(&s.config, cache, &s.storage, s.clock.clone());
    let a = first.quote(&code("BTC"), &code("USD")).await.unwrap();
    let b = second.quote(&code("BTC"), &code("USD")).await.unwrap();
    assert_eq!((a.rate, a.as_of, a.change_24h), (b.rate, b.as_of, b.change_24h));
    assert_eq!(
        requests(&s.server).await,
        1,
        "the second node read the first one's fetch"
    );
}

#[tokio::test]
async fn an_fx_source_prices_fiat_pairs_with_its_date() {
    let fx = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/latest"))
        .and(query_param("from", "USD"))
        .and(query_param("to", "EUR"))
        .respond_with(price(r#"{"base":"USD","date":"2026-12-01","rates":{"EUR":0.9234}}"#))
        .mount(&fx)
        .await;
    let s = setup(|c| c.fx_base_url = Some(fx.uri())).await;
    let quote = s.rates.quote(&code("USD"), &code("EUR")).await.unwrap();
    assert_eq!(
        (quote.rate.to_string().as_str(), quote.source.as_str()),
        ("0.9234", "fx")
    );
    assert_eq!(
        quote.as_of,
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap()
    );
    // The ECB list has no Kenyan shilling: the FX source is not asked, and nobody else prices it.
    match s.rates.quote(&code("USD"), &code("KES")).await {
        Err(RatesError::Unsupported { field: "quote", .. }) => {}
        other => panic!("expected an unsupported pair, got {other:?}"),
    }
    assert_eq!(fx.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_refresher_records_snapshots_and_history_buckets_the_last_of_each() {
    let s = setup(|c| c.refresh_pairs = vec!["BTC/USD".to_owned()]).await;
    for (minute, value) in [(0, "61000"), (20, "61100"), (59, "61200"), (61, "61300")] {
        s.clock.set(start() + Duration::minutes(minute));
        s.server.reset().await;
        serve_bitcoin(&s.server, &format!(r#"{{"bitcoin":{{"usd":{value}}}}}"#)).await;
        assert_eq!(s.rates.refresh().await, 1);
    }
    let history = s
        .rates
        .history(
            &code("BTC"),
            &code("USD"),
            rates::Interval::Hour,
            Some(start() - Duration::hours(1)),
            Some(start() + Duration::hours(2)),
        )
        .await
        .unwrap();
    let points: Vec<(i64, String)> = history
        .points
        .iter()
        .map(|p| (p.bucket.timestamp(), p.rate.to_string()))
        .collect();
    // 1_800_000_000 is 08:00 UTC: the first three fall in one hour, the fourth in the next.
    assert_eq!(
        points,
        vec![(1_800_000_000, "61200".to_owned()), (1_800_003_600, "61300".to_owned())]
    );
    match s
        .rates
        .history(
            &code("BTC"),
            &code("USD"),
            rates::Interval::FiveMinutes,
            Some(start() - Duration::days(30)),
            Some(start()),
        )
        .await
    {
        Err(RatesError::Invalid { field: "from", .. }) => {}
        other => panic!("expected a range too long, got {other:?}"),
    }
}

#[tokio::test]
async fn a_static_table_that_reaches_a_pair_through_the_pivot_is_preferred_to_a_network_provider() {
    let s = setup(|c| {
        c.static_rates = BTreeMap::from([
            (
                "EUR".to_owned(),
                BTreeMap::from([("USD".to_owned(), "1.25".to_owned())]),
            ),
            (
                "BTC".to_owned(),
                BTreeMap::from([("USD".to_owned(), "60000".to_owned())]),
            ),
        ]);
    })
    .await;
    // CoinGecko prices BTC in EUR directly, but the table answers offline: 60000 / 1.25.
    let quote = s.rates.quote(&code("BTC"), &code("EUR")).await.unwrap();
    assert_eq!(
        (quote.rate.to_string().as_str(), quote.source.as_str()),
        ("48000", "cross:static+static")
    );
    let conversion = s.rates.convert(&code("EUR"), &code("BTC"), "12").await.unwrap();
    // 12 EUR × (1 / 48000 → 0.000020833333333333 half-even) = 0.000249999999999996 → 0.00025000 BTC.
    assert_eq!(conversion.quote.rate.to_string(), "0.000020833333333333");
    assert_eq!(conversion.result.to_string(), "0.00025000");
    assert_eq!(requests(&s.server).await, 0);
}
