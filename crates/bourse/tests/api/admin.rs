//! Staff and admin routes: the role × route matrix, the 2FA requirement for staff, invites, suspension, role
//! changes and the audit log.

use crate::helpers::{TEST_PASSWORD, TestApp, envelope, expect_error};
use crate::two_factor::{enable_two_factor, login_with_two_factor, spawn_on_manual_clock};
use identity::IdentityConfig;
use identity::{PasswordHasher, Permission, Role, Staff};
use platform::ManualClock;
use serde_json::{Value, json};
use std::sync::Arc;

/// An admin made the way `bourse admin create-admin` makes one, logged in with 2FA on; their access token.
pub(crate) async fn admin_token(app: &TestApp, clock: &Arc<ManualClock>, email: &str) -> String {
    let config = IdentityConfig {
        argon2_memory_kib: 8 * 1024,
        argon2_iterations: 1,
        ..IdentityConfig::default()
    };
    let staff = Staff::new(
        app.db.clone(),
        clock.clone(),
        PasswordHasher::from_config(&config).unwrap(),
    );
    staff.create_admin(email, "Ada Admin", TEST_PASSWORD).await.unwrap();
    let first = app.login(email, TEST_PASSWORD).await;
    let (secret, _) = enable_two_factor(app, clock, first["access_token"].as_str().unwrap()).await;
    token_of(&login_with_two_factor(app, clock, email, &secret).await)
}

fn token_of(login: &Value) -> String {
    login["access_token"].as_str().expect("access token").to_owned()
}

/// A staff member invited by the admin, with their password set; the invite answer.
async fn invite(app: &TestApp, admin: &str, email: &str, role: &str) -> Value {
    let body = json!({"email": email, "full_name": "Tom Teller", "role": role});
    let (status, invite) = envelope(app.post_authed("/v1/admin/staff", admin, &body).await).await;
    assert_eq!(status, 201, "{invite}");
    let accept = json!({"token": invite["data"]["invite_token"], "password": TEST_PASSWORD});
    let (status, accepted) = envelope(app.post_json("/v1/auth/invites/accept", &accept).await).await;
    assert_eq!(status, 200, "{accepted}");
    invite["data"].clone()
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = app
        .client
        .request(method.parse().expect("method"), app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request sent")
}

#[tokio::test]
async fn each_role_gets_exactly_what_the_permission_table_says() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    invite(&app, &admin, "tom@example.com", "TELLER").await;
    let teller_first = app.login("tom@example.com", TEST_PASSWORD).await;
    let (teller_secret, _) = enable_two_factor(&app, &clock, &token_of(&teller_first)).await;
    let teller = token_of(&login_with_two_factor(&app, &clock, "tom@example.com", &teller_secret).await);
    let customer = token_of(&app.signed_up("cus@example.com").await);
    let target = app.signed_up("target@example.com").await;
    let (_, me) = envelope(app.get_authed("/v1/users/me", &token_of(&target)).await).await;
    let id = me["data"]["id"].as_str().unwrap().to_owned();

    let mut invites = 0;
    let routes: Vec<(&str, String, Option<Value>, Permission)> = vec![
        ("GET", "/v1/admin/users".to_owned(), None, Permission::UsersRead),
        ("GET", format!("/v1/admin/users/{id}"), None, Permission::UsersRead),
        (
            "POST",
            format!("/v1/admin/users/{id}/suspend"),
            None,
            Permission::UsersSuspend,
        ),
        (
            "POST",
            format!("/v1/admin/users/{id}/unsuspend"),
            None,
            Permission::UsersSuspend,
        ),
        (
            "PUT",
            format!("/v1/admin/users/{id}/role"),
            Some(json!({"role": "CUSTOMER"})),
            Permission::StaffManage,
        ),
        ("POST", "/v1/admin/staff".to_owned(), None, Permission::StaffManage),
        ("GET", "/v1/admin/audit".to_owned(), None, Permission::AuditRead),
    ];
    for (role, token) in [
        (Role::Customer, &customer),
        (Role::Teller, &teller),
        (Role::Admin, &admin),
    ] {
        for (method, path, body, permission) in &routes {
            let body = match (path.as_str(), body) {
                ("/v1/admin/staff", _) => {
                    invites += 1;
                    Some(json!({"email": format!("new{invites}@example.com"), "full_name": "New", "role": "TELLER"}))
                }
                (_, body) => body.clone(),
            };
            let response = call(&app, method, path, token, body).await;
            if role.allows(*permission) {
                let (status, body) = envelope(response).await;
                assert!((200..300).contains(&status), "{role:?} {method} {path}: {body}");
            } else {
                let error = expect_error(response, 403, 2004).await;
                assert_eq!(
                    error["details"]["permission"],
                    permission.as_str(),
                    "{role:?} {method} {path}"
                );
            }
        }
    }
    for (method, path, body, _) in &routes {
        expect_error(call(&app, method, path, "not-a-token", body.clone()).await, 401, 2001).await;
    }
}

