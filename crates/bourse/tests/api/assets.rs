use crate::helpers::{envelope, expect_error, spawn_app};

#[tokio::test]
async fn lists_the_seeded_catalogue_with_precisions() {
    let app = spawn_app().await;
    let (status, body) = envelope(app.get("/v1/assets?limit=200").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    let items = body["data"]["items"].as_array().unwrap();
    let precision = |code: &str| {
        items
            .iter()
            .find(|a| a["code"] == code)
            .unwrap_or_else(|| panic!("{code} listed"))["precision"]
            .as_u64()
            .unwrap()
    };
    for (code, p) in [
        ("USD", 2),
        ("EUR", 2),
        ("GBP", 2),
        ("JPY", 0),
        ("INR", 2),
        ("CNY", 2),
        ("CHF", 2),
        ("CAD", 2),
        ("AUD", 2),
        ("SGD", 2),
        ("AED", 2),
        ("NGN", 2),
        ("PHP", 2),
        ("MXN", 2),
        ("BRL", 2),
        ("KWD", 3),
        ("BTC", 8),
        ("ETH", 18),
        ("USDT", 6),
        ("USDC", 6),
        ("SOL", 9),
        ("XRP", 6),
        ("BNB", 18),
        ("ADA", 6),
        ("DOGE", 8),
        ("LTC", 8),
    ] {
        assert_eq!(precision(code), p, "{code}");
    }
    assert!(body["data"]["next_cursor"].is_null());
    let codes: Vec<&str> = items.iter().map(|a| a["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "listed in code order");
}

#[tokio::test]
async fn one_asset_by_code() {
    let app = spawn_app().await;
    let (status, body) = envelope(app.get("/v1/assets/BTC").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        serde_json::json!({"code": "BTC", "name": "Bitcoin", "kind": "crypto", "precision": 8, "enabled": true})
    );
    let (_, body) = envelope(app.get("/v1/assets/JPY").await).await;
    assert_eq!(body["data"]["kind"], "fiat");
    assert_eq!(body["data"]["precision"], 0);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let (_, all) = envelope(app.get("/v1/assets?limit=200").await).await;
    let all: Vec<String> = all["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/assets?limit=7&cursor={c}"),
            None => "/v1/assets?limit=7".to_owned(),
        };
        let (status, body) = envelope(app.get(&path).await).await;
        assert_eq!(status, 200);
        let items = body["data"]["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|a| a["code"].as_str().unwrap().to_owned()));
        match body["data"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn filters_by_kind() {
    let app = spawn_app().await;
    let (_, body) = envelope(app.get("/v1/assets?kind=crypto&limit=200").await).await;
    let items = body["data"]["items"].as_array().unwrap();
    assert!(items.len() >= 10);
    assert!(items.iter().all(|a| a["kind"] == "crypto"));
    let (_, body) = envelope(app.get("/v1/assets?kind=fiat&enabled=true&limit=200").await).await;
    assert!(
        body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] == "fiat")
    );
}

#[tokio::test]
async fn an_unknown_code_is_not_found() {
    let app = spawn_app().await;
    let error = expect_error(app.get("/v1/assets/ZZZ").await, 404, 3001).await;
    assert_eq!(error["type"], "NOT_FOUND");
}

#[tokio::test]
async fn a_malformed_code_is_a_validation_error_naming_the_field() {
    let app = spawn_app().await;
    let long = "A".repeat(11);
    let absurd = "B".repeat(5000);
    for code in [
        "btc",
        "BT1",
        "B",
        long.as_str(),
        "B%20C",
        "%FF%FE",
        "DROP%20TABLE%20assets",
        absurd.as_str(),
    ] {
        let error = expect_error(app.get(&format!("/v1/assets/{code}")).await, 400, 1000).await;
        assert!(
            error["details"]["field"] == "code" || error["details"]["field"] == "path",
            "{code}: {error}"
        );
    }
}

#[tokio::test]
async fn bad_query_parameters_are_named() {
    let app = spawn_app().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("kind=stock", "kind"),
        ("enabled=maybe", "enabled"),
        ("cursor=not-a-cursor", "cursor"),
        ("colour=red", "colour"),
    ] {
        let error = expect_error(app.get(&format!("/v1/assets?{query}")).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{query}: {error}");
    }
}
