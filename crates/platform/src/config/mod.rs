//! Configuration in one place: built-in defaults, then an optional TOML file, then environment variables
//! (`BOURSE_*`, and the conventional `DATABASE_URL`, `REDIS_URL`, `NATS_URL`), then command-line flags.
//! Invalid configuration stops start-up with an error that names the key.

use crate::secret::{Secret, mask_url_password};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod money_movement;
mod serving;

pub use money_movement::{DepositProvider, WithdrawalLimit};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "bourse.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where the embedded database, generated secrets and local files live.
    pub data_dir: PathBuf,
    /// PostgreSQL URL; when absent, SQLite in `data_dir` is used.
    pub database_url: Option<Secret<String>>,
    /// Redis URL, checked by `/readyz` when set.
    pub redis_url: Option<Secret<String>>,
    /// NATS URL, checked by `/readyz` when set.
    pub nats_url: Option<Secret<String>>,
    /// Upper bound of the database connection pool.
    pub db_max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub db_acquire_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// A request still running after this many seconds is answered with a timeout.
    pub request_timeout_secs: u64,
    /// After SIGINT/SIGTERM, in-flight requests get this long to finish.
    pub shutdown_grace_secs: u64,
    /// A request's headers must arrive within this many seconds of their first byte (of the accept, for a
    /// connection's first request), or the connection is closed.
    pub header_read_timeout_secs: u64,
    /// A keep-alive connection with no request for this long is closed.
    pub idle_timeout_secs: u64,
    /// Most connections served at once; further ones wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Bearer token `/metrics` requires; without one `/metrics` is open to anyone who reaches the port.
    pub metrics_token: Option<Secret<String>>,
    /// Origins allowed by CORS; empty allows none, `["*"]` allows any (without credentials).
    pub cors_allowed_origins: Vec<String>,
    /// Send `Strict-Transport-Security`: set when clients reach Bourse over TLS (a terminating proxy).
    pub hsts: bool,
    /// `human` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `bourse=debug,sqlx=warn`.
    pub log_filter: String,
    /// How often the outbox relay looks for unpublished events when nobody wakes it.
    pub outbox_poll_interval_ms: u64,
    /// How often the server releases holds whose expiry has passed.
    pub hold_expiry_interval_secs: u64,
    /// HMAC key for access tokens (hex, at least 32 bytes); generated into `data_dir` when absent.
    pub jwt_secret: Option<Secret<String>>,
    /// AES-256-GCM key for secrets at rest (hex, exactly 32 bytes); generated into `data_dir` when absent.
    pub data_encryption_key: Option<Secret<String>>,
    /// Lifetime of an access token.
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token (and so of an idle session).
    pub refresh_token_ttl_secs: u64,
    /// argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// argon2id passes over memory.
    pub argon2_iterations: u32,
    /// argon2id lanes.
    pub argon2_parallelism: u32,
    /// Password hashes computed at once, each holding `argon2_memory_kib` until it ends; unset: one per CPU the
    /// process may use.
    pub password_hash_concurrency: Option<u32>,
    /// Requests that may wait for a hashing turn when all are taken; more are refused at once.
    pub password_hash_queue: u32,
    /// How long a request waits for a hashing turn before it is refused.
    pub password_hash_wait_ms: u64,
    /// Failed logins for one email or one IP, within `login_lockout_secs`, before logins from it are locked.
    pub login_max_failures: u32,
    /// How long a lock lasts, and the window in which failures are counted.
    pub login_lockout_secs: u64,
    /// An API-key request whose `X-Api-Timestamp` is further than this from the server's clock (either way) is
    /// refused: it bounds how long a captured request can be replayed.
    pub api_key_window_secs: u64,
    /// Apply the rate limits below; off only for benchmarks or behind a gateway that limits instead.
    pub rate_limits_enabled: bool,
    /// The window every `rate_limit_*` count refers to; buckets refill continuously over it.
    pub rate_limit_window_secs: u64,
    /// Requests per window for a signed-in user of tier BASIC.
    pub rate_limit_basic: u32,
    /// Requests per window for a signed-in user of tier PRO.
    pub rate_limit_pro: u32,
    /// Login attempts per window per client IP, and again per email address.
    pub rate_limit_login: u32,
    /// Register, refresh and 2FA-verify requests per window per client IP.
    pub rate_limit_auth: u32,
    /// Requests without a valid access token (public reads) per window per client IP.
    pub rate_limit_public: u32,
    /// Requests per window for the whole service (all nodes, when shared through Redis).
    pub rate_limit_global: u32,
    /// Most client keys held in memory by the in-process limiter.
    pub rate_limit_max_keys: usize,
    /// Prefix of the limiter's Redis keys; nodes sharing limits must use the same one.
    pub rate_limit_redis_prefix: String,
    /// How long a request waits for Redis before the in-process buckets decide instead.
    pub rate_limit_redis_timeout_ms: u64,
    /// Proxy addresses whose `X-Forwarded-For` is believed; empty means the TCP peer is the client.
    pub rate_limit_trusted_proxies: Vec<String>,
    /// Custody and payment providers that may notify deposits at `POST /v1/webhooks/deposits`, each with the
    /// secret its notifications are signed with.
    pub deposit_providers: Vec<DepositProvider>,
    /// Confirmations a provider-notified deposit needs, per asset code, before it is credited as available;
    /// an asset not listed needs 1.
    pub deposit_confirmations: BTreeMap<String, u32>,
    /// Per asset code: the minimum, the fee and the rolling 24 h limit of a user's withdrawals, as decimal
    /// strings at the asset's precision (checked against it when the server starts). An asset not listed has no
    /// minimum beyond its smallest unit, no fee and no daily limit.
    pub withdrawal_limits: BTreeMap<String, WithdrawalLimit>,
    /// Seconds before a newly saved withdrawal destination may be used, and before switching the allow-list mode
    /// off takes effect.
    pub withdrawal_destination_cooldown_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./bourse-data"),
            database_url: None,
            redis_url: None,
            nats_url: None,
            db_max_connections: 16,
            db_acquire_timeout_secs: 5,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 20,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            // Well under the usual open-file limits, and far more than one node of this size can keep busy.
            max_connections: 4096,
            metrics_token: None,
            cors_allowed_origins: Vec::new(),
            hsts: false,
            log_format: LogFormat::Human,
            log_filter: "info".to_owned(),
            outbox_poll_interval_ms: 200,
            hold_expiry_interval_secs: 5,
            jwt_secret: None,
            data_encryption_key: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            password_hash_concurrency: None,
            password_hash_queue: 32,
            password_hash_wait_ms: 1000,
            login_max_failures: 5,
            login_lockout_secs: 15 * 60,
            api_key_window_secs: 5,
            rate_limits_enabled: true,
            rate_limit_window_secs: 60,
            rate_limit_basic: 60,
            rate_limit_pro: 300,
            rate_limit_login: 5,
            rate_limit_auth: 20,
            rate_limit_public: 120,
            rate_limit_global: 60_000,
            rate_limit_max_keys: 100_000,
            rate_limit_redis_prefix: "bourse:rl".to_owned(),
            rate_limit_redis_timeout_ms: 100,
            rate_limit_trusted_proxies: Vec::new(),
            deposit_providers: Vec::new(),
            // Common custody practice: a few blocks for Bitcoin, more for Ethereum's probabilistic finality.
            deposit_confirmations: BTreeMap::from([("BTC".to_owned(), 3), ("ETH".to_owned(), 12)]),
            withdrawal_limits: BTreeMap::new(),
            withdrawal_destination_cooldown_secs: 24 * 3600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Parse(String),
    #[error("invalid configuration: `{key}` {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("configuration file {path} cannot be read: {reason}")]
    File { path: PathBuf, reason: String },
}

