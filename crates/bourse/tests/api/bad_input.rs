//! The shared extractors and layers against bad input, through a small route that takes a money-shaped body.

use crate::helpers::{Storage, envelope, expect_error, raw_exchange, spawn_with};
use api::extract::ApiJson;
use api::{AppState, envelope::ok};
use axum::Router;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payment {
    asset: money::AssetCode,
    amount: money::DecimalString,
    memo: Option<String>,
    legs: Option<Vec<u32>>,
}

async fn echo(ApiJson(payment): ApiJson<Payment>) -> axum::Json<api::envelope::Envelope<serde_json::Value>> {
    ok(json!({
        "asset": payment.asset.to_string(),
        "amount": payment.amount.as_str(),
        "memo": payment.memo,
        "legs": payment.legs,
    }))
}

async fn spawn_echo(adjust: impl FnOnce(&mut bourse::Settings)) -> crate::helpers::TestApp {
    let routes: Router<AppState> = Router::new().route("/v1/test/payments", post(echo));
    spawn_with(Storage::fresh().await, adjust, routes).await
}

const PATH: &str = "/v1/test/payments";

#[tokio::test]
async fn a_good_body_passes() {
    let app = spawn_echo(|_| {}).await;
    let (status, body) = envelope(app.post_json(PATH, &json!({"asset": "BTC", "amount": "0.5"})).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["amount"], "0.5");
}

#[tokio::test]
async fn field_errors_name_the_field() {
    let app = spawn_echo(|_| {}).await;
    let cases = [
        (json!({"asset": "BTC"}), "body"),
        (json!({"asset": "btc", "amount": "1"}), "asset"),
        (json!({"asset": 5, "amount": "1"}), "asset"),
        (json!({"asset": "BTC", "amount": 1.5}), "amount"),
        (json!({"asset": "BTC", "amount": "1e5"}), "amount"),
        (json!({"asset": "BTC", "amount": "-1"}), "amount"),
        (json!({"asset": "BTC", "amount": "1", "memo": 7}), "memo"),
        (json!({"asset": "BTC", "amount": "1", "legs": [1, "x"]}), "legs[1]"),
        (json!({"asset": "BTC", "amount": "1", "legs": [1, -1]}), "legs[1]"),
        (json!({"asset": "BTC", "amount": "1", "admin": true}), "admin"),
        (json!({"asset": "BTC", "amount": "1'; DROP TABLE assets; --"}), "amount"),
    ];
    for (body, field) in cases {
        let error = expect_error(app.post_json(PATH, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{body}: {error}");
    }
}

#[tokio::test]
async fn malformed_bodies_are_validation_errors() {
    let app = spawn_echo(|_| {}).await;
    let json = Some("application/json");
    for raw in [
        &b"{\"asset\": \"BTC\", "[..],
        b"[{\"asset\": \"BTC\", \"amount\": \"1\"}]",
        b"\"just a string\"",
        b"",
        b"{\"asset\": \"BTC\", \"amount\": \"1\"} {}",
        b"{\"asset\": \"BTC\", \"amount\": \"\xff\xfe\"}",
        b"\xef\xbb\xbf{}",
    ] {
        let error = expect_error(app.post_raw(PATH, json, raw.to_vec()).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], "body", "{error}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_unsupported_media_type() {
    let app = spawn_echo(|_| {}).await;
    let body = br#"{"asset": "BTC", "amount": "1"}"#.to_vec();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("json"),
    ] {
        let error = expect_error(app.post_raw(PATH, content_type, body.clone()).await, 415, 1007).await;
        assert_eq!(error["type"], "UNSUPPORTED_MEDIA_TYPE");
    }
    let (status, _) = envelope(app.post_raw(PATH, Some("application/json; charset=utf-8"), body).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = spawn_echo(|config| config.platform.server.body_limit_bytes = 4096).await;
    let memo = "x".repeat(5000);
    let body = serde_json::to_vec(&json!({"asset": "BTC", "amount": "1", "memo": memo})).unwrap();
    expect_error(
        app.post_raw(PATH, Some("application/json"), body.clone()).await,
        413,
        1006,
    )
    .await;

    // Without a Content-Length the limit still holds while the body streams in.
    let mut request = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    )
    .into_bytes();
    for chunk in body.chunks(1000) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = raw_exchange(app.addr, &request).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"code\":1006"), "{text}");
}

#[tokio::test]
async fn an_unsupported_method_is_405_in_the_envelope() {
    let app = spawn_echo(|_| {}).await;
    let response = app.client.delete(app.url("/v1/assets")).send().await.unwrap();
    assert!(response.headers().contains_key("allow"));
    let error = expect_error(response, 405, 3003).await;
    assert_eq!(error["type"], "METHOD_NOT_ALLOWED");
    let response = app.client.get(app.url(PATH)).send().await.unwrap();
    expect_error(response, 405, 3003).await;
}
