//! Access tokens are checked against an in-memory view of live sessions: a revocation still takes effect at
//! once on the node that made it, and on another node sharing the database within the view's poll bound.

use crate::helpers::{Storage, TEST_PASSWORD, TestApp, envelope, expect_error, spawn_with};
use axum::Router;
use bourse::Settings;
use platform::Secret;
use serde_json::json;
use std::time::{Duration, Instant};

/// Both nodes sign and seal with the same keys, as nodes of one deployment do.
fn shared_keys(config: &mut Settings) {
    config.platform.secrets.jwt_secret = Some(Secret::new("5a".repeat(32)));
    config.platform.secrets.data_encryption_key = Some(Secret::new("c3".repeat(32)));
}

/// Several answered requests, so the session is held in memory before it is revoked.
async fn warm(app: &TestApp, token: &str) {
    for _ in 0..3 {
        let (status, _) = envelope(app.get_authed("/v1/users/me", token).await).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn a_session_held_in_memory_stops_working_at_once_when_revoked() {
    let app = spawn_with(Storage::fresh().await, |_| {}, Router::new()).await;
    let laptop = app.signed_up("ines@example.com").await;
    let phone = app.login("ines@example.com", TEST_PASSWORD).await;
    let tablet = app.login("ines@example.com", TEST_PASSWORD).await;
    let token = |login: &serde_json::Value| login["access_token"].as_str().expect("token").to_owned();
    for login in [&laptop, &phone, &tablet] {
        warm(&app, &token(login)).await;
    }

    let (status, _) = envelope(app.post_authed("/v1/auth/logout", &token(&phone), &json!({})).await).await;
    assert_eq!(status, 200);
    expect_error(app.get_authed("/v1/users/me", &token(&phone)).await, 401, 2001).await;

    let response = app
        .client
        .delete(app.url("/v1/auth/sessions"))
        .bearer_auth(token(&laptop))
        .send()
        .await
        .expect("request sent");
    assert_eq!(envelope(response).await.0, 200);
    expect_error(app.get_authed("/v1/users/me", &token(&tablet)).await, 401, 2001).await;
    warm(&app, &token(&laptop)).await;
}

#[tokio::test]
async fn a_session_revoked_on_one_node_is_refused_on_another_within_the_bound() {
    let storage = Storage::fresh().await;
    // Two nodes share a database only on PostgreSQL.
    let Some(url) = storage.postgres_url().map(str::to_owned) else {
        return;
    };
    let a = spawn_with(storage, shared_keys, Router::new()).await;
    let b = spawn_with(
        Storage::local().await,
        |config| {
            shared_keys(config);
            config.platform.storage.database_url = Some(Secret::new(url));
        },
        Router::new(),
    )
    .await;
    let login = a.signed_up("jon@example.com").await;
    let token = login["access_token"].as_str().expect("token");
    warm(&a, token).await;
    warm(&b, token).await;

    let (status, _) = envelope(a.post_authed("/v1/auth/logout", token, &json!({})).await).await;
    assert_eq!(status, 200);
    expect_error(a.get_authed("/v1/users/me", token).await, 401, 2001).await;
    let revoked = Instant::now();
    // The bound is one poll interval; the slack covers a poll's own time on a busy machine.
    let bound = identity::SESSION_POLL_INTERVAL + Duration::from_secs(2);
    loop {
        let status = b.get_authed("/v1/users/me", token).await.status().as_u16();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            revoked.elapsed() < bound,
            "node B still accepts the token after {:?}",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    expect_error(b.get_authed("/v1/users/me", token).await, 401, 2001).await;
}