#[tokio::test]
async fn staff_routes_refuse_staff_without_two_factor() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    invite(&app, &admin, "nofa@example.com", "ADMIN").await;
    let token = token_of(&app.login("nofa@example.com", TEST_PASSWORD).await);
    let error = expect_error(app.get_authed("/v1/admin/users", &token).await, 403, 2004).await;
    assert_eq!(error["details"]["reason"], "two_factor_required");
    enable_two_factor(&app, &clock, &token).await;
    let (status, _) = envelope(app.get_authed("/v1/admin/users", &token).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_invite_sets_the_password_once_and_nobody_logs_in_before() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    let body = json!({"email": "ivan@example.com", "full_name": "Ivan", "role": "TELLER"});
    let (_, invite) = envelope(app.post_authed("/v1/admin/staff", &admin, &body).await).await;
    assert_eq!(invite["data"]["user"]["role"], "TELLER");
    let login = json!({"email": "ivan@example.com", "password": TEST_PASSWORD});
    expect_error(app.post_json("/v1/auth/login", &login).await, 401, 2002).await;

    let weak = json!({"token": invite["data"]["invite_token"], "password": "short"});
    let error = expect_error(app.post_json("/v1/auth/invites/accept", &weak).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "password");
    let accept = json!({"token": invite["data"]["invite_token"], "password": TEST_PASSWORD});
    // The weak attempt rolled back: the invite is still good.
    let (status, _) = envelope(app.post_json("/v1/auth/invites/accept", &accept).await).await;
    assert_eq!(status, 200);
    let error = expect_error(app.post_json("/v1/auth/invites/accept", &accept).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "token");
    assert!(app.login("ivan@example.com", TEST_PASSWORD).await["access_token"].is_string());

    let customer = json!({"email": "c@example.com", "full_name": "C", "role": "CUSTOMER"});
    let error = expect_error(app.post_authed("/v1/admin/staff", &admin, &customer).await, 400, 1000).await;
    assert_eq!(error["details"]["field"], "role");
    let taken = json!({"email": "ivan@example.com", "full_name": "Again", "role": "ADMIN"});
    expect_error(app.post_authed("/v1/admin/staff", &admin, &taken).await, 409, 3002).await;
}

#[tokio::test]
async fn suspension_stops_a_user_at_once_and_is_audited() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    let login = app.signed_up("sam@example.com").await;
    let token = token_of(&login);
    let (_, me) = envelope(app.get_authed("/v1/users/me", &token).await).await;
    let id = me["data"]["id"].as_str().unwrap().to_owned();

    let (status, suspended) =
        envelope(call(&app, "POST", &format!("/v1/admin/users/{id}/suspend"), &admin, None).await).await;
    assert_eq!(status, 200);
    assert_eq!(suspended["data"]["status"], "SUSPENDED");
    expect_error(app.get_authed("/v1/users/me", &token).await, 401, 2001).await;
    let body = json!({"email": "sam@example.com", "password": TEST_PASSWORD});
    expect_error(app.post_json("/v1/auth/login", &body).await, 403, 2004).await;

    let (status, _) =
        envelope(call(&app, "POST", &format!("/v1/admin/users/{id}/unsuspend"), &admin, None).await).await;
    assert_eq!(status, 200);
    assert!(app.login("sam@example.com", TEST_PASSWORD).await["access_token"].is_string());

    let (_, audit) = envelope(
        app.get_authed(&format!("/v1/admin/audit?target={id}&limit=10"), &admin)
            .await,
    )
    .await;
    let actions: Vec<&str> = audit["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("users."))
        .collect();
    assert_eq!(actions, ["users.unsuspend", "users.suspend"]);
}

#[tokio::test]
async fn an_admin_cannot_suspend_or_demote_themselves() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    let (_, me) = envelope(app.get_authed("/v1/users/me", &admin).await).await;
    let id = me["data"]["id"].as_str().unwrap().to_owned();
    expect_error(
        call(&app, "POST", &format!("/v1/admin/users/{id}/suspend"), &admin, None).await,
        409,
        3002,
    )
    .await;
    let body = Some(json!({"role": "CUSTOMER"}));
    expect_error(
        call(&app, "PUT", &format!("/v1/admin/users/{id}/role"), &admin, body).await,
        409,
        3002,
    )
    .await;
}

