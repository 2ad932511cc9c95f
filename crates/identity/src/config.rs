//! `[identity]`: token lifetimes, password hashing, login lockout and the API-key signature window.

use platform::ConfigError;
use platform::config::Section;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
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
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
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
        }
    }
}

impl Section for IdentityConfig {
    const NAME: &'static str = "identity";

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| Err(ConfigError::invalid(key, reason));
        if !(60..=24 * 3600).contains(&self.access_token_ttl_secs) {
            return invalid("identity.access_token_ttl_secs", "must be between 60 and 86400");
        }
        if !(3600..=365 * 24 * 3600).contains(&self.refresh_token_ttl_secs) {
            return invalid("identity.refresh_token_ttl_secs", "must be between 3600 and 31536000");
        }
        if !(8 * 1024..=4 * 1024 * 1024).contains(&self.argon2_memory_kib) {
            return invalid("identity.argon2_memory_kib", "must be between 8192 and 4194304");
        }
        if !(1..=64).contains(&self.argon2_iterations) {
            return invalid("identity.argon2_iterations", "must be between 1 and 64");
        }
        if !(1..=64).contains(&self.argon2_parallelism) {
            return invalid("identity.argon2_parallelism", "must be between 1 and 64");
        }
        if self.password_hash_concurrency.is_some_and(|n| !(1..=256).contains(&n)) {
            return invalid(
                "identity.password_hash_concurrency",
                "must be between 1 and 256 (or unset)",
            );
        }
        if self.password_hash_queue > 10_000 {
            return invalid("identity.password_hash_queue", "must be between 0 and 10000");
        }
        if !(1..=30_000).contains(&self.password_hash_wait_ms) {
            return invalid("identity.password_hash_wait_ms", "must be between 1 and 30000");
        }
        if !(1..=1000).contains(&self.login_max_failures) {
            return invalid("identity.login_max_failures", "must be between 1 and 1000");
        }
        if !(1..=7 * 24 * 3600).contains(&self.login_lockout_secs) {
            return invalid("identity.login_lockout_secs", "must be between 1 and 604800");
        }
        if !(1..=300).contains(&self.api_key_window_secs) {
            return invalid("identity.api_key_window_secs", "must be between 1 and 300");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(toml_text: &str) -> Result<IdentityConfig, String> {
        let config: IdentityConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    #[test]
    fn password_hashing_keys_are_checked() {
        assert_eq!(IdentityConfig::default().password_hash_concurrency, None);
        for (toml_text, key) in [
            ("password_hash_concurrency = 0", "identity.password_hash_concurrency"),
            ("password_hash_concurrency = 257", "identity.password_hash_concurrency"),
            ("password_hash_queue = 10001", "identity.password_hash_queue"),
            ("password_hash_wait_ms = 0", "identity.password_hash_wait_ms"),
            ("access_token_ttl_secs = 10", "identity.access_token_ttl_secs"),
            ("argon2_memory_kib = 1", "identity.argon2_memory_kib"),
        ] {
            let error = parsed(toml_text).unwrap_err();
            assert!(error.contains(key), "{toml_text}: {error}");
        }
        let config = parsed("password_hash_concurrency = 3\npassword_hash_queue = 0").unwrap();
        assert_eq!(
            (config.password_hash_concurrency, config.password_hash_queue),
            (Some(3), 0)
        );
        assert_eq!(config.login_max_failures, 5, "keys not given keep their defaults");
    }

    #[test]
    fn a_misspelt_key_is_refused() {
        let error = parsed("argon2_memory = 9000").unwrap_err();
        assert!(error.contains("argon2_memory"), "{error}");
    }
}
