//! Rate limits over HTTP: the limit headers, the 429 answer, tiers, the login limits, refill, the fallback when
//! Redis is down, and one limit shared by two servers through Redis.

use crate::helpers::{Storage, TEST_PASSWORD, TestApp, envelope, expect_error, spawn_with_options};
use bourse::BuildOptions;
use bourse::Settings;
use chrono::{Duration, Utc};
use platform::{ManualClock, Secret, on_db};
use reqwest::Response;
use serde_json::json;
use std::sync::Arc;

/// Every limit generous except those `tight` sets, on a clock the test moves.
async fn spawn_limited(tight: impl FnOnce(&mut Settings)) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let app = spawn_with_options(Storage::fresh().await, tight, options).await;
    (app, clock)
}

fn header(response: &Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

/// `(X-RateLimit-Limit, X-RateLimit-Remaining)`.
fn limit_headers(response: &Response) -> (Option<u64>, Option<u64>) {
    (
        header(response, "x-ratelimit-limit"),
        header(response, "x-ratelimit-remaining"),
    )
}

/// Checks a 429 in full: envelope with code 4290, `Retry-After`, and the limit headers; answers `Retry-After`.
async fn expect_limited(response: Response, limit: u64) -> u64 {
    assert_eq!(limit_headers(&response), (Some(limit), Some(0)));
    let retry_after = header(&response, "retry-after").expect("a 429 carries Retry-After");
    assert!(retry_after >= 1);
    let error = expect_error(response, 429, 4290).await;
    assert_eq!(error["type"], "RATE_LIMITED");
    retry_after
}

async fn set_tier(app: &TestApp, email: &str, tier: &str) {
    let updated = on_db!(&app.db, pool => sqlx::query("UPDATE users SET tier = $1 WHERE email = $2")
        .bind(tier)
        .bind(email)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(updated, 1);
}

#[tokio::test]
async fn limited_routes_send_the_headers_and_operational_routes_are_never_limited() {
    let (app, _) = spawn_limited(|c| c.platform.rate_limits.public = 3).await;
    let response = app.get("/v1/assets").await;
    assert_eq!(response.status(), 200);
    assert_eq!(limit_headers(&response), (Some(3), Some(2)));
    let unknown = app.get("/v1/no-such-route").await;
    assert_eq!(
        limit_headers(&unknown),
        (Some(3), Some(1)),
        "unknown routes are public traffic too"
    );
    for _ in 0..5 {
        for path in ["/healthz", "/metrics", "/api/openapi.json"] {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            assert_eq!(limit_headers(&response), (None, None), "{path}");
        }
    }
    let response = app.get("/readyz").await;
    assert_eq!(limit_headers(&response), (None, None));
}

#[tokio::test]
async fn the_request_over_the_limit_gets_429_with_retry_after_in_the_envelope() {
    let (app, _) = spawn_limited(|c| c.platform.rate_limits.public = 3).await;
    for remaining in [2, 1, 0] {
        let response = app.get("/v1/assets").await;
        assert_eq!(response.status(), 200);
        assert_eq!(limit_headers(&response), (Some(3), Some(remaining)));
    }
    let response = app.get("/v1/assets/BTC").await;
    // Three per minute: the next token is 20 s away.
    assert_eq!(expect_limited(response, 3).await, 20);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn forwarded_for_does_not_buy_a_new_bucket_without_a_trusted_proxy() {
    let (app, _) = spawn_limited(|c| c.platform.rate_limits.public = 2).await;
    for i in 0..2 {
        let response = app
            .client
            .get(app.url("/v1/assets"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let spoofed = app
        .client
        .get(app.url("/v1/assets"))
        .header("x-forwarded-for", "198.51.100.99")
        .send()
        .await
        .unwrap();
    expect_limited(spoofed, 2).await;
}

#[tokio::test]
async fn basic_and_pro_users_get_their_tier_limits() {
    let (app, _) = spawn_limited(|c| {
        c.platform.rate_limits.basic = 3;
        c.platform.rate_limits.pro = 5;
    })
    .await;
    let basic = app.signed_up("basic@example.com").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.signed_up("pro@example.com").await;
    set_tier(&app, "pro@example.com", "PRO").await;
    // The tier travels in the access token: a login after the upgrade carries it.
    let pro = app.login("pro@example.com", TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    for (token, limit) in [(&basic, 3), (&pro, 5)] {
        for remaining in (0..limit).rev() {
            let response = app.get_authed("/v1/users/me", token).await;
            assert_eq!(response.status(), 200);
            assert_eq!(limit_headers(&response), (Some(limit), Some(remaining)));
        }
        expect_limited(app.get_authed("/v1/users/me", token).await, limit).await;
    }
    // Per user, not per IP: both users come from 127.0.0.1, and public traffic has its own bucket.
    assert_eq!(app.get("/v1/assets").await.status(), 200);
    let (status, me) = envelope(app.get_authed("/v1/users/me", &pro).await).await;
    assert_eq!((status, me["error"]["code"].as_u64()), (429, Some(4290)));
}

#[tokio::test]
async fn login_allows_five_a_minute_per_ip() {
    let (app, _) = spawn_limited(|c| c.platform.rate_limits.login = 5).await;
    for user in ["a", "b", "c"] {
        let body = json!({"email": format!("{user}@example.com"), "password": TEST_PASSWORD, "full_name": "U"});
        assert_eq!(app.post_json("/v1/auth/register", &body).await.status(), 201);
    }
    // Five logins from one IP spread over three accounts, so no single email reaches its own limit.
    for (i, user) in ["a", "a", "b", "b", "c"].into_iter().enumerate() {
        let body = json!({"email": format!("{user}@example.com"), "password": TEST_PASSWORD});
        let response = app.post_json("/v1/auth/login", &body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(limit_headers(&response), (Some(5), Some(4 - i as u64)));
    }
    let body = json!({"email": "c@example.com", "password": TEST_PASSWORD});
    assert_eq!(
        expect_limited(app.post_json("/v1/auth/login", &body).await, 5).await,
        12
    );
    // Wrong passwords are refused by the limiter before a hash is computed, with the same answer.
    let wrong = json!({"email": "c@example.com", "password": "not-the-password-1"});
    expect_limited(app.post_json("/v1/auth/login", &wrong).await, 5).await;
}

#[tokio::test]
async fn login_allows_five_a_minute_per_email_whatever_the_ip() {
    let (app, _) = spawn_limited(|c| {
        c.platform.rate_limits.login = 5;
        // The test client is the trusted proxy, so each request can come from its own client address.
        c.platform.rate_limits.trusted_proxies = vec!["127.0.0.1".to_owned()];
    })
    .await;
    for user in ["target", "other"] {
        let body = json!({"email": format!("{user}@example.com"), "password": TEST_PASSWORD, "full_name": "U"});
        assert_eq!(app.post_json("/v1/auth/register", &body).await.status(), 201);
    }
    let login = |email: &str, ip: usize| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", format!("203.0.113.{ip}"))
            .json(&json!({"email": email, "password": TEST_PASSWORD}))
            .send()
    };
    for ip in 0..5 {
        assert_eq!(login("target@example.com", ip).await.unwrap().status(), 200);
    }
    // A fresh IP, but the same account (spelled differently: the email is normalised first).
    let response = login("  TARGET@example.com", 9).await.unwrap();
    assert_eq!(expect_limited(response, 5).await, 12);
    assert_eq!(login("other@example.com", 9).await.unwrap().status(), 200);
}

#[tokio::test]
async fn buckets_refill_as_the_clock_moves() {
    let (app, clock) = spawn_limited(|c| c.platform.rate_limits.public = 2).await;
    assert_eq!(app.get("/v1/assets").await.status(), 200);
    assert_eq!(app.get("/v1/assets").await.status(), 200);
    assert_eq!(expect_limited(app.get("/v1/assets").await, 2).await, 30);
    clock.advance(Duration::seconds(29));
    assert_eq!(expect_limited(app.get("/v1/assets").await, 2).await, 1);
    clock.advance(Duration::seconds(1));
    let refilled = app.get("/v1/assets").await;
    assert_eq!(refilled.status(), 200);
    assert_eq!(limit_headers(&refilled), (Some(2), Some(0)));
    // Idle for a whole window: full again, and no fuller.
    clock.advance(Duration::seconds(600));
    assert_eq!(limit_headers(&app.get("/v1/assets").await), (Some(2), Some(1)));
}

#[tokio::test]
async fn the_global_limit_caps_all_traffic() {
    let (app, _) = spawn_limited(|c| c.platform.rate_limits.global = 4).await;
    for _ in 0..4 {
        assert_eq!(app.get("/v1/assets").await.status(), 200);
    }
    expect_limited(app.get("/v1/assets").await, 4).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_to_per_process_limits() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (app, _) = spawn_limited(|c| {
        c.platform.storage.redis_url = Some(Secret::new(format!("redis://127.0.0.1:{port}")));
        c.platform.rate_limits.public = 2;
    })
    .await;
    assert_eq!(app.get("/v1/assets").await.status(), 200);
    assert_eq!(app.get("/v1/assets").await.status(), 200);
    expect_limited(app.get("/v1/assets").await, 2).await;
}

#[tokio::test]
async fn the_redis_shared_limit_holds_across_two_instances() {
    const LIMIT: u32 = 4;
    let redis_url = std::env::var("BOURSE_TEST_REDIS_URL").ok().filter(|u| !u.is_empty());
    let prefix = format!("bourse-test-shared:{}", uuid::Uuid::new_v4());
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let spawn = || {
        let (prefix, clock) = (prefix.clone(), clock.clone());
        async move {
            let options = BuildOptions {
                clock,
                ..BuildOptions::default()
            };
            spawn_with_options(
                Storage::fresh().await,
                move |c| {
                    c.platform.rate_limits.public = LIMIT;
                    c.platform.rate_limits.redis_prefix = prefix;
                },
                options,
            )
            .await
        }
    };
    let first = spawn().await;
    let Some(redis_url) = redis_url else {
        eprintln!("BOURSE_TEST_REDIS_URL is not set: checking one instance on in-process buckets only");
        let admitted = admitted_of(&[&first], 10).await;
        assert_eq!(admitted, LIMIT);
        return;
    };
    let second = spawn().await;
    // Alternating between the two servers: together they admit the limit, not twice the limit.
    assert_eq!(admitted_of(&[&first, &second], 12).await, LIMIT);
    expect_limited(second.get("/v1/assets").await, u64::from(LIMIT)).await;

    // The bucket lives in Redis under the prefix, and expires on its own.
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{prefix}:ip:public:127.0.0.1"))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 61_000, "{ttl}");

    // Refill seen by both: a quarter of the window brings back one token, for whichever server asks first.
    clock.advance(Duration::seconds(15));
    assert_eq!(admitted_of(&[&second, &first], 4).await, 1);
}

/// Sends `count` public requests round-robin over `apps`, answering how many were admitted; every refusal must
/// be a proper 429.
async fn admitted_of(apps: &[&TestApp], count: usize) -> u32 {
    let mut admitted = 0;
    for i in 0..count {
        let response = apps[i % apps.len()].get("/v1/assets").await;
        if response.status() == 200 {
            admitted += 1;
        } else {
            expect_limited(response, 4).await;
        }
    }
    admitted
}
