//! API keys over HTTP: creation (secret shown once), signed requests, the timestamp window, signature, scope,
//! IP allow-list and expiry checks, revocation, and that a key cannot manage credentials.

use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_app, spawn_with, spawn_with_options};
use crate::signing::{ApiCredentials, create_api_key, now_ms, sign_request, signature};
use api::auth::{AuthUser, SessionUser};
use axum::routing::get;
use axum::{Json, Router};
use bourse::BuildOptions;
use chrono::{DateTime, Duration, Utc};
use identity::AuthMethod;
use platform::{ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

/// Signs and sends a GET of `path` at `timestamp_ms`.
async fn signed_get(app: &TestApp, key: &ApiCredentials, path: &str, timestamp_ms: i64) -> reqwest::Response {
    sign_request(app.client.get(app.url(path)), key, timestamp_ms)
        .send()
        .await
        .expect("request sent")
}

async fn signed_up_token(app: &TestApp, email: &str) -> String {
    app.signed_up(email).await["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn audit_actions(app: &TestApp, target: &str) -> Vec<String> {
    on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE target = $1 ORDER BY id"
    ).bind(target).fetch_all(pool).await)
    .expect("audit rows")
}

/// A route that reports how its caller authenticated, and one that needs a session.
fn probe_routes() -> Router<api::AppState> {
    async fn whoami(AuthUser(who): AuthUser) -> Json<Value> {
        let via = match who.via {
            AuthMethod::Session => json!("session"),
            AuthMethod::ApiKey(key) => json!({ "api_key": key }),
        };
        Json(json!({ "user_id": who.user_id, "via": via }))
    }
    async fn session_only(SessionUser(who): SessionUser) -> Json<Value> {
        Json(json!({ "user_id": who.user_id }))
    }
    Router::new()
        .route("/test/whoami", get(whoami))
        .route("/test/session-only", get(session_only))
}

fn fixed_clock_app_options(start: DateTime<Utc>) -> (Arc<ManualClock>, BuildOptions) {
    let clock = Arc::new(ManualClock::new(start));
    let options = BuildOptions {
        clock: clock.clone(),
        extra_routes: probe_routes(),
    };
    (clock, options)
}

#[tokio::test]
async fn a_key_is_created_used_listed_and_revoked() {
    let app = spawn_with(Storage::fresh().await, |_| {}, probe_routes()).await;
    let token = signed_up_token(&app, "bot-owner@example.com").await;
    let me = envelope(app.get_authed("/v1/users/me", &token).await).await.1["data"].clone();
    let (key, created) = create_api_key(
        &app,
        &token,
        json!({"label": " trading bot ", "scopes": ["read", "trade", "read"], "ip_allowlist": ["127.0.0.1"]}),
    )
    .await;
    assert_eq!(key.secret.len(), 64, "{created}");
    assert!(key.secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(created["key"]["id"], key.key_id.as_str());
    assert_eq!(created["key"]["label"], "trading bot");
    assert_eq!(created["key"]["scopes"], json!(["read", "trade"]));
    assert_eq!(created["key"]["ip_allowlist"], json!(["127.0.0.1/32"]));
    assert_eq!(created["key"]["last_used_at"], Value::Null);

    // Used: the key acts as its owner, and the route sees how the caller authenticated.
    let (status, body) = envelope(signed_get(&app, &key, "/v1/users/me", now_ms()).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["id"], me["id"]);
    let (status, body) = envelope_or_json(signed_get(&app, &key, "/test/whoami", now_ms()).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["via"]["api_key"], key.key_id.as_str());
    let (status, body) = envelope(signed_get(&app, &key, "/v1/assets?limit=2", now_ms()).await).await;
    assert_eq!(status, 200, "query strings are signed too: {body}");

    // Listed, without the secret, with its last use recorded.
    let response = app.get_authed("/v1/api-keys", &token).await;
    let text = response.text().await.expect("body");
    assert!(!text.contains(&key.secret), "the secret is shown only once");
    let listed: Value = serde_json::from_str(&text).expect("JSON");
    let items = listed["data"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], key.key_id.as_str());
    assert!(items[0].get("secret").is_none());
    assert!(items[0]["last_used_at"].is_string(), "{listed}");
    assert_eq!(items[0]["revoked_at"], Value::Null);
    assert_eq!(items[0]["active"], true);

    // At rest the secret is sealed, not stored as given.
    let sealed: Vec<u8> = on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT secret_sealed FROM api_keys"
    ).fetch_one(pool).await)
    .expect("sealed secret");
    assert!(
        !sealed
            .windows(16)
            .any(|w| key.secret.as_bytes().windows(16).any(|s| s == w))
    );

    // Revoked: refused at once; revoking again is a 404.
    let path = format!("/v1/api-keys/{}", key.key_id);
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    let (status, body) = envelope(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["revoked"], true);
    expect_error(signed_get(&app, &key, "/v1/users/me", now_ms()).await, 401, 2001).await;
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    expect_error(response, 404, 3001).await;
    let listed = envelope(app.get_authed("/v1/api-keys", &token).await).await.1;
    assert!(listed["data"]["items"][0]["revoked_at"].is_string(), "{listed}");
    assert_eq!(listed["data"]["items"][0]["active"], false);

    assert_eq!(
        audit_actions(&app, &key.key_id).await,
        ["auth.api_key_create", "auth.api_key_revoke"]
    );
}

