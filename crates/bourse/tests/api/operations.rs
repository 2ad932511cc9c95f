//! Liveness, readiness, metrics and the API documentation.

use crate::helpers::{Storage, envelope, expect_error, spawn_app, spawn_with};
use axum::Router;
use platform::Secret;

#[tokio::test]
async fn healthz_answers() {
    let app = spawn_app().await;
    let (status, body) = envelope(app.get("/healthz").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["status"], "ok");
}

#[tokio::test]
async fn readyz_checks_the_configured_dependencies() {
    let app = spawn_app().await;
    let (status, body) = envelope(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["checks"]["database"], "ok");
    assert_eq!(
        body["data"]["database"],
        serde_json::json!({"reachable": true, "writable": true})
    );
    // The suites run against real Redis and NATS when they are configured; then readiness reports them.
    for (variable, name) in [("BOURSE_TEST_REDIS_URL", "redis"), ("BOURSE_TEST_NATS_URL", "nats")] {
        if std::env::var(variable).is_ok_and(|v| !v.is_empty()) {
            assert_eq!(body["data"]["checks"][name], "ok", "{body}");
        }
    }
}

#[tokio::test]
async fn readyz_reports_an_unreachable_dependency() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_with(
        Storage::fresh().await,
        |c| c.platform.storage.redis_url = Some(Secret::new(format!("redis://127.0.0.1:{port}"))),
        Router::new(),
    )
    .await;
    let error = expect_error(app.get("/readyz").await, 503, 5030).await;
    assert_eq!(error["details"]["unavailable"], serde_json::json!(["redis"]));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    // No `metrics_token` configured: `/metrics` is open.
    let app = spawn_app().await;
    app.get("/v1/assets/BTC").await;
    app.get("/v1/assets/NOPE").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/v1/assets/{code}\""), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("db_pool_connections"), "{text}");
    assert!(!text.contains("route=\"/v1/assets/BTC\""), "raw paths are not labels");
}

#[tokio::test]
async fn metrics_need_the_token_once_one_is_configured() {
    let token = "scrape-0123456789abcdef0123456789abcdef";
    let app = spawn_with(
        Storage::fresh().await,
        |c| c.platform.server.metrics_token = Some(Secret::new(token.to_owned())),
        Router::new(),
    )
    .await;
    let error = expect_error(app.get("/metrics").await, 401, 2001).await;
    assert_eq!(error["type"], "UNAUTHENTICATED");
    let wrong = app.get_authed("/metrics", &format!("{token}x")).await;
    expect_error(wrong, 401, 2001).await;
    let response = app.get_authed("/metrics", token).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("http_requests_total"));
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/v1/assets", "/v1/assets/{code}", "/healthz", "/readyz", "/metrics"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
    assert!(
        doc["paths"]["/metrics"]["get"]["responses"]["401"].is_object(),
        "the metrics token is documented"
    );
    for schema in ["AssetView", "ErrorEnvelope", "ErrorBody"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} documented");
    }
    let description = doc["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("| 1001 | INSUFFICIENT_FUNDS | 400 |"),
        "error table documented"
    );
}

#[tokio::test]
async fn every_reference_in_the_openapi_document_resolves() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut references = Vec::new();
    collect_references(&doc, &mut references);
    assert!(!references.is_empty());
    let broken: Vec<&String> = references
        .iter()
        .filter(|r| r.strip_prefix('#').and_then(|pointer| doc.pointer(pointer)).is_none())
        .collect();
    assert!(broken.is_empty(), "unresolved: {broken:?}");
}

fn collect_references(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(reference)) = map.get("$ref") {
                into.push(reference.clone());
            }
            map.values().for_each(|v| collect_references(v, into));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_references(v, into)),
        _ => {}
    }
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let response = app.get("/api/").await;
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "nothing loaded from elsewhere: {html}");
    assert!(csp.contains("script-src 'self'"), "{csp}");

    let redirect = app.get("/api").await;
    assert_eq!(redirect.status(), 200, "/api leads to the UI");

    let initializer = app.get("/api/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    assert!(initializer.text().await.unwrap().contains("/api/openapi.json"));
    let bundle = app.get("/api/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
}

#[tokio::test]
async fn every_operation_declares_the_timeout_and_every_v1_operation_storage_unavailable() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            assert!(responses["408"].is_object(), "{method} {path} declares 408");
            if path.starts_with("/v1/") {
                assert!(responses["503"].is_object(), "{method} {path} declares 503");
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} operations");
    let readiness = doc["paths"]["/readyz"]["get"]["responses"]["503"]["description"]
        .as_str()
        .unwrap();
    assert!(
        readiness.contains("details.unavailable"),
        "a route's own 503 is kept: {readiness}"
    );
}
