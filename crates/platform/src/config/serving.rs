//! The keys that bound what a connection may hold on to (header and idle timeouts, the connection limit) and
//! the token that guards `/metrics`.

use super::{Config, ConfigError};

impl Config {
    pub(super) fn validate_serving(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        if !(1..=300).contains(&self.header_read_timeout_secs) {
            return invalid("header_read_timeout_secs", "must be between 1 and 300");
        }
        if !(1..=3600).contains(&self.idle_timeout_secs) {
            return invalid("idle_timeout_secs", "must be between 1 and 3600");
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return invalid("max_connections", "must be between 1 and 1000000");
        }
        if let Some(token) = &self.metrics_token {
            let token = token.expose();
            // It travels in a header, and a short one could be guessed: `/metrics` is not rate limited.
            if !(32..=256).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return invalid(
                    "metrics_token",
                    "must be 32 to 256 printable ASCII characters without spaces",
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Secret};

    fn check(adjust: impl FnOnce(&mut Config)) -> Result<(), String> {
        let mut config = Config::default();
        adjust(&mut config);
        config.validate_serving().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_pass_and_each_key_is_bounded() {
        assert_eq!(check(|_| {}), Ok(()));
        for (key, adjust) in [
            (
                "header_read_timeout_secs",
                (|c: &mut Config| c.header_read_timeout_secs = 0) as fn(&mut Config),
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
            assert!(error.contains(key), "{error}");
        }
        assert_eq!(check(|c| c.metrics_token = Some(Secret::new("t".repeat(32)))), Ok(()));
    }

    #[test]
    fn the_metrics_token_is_masked_when_printed() {
        let config = Config {
            metrics_token: Some(Secret::new("scrape-me-0123456789abcdef0123456789".into())),
            ..Config::default()
        };
        let shown = config.to_masked_toml();
        assert!(!shown.contains("scrape-me"), "{shown}");
        assert!(shown.contains("metrics_token = \"********\""), "{shown}");
    }
}