/// The probe routes answer plain JSON, not the envelope.
async fn envelope_or_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn another_users_key_cannot_be_revoked_and_keys_are_listed_per_user() {
    let app = spawn_app().await;
    let alice = signed_up_token(&app, "alice-keys@example.com").await;
    let bob = signed_up_token(&app, "bob-keys@example.com").await;
    let (key, _) = create_api_key(&app, &alice, json!({"label": "a", "scopes": ["read"]})).await;
    let path = format!("/v1/api-keys/{}", key.key_id);
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("sent");
    expect_error(response, 404, 3001).await;
    let listed = envelope(app.get_authed("/v1/api-keys", &bob).await).await.1;
    assert_eq!(listed["data"]["items"], json!([]));
    let response = signed_get(&app, &key, "/v1/users/me", now_ms()).await;
    assert_eq!(
        response.status(),
        200,
        "the key survives another user's attempt to revoke it"
    );
}

#[tokio::test]
async fn the_timestamp_must_be_within_the_window() {
    let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("valid time");
    let (clock, options) = fixed_clock_app_options(start);
    let app = spawn_with_options(Storage::fresh().await, |_| {}, options).await;
    let token = signed_up_token(&app, "window@example.com").await;
    let (key, _) = create_api_key(&app, &token, json!({"label": "w", "scopes": ["read"]})).await;
    let now = start.timestamp_millis();
    for (skew, status) in [
        (0, 200),
        (-5_000, 200),
        (5_000, 200),
        (-5_001, 401),
        (5_001, 401),
        (-3_600_000, 401),
    ] {
        let response = signed_get(&app, &key, "/v1/users/me", now + skew).await;
        assert_eq!(response.status(), status, "skew {skew} ms");
    }
    // The server's clock moves on: a request signed at the old time is now stale.
    clock.advance(Duration::seconds(6));
    expect_error(signed_get(&app, &key, "/v1/users/me", now).await, 401, 2001).await;
    let response = signed_get(&app, &key, "/v1/users/me", now + 6_000).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_window_is_configurable() {
    let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("valid time");
    let (_clock, options) = fixed_clock_app_options(start);
    let app = spawn_with_options(Storage::fresh().await, |c| c.identity.api_key_window_secs = 30, options).await;
    let token = signed_up_token(&app, "wide-window@example.com").await;
    let (key, _) = create_api_key(&app, &token, json!({"label": "w", "scopes": ["read"]})).await;
    let now = start.timestamp_millis();
    assert_eq!(signed_get(&app, &key, "/v1/users/me", now - 29_000).await.status(), 200);
    assert_eq!(signed_get(&app, &key, "/v1/users/me", now + 31_000).await.status(), 401);
}

#[tokio::test]
async fn a_bad_signature_or_a_tampered_request_is_refused() {
    let app = spawn_app().await;
    let token = signed_up_token(&app, "tamper@example.com").await;
    let (key, _) = create_api_key(&app, &token, json!({"label": "t", "scopes": ["read", "trade"]})).await;
    let url = app.url("/v1/users/me");
    let body = json!({"full_name": "Mallory"}).to_string();
    let patch = || app.client.patch(&url).header("content-type", "application/json");

    // A correct signature passes authentication; the route itself is closed to keys (403, not 401).
    let response = sign_request(patch().body(body.clone()), &key, now_ms())
        .send()
        .await
        .expect("sent");
    expect_error(response, 403, 2004).await;

    // The same headers with another body: the signature no longer matches.
    let signed = sign_request(patch().body(body.clone()), &key, now_ms())
        .build()
        .expect("request");
    let mut tampered = patch().body(json!({"full_name": "Eve"}).to_string());
    for name in ["x-api-key", "x-api-timestamp", "x-api-signature"] {
        tampered = tampered.header(name, signed.headers()[name].clone());
    }
    expect_error(tampered.send().await.expect("sent"), 401, 2001).await;

    // A signature for one path used on another, or with a changed query string.
    let ts = now_ms();
    let for_me = signature(&key.secret, &ts.to_string(), "GET", "/v1/users/me", "", b"");
    let send = |path: &str, sig: String, ts: String| {
        app.client
            .get(app.url(path))
            .header("x-api-key", &key.key_id)
            .header("x-api-timestamp", ts)
            .header("x-api-signature", sig)
            .send()
    };
    let ok = send("/v1/users/me", for_me.clone(), ts.to_string())
        .await
        .expect("sent");
    assert_eq!(ok.status(), 200);
    expect_error(
        send("/v1/users/me?x=1", for_me.clone(), ts.to_string())
            .await
            .expect("sent"),
        401,
        2001,
    )
    .await;
    expect_error(
        send("/v1/assets", for_me.clone(), ts.to_string()).await.expect("sent"),
        401,
        2001,
    )
    .await;
    // Another timestamp than the one signed.
    expect_error(
        send("/v1/users/me", for_me.clone(), (ts + 1).to_string())
            .await
            .expect("sent"),
        401,
        2001,
    )
    .await;
    // Another secret, a truncated signature, something that is not hex.
    let wrong_secret = signature("0".repeat(64).as_str(), &ts.to_string(), "GET", "/v1/users/me", "", b"");
    for bad in [wrong_secret, for_me[..63].to_owned(), "zz".repeat(32), String::new()] {
        expect_error(
            send("/v1/users/me", bad, ts.to_string()).await.expect("sent"),
            401,
            2001,
        )
        .await;
    }
    // Malformed or unknown key ids and timestamps.
    for (key_id, ts) in [
        ("not-a-uuid".to_owned(), ts.to_string()),
        (uuid::Uuid::now_v7().to_string(), ts.to_string()),
        (key.key_id.clone(), format!("{ts}.0")),
        (key.key_id.clone(), "-1".to_owned()),
    ] {
        let response = app
            .client
            .get(app.url("/v1/users/me"))
            .header("x-api-key", key_id)
            .header("x-api-timestamp", &ts)
            .header(
                "x-api-signature",
                signature(&key.secret, &ts, "GET", "/v1/users/me", "", b""),
            )
            .send()
            .await
            .expect("sent");
        expect_error(response, 401, 2001).await;
    }
    // A key without its other two headers.
    let response = app
        .client
        .get(app.url("/v1/users/me"))
        .header("x-api-key", &key.key_id)
        .send()
        .await;
    expect_error(response.expect("sent"), 401, 2001).await;
}

#[tokio::test]
async fn the_key_must_hold_the_routes_scope() {
    let app = spawn_app().await;
    let token = signed_up_token(&app, "scopes@example.com").await;
    let (trade_only, _) = create_api_key(&app, &token, json!({"label": "t", "scopes": ["trade", "withdraw"]})).await;
    let error = expect_error(signed_get(&app, &trade_only, "/v1/users/me", now_ms()).await, 403, 2004).await;
    assert_eq!(error["details"]["required_scope"], "read", "{error}");
    let (reader, _) = create_api_key(&app, &token, json!({"label": "r", "scopes": ["read"]})).await;
    assert_eq!(signed_get(&app, &reader, "/v1/users/me", now_ms()).await.status(), 200);
}

#[tokio::test]
async fn the_source_address_must_be_in_the_allow_list() {
    let app = spawn_app().await;
    let token = signed_up_token(&app, "ips@example.com").await;
    let (elsewhere, _) = create_api_key(
        &app,
        &token,
        json!({"label": "office", "scopes": ["read"], "ip_allowlist": ["10.0.0.0/8", "2001:db8::/32"]}),
    )
    .await;
    expect_error(signed_get(&app, &elsewhere, "/v1/users/me", now_ms()).await, 403, 2004).await;
    let (here, _) = create_api_key(
        &app,
        &token,
        json!({"label": "local", "scopes": ["read"], "ip_allowlist": ["10.0.0.0/8", "127.0.0.1/32"]}),
    )
    .await;
    assert_eq!(signed_get(&app, &here, "/v1/users/me", now_ms()).await.status(), 200);
}

#[tokio::test]
async fn an_expired_key_stops_working() {
    let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("valid time");
    let (clock, options) = fixed_clock_app_options(start);
    let app = spawn_with_options(Storage::fresh().await, |_| {}, options).await;
    let token = signed_up_token(&app, "expiry@example.com").await;
    let expires_at = (start + Duration::seconds(60)).to_rfc3339();
    let (key, created) = create_api_key(
        &app,
        &token,
        json!({"label": "e", "scopes": ["read"], "expires_at": expires_at}),
    )
    .await;
    assert_eq!(created["key"]["expires_at"], "2027-01-15T08:01:00Z");
    let now = || clock_ms(&clock);
    assert_eq!(signed_get(&app, &key, "/v1/users/me", now()).await.status(), 200);
    clock.advance(Duration::seconds(60));
    expect_error(signed_get(&app, &key, "/v1/users/me", now()).await, 401, 2001).await;
    let listed = envelope(app.get_authed("/v1/api-keys", &token).await).await.1;
    assert_eq!(listed["data"]["items"][0]["active"], false, "{listed}");
}

fn clock_ms(clock: &ManualClock) -> i64 {
    platform::Clock::now(clock).timestamp_millis()
}

#[tokio::test]
async fn a_suspended_owners_keys_stop_working() {
    let app = spawn_app().await;
    let token = signed_up_token(&app, "suspended-bot@example.com").await;
    let (key, _) = create_api_key(&app, &token, json!({"label": "s", "scopes": ["read"]})).await;
    assert_eq!(signed_get(&app, &key, "/v1/users/me", now_ms()).await.status(), 200);
    on_db!(&app.db, pool => sqlx::query("UPDATE users SET status = 'SUSPENDED' WHERE email = $1")
        .bind("suspended-bot@example.com").execute(pool).await.map(|_| ()))
    .expect("suspended");
    expect_error(signed_get(&app, &key, "/v1/users/me", now_ms()).await, 401, 2001).await;
}

#[tokio::test]
async fn a_key_cannot_manage_credentials() {
    let app = spawn_with(Storage::fresh().await, |_| {}, probe_routes()).await;
    let token = signed_up_token(&app, "no-escalation@example.com").await;
    let (key, _) = create_api_key(
        &app,
        &token,
        json!({"label": "all", "scopes": ["read", "trade", "withdraw"]}),
    )
    .await;
    let json_body = json!({"label": "more", "scopes": ["withdraw"]}).to_string();
    let key_path = format!("/v1/api-keys/{}", key.key_id);
    let password = json!({"current_password": crate::helpers::TEST_PASSWORD, "new_password": "another-long-pass-42"});
    let attempts = [
        app.client.get(app.url("/v1/api-keys")),
        app.client
            .post(app.url("/v1/api-keys"))
            .header("content-type", "application/json")
            .body(json_body),
        app.client.delete(app.url(&key_path)),
        app.client.post(app.url("/v1/users/me/password")).json(&password),
        app.client.post(app.url("/v1/auth/2fa/setup")),
        app.client.get(app.url("/v1/auth/sessions")),
        app.client.post(app.url("/v1/auth/logout")),
        // A route open to `read` keys whose handler takes `SessionUser`: refused by the extractor itself.
        app.client.get(app.url("/test/session-only")),
    ];
    for attempt in attempts {
        let request = sign_request(attempt, &key, now_ms());
        let described = format!(
            "{:?}",
            request
                .try_clone()
                .and_then(|r| r.build().ok())
                .map(|r| r.url().clone())
        );
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), 403, "{described}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], 2004, "{described}: {body}");
    }
    let keys: i64 =
        on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
            .fetch_one(pool).await)
        .expect("count");
    assert_eq!(keys, 1, "nothing was created or revoked");
    // Both a bearer token and a key: ambiguous, refused.
    let both = sign_request(
        app.client.get(app.url("/v1/users/me")).bearer_auth(&token),
        &key,
        now_ms(),
    );
    expect_error(both.send().await.expect("sent"), 401, 2001).await;
    // The session itself still manages keys, and the session-only probe answers it.
    assert_eq!(app.get_authed("/v1/api-keys", &token).await.status(), 200);
    assert_eq!(app.get_authed("/test/session-only", &token).await.status(), 200);
}

