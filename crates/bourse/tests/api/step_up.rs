//! What a stolen session alone cannot do once the owner has 2FA on: send money to another user or make an API
//! key without a current code; what signing out everywhere, or a password change, takes with it; and text that
//! hides what it says.

use crate::helpers::{TEST_PASSWORD, envelope, expect_error, spawn_app};
use crate::signing::{create_api_key, now_ms, sign_request};
use crate::two_factor::{code, enable_two_factor};
use crate::wallets::{customer, deposit, spawn_with_admin_and_clock, transfer};
use chrono::Duration;
use serde_json::json;

#[tokio::test]
async fn a_transfer_needs_a_current_code_when_two_factor_is_on() {
    let (app, clock, admin) = spawn_with_admin_and_clock().await;
    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    customer(&app, "bob@example.com").await;
    deposit(&app, &admin, &alice_id, "USD", "100.00").await;
    let (secret, _) = enable_two_factor(&app, &clock, &alice).await;
    clock.advance(Duration::seconds(30));

    let mut body = json!({"to": "bob@example.com", "asset": "USD", "amount": "100.00"});
    expect_error(transfer(&app, &alice, &body).await, 401, 2003).await;
    body["code"] = json!("000000");
    let error = expect_error(transfer(&app, &alice, &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "code");
    // A bad field is reported before the code is looked at, so the code is not spent on it.
    let current = code(&secret, &clock);
    let mut bad = body.clone();
    bad["amount"] = json!("1.001");
    bad["code"] = json!(current);
    let error = expect_error(transfer(&app, &alice, &bad).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "amount");
    body["code"] = json!(current);
    let (status, sent) = envelope(transfer(&app, &alice, &body).await).await;
    assert_eq!(status, 201, "{sent}");
    // The same code cannot confirm a second transfer.
    let error = expect_error(transfer(&app, &alice, &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "code");
    let (_, wallets) = envelope(app.get_authed("/v1/wallets", &alice).await).await;
    assert_eq!(wallets["data"]["items"][0]["available"], "0.00", "{wallets}");
}

#[tokio::test]
async fn creating_an_api_key_needs_a_code_when_two_factor_is_on() {
    let (app, clock, _admin) = spawn_with_admin_and_clock().await;
    let (alice, _) = customer(&app, "alice@example.com").await;
    let (secret, _) = enable_two_factor(&app, &clock, &alice).await;
    clock.advance(Duration::seconds(30));

    let mut body = json!({"label": "bot", "scopes": ["read"]});
    expect_error(app.post_authed("/v1/api-keys", &alice, &body).await, 401, 2003).await;
    body["code"] = json!("000000");
    let error = expect_error(app.post_authed("/v1/api-keys", &alice, &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "code");
    body["code"] = json!(code(&secret, &clock));
    let (status, created) = envelope(app.post_authed("/v1/api-keys", &alice, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let (_, keys) = envelope(app.get_authed("/v1/api-keys", &alice).await).await;
    assert_eq!(keys["data"]["items"].as_array().map(Vec::len), Some(1), "{keys}");
}

async fn key_works(app: &crate::helpers::TestApp, key: &crate::signing::ApiCredentials) -> bool {
    let response = sign_request(app.client.get(app.url("/v1/users/me")), key, now_ms())
        .send()
        .await
        .expect("sent");
    response.status() == 200
}

#[tokio::test]
async fn a_password_change_revokes_api_keys_unless_asked_to_keep_them() {
    let app = spawn_app().await;
    let token = app.signed_up("alice@example.com").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (kept, _) = create_api_key(&app, &token, json!({"label": "kept", "scopes": ["read"]})).await;
    let body = json!({"current_password": TEST_PASSWORD, "new_password": "second-plum-rain-92", "keep_api_keys": true});
    let (status, changed) = envelope(app.post_authed("/v1/users/me/password", &token, &body).await).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["data"]["api_keys_revoked"], 0);
    assert!(key_works(&app, &kept).await);

    let body = json!({"current_password": "second-plum-rain-92", "new_password": "third-plum-rain-93"});
    let (status, changed) = envelope(app.post_authed("/v1/users/me/password", &token, &body).await).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["data"]["api_keys_revoked"], 1);
    assert!(!key_works(&app, &kept).await);
}

#[tokio::test]
async fn signing_out_everywhere_revokes_the_other_sessions_and_the_keys() {
    let app = spawn_app().await;
    let first = app.signed_up("alice@example.com").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let second = app.login("alice@example.com", TEST_PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (key, _) = create_api_key(&app, &first, json!({"label": "bot", "scopes": ["read"]})).await;

    let kept = app
        .client
        .delete(app.url("/v1/auth/sessions?keep_api_keys=true"))
        .bearer_auth(&second)
        .send()
        .await
        .expect("sent");
    let (status, revoked) = envelope(kept).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["data"], json!({"sessions_revoked": 1, "api_keys_revoked": 0}));
    assert!(key_works(&app, &key).await);
    expect_error(app.get_authed("/v1/users/me", &first).await, 401, 2001).await;

    let all = app
        .client
        .delete(app.url("/v1/auth/sessions"))
        .bearer_auth(&second)
        .send()
        .await
        .expect("sent");
    let (status, revoked) = envelope(all).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["data"], json!({"sessions_revoked": 0, "api_keys_revoked": 1}));
    assert!(!key_works(&app, &key).await);
    // The caller's own session goes on.
    let (status, _) = envelope(app.get_authed("/v1/users/me", &second).await).await;
    assert_eq!(status, 200);
}

/// Text that shows as something it is not: a name with a hidden joiner, a memo reversed by an override.
#[tokio::test]
async fn names_labels_and_memos_refuse_bidi_overrides_and_zero_width_characters() {
    let (app, _clock, admin) = spawn_with_admin_and_clock().await;
    let body = json!({"email": "eve@example.com", "password": TEST_PASSWORD, "full_name": "Ali\u{200D}ce"});
    let error = expect_error(app.post_json("/v1/auth/register", &body).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "full_name", "{error}");

    let (alice, alice_id) = customer(&app, "alice@example.com").await;
    customer(&app, "bob@example.com").await;
    deposit(&app, &admin, &alice_id, "USD", "10.00").await;
    let memo = json!({"to": "bob@example.com", "asset": "USD", "amount": "1.00", "memo": "refund \u{202E}gnp.exe"});
    let error = expect_error(transfer(&app, &alice, &memo).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "memo", "{error}");

    let label = json!({"label": "bot\u{2066}", "scopes": ["read"]});
    let error = expect_error(app.post_authed("/v1/api-keys", &alice, &label).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "label", "{error}");
    let (_, wallets) = envelope(app.get_authed("/v1/wallets", &alice).await).await;
    assert_eq!(wallets["data"]["items"][0]["available"], "10.00", "{wallets}");
}
