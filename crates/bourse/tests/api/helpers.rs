//! `spawn_app()`: the real server on a free port with fresh storage, and a typed client for it.
//!
//! Storage is a temporary SQLite database, or, when `BOURSE_TEST_DATABASE_URL` names a PostgreSQL server, a fresh
//! database created on it for this test and dropped afterwards. `BOURSE_TEST_REDIS_URL` and
//! `BOURSE_TEST_NATS_URL` configure those services the same way.

use api::AppState;
use axum::Router;
use bourse::{BuildOptions, Server, Settings};
use identity::IdentityConfig;
use platform::config::{RateLimitsConfig, StorageConfig};
use platform::test_support::TestDatabase;
use platform::{Db, EventBus, Secret};
use reqwest::{Client, Response};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub db: Db,
    /// The server's event bus, for tests that watch what the outbox relay publishes.
    pub bus: Arc<dyn EventBus>,
    pub password_hasher: identity::PasswordHasher,
    pub data_dir: PathBuf,
    server: Option<JoinHandle<std::io::Result<()>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    storage: Option<Storage>,
}

pub const TEST_PASSWORD: &str = "plum-rain-91-orbit";

/// Where a test server keeps its data; handed from a stopped server to the next to test restarts.
pub struct Storage {
    dir: TempDir,
    postgres: Option<TestDatabase>,
}

impl Storage {
    pub async fn fresh() -> Storage {
        Storage {
            dir: tempfile::tempdir().expect("temporary directory"),
            postgres: TestDatabase::from_env().await,
        }
    }

    /// A data directory of its own and no database: for a second node pointed at another's database.
    pub async fn local() -> Storage {
        Storage {
            dir: tempfile::tempdir().expect("temporary directory"),
            postgres: None,
        }
    }

    /// The PostgreSQL database's URL; `None` on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|pg| pg.url.as_str())
    }
}

/// The settings a test server runs with; tests may adjust them in [`spawn_with`].
pub fn test_config(storage: &Storage) -> Settings {
    let mut settings = Settings::default();
    let platform = &mut settings.platform;
    platform.server.listen = "127.0.0.1:0".parse().expect("literal address");
    platform.server.shutdown_grace_secs = 5;
    platform.storage = StorageConfig {
        data_dir: storage.dir.path().to_owned(),
        database_url: storage.postgres.as_ref().map(|pg| Secret::new(pg.url.clone())),
        redis_url: env_url("BOURSE_TEST_REDIS_URL"),
        nats_url: env_url("BOURSE_TEST_NATS_URL"),
        db_max_connections: 8,
        ..StorageConfig::default()
    };
    platform.outbox.poll_interval_ms = 20;
    // Suites send many requests from one IP: generous limits here, tight ones only in rate_limits.rs. A prefix
    // per server keeps servers sharing the test Redis out of each other's buckets.
    platform.rate_limits = RateLimitsConfig {
        basic: 100_000,
        pro: 100_000,
        login: 100_000,
        auth: 100_000,
        public: 100_000,
        global: 1_000_000,
        redis_prefix: format!("bourse-test:{}", uuid::Uuid::new_v4()),
        ..RateLimitsConfig::default()
    };
    settings.identity = IdentityConfig {
        // The cheapest argon2id the configuration allows: tests hash many passwords.
        argon2_memory_kib: 8 * 1024,
        argon2_iterations: 1,
        // Suites run many servers at once on few cores: a hashing turn may take a while, and a test that is not
        // about the bound should never be refused one. The bound's own test sets tight values.
        password_hash_queue: 10_000,
        password_hash_wait_ms: 30_000,
        ..IdentityConfig::default()
    };
    // No suite may reach the internet: a provider call meets a closed local port and fails at once.
    settings.rates.coingecko_base_url = "http://127.0.0.1:9/".to_owned();
    // Servers sharing the test Redis keep out of each other's cached rates.
    settings.rates.redis_prefix = format!("bourse-test-rates:{}", uuid::Uuid::new_v4());
    settings
}

fn env_url(name: &str) -> Option<Secret<String>> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).map(Secret::new)
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Storage::fresh().await, |_| {}, Router::new()).await
}

pub async fn spawn_with(storage: Storage, adjust: impl FnOnce(&mut Settings), extra: Router<AppState>) -> TestApp {
    let options = BuildOptions {
        extra_routes: extra,
        ..BuildOptions::default()
    };
    spawn_with_options(storage, adjust, options).await
}

pub async fn spawn_with_options(
    storage: Storage,
    adjust: impl FnOnce(&mut Settings),
    options: BuildOptions,
) -> TestApp {
    let mut config = test_config(&storage);
    adjust(&mut config);
    let data_dir = config.platform.storage.data_dir.clone();
    let app = Server::build_with(config, options).await.expect("application starts");
    let addr = app.local_addr();
    let db = app.state().db.clone();
    let bus = app.state().bus.clone();
    let password_hasher = app.state().password_hasher.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        client: Client::builder().build().expect("http client"),
        db,
        bus,
        password_hasher,
        data_dir,
        server: Some(server),
        stop: Some(stop),
        storage: Some(storage),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_authed(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Registers an account and logs in, returning the login's data (`access_token`, `refresh_token`, ...).
    pub async fn signed_up(&self, email: &str) -> Value {
        let body = serde_json::json!({"email": email, "password": TEST_PASSWORD, "full_name": "Test User"});
        let (status, registered) = envelope(self.post_json("/v1/auth/register", &body).await).await;
        assert_eq!(status, 201, "{registered}");
        self.login(email, TEST_PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        let body = serde_json::json!({"email": email, "password": password});
        let (status, login) = envelope(self.post_json("/v1/auth/login", &body).await).await;
        assert_eq!(status, 200, "{login}");
        login["data"].clone()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Sends every body to `path` at the same time; each answer's status, envelope and `Retry-After`, in no
    /// particular order.
    pub async fn post_json_at_once(&self, path: &str, bodies: Vec<Value>) -> Vec<(u16, Value, Option<String>)> {
        let mut sent = tokio::task::JoinSet::new();
        for body in bodies {
            let request = self.client.post(self.url(path)).json(&body);
            sent.spawn(async move {
                let response = request.send().await.expect("request sent");
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let (status, body) = envelope(response).await;
                (status, body, retry_after)
            });
        }
        sent.join_all().await
    }

    /// A POST with exactly these bytes and this content type, for malformed-input tests.
    pub async fn post_raw(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Response {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send().await.expect("request sent")
    }

    /// Stops the server gracefully, waits for it, and hands back its storage for a restart.
    pub async fn stop(mut self) -> Storage {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
        self.storage.take().expect("storage is present until stop")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

/// Reads the envelope of a response, checking the invariants every response must hold.
pub async fn envelope(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response has X-Request-Id"
    );
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["version"], "v1", "{body}");
    assert!(body["timestamp"].is_string(), "{body}");
    (status, body)
}

/// Asserts an error envelope with `status` and `code`, returning the error object.
pub async fn expect_error(response: Response, status: u16, code: u64) -> Value {
    let (got, body) = envelope(response).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["type"].is_string(), "{body}");
    assert!(body["error"]["request_id"].is_string(), "{body}");
    body["error"].clone()
}

/// Sends `request` as raw bytes and returns the status and everything after the status line, for requests a
/// well-behaved client library will not send.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, text)
}
