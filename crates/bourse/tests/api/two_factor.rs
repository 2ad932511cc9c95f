//! TOTP two-factor authentication over HTTP: enrolment, the second login step, replay refusal, recovery codes.

use crate::helpers::{Storage, TEST_PASSWORD, TestApp, envelope, expect_error, spawn_with_options};
use bourse::BuildOptions;
use chrono::{DateTime, Duration, Utc};
use platform::{Clock, ManualClock};
use serde_json::{Value, json};
use std::sync::Arc;

/// A server on a clock the test moves, so TOTP codes are known in advance.
pub async fn spawn_on_manual_clock() -> (TestApp, Arc<ManualClock>) {
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().expect("literal time");
    let clock = Arc::new(ManualClock::new(start));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    (spawn_with_options(Storage::fresh().await, |_| {}, options).await, clock)
}

pub fn code(secret: &str, clock: &ManualClock) -> String {
    identity::totp_code(secret, clock.now().timestamp()).expect("base32 secret")
}

/// Turns 2FA on for the holder of `token`; the secret and the recovery codes.
pub async fn enable_two_factor(app: &TestApp, clock: &ManualClock, token: &str) -> (String, Vec<String>) {
    let (status, setup) = envelope(app.post_authed("/v1/auth/2fa/setup", token, &json!({})).await).await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["data"]["secret"].as_str().expect("secret").to_owned();
    let body = json!({"code": code(&secret, clock)});
    let (status, enabled) = envelope(app.post_authed("/v1/auth/2fa/enable", token, &body).await).await;
    assert_eq!(status, 200, "{enabled}");
    let codes = enabled["data"]["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    (secret, codes)
}

/// The first login step for a user with 2FA: the challenge.
pub async fn challenge(app: &TestApp, email: &str, password: &str) -> String {
    let body = json!({"email": email, "password": password});
    let error = expect_error(app.post_json("/v1/auth/login", &body).await, 401, 2003).await;
    assert_eq!(error["type"], "TWO_FACTOR_REQUIRED");
    error["details"]["challenge"].as_str().expect("challenge").to_owned()
}

pub async fn verify(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    app.post_json("/v1/auth/2fa/verify", &json!({"challenge": challenge, "code": code}))
        .await
}

/// A full login with 2FA, moving the clock to the next step so the code is fresh.
pub async fn login_with_two_factor(app: &TestApp, clock: &ManualClock, email: &str, secret: &str) -> Value {
    clock.advance(Duration::seconds(30));
    let challenge = challenge(app, email, TEST_PASSWORD).await;
    let (status, body) = envelope(verify(app, &challenge, &code(secret, clock)).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn setup_returns_a_secret_its_uri_and_a_qr_code() {
    let (app, _) = spawn_on_manual_clock().await;
    let login = app.signed_up("tess@example.com").await;
    let token = login["access_token"].as_str().unwrap();
    let (status, setup) = envelope(app.post_authed("/v1/auth/2fa/setup", token, &json!({})).await).await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["data"]["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = setup["data"]["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Bourse:tess%40example.com?secret="),
        "{uri}"
    );
    assert!(uri.contains(secret));
    assert!(setup["data"]["qr_svg"].as_str().unwrap().contains("<svg"));
}

#[tokio::test]
async fn enabling_needs_the_current_code() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("uma@example.com").await;
    let token = login["access_token"].as_str().unwrap();
    let (_, setup) = envelope(app.post_authed("/v1/auth/2fa/setup", token, &json!({})).await).await;
    let secret = setup["data"]["secret"].as_str().unwrap();
    clock.advance(Duration::seconds(-120));
    let stale = code(secret, &clock);
    clock.advance(Duration::seconds(120));
    let error = expect_error(
        app.post_authed("/v1/auth/2fa/enable", token, &json!({"code": stale}))
            .await,
        400,
        1000,
    )
    .await;
    assert_eq!(error["details"]["field"], "code");
    let body = json!({"code": code(secret, &clock)});
    let (status, _) = envelope(app.post_authed("/v1/auth/2fa/enable", token, &body).await).await;
    assert_eq!(status, 200);
    // A second setup while on is a conflict.
    expect_error(
        app.post_authed("/v1/auth/2fa/setup", token, &json!({})).await,
        409,
        3002,
    )
    .await;
}

#[tokio::test]
async fn login_with_two_factor_needs_a_code_and_a_code_is_never_replayed() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("vic@example.com").await;
    let (secret, _) = enable_two_factor(&app, &clock, login["access_token"].as_str().unwrap()).await;

    // The code that enabled 2FA is spent: the same step is refused.
    let first = challenge(&app, "vic@example.com", TEST_PASSWORD).await;
    expect_error(verify(&app, &first, &code(&secret, &clock)).await, 401, 2002).await;

    clock.advance(Duration::seconds(30));
    let fresh = code(&secret, &clock);
    let (status, tokens) = envelope(verify(&app, &first, &fresh).await).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["data"]["access_token"].is_string());
    // The challenge is spent, and so is the code, even with a new challenge.
    expect_error(verify(&app, &first, &fresh).await, 401, 2001).await;
    let second = challenge(&app, "vic@example.com", TEST_PASSWORD).await;
    expect_error(verify(&app, &second, &fresh).await, 401, 2002).await;
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("wes@example.com").await;
    let (_, recovery) = enable_two_factor(&app, &clock, login["access_token"].as_str().unwrap()).await;
    assert_eq!(recovery.len(), 10);
    let challenge_1 = challenge(&app, "wes@example.com", TEST_PASSWORD).await;
    let (status, _) = envelope(verify(&app, &challenge_1, &recovery[3].to_lowercase()).await).await;
    assert_eq!(status, 200, "recovery codes are case-insensitive");
    let challenge_2 = challenge(&app, "wes@example.com", TEST_PASSWORD).await;
    expect_error(verify(&app, &challenge_2, &recovery[3]).await, 401, 2002).await;
    let (status, _) = envelope(verify(&app, &challenge_2, &recovery[4]).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_challenge_allows_few_attempts_and_expires() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("xia@example.com").await;
    let (secret, _) = enable_two_factor(&app, &clock, login["access_token"].as_str().unwrap()).await;
    let guessed = challenge(&app, "xia@example.com", TEST_PASSWORD).await;
    for _ in 0..5 {
        expect_error(verify(&app, &guessed, "000000").await, 401, 2002).await;
    }
    clock.advance(Duration::seconds(30));
    expect_error(verify(&app, &guessed, &code(&secret, &clock)).await, 401, 2001).await;

    let expiring = challenge(&app, "xia@example.com", TEST_PASSWORD).await;
    clock.advance(Duration::seconds(301));
    expect_error(verify(&app, &expiring, &code(&secret, &clock)).await, 401, 2001).await;
}

#[tokio::test]
async fn simultaneous_wrong_codes_on_one_challenge_are_checked_no_more_than_five_times() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("raf@example.com").await;
    let (secret, _) = enable_two_factor(&app, &clock, login["access_token"].as_str().unwrap()).await;
    let guessed = challenge(&app, "raf@example.com", TEST_PASSWORD).await;
    let body = json!({"challenge": guessed, "code": "000000"});
    let answers = app.post_json_at_once("/v1/auth/2fa/verify", vec![body; 20]).await;
    let codes = |code: u64| {
        answers
            .iter()
            .filter(|(status, body, _)| *status == 401 && body["error"]["code"] == code)
            .count()
    };
    let (checked, refused) = (codes(2002), codes(2001));
    assert!(checked <= 5, "{checked} of 20 codes were checked; the limit is 5");
    assert_eq!(checked + refused, 20, "{answers:?}");
    clock.advance(Duration::seconds(30));
    expect_error(verify(&app, &guessed, &code(&secret, &clock)).await, 401, 2001).await;
}