#[tokio::test]
async fn bad_inputs_name_the_field() {
    let app = spawn_app().await;
    let token = signed_up_token(&app, "inputs@example.com").await;
    let past = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let many: Vec<String> = (0..33).map(|i| format!("10.0.{i}.0/24")).collect();
    let cases = [
        (json!({"scopes": ["read"]}), "label"),
        (json!({"label": "", "scopes": ["read"]}), "label"),
        (json!({"label": "x".repeat(65), "scopes": ["read"]}), "label"),
        (json!({"label": "a\u{0007}b", "scopes": ["read"]}), "label"),
        (json!({"label": 5, "scopes": ["read"]}), "label"),
        (json!({"label": "k"}), "scopes"),
        (json!({"label": "k", "scopes": []}), "scopes"),
        (json!({"label": "k", "scopes": ["admin"]}), "scopes"),
        (json!({"label": "k", "scopes": ["READ"]}), "scopes"),
        (json!({"label": "k", "scopes": "read"}), "scopes"),
        (
            json!({"label": "k", "scopes": ["read"], "ip_allowlist": ["10.0.0.0/33"]}),
            "ip_allowlist",
        ),
        (
            json!({"label": "k", "scopes": ["read"], "ip_allowlist": ["10.0.0.1/8"]}),
            "ip_allowlist",
        ),
        (
            json!({"label": "k", "scopes": ["read"], "ip_allowlist": ["example.com"]}),
            "ip_allowlist",
        ),
        (
            json!({"label": "k", "scopes": ["read"], "ip_allowlist": "10.0.0.0/8"}),
            "ip_allowlist",
        ),
        (
            json!({"label": "k", "scopes": ["read"], "ip_allowlist": many}),
            "ip_allowlist",
        ),
        (
            json!({"label": "k", "scopes": ["read"], "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"label": "k", "scopes": ["read"], "expires_at": past}),
            "expires_at",
        ),
        (json!({"label": "k", "scopes": ["read"], "secret": "mine"}), "secret"),
    ];
    for (body, field) in cases {
        let error = expect_error(app.post_authed("/v1/api-keys", &token, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{body}: {error}");
    }
    for (query, field) in [("limit=0", "limit"), ("limit=201", "limit"), ("cursor=nope", "cursor")] {
        let response = app.get_authed(&format!("/v1/api-keys?{query}"), &token).await;
        let error = expect_error(response, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{query}: {error}");
    }
    let response = app
        .client
        .delete(app.url("/v1/api-keys/nope"))
        .bearer_auth(&token)
        .send()
        .await;
    let error = expect_error(response.expect("sent"), 400, 1000).await;
    assert_eq!(error["details"]["field"], "id");
    let count: i64 = on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
        .fetch_one(pool).await)
    .expect("count");
    assert_eq!(count, 0, "nothing half-written");
    // Without a session at all.
    let body = json!({"label": "k", "scopes": ["read"]});
    expect_error(app.post_json("/v1/api-keys", &body).await, 401, 2001).await;
}

#[tokio::test]
async fn a_user_holds_at_most_twenty_live_keys_and_lists_them_in_pages() {
    let app = spawn_with(
        Storage::fresh().await,
        |c| c.platform.rate_limits.enabled = false,
        Router::new(),
    )
    .await;
    let token = signed_up_token(&app, "many-keys@example.com").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let (key, _) = create_api_key(&app, &token, json!({"label": format!("k{i}"), "scopes": ["read"]})).await;
        ids.push(key.key_id);
    }
    let over = json!({"label": "one too many", "scopes": ["read"]});
    expect_error(app.post_authed("/v1/api-keys", &token, &over).await, 409, 3002).await;
    let path = format!("/v1/api-keys/{}", ids[0]);
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    create_api_key(&app, &token, over).await;

    // 21 keys (one revoked), newest first, in pages of 8.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/api-keys?limit=8&cursor={c}"),
            None => "/v1/api-keys?limit=8".to_owned(),
        };
        let page = envelope(app.get_authed(&path, &token).await).await.1;
        for item in page["data"]["items"].as_array().expect("items") {
            seen.push(item["label"].as_str().expect("label").to_owned());
        }
        match page["data"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 21);
    assert_eq!(seen[0], "one too many");
    assert_eq!(seen[20], "k0");
}

/// The README's worked example, computed by the independent helper: if either changes, this fails.
#[test]
fn the_readme_example_is_true() {
    let readme = include_str!("../../../../README.md");
    let secret = "3f1c8e2a9b7d4f60a5e1c3b2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2";
    let body = r#"{"to":"bob@example.com","asset":"USD","amount":"25.00"}"#;
    let (timestamp, path, key) = ("1767225600000", "/v1/wallets/transfers", "pay-bob-2026-01-01");
    let expected = "3d0cd2729c694270f12533225950df9f38b909bc9973702f3dd1ceaab8f5ba13";
    let computed = signature(secret, timestamp, "POST", path, key, body.as_bytes());
    assert_eq!(computed, expected);
    for part in [secret, body, expected, timestamp, path, key] {
        assert!(readme.contains(part), "README.md shows {part}");
    }
    let parts = identity::SignedParts {
        timestamp,
        method: "POST",
        path_and_query: path,
        idempotency_key: key,
        body: body.as_bytes(),
    };
    assert_eq!(identity::sign_api_request(secret, &parts), expected);
}
