//! Accounts, login, refresh-token rotation, sessions, lockout and the audit trail, over HTTP.

use crate::helpers::{
    Storage, TEST_PASSWORD, TestApp, envelope, expect_error, spawn_app, spawn_with, spawn_with_options,
};
use bourse::BuildOptions;
use chrono::Utc;
use platform::{ManualClock, on_db};
use serde_json::{Value, json};
use std::sync::Arc;

async fn refresh(app: &TestApp, token: &Value) -> reqwest::Response {
    app.post_json("/v1/auth/refresh", &json!({ "refresh_token": token }))
        .await
}

#[tokio::test]
async fn register_creates_a_customer_and_emits_user_registered() {
    let app = spawn_app().await;
    let body = json!({"email": "  Alice@Example.com ", "password": TEST_PASSWORD, "full_name": "Alice Martin"});
    let (status, created) = envelope(app.post_json("/v1/auth/register", &body).await).await;
    assert_eq!(status, 201, "{created}");
    let user = &created["data"];
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["role"], "CUSTOMER");
    assert_eq!(user["status"], "ACTIVE");
    assert!(user.get("password_hash").is_none());

    let again = json!({"email": "ALICE@example.com", "password": TEST_PASSWORD, "full_name": "Other"});
    expect_error(app.post_json("/v1/auth/register", &again).await, 409, 3002).await;

    let events = platform::outbox::read_after(&app.db, 0, 10).await.unwrap();
    let registered: Vec<_> = events.iter().filter(|e| e.subject == "user.registered").collect();
    assert_eq!(registered.len(), 1, "exactly one event, none for the refused duplicate");
    assert_eq!(registered[0].payload["user_id"], user["id"]);
}