#[tokio::test]
async fn a_role_change_applies_to_the_next_request() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    let login = app.signed_up("rae@example.com").await;
    let token = token_of(&login);
    enable_two_factor(&app, &clock, &token).await;
    let (_, me) = envelope(app.get_authed("/v1/users/me", &token).await).await;
    let id = me["data"]["id"].as_str().unwrap().to_owned();
    expect_error(app.get_authed("/v1/admin/users", &token).await, 403, 2004).await;
    let body = Some(json!({"role": "TELLER"}));
    let (status, changed) =
        envelope(call(&app, "PUT", &format!("/v1/admin/users/{id}/role"), &admin, body).await).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["data"]["role"], "TELLER");
    let (status, _) = envelope(app.get_authed("/v1/admin/users", &token).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_user_directory_searches_and_pages() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    for name in ["pat", "pam", "bob"] {
        app.signed_up(&format!("{name}@example.com")).await;
    }
    let (_, found) = envelope(
        app.get_authed("/v1/admin/users?q=PA&role=CUSTOMER&limit=1", &admin)
            .await,
    )
    .await;
    assert_eq!(found["data"]["items"].as_array().unwrap().len(), 1);
    let cursor = found["data"]["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = envelope(
        app.get_authed(&format!("/v1/admin/users?q=pa&cursor={cursor}"), &admin)
            .await,
    )
    .await;
    assert_eq!(rest["data"]["items"].as_array().unwrap().len(), 1);
    assert!(rest["data"]["next_cursor"].is_null());
    let (_, none) = envelope(app.get_authed("/v1/admin/users?q=%25", &admin).await).await;
    assert_eq!(
        none["data"]["items"].as_array().unwrap().len(),
        0,
        "% is a character, not a wildcard"
    );

    for (query, field) in [
        ("limit=0", "limit"),
        ("role=KING", "role"),
        ("status=GONE", "status"),
        ("cursor=xyz", "cursor"),
        ("sort=name", "sort"),
    ] {
        let error = expect_error(
            app.get_authed(&format!("/v1/admin/users?{query}"), &admin).await,
            400,
            1000,
        )
        .await;
        assert_eq!(error["details"]["field"], field, "{query}");
    }
    expect_error(app.get_authed("/v1/admin/users/not-a-uuid", &admin).await, 400, 1000).await;
    let unknown = "/v1/admin/users/01890000-0000-7000-8000-000000000000";
    expect_error(app.get_authed(unknown, &admin).await, 404, 3001).await;
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_action_and_time() {
    let (app, clock) = spawn_on_manual_clock().await;
    let admin = admin_token(&app, &clock, "ada@example.com").await;
    let (_, me) = envelope(app.get_authed("/v1/users/me", &admin).await).await;
    let admin_id = me["data"]["id"].as_str().unwrap().to_owned();
    let (_, logins) = envelope(
        app.get_authed(&format!("/v1/admin/audit?actor={admin_id}&action=auth.login"), &admin)
            .await,
    )
    .await;
    let items = logins["data"]["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|e| e["action"] == "auth.login" && e["actor_id"] == admin_id.as_str())
    );
    let (_, created) = envelope(
        app.get_authed("/v1/admin/audit?action=admin.create_admin", &admin)
            .await,
    )
    .await;
    assert_eq!(created["data"]["items"].as_array().unwrap().len(), 1);
    let (_, future) = envelope(
        app.get_authed("/v1/admin/audit?from=2030-01-01T00:00:00Z", &admin)
            .await,
    )
    .await;
    assert_eq!(future["data"]["items"].as_array().unwrap().len(), 0);
    let (_, page) = envelope(app.get_authed("/v1/admin/audit?limit=2", &admin).await).await;
    let cursor = page["data"]["next_cursor"].as_str().unwrap().to_owned();
    let first_ids: Vec<i64> = page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let (_, next) = envelope(
        app.get_authed(&format!("/v1/admin/audit?limit=2&cursor={cursor}"), &admin)
            .await,
    )
    .await;
    let next_ids: Vec<i64> = next["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(
        first_ids[0] > first_ids[1] && first_ids[1] > next_ids[0],
        "{first_ids:?} {next_ids:?}"
    );
    for (query, field) in [
        ("actor=nope", "actor"),
        ("from=yesterday", "from"),
        ("limit=500", "limit"),
        ("cursor=abc", "cursor"),
    ] {
        let error = expect_error(
            app.get_authed(&format!("/v1/admin/audit?{query}"), &admin).await,
            400,
            1000,
        )
        .await;
        assert_eq!(error["details"]["field"], field, "{query}");
    }
}
