//! `[rate_limits]`: token buckets per user tier, per client IP for public and authentication routes, and for the
//! whole service; shared by the nodes through Redis when `storage.redis_url` is set.

use super::{ConfigError, Section};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Apply the limits below; off only for benchmarks or behind a gateway that limits instead.
    pub enabled: bool,
    /// The window every count below refers to; buckets refill continuously over it.
    pub window_secs: u64,
    /// Requests per window for a signed-in user of tier BASIC.
    pub basic: u32,
    /// Requests per window for a signed-in user of tier PRO.
    pub pro: u32,
    /// Login attempts per window per client IP, and again per email address.
    pub login: u32,
    /// Register, refresh and 2FA-verify requests per window per client IP.
    pub auth: u32,
    /// Requests without a valid access token (public reads) per window per client IP.
    pub public: u32,
    /// Requests per window for the whole service (all nodes, when shared through Redis).
    pub global: u32,
    /// Most client keys held in memory by the in-process limiter.
    pub max_keys: usize,
    /// Prefix of the limiter's Redis keys; nodes sharing limits must use the same one.
    pub redis_prefix: String,
    /// How long a request waits for Redis before the in-process buckets decide instead.
    pub redis_timeout_ms: u64,
    /// Proxy addresses whose `X-Forwarded-For` is believed; empty means the TCP peer is the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            enabled: true,
            window_secs: 60,
            basic: 60,
            pro: 300,
            login: 5,
            auth: 20,
            public: 120,
            global: 60_000,
            max_keys: 100_000,
            redis_prefix: "bourse:rl".to_owned(),
            redis_timeout_ms: 100,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Section for RateLimitsConfig {
    const NAME: &'static str = "rate_limits";

    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=86_400).contains(&self.window_secs) {
            return Err(ConfigError::invalid(
                "rate_limits.window_secs",
                "must be between 1 and 86400",
            ));
        }
        for (key, value) in [
            ("rate_limits.basic", self.basic),
            ("rate_limits.pro", self.pro),
            ("rate_limits.login", self.login),
            ("rate_limits.auth", self.auth),
            ("rate_limits.public", self.public),
            ("rate_limits.global", self.global),
        ] {
            // The bound keeps limit × window in milliseconds exact in Redis's Lua doubles.
            if !(1..=1_000_000).contains(&value) {
                return Err(ConfigError::invalid(key, "must be between 1 and 1000000"));
            }
        }
        if !(1_000..=10_000_000).contains(&self.max_keys) {
            return Err(ConfigError::invalid(
                "rate_limits.max_keys",
                "must be between 1000 and 10000000",
            ));
        }
        let prefix = &self.redis_prefix;
        if prefix.is_empty() || prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::invalid(
                "rate_limits.redis_prefix",
                "must be 1 to 64 printable ASCII characters without spaces",
            ));
        }
        if !(1..=10_000).contains(&self.redis_timeout_ms) {
            return Err(ConfigError::invalid(
                "rate_limits.redis_timeout_ms",
                "must be between 1 and 10000",
            ));
        }
        for proxy in &self.trusted_proxies {
            if proxy.parse::<std::net::IpAddr>().is_err() {
                return Err(ConfigError::invalid(
                    "rate_limits.trusted_proxies",
                    format!("entry {proxy:?} must be an IP address such as \"10.0.0.2\""),
                ));
            }
        }
        Ok(())
    }
}