#[tokio::test]
async fn register_names_each_bad_field() {
    let app = spawn_app().await;
    let long_name = "n".repeat(101);
    let cases = [
        (json!({"password": TEST_PASSWORD, "full_name": "A"}), "body"),
        (
            json!({"email": 5, "password": TEST_PASSWORD, "full_name": "A"}),
            "email",
        ),
        (
            json!({"email": "not-an-email", "password": TEST_PASSWORD, "full_name": "A"}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": "short", "full_name": "A"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "password1234", "full_name": "A"}),
            "password",
        ),
        (
            json!({"email": "longname@example.com", "password": "longname@example.com", "full_name": "A"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": TEST_PASSWORD, "full_name": ""}),
            "full_name",
        ),
        (
            json!({"email": "a@example.com", "password": TEST_PASSWORD, "full_name": long_name}),
            "full_name",
        ),
        (
            json!({"email": "a@example.com", "password": TEST_PASSWORD, "full_name": "A", "role": "ADMIN"}),
            "role",
        ),
    ];
    for (body, field) in cases {
        let error = expect_error(app.post_json("/v1/auth/register", &body).await, 400, 1000).await;
        assert_eq!(error["details"]["field"], field, "{body}: {error}");
    }
    let count: i64 =
        on_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await).unwrap();
    assert_eq!(count, 0, "nothing written");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.signed_up("bob@example.com").await;
    let wrong = expect_error(
        app.post_json(
            "/v1/auth/login",
            &json!({"email": "bob@example.com", "password": "wrong-password-123"}),
        )
        .await,
        401,
        2002,
    )
    .await;
    let unknown = expect_error(
        app.post_json(
            "/v1/auth/login",
            &json!({"email": "nobody@example.com", "password": "wrong-password-123"}),
        )
        .await,
        401,
        2002,
    )
    .await;
    assert_eq!(wrong["message"], unknown["message"]);
    assert_eq!(wrong.get("details"), unknown.get("details"));
}

#[tokio::test]
async fn an_access_token_opens_the_account_and_nothing_else_does() {
    let app = spawn_app().await;
    let login = app.signed_up("carol@example.com").await;
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 900);
    let token = login["access_token"].as_str().unwrap();
    let (status, me) = envelope(app.get_authed("/v1/users/me", token).await).await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["email"], "carol@example.com");

    let response = app.get("/v1/users/me").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, 401, 2001).await;
    for bad in ["garbage", "a.b.c", &format!("{token}x")] {
        expect_error(app.get_authed("/v1/users/me", bad).await, 401, 2001).await;
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let app = spawn_app().await;
    let first = app.signed_up("dave@example.com").await;
    let (status, second) = envelope(refresh(&app, &first["refresh_token"]).await).await;
    assert_eq!(status, 200, "{second}");
    let second = &second["data"];
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["session_id"], first["session_id"]);
    let (status, third) = envelope(refresh(&app, &second["refresh_token"]).await).await;
    assert_eq!(status, 200);
    let third = &third["data"];

    // The first token again: someone kept a copy. The whole session dies.
    expect_error(refresh(&app, &first["refresh_token"]).await, 401, 2001).await;
    expect_error(refresh(&app, &third["refresh_token"]).await, 401, 2001).await;
    let access = third["access_token"].as_str().unwrap();
    expect_error(app.get_authed("/v1/users/me", access).await, 401, 2001).await;

    // Another login is unaffected.
    let other = app.login("dave@example.com", TEST_PASSWORD).await;
    let (status, _) = envelope(
        app.get_authed("/v1/users/me", other["access_token"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(status, 200);
    expect_error(refresh(&app, &json!("not-a-token")).await, 401, 2001).await;
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let login = app.signed_up("erin@example.com").await;
    let token = login["access_token"].as_str().unwrap();
    let (status, _) = envelope(app.post_authed("/v1/auth/logout", token, &json!({})).await).await;
    assert_eq!(status, 200);
    expect_error(app.get_authed("/v1/users/me", token).await, 401, 2001).await;
    expect_error(refresh(&app, &login["refresh_token"]).await, 401, 2001).await;
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_by_one() {
    let app = spawn_app().await;
    let laptop = app.signed_up("fay@example.com").await;
    let phone = app.login("fay@example.com", TEST_PASSWORD).await;
    let laptop_token = laptop["access_token"].as_str().unwrap();
    let (_, list) = envelope(app.get_authed("/v1/auth/sessions", laptop_token).await).await;
    let items = list["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let current: Vec<&Value> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], laptop["session_id"]);
    assert_eq!(current[0]["ip"], "127.0.0.1");

    let path = format!("/v1/auth/sessions/{}", phone["session_id"].as_str().unwrap());
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(laptop_token)
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(response).await.0, 200);
    expect_error(
        app.get_authed("/v1/users/me", phone["access_token"].as_str().unwrap())
            .await,
        401,
        2001,
    )
    .await;

    // Another user's session, an unknown one and a malformed id.
    let stranger = app.signed_up("gus@example.com").await;
    let theirs = format!("/v1/auth/sessions/{}", stranger["session_id"].as_str().unwrap());
    let response = app
        .client
        .delete(app.url(&theirs))
        .bearer_auth(laptop_token)
        .send()
        .await
        .unwrap();
    expect_error(response, 404, 3001).await;
    let response = app
        .client
        .delete(app.url(&path))
        .bearer_auth(laptop_token)
        .send()
        .await
        .unwrap();
    expect_error(response, 404, 3001).await;
    let response = app
        .client
        .delete(app.url("/v1/auth/sessions/nope"))
        .bearer_auth(laptop_token)
        .send()
        .await
        .unwrap();
    expect_error(response, 400, 1000).await;
}

#[tokio::test]
async fn changing_the_password_revokes_the_other_sessions() {
    let app = spawn_app().await;
    let here = app.signed_up("hal@example.com").await;
    let elsewhere = app.login("hal@example.com", TEST_PASSWORD).await;
    let token = here["access_token"].as_str().unwrap();
    let wrong = json!({"current_password": "not-the-password", "new_password": "granite-owl-47-lantern"});
    let error = expect_error(app.post_authed("/v1/users/me/password", token, &wrong).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "current_password");
    let weak = json!({"current_password": TEST_PASSWORD, "new_password": "short"});
    let error = expect_error(app.post_authed("/v1/users/me/password", token, &weak).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "new_password");

    let good = json!({"current_password": TEST_PASSWORD, "new_password": "granite-owl-47-lantern"});
    assert_eq!(
        envelope(app.post_authed("/v1/users/me/password", token, &good).await)
            .await
            .0,
        200
    );
    assert_eq!(
        envelope(app.get_authed("/v1/users/me", token).await).await.0,
        200,
        "this session stays"
    );
    let other = elsewhere["access_token"].as_str().unwrap();
    expect_error(app.get_authed("/v1/users/me", other).await, 401, 2001).await;
    app.login("hal@example.com", "granite-owl-47-lantern").await;
}

#[tokio::test]
async fn a_suspended_users_live_token_stops_working_at_once() {
    let app = spawn_app().await;
    let login = app.signed_up("ivy@example.com").await;
    let token = login["access_token"].as_str().unwrap();
    on_db!(&app.db, pool => sqlx::query("UPDATE users SET status = 'SUSPENDED' WHERE email = 'ivy@example.com'")
        .execute(pool).await.map(|_| ()))
    .unwrap();
    expect_error(app.get_authed("/v1/users/me", token).await, 401, 2001).await;
    expect_error(refresh(&app, &login["refresh_token"]).await, 401, 2001).await;
    let body = json!({"email": "ivy@example.com", "password": TEST_PASSWORD});
    expect_error(app.post_json("/v1/auth/login", &body).await, 403, 2004).await;
}

#[tokio::test]
async fn repeated_failures_lock_logins_until_the_window_passes() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let options = BuildOptions {
        clock: clock.clone(),
        ..BuildOptions::default()
    };
    let app = spawn_with_options(Storage::fresh().await, |c| c.identity.login_max_failures = 3, options).await;
    app.signed_up("jo@example.com").await;
    let wrong = json!({"email": "jo@example.com", "password": "wrong-password-123"});
    for _ in 0..3 {
        expect_error(app.post_json("/v1/auth/login", &wrong).await, 401, 2002).await;
    }
    // Locked, even with the right password, and the same for an email nobody has.
    let right = json!({"email": "jo@example.com", "password": TEST_PASSWORD});
    let response = app.post_json("/v1/auth/login", &right).await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let error = expect_error(response, 429, 4290).await;
    assert!(error["details"]["locked_until"].is_string());

    clock.advance(chrono::Duration::seconds(899));
    expect_error(app.post_json("/v1/auth/login", &right).await, 429, 4290).await;
    clock.advance(chrono::Duration::seconds(2));
    assert!(app.login("jo@example.com", TEST_PASSWORD).await["access_token"].is_string());
}

#[tokio::test]
async fn simultaneous_wrong_passwords_are_checked_no_more_often_than_the_lockout_allows() {
    // A queue long enough that no attempt is refused for want of a hashing turn: only the lockout may refuse.
    let adjust = |c: &mut bourse::Settings| {
        c.identity.password_hash_queue = 100;
        c.identity.password_hash_wait_ms = 30_000;
    };
    let app = spawn_with(Storage::fresh().await, adjust, axum::Router::new()).await;
    app.signed_up("rae@example.com").await;
    let wrong = json!({"email": "rae@example.com", "password": "wrong-password-123"});
    let answers = app.post_json_at_once("/v1/auth/login", vec![wrong; 20]).await;
    let codes = |status: u16, code: u64| {
        answers
            .iter()
            .filter(|(s, body, _)| *s == status && body["error"]["code"] == code)
            .count()
    };
    let (checked, locked) = (codes(401, 2002), codes(429, 4290));
    assert!(checked <= 5, "{checked} of 20 passwords were checked; the limit is 5");
    assert_eq!(checked + locked, 20, "{answers:?}");
    let right = json!({"email": "rae@example.com", "password": TEST_PASSWORD});
    expect_error(app.post_json("/v1/auth/login", &right).await, 429, 4290).await;
}

#[tokio::test]
async fn a_burst_of_logins_never_runs_more_hashes_at_once_than_the_bound() {
    let adjust = |c: &mut bourse::Settings| {
        c.identity.password_hash_concurrency = Some(2);
        c.identity.password_hash_queue = 4;
        c.identity.password_hash_wait_ms = 50;
        // Every attempt below fails from one address: only the hashing bound is under test.
        c.identity.login_max_failures = 1000;
    };
    let app = spawn_with(Storage::fresh().await, adjust, axum::Router::new()).await;
    let bodies = (0..200)
        .map(|n| json!({"email": format!("burst{n}@example.com"), "password": "wrong-password-123"}))
        .collect();
    let answers = app.post_json_at_once("/v1/auth/login", bodies).await;
    let mut refused = 0;
    for (status, body, retry_after) in &answers {
        match (status, body["error"]["code"].as_u64()) {
            (401, Some(2002)) => {}
            (503, Some(5030)) => {
                assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
                refused += 1;
            }
            _ => panic!("unexpected answer {status}: {body}"),
        }
    }
    let peak = app.password_hasher.peak_in_flight();
    assert!((1..=2).contains(&peak), "{peak} hashes ran at once; the bound is 2");
    assert!(refused > 0, "200 logins at once overflow 2 turns and a queue of 4");
    assert!(refused < 200, "some logins were checked");
}

#[tokio::test]
async fn authentication_events_are_audited_and_the_log_is_append_only() {
    let app = spawn_app().await;
    app.signed_up("kim@example.com").await;
    let wrong = json!({"email": "kim@example.com", "password": "wrong-password-123"});
    expect_error(app.post_json("/v1/auth/login", &wrong).await, 401, 2002).await;
    let actions: Vec<(String, String)> = on_db!(&app.db, pool => sqlx::query_as(
        "SELECT action, outcome FROM audit_log ORDER BY id"
    ).fetch_all(pool).await)
    .unwrap();
    assert_eq!(
        actions,
        [
            ("auth.register".to_owned(), "success".to_owned()),
            ("auth.login".to_owned(), "success".to_owned()),
            ("auth.login".to_owned(), "failure".to_owned()),
        ]
    );
    let update = on_db!(&app.db, pool => sqlx::query("UPDATE audit_log SET outcome = 'success'")
        .execute(pool).await.map(|_| ()));
    assert!(update.is_err(), "audit records cannot be changed");
    let delete = on_db!(&app.db, pool => sqlx::query("DELETE FROM audit_log").execute(pool).await.map(|_| ()));
    assert!(delete.is_err(), "audit records cannot be deleted");
}