#[tokio::test]
async fn enabling_can_revoke_every_other_session_at_once() {
    let (app, clock) = spawn_on_manual_clock().await;
    let current = app.signed_up("ria@example.com").await;
    let others = [
        app.login("ria@example.com", TEST_PASSWORD).await,
        app.login("ria@example.com", TEST_PASSWORD).await,
    ];
    let token = current["access_token"].as_str().unwrap();
    let (_, setup) = envelope(app.post_authed("/v1/auth/2fa/setup", token, &json!({})).await).await;
    let secret = setup["data"]["secret"].as_str().unwrap();
    let body = json!({"code": code(secret, &clock), "revoke_other_sessions": true});
    let (status, enabled) = envelope(app.post_authed("/v1/auth/2fa/enable", token, &body).await).await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(enabled["data"]["revoked_sessions"], 2, "{enabled}");
    assert_eq!(enabled["data"]["recovery_codes"].as_array().unwrap().len(), 10);
    for other in &others {
        let token = other["access_token"].as_str().unwrap();
        expect_error(app.get_authed("/v1/users/me", token).await, 401, 2001).await;
        let refresh = json!({"refresh_token": other["refresh_token"]});
        expect_error(app.post_json("/v1/auth/refresh", &refresh).await, 401, 2001).await;
    }
    let (status, sessions) = envelope(app.get_authed("/v1/auth/sessions", token).await).await;
    assert_eq!(status, 200, "{sessions}");
    assert_eq!(sessions["data"]["items"].as_array().unwrap().len(), 1, "{sessions}");
}