/// Values given on the command line; they win over every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Loads the configuration. `file` is an explicit `--config` path (which must exist); without it
    /// `bourse.toml` in the working directory is read when present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        Self::from_figment(Self::figment(file)?, overrides)
    }

    fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError::File {
                    path: path.to_owned(),
                    reason: "no such file".to_owned(),
                });
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        // The conventional names first, so the BOURSE_ ones can override them.
        Ok(figment
            .merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL", "NATS_URL"]))
            .merge(bourse_env()))
    }

    pub fn from_figment(figment: Figment, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Parse(describe_figment_error(e)))?;
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = dir.clone();
        }
        config.drop_empty_urls();
        config.validate()?;
        Ok(config)
    }

    /// An empty `DATABASE_URL=` in a shell means "not set", not "connect to nothing".
    fn drop_empty_urls(&mut self) {
        for url in [&mut self.database_url, &mut self.redis_url, &mut self.nats_url] {
            if url.as_ref().is_some_and(|u| u.expose().trim().is_empty()) {
                *url = None;
            }
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        if self.data_dir.as_os_str().is_empty() {
            return invalid("data_dir", "must not be empty");
        }
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return invalid("database_url", "must be a postgres:// URL (leave it unset for SQLite)");
            }
        }
        if let Some(url) = &self.redis_url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            return invalid("redis_url", "must be a redis:// or rediss:// URL");
        }
        if let Some(url) = &self.nats_url
            && !url.expose().starts_with("nats://")
        {
            return invalid("nats_url", "must be a nats:// URL");
        }
        if self.db_max_connections == 0 || self.db_max_connections > 1000 {
            return invalid("db_max_connections", "must be between 1 and 1000");
        }
        if self.db_acquire_timeout_secs == 0 {
            return invalid("db_acquire_timeout_secs", "must be at least 1");
        }
        if self.body_limit_bytes < 1024 || self.body_limit_bytes > 1024 * 1024 * 1024 {
            return invalid("body_limit_bytes", "must be between 1024 and 1073741824");
        }
        if self.request_timeout_secs == 0 || self.request_timeout_secs > 3600 {
            return invalid("request_timeout_secs", "must be between 1 and 3600");
        }
        if self.shutdown_grace_secs > 3600 {
            return invalid("shutdown_grace_secs", "must be at most 3600");
        }
        if self.outbox_poll_interval_ms == 0 || self.outbox_poll_interval_ms > 60_000 {
            return invalid("outbox_poll_interval_ms", "must be between 1 and 60000");
        }
        if self.hold_expiry_interval_secs == 0 || self.hold_expiry_interval_secs > 3600 {
            return invalid("hold_expiry_interval_secs", "must be between 1 and 3600");
        }
        for origin in &self.cors_allowed_origins {
            let ok = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && !origin.ends_with('/')
                    && origin.is_ascii());
            if !ok {
                return invalid(
                    "cors_allowed_origins",
                    &format!("entry {origin:?} must be \"*\" or an origin such as \"https://app.example.com\""),
                );
            }
        }
        if !(60..=24 * 3600).contains(&self.access_token_ttl_secs) {
            return invalid("access_token_ttl_secs", "must be between 60 and 86400");
        }
        if !(3600..=365 * 24 * 3600).contains(&self.refresh_token_ttl_secs) {
            return invalid("refresh_token_ttl_secs", "must be between 3600 and 31536000");
        }
        if !(8 * 1024..=4 * 1024 * 1024).contains(&self.argon2_memory_kib) {
            return invalid("argon2_memory_kib", "must be between 8192 and 4194304");
        }
        if !(1..=64).contains(&self.argon2_iterations) {
            return invalid("argon2_iterations", "must be between 1 and 64");
        }
        if !(1..=64).contains(&self.argon2_parallelism) {
            return invalid("argon2_parallelism", "must be between 1 and 64");
        }
        self.validate_password_hashing()?;
        if !(1..=1000).contains(&self.login_max_failures) {
            return invalid("login_max_failures", "must be between 1 and 1000");
        }
        if !(1..=7 * 24 * 3600).contains(&self.login_lockout_secs) {
            return invalid("login_lockout_secs", "must be between 1 and 604800");
        }
        if !(1..=300).contains(&self.api_key_window_secs) {
            return invalid("api_key_window_secs", "must be between 1 and 300");
        }
        self.validate_serving()?;
        self.validate_rate_limits()?;
        self.validate_deposits()?;
        self.validate_withdrawal_limits()?;
        if self.log_filter.trim().is_empty() {
            return invalid("log_filter", "must not be empty");
        }
        Ok(())
    }

    fn validate_password_hashing(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        if self.password_hash_concurrency.is_some_and(|n| !(1..=256).contains(&n)) {
            return invalid("password_hash_concurrency", "must be between 1 and 256 (or unset)");
        }
        if self.password_hash_queue > 10_000 {
            return invalid("password_hash_queue", "must be between 0 and 10000");
        }
        if !(1..=30_000).contains(&self.password_hash_wait_ms) {
            return invalid("password_hash_wait_ms", "must be between 1 and 30000");
        }
        Ok(())
    }

    fn validate_rate_limits(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        if !(1..=86_400).contains(&self.rate_limit_window_secs) {
            return invalid("rate_limit_window_secs", "must be between 1 and 86400".to_owned());
        }
        for (key, value) in [
            ("rate_limit_basic", self.rate_limit_basic),
            ("rate_limit_pro", self.rate_limit_pro),
            ("rate_limit_login", self.rate_limit_login),
            ("rate_limit_auth", self.rate_limit_auth),
            ("rate_limit_public", self.rate_limit_public),
            ("rate_limit_global", self.rate_limit_global),
        ] {
            // The bound keeps limit × window in milliseconds exact in Redis's Lua doubles.
            if !(1..=1_000_000).contains(&value) {
                return invalid(key, "must be between 1 and 1000000".to_owned());
            }
        }
        if !(1_000..=10_000_000).contains(&self.rate_limit_max_keys) {
            return invalid("rate_limit_max_keys", "must be between 1000 and 10000000".to_owned());
        }
        let prefix = &self.rate_limit_redis_prefix;
        if prefix.is_empty() || prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
            return invalid(
                "rate_limit_redis_prefix",
                "must be 1 to 64 printable ASCII characters without spaces".to_owned(),
            );
        }
        if !(1..=10_000).contains(&self.rate_limit_redis_timeout_ms) {
            return invalid("rate_limit_redis_timeout_ms", "must be between 1 and 10000".to_owned());
        }
        for proxy in &self.rate_limit_trusted_proxies {
            if proxy.parse::<std::net::IpAddr>().is_err() {
                return invalid(
                    "rate_limit_trusted_proxies",
                    format!("entry {proxy:?} must be an IP address such as \"10.0.0.2\""),
                );
            }
        }
        Ok(())
    }

    /// The configuration as TOML with every secret masked, for `bourse config`.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        // URLs are useful to see, so only their passwords are masked.
        for url in [&mut shown.database_url, &mut shown.redis_url, &mut shown.nats_url]
            .into_iter()
            .flatten()
        {
            *url = Secret::new(mask_url_password(url.expose()));
        }
        let mut value = match toml::Value::try_from(&shown) {
            Ok(value) => value,
            Err(e) => return format!("# configuration cannot be shown: {e}\n"),
        };
        if let Some(table) = value.as_table_mut() {
            for (key, url) in [
                ("database_url", &shown.database_url),
                ("redis_url", &shown.redis_url),
                ("nats_url", &shown.nats_url),
            ] {
                if let Some(url) = url {
                    table.insert(key.to_owned(), toml::Value::String(url.expose().clone()));
                }
            }
        }
        toml::to_string_pretty(&value).unwrap_or_else(|e| format!("# configuration cannot be shown: {e}\n"))
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("bourse.sqlite3")
    }
}

/// `BOURSE_*` variables, less the ones that configure other things: `BOURSE_CONFIG` names the file, and
/// `BOURSE_TEST_*` point the test suites at services. Every other `BOURSE_*` name must be a known key, so a
/// typo stops start-up instead of being ignored.
fn bourse_env() -> Env {
    Env::prefixed("BOURSE_").filter(|key| key != "config" && !key.as_str().to_ascii_lowercase().starts_with("test_"))
}

/// Figment's messages name the key and the source; this keeps them and drops the Rust type noise.
fn describe_figment_error(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &e.metadata.as_ref().and_then(|m| m.source.clone()) {
                    Some(src) => format!(" in {} ({src})", m.name),
                    None => format!(" in {}", m.name),
                })
                .unwrap_or_default();
            if key.is_empty() {
                format!("{}{source}", e.kind)
            } else {
                format!("`{key}`: {}{source}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
