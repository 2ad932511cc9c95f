//! Storage faults as an operator meets them: a full disk, a read-only database, a database server that goes
//! away. While one lasts, requests that need storage answer 503 code 5030 (never 500) and `/readyz` is 503; once
//! it is over, every request succeeds again without a restart.

use crate::helpers::{Storage, TestApp, envelope, expect_error, spawn_app, spawn_with};
use axum::Router;
use platform::db::SqliteFault;
use platform::{Backend, Secret};
use serde_json::{Value, json};
use std::net::SocketAddr;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Registers `count` new accounts, `concurrency` at a time, and answers each response's status and body.
async fn register_many(app: &TestApp, prefix: &str, count: usize, concurrency: usize) -> Vec<(u16, Value)> {
    let mut answers = Vec::new();
    for wave in (0..count).collect::<Vec<_>>().chunks(concurrency) {
        let mut requests = JoinSet::new();
        for i in wave {
            let body = json!({"email": format!("{prefix}-{i}@example.com"),
                "password": crate::helpers::TEST_PASSWORD, "full_name": "Test User"});
            let request = app.client.post(app.url("/v1/auth/register")).json(&body).send();
            requests.spawn(async move { envelope(request.await.expect("request sent")).await });
        }
        answers.extend(requests.join_all().await);
    }
    answers
}

fn assert_storage_unavailable(status: u16, body: &Value) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], 5030, "{body}");
}

#[tokio::test]
async fn a_full_disk_answers_503_and_every_request_succeeds_once_space_is_freed() {
    let app = spawn_app().await;
    if app.db.backend() != Backend::Sqlite {
        return;
    }
    let token = app.signed_up("before@example.com").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.db
        .inject_sqlite_fault(Some(SqliteFault::Full))
        .await
        .expect("fault injected");

    let error = expect_error(app.get("/readyz").await, 503, 5030).await;
    assert_eq!(error["details"]["unavailable"], json!(["database"]), "{error}");
    assert_eq!(
        error["details"]["database"],
        json!({"reachable": true, "writable": false}),
        "{error}"
    );
    // New accounts fill the pages the file still has, then every write that needs one more fails.
    let answers = register_many(&app, "during", 160, 8).await;
    let refused: Vec<_> = answers.iter().filter(|(status, _)| *status != 201).collect();
    assert!(refused.len() >= 80, "the file filled up: {} refused", refused.len());
    for (status, body) in refused {
        assert_storage_unavailable(*status, body);
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains("full"), "{message}");
    }

    app.db.inject_sqlite_fault(None).await.expect("fault cleared");
    let (status, body) = envelope(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["database"], json!({"reachable": true, "writable": true}));
    for (status, body) in register_many(&app, "after", 96, 8).await {
        assert_eq!(status, 201, "every write succeeds once space is freed: {body}");
    }
    for _ in 0..32 {
        let (status, body) = envelope(app.get_authed("/v1/wallets", &token).await).await;
        assert_eq!(status, 200, "{body}");
    }
    app.login("before@example.com", crate::helpers::TEST_PASSWORD).await;
}

#[tokio::test]
async fn a_read_only_database_is_not_ready_and_refuses_writes_with_503() {
    let app = spawn_app().await;
    if app.db.backend() != Backend::Sqlite {
        return;
    }
    app.db
        .inject_sqlite_fault(Some(SqliteFault::ReadOnly))
        .await
        .expect("fault injected");
    let error = expect_error(app.get("/readyz").await, 503, 5030).await;
    assert_eq!(
        error["details"]["database"],
        json!({"reachable": true, "writable": false}),
        "{error}"
    );
    for (status, body) in register_many(&app, "read-only", 4, 2).await {
        assert_storage_unavailable(status, &body);
    }
    let (status, _) = envelope(app.get("/v1/assets/BTC").await).await;
    assert_eq!(status, 200, "reads go on");

    app.db.inject_sqlite_fault(None).await.expect("fault cleared");
    let (status, body) = envelope(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    app.signed_up("writable@example.com").await;
}

/// A TCP relay to PostgreSQL that the test can take down (every connection cut, the port closed) and bring back
/// on the same port.
struct Relay {
    addr: SocketAddr,
    upstream: String,
    task: JoinHandle<()>,
}

impl Relay {
    async fn start(addr: SocketAddr, upstream: String) -> Relay {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket.bind(addr).expect("relay binds");
        let listener = socket.listen(64).expect("relay listens");
        let addr = listener.local_addr().expect("relay address");
        let target = upstream.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { addr, upstream, task }
    }

    /// Cuts every connection and closes the port; answers a relay to start again on it.
    async fn stop(self) -> (SocketAddr, String) {
        self.task.abort();
        let _ = self.task.await;
        (self.addr, self.upstream)
    }
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let userinfo = authority
        .rsplit_once('@')
        .map(|(userinfo, _)| format!("{userinfo}@"))
        .unwrap_or_default();
    format!("{scheme}://{userinfo}{addr}/{path}")
}

#[tokio::test]
async fn with_postgresql_gone_requests_answer_503_and_recover_when_it_is_back() {
    let storage = Storage::fresh().await;
    let Some(url) = storage.postgres_url().map(str::to_owned) else {
        return;
    };
    let upstream = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("authority");
    let upstream = upstream.rsplit_once('@').map_or(upstream, |(_, host)| host).to_owned();
    let relay = Relay::start("127.0.0.1:0".parse().expect("address"), upstream).await;
    let relayed = through(&url, relay.addr);
    let app = spawn_with(
        storage,
        |config| {
            config.platform.storage.database_url = Some(Secret::new(relayed));
            config.platform.storage.db_acquire_timeout_secs = 1;
        },
        Router::new(),
    )
    .await;
    let token = app.signed_up("steady@example.com").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let (addr, upstream) = relay.stop().await;
    for _ in 0..3 {
        let (status, body) = envelope(app.get_authed("/v1/wallets", &token).await).await;
        assert_storage_unavailable(status, &body);
        assert!(
            body["error"]["message"]
                .as_str()
                .expect("message")
                .contains("unavailable"),
            "{body}"
        );
    }
    for (status, body) in register_many(&app, "down", 2, 2).await {
        assert_storage_unavailable(status, &body);
    }
    let error = expect_error(app.get("/readyz").await, 503, 5030).await;
    assert_eq!(
        error["details"]["database"],
        json!({"reachable": false, "writable": false}),
        "{error}"
    );

    let _relay = Relay::start(addr, upstream).await;
    for _ in 0..16 {
        let (status, body) = envelope(app.get_authed("/v1/wallets", &token).await).await;
        assert_eq!(status, 200, "{body}");
    }
    for (status, body) in register_many(&app, "back", 8, 4).await {
        assert_eq!(status, 201, "{body}");
    }
}