#[tokio::test]
async fn enabling_keeps_the_other_sessions_unless_asked() {
    let (app, clock) = spawn_on_manual_clock().await;
    let current = app.signed_up("rob@example.com").await;
    let other = app.login("rob@example.com", TEST_PASSWORD).await;
    let token = current["access_token"].as_str().unwrap();
    let (_, setup) = envelope(app.post_authed("/v1/auth/2fa/setup", token, &json!({})).await).await;
    let secret = setup["data"]["secret"].as_str().unwrap();
    let body = json!({"code": code(secret, &clock)});
    let (status, enabled) = envelope(app.post_authed("/v1/auth/2fa/enable", token, &body).await).await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(enabled["data"]["revoked_sessions"], 0, "{enabled}");
    let (status, _) = envelope(
        app.get_authed("/v1/users/me", other["access_token"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn disabling_needs_a_current_code() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("yan@example.com").await;
    let token = login["access_token"].as_str().unwrap();
    let (secret, _) = enable_two_factor(&app, &clock, token).await;
    let error = expect_error(
        app.post_authed("/v1/auth/2fa/disable", token, &json!({"code": "123456"}))
            .await,
        400,
        1000,
    )
    .await;
    assert_eq!(error["details"]["field"], "code");
    clock.advance(Duration::seconds(30));
    let body = json!({"code": code(&secret, &clock)});
    let (status, off) = envelope(app.post_authed("/v1/auth/2fa/disable", token, &body).await).await;
    assert_eq!(status, 200, "{off}");
    assert!(app.login("yan@example.com", TEST_PASSWORD).await["access_token"].is_string());
}

#[tokio::test]
async fn the_totp_secret_is_encrypted_at_rest() {
    let (app, clock) = spawn_on_manual_clock().await;
    let login = app.signed_up("zed@example.com").await;
    let (secret, _) = enable_two_factor(&app, &clock, login["access_token"].as_str().unwrap()).await;
    let stored: Vec<u8> = platform::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT totp_secret FROM users WHERE email = 'zed@example.com'"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(stored.len(), 12 + 20 + 16, "nonce, sealed 160-bit secret, tag");
    assert!(!String::from_utf8_lossy(&stored).contains(&secret));
}

#[tokio::test]
async fn two_factor_bodies_name_their_bad_fields() {
    let (app, _) = spawn_on_manual_clock().await;
    let login = app.signed_up("abe@example.com").await;
    let token = login["access_token"].as_str().unwrap();
    for (path, body, field) in [
        ("/v1/auth/2fa/enable", json!({}), "body"),
        ("/v1/auth/2fa/enable", json!({"code": 123456}), "code"),
        (
            "/v1/auth/2fa/enable",
            json!({"code": "123456", "revoke_other_sessions": "yes"}),
            "revoke_other_sessions",
        ),
        ("/v1/auth/2fa/disable", json!({"code": "1", "extra": true}), "extra"),
        ("/v1/auth/2fa/verify", json!({"challenge": "x"}), "body"),
        (
            "/v1/auth/2fa/verify",
            json!({"challenge": 5, "code": "123456"}),
            "challenge",
        ),
    ] {
        let error = expect_error(app.post_authed(path, token, &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{path} {body}");
    }
}
