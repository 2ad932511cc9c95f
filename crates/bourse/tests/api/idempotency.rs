//! `Idempotency-Key` through test-only routes that "move money" by writing an outbox row, so how often a handler
//! really ran is counted in the database.

use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_with, spawn_with_options};
use api::envelope::ok;
use api::{ApiError, AppState, idempotency};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bourse::BuildOptions;
use chrono::{Duration as TimeSpan, Utc};
use platform::{Clock, ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const MOVES: &str = "/v1/test/moves";
const OTHER_MOVES: &str = "/v1/test/other-moves";
const MOVED: &str = "test.moved";

/// Records one attempt, then answers like a money route: 201 with a fresh id, or 400 when asked to refuse, or
/// 500 on the very first attempt when asked to be flaky.
async fn move_money(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let attempts = match record_attempt(&state).await {
        Ok(attempts) => attempts,
        Err(error) => return error.into_response(),
    };
    // Long enough that concurrent duplicates arrive while the first is still running.
    tokio::time::sleep(Duration::from_millis(150)).await;
    if body["refuse"] == true {
        return ApiError::new(api::ErrorCode::InsufficientFunds, "Refused.").into_response();
    }
    if body["flaky"] == true && attempts == 1 {
        return ApiError::internal(&"flaky on purpose").into_response();
    }
    (
        StatusCode::CREATED,
        ok(json!({ "move_id": uuid::Uuid::new_v4(), "echo": body })),
    )
        .into_response()
}

async fn record_attempt(state: &AppState) -> Result<i64, ApiError> {
    let mut tx = state.db.begin().await?;
    platform::outbox::enqueue(&mut tx, MOVED, &json!({}), state.clock.now()).await?;
    tx.commit().await?;
    Ok(count_in(&state.db).await)
}

async fn count_in(db: &platform::Db) -> i64 {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE subject = $1")
        .bind(MOVED)
        .fetch_one(pool)
        .await)
    .expect("count moves")
}

fn routes() -> Router<AppState> {
    Router::new()
        .route(MOVES, post(move_money).route_layer(from_fn(idempotency::layer)))
        .route(OTHER_MOVES, post(move_money).route_layer(from_fn(idempotency::layer)))
}

async fn spawn() -> TestApp {
    spawn_with(Storage::fresh().await, |_| {}, routes()).await
}

async fn token(app: &TestApp, email: &str) -> String {
    app.signed_up(email).await["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn send(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request sent")
}

