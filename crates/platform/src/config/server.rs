//! `[server]`: how the HTTP server binds and what a request or a connection may take.

use super::{ConfigError, Section};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the HTTP server binds; port 0 picks a free port.
    pub listen: SocketAddr,
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
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
        }
    }
}

impl Section for ServerConfig {
    const NAME: &'static str = "server";

    fn validate(&self) -> Result<(), ConfigError> {
        if self.body_limit_bytes < 1024 || self.body_limit_bytes > 1024 * 1024 * 1024 {
            return Err(ConfigError::invalid(
                "server.body_limit_bytes",
                "must be between 1024 and 1073741824",
            ));
        }
        if self.request_timeout_secs == 0 || self.request_timeout_secs > 3600 {
            return Err(ConfigError::invalid(
                "server.request_timeout_secs",
                "must be between 1 and 3600",
            ));
        }
        if self.shutdown_grace_secs > 3600 {
            return Err(ConfigError::invalid(
                "server.shutdown_grace_secs",
                "must be at most 3600",
            ));
        }
        if !(1..=300).contains(&self.header_read_timeout_secs) {
            return Err(ConfigError::invalid(
                "server.header_read_timeout_secs",
                "must be between 1 and 300",
            ));
        }
        if !(1..=3600).contains(&self.idle_timeout_secs) {
            return Err(ConfigError::invalid(
                "server.idle_timeout_secs",
                "must be between 1 and 3600",
            ));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(ConfigError::invalid(
                "server.max_connections",
                "must be between 1 and 1000000",
            ));
        }
        if let Some(token) = &self.metrics_token {
            let token = token.expose();
            // It travels in a header, and a short one could be guessed: `/metrics` is not rate limited.
            if !(32..=256).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::invalid(
                    "server.metrics_token",
                    "must be 32 to 256 printable ASCII characters without spaces",
                ));
            }
        }
        for origin in &self.cors_allowed_origins {
            let ok = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && !origin.ends_with('/')
                    && origin.is_ascii());
            if !ok {
                return Err(ConfigError::invalid(
                    "server.cors_allowed_origins",
                    format!("entry {origin:?} must be \"*\" or an origin such as \"https://app.example.com\""),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table;

    fn check(adjust: impl FnOnce(&mut ServerConfig)) -> Result<(), String> {
        let mut config = ServerConfig::default();
        adjust(&mut config);
        config.validate().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_pass_and_each_key_is_bounded() {
        assert_eq!(check(|_| {}), Ok(()));
        for (key, adjust) in [
            (
                "header_read_timeout_secs",
                (|c: &mut ServerConfig| c.header_read_timeout_secs = 0) as fn(&mut ServerConfig),
            ),
            ("header_read_timeout_secs", |c| c.header_read_timeout_secs = 301),
            ("idle_timeout_secs", |c| c.idle_timeout_secs = 0),
            ("max_connections", |c| c.max_connections = 0),
            ("metrics_token", |c| c.metrics_token = Some(Secret::new("short".into()))),
            ("metrics_token", |c| {
                c.metrics_token = Some(Secret::new(format!("{} x", "a".repeat(40))))
            }),
        ] {
            let error = check(adjust).unwrap_err();
            assert!(error.contains(&format!("server.{key}")), "{error}");
        }
        assert_eq!(check(|c| c.metrics_token = Some(Secret::new("t".repeat(32)))), Ok(()));
    }

    #[test]
    fn the_metrics_token_is_masked_when_printed() {
        let config = ServerConfig {
            metrics_token: Some(Secret::new("scrape-me-0123456789abcdef0123456789".into())),
            ..ServerConfig::default()
        };
        let shown = toml::to_string(&table(&config)).unwrap();
        assert!(!shown.contains("scrape-me"), "{shown}");
        assert!(shown.contains("metrics_token = \"********\""), "{shown}");
    }
}
