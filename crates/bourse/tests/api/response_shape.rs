//! What every response carries, whatever route produced it.

use crate::helpers::{Storage, envelope, expect_error, spawn_app, spawn_with};
use axum::Router;
use axum::routing::get;

#[tokio::test]
async fn a_request_id_is_generated_or_echoed() {
    let app = spawn_app().await;
    let response = app.get("/v1/assets/BTC").await;
    let generated = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let response = app
        .client
        .get(app.url("/v1/assets/NOPE"))
        .header("x-request-id", "client-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-chosen-42");
    let error = expect_error(response, 404, 3001).await;
    assert_eq!(error["request_id"], "client-chosen-42");

    let response = app
        .client
        .get(app.url("/v1/assets"))
        .header("x-request-id", "<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "<script>alert(1)</script>");
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_envelope() {
    let app = spawn_app().await;
    for path in [
        "/v1/nothing-here",
        "/",
        "/v2/assets",
        "/v1/assets/BTC/extra",
        &format!("/v1/{}", "x".repeat(3000)),
    ] {
        let error = expect_error(app.get(path).await, 404, 3001).await;
        assert_eq!(error["type"], "NOT_FOUND");
    }
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = spawn_app().await;
    let response = app.get("/v1/assets").await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        !headers.contains_key("strict-transport-security"),
        "no HSTS unless configured"
    );
    assert!(
        !headers.contains_key("access-control-allow-origin"),
        "no CORS unless configured"
    );

    let app = spawn_with(Storage::fresh().await, |c| c.platform.server.hsts = true, Router::new()).await;
    let response = app.get("/healthz").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn cors_follows_configuration() {
    let app = spawn_with(
        Storage::fresh().await,
        |c| c.platform.server.cors_allowed_origins = vec!["https://app.example.com".to_owned()],
        Router::new(),
    )
    .await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/assets"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );

    let other = app
        .client
        .get(app.url("/v1/assets"))
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/assets?limit=200"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn a_slow_request_times_out_with_its_code() {
    let slow: Router<api::AppState> = Router::new().route(
        "/v1/test/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "late"
        }),
    );
    let app = spawn_with(
        Storage::fresh().await,
        |c| c.platform.server.request_timeout_secs = 1,
        slow,
    )
    .await;
    let error = expect_error(app.get("/v1/test/slow").await, 408, 5040).await;
    assert_eq!(error["type"], "TIMEOUT");
}

#[tokio::test]
async fn success_envelopes_have_the_documented_shape() {
    let app = spawn_app().await;
    let (status, body) = envelope(app.get("/v1/assets/EUR").await).await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["data", "success", "timestamp", "version"]);
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
}