/// Status, whether it was a replay, and the body's exact text.
async fn exchange(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> (u16, bool, String) {
    let response = send(app, path, token, key, body).await;
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    (status, replayed, response.text().await.expect("body"))
}

#[tokio::test]
async fn a_retry_gets_the_first_response_byte_for_byte_and_moves_once() {
    let app = spawn().await;
    let token = token(&app, "retry@example.com").await;
    let body = json!({"asset": "USD", "amount": "10.00"});
    let (status, replayed, first) = exchange(&app, MOVES, &token, "key-1", &body).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    for _ in 0..3 {
        let (status, replayed, again) = exchange(&app, MOVES, &token, "key-1", &body).await;
        assert_eq!((status, replayed), (201, true), "{again}");
        assert_eq!(again, first);
    }
    assert_eq!(count_in(&app.db).await, 1);
    let (status, envelope) = envelope(send(&app, MOVES, &token, "key-1", &body).await).await;
    assert_eq!(status, 201);
    assert_eq!(envelope["data"]["echo"], body);
}

#[tokio::test]
async fn the_same_key_with_another_body_or_route_is_a_conflict() {
    let app = spawn().await;
    let token = token(&app, "conflict@example.com").await;
    let (status, _, _) = exchange(&app, MOVES, &token, "k", &json!({"amount": "1"})).await;
    assert_eq!(status, 201);
    let error = expect_error(send(&app, MOVES, &token, "k", &json!({"amount": "2"})).await, 409, 1003).await;
    assert_eq!(error["type"], "IDEMPOTENCY_CONFLICT");
    assert_eq!(error["details"]["field"], "Idempotency-Key", "{error}");
    expect_error(
        send(&app, OTHER_MOVES, &token, "k", &json!({"amount": "1"})).await,
        409,
        1003,
    )
    .await;
    assert_eq!(count_in(&app.db).await, 1);
}

#[tokio::test]
async fn keys_are_scoped_per_user() {
    let app = spawn().await;
    let alice = token(&app, "alice@example.com").await;
    let bob = token(&app, "bob@example.com").await;
    let body = json!({"amount": "5"});
    let (a_status, a_replayed, a_body) = exchange(&app, MOVES, &alice, "shared-key", &body).await;
    let (b_status, b_replayed, b_body) = exchange(&app, MOVES, &bob, "shared-key", &body).await;
    assert_eq!((a_status, a_replayed, b_status, b_replayed), (201, false, 201, false));
    assert_ne!(a_body, b_body);
    // Bob's different body under the same key is his own business, not a conflict with Alice's.
    let (status, _, _) = exchange(&app, MOVES, &bob, "other", &json!({"amount": "6"})).await;
    assert_eq!(status, 201);
    assert_eq!(count_in(&app.db).await, 3);
}

#[tokio::test]
async fn a_missing_or_malformed_key_is_refused_before_anything_moves() {
    let app = spawn().await;
    let token = token(&app, "header@example.com").await;
    let body = json!({"amount": "1"});
    let missing = app.post_authed(MOVES, &token, &body).await;
    let error = expect_error(missing, 400, 1000).await;
    assert_eq!(error["details"]["field"], "Idempotency-Key", "{error}");
    let too_long = "k".repeat(129);
    for bad in [&b""[..], b"has space", b"caf\xc3\xa9", too_long.as_bytes()] {
        let response = app
            .client
            .post(app.url(MOVES))
            .bearer_auth(&token)
            .header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(bad).expect("header value"),
            )
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let error = expect_error(response, 400, 1000).await;
        assert_eq!(error["details"]["field"], "Idempotency-Key", "{bad:?}: {error}");
    }
    let repeated = app
        .client
        .post(app.url(MOVES))
        .bearer_auth(&token)
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&body)
        .send()
        .await
        .expect("request sent");
    expect_error(repeated, 400, 1000).await;
    let (status, _, _) = exchange(&app, MOVES, &token, &"k".repeat(128), &body).await;
    assert_eq!(status, 201, "128 characters are allowed");
    let anonymous = app
        .client
        .post(app.url(MOVES))
        .header("Idempotency-Key", "anon")
        .json(&body)
        .send()
        .await
        .expect("request sent");
    expect_error(anonymous, 401, 2001).await;
    assert_eq!(count_in(&app.db).await, 1);
}

#[tokio::test]
async fn twenty_concurrent_duplicates_move_once_and_all_get_the_same_body() {
    let app = Arc::new(spawn().await);
    let token = token(&app, "burst@example.com").await;
    let body = json!({"asset": "BTC", "amount": "0.5"});
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, token, body) = (app.clone(), token.clone(), body.clone());
            tokio::spawn(async move { exchange(&app, MOVES, &token, "burst-key", &body).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let (_, _, first) = &results[0];
    assert!(
        results.iter().all(|(status, _, text)| *status == 201 && text == first),
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|(_, replayed, _)| !replayed).count(),
        1,
        "{results:?}"
    );
    assert_eq!(count_in(&app.db).await, 1);
}

#[tokio::test]
async fn a_server_error_releases_the_key_and_a_refusal_is_kept() {
    let app = spawn().await;
    let token = token(&app, "flaky@example.com").await;
    let flaky = json!({"flaky": true});
    let (status, _, _) = exchange(&app, MOVES, &token, "flaky", &flaky).await;
    assert_eq!(status, 500);
    let (status, replayed, first) = exchange(&app, MOVES, &token, "flaky", &flaky).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let (status, replayed, again) = exchange(&app, MOVES, &token, "flaky", &flaky).await;
    assert_eq!((status, replayed, again), (201, true, first));
    assert_eq!(count_in(&app.db).await, 2);

    let refuse = json!({"refuse": true});
    let (status, replayed, refused) = exchange(&app, MOVES, &token, "refused", &refuse).await;
    assert_eq!((status, replayed), (400, false), "{refused}");
    let (status, replayed, again) = exchange(&app, MOVES, &token, "refused", &refuse).await;
    assert_eq!((status, replayed, again), (400, true, refused));
    assert_eq!(count_in(&app.db).await, 3);
}

#[tokio::test]
async fn a_key_is_kept_for_24_hours_then_reusable_and_purged() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let options = BuildOptions {
        clock: clock.clone(),
        extra_routes: routes(),
    };
    let app = spawn_with_options(Storage::fresh().await, |_| {}, options).await;
    let body = json!({"amount": "1"});
    let token = token(&app, "expiry@example.com").await;
    let (status, _, first) = exchange(&app, MOVES, &token, "daily", &body).await;
    assert_eq!(status, 201);

    clock.advance(TimeSpan::hours(23));
    let token = app.login("expiry@example.com", crate::helpers::TEST_PASSWORD).await["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let (status, replayed, again) = exchange(&app, MOVES, &token, "daily", &body).await;
    assert_eq!((status, replayed, &again), (201, true, &first));
    // Inside the 24 h another body is still a conflict.
    expect_error(
        send(&app, MOVES, &token, "daily", &json!({"amount": "2"})).await,
        409,
        1003,
    )
    .await;

    clock.advance(TimeSpan::hours(2));
    let token = app.login("expiry@example.com", crate::helpers::TEST_PASSWORD).await["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let (status, replayed, fresh) = exchange(&app, MOVES, &token, "daily", &json!({"amount": "2"})).await;
    assert_eq!((status, replayed), (201, false), "{fresh}");
    assert_ne!(fresh, first);
    assert_eq!(count_in(&app.db).await, 2);

    let (status, _, _) = exchange(&app, MOVES, &token, "old-one", &body).await;
    assert_eq!(status, 201);
    clock.advance(TimeSpan::hours(25));
    let purged = idempotency::purge_expired(&app.db, clock.now()).await.expect("purge");
    assert_eq!(purged, 2, "both keys are past their 24 h");
}

#[tokio::test]
async fn a_client_that_hangs_up_does_not_cut_the_move_short() {
    let app = spawn().await;
    let token = token(&app, "hangup@example.com").await;
    let body = json!({"amount": "3"});
    let gone = app
        .client
        .post(app.url(MOVES))
        .bearer_auth(&token)
        .header("Idempotency-Key", "hang-up")
        .timeout(Duration::from_millis(30))
        .json(&body)
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up before the handler finished");
    let (status, replayed, _) = exchange(&app, MOVES, &token, "hang-up", &body).await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(count_in(&app.db).await, 1);
}

#[tokio::test]
async fn a_request_abandoned_while_its_claim_waits_still_runs_once_and_is_replayed() {
    let app = spawn().await;
    let token = token(&app, "abandon@example.com").await;
    let body = json!({ "amount": "3" });
    // An uncommitted row for the same key makes the claim below wait: on PostgreSQL for that row, on SQLite for
    // the write turn the open transaction holds.
    let user: uuid::Uuid = on_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("abandon@example.com")
        .fetch_one(pool)
        .await)
    .expect("user id");
    let mut blocker = app.db.begin().await.expect("a write transaction");
    let now = Utc::now();
    platform::on_tx!(&mut blocker, conn => sqlx::query(
        "INSERT INTO api_idempotency_keys (user_id, idem_key, request_hash, state, created_at, expires_at) \
         VALUES ($1, 'abandoned', $2, 'in_progress', $3, $4)"
    )
    .bind(user)
    .bind(vec![0_u8; 32])
    .bind(now)
    .bind(now + TimeSpan::hours(1))
    .execute(conn)
    .await
    .map(|_| ()))
    .expect("blocking row");
    let gone = app
        .client
        .post(app.url(MOVES))
        .bearer_auth(&token)
        .header("Idempotency-Key", "abandoned")
        .timeout(Duration::from_millis(300))
        .json(&body)
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up: {gone:?}");
    blocker.rollback().await.expect("rollback");

    // The claim lands after the client left; the handler still runs, once, and its answer is stored.
    let mut waited = 0;
    while count_in(&app.db).await == 0 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    let mut replay = (0, false, String::new());
    for _ in 0..100 {
        replay = exchange(&app, MOVES, &token, "abandoned", &body).await;
        if replay.0 != 409 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!((replay.0, replay.1), (201, true), "{}", replay.2);
    assert_eq!(count_in(&app.db).await, 1);
}
