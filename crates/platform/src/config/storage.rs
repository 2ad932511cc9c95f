//! `[storage]`: where data lives (the embedded database and local files, or PostgreSQL) and the shared services
//! beside it (Redis, NATS).

use super::{ConfigError, Section};
use crate::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Where the embedded database, generated secrets and local files live.
    pub data_dir: PathBuf,
    /// PostgreSQL URL (also `DATABASE_URL`); when absent, SQLite in `data_dir` is used.
    #[serde(deserialize_with = "empty_is_unset")]
    pub database_url: Option<Secret<String>>,
    /// Redis URL (also `REDIS_URL`): shared rate limits, replay guard and caches, checked by `/readyz`.
    #[serde(deserialize_with = "empty_is_unset")]
    pub redis_url: Option<Secret<String>>,
    /// NATS URL (also `NATS_URL`), checked by `/readyz` when set.
    #[serde(deserialize_with = "empty_is_unset")]
    pub nats_url: Option<Secret<String>>,
    /// Upper bound of the database connection pool.
    pub db_max_connections: u32,
    /// How long a request waits for a pooled connection before failing.
    pub db_acquire_timeout_secs: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./bourse-data"),
            database_url: None,
            redis_url: None,
            nats_url: None,
            db_max_connections: 16,
            db_acquire_timeout_secs: 5,
        }
    }
}

/// An empty `DATABASE_URL=` in a shell means "not set", not "connect to nothing".
fn empty_is_unset<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Secret<String>>, D::Error> {
    let url = Option::<String>::deserialize(deserializer)?;
    Ok(url.filter(|u| !u.trim().is_empty()).map(Secret::new))
}

impl StorageConfig {
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("bourse.sqlite3")
    }
}

impl Section for StorageConfig {
    const NAME: &'static str = "storage";

    fn validate(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::invalid("storage.data_dir", "must not be empty"));
        }
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::invalid(
                    "storage.database_url",
                    "must be a postgres:// URL (leave it unset for SQLite)",
                ));
            }
        }
        if let Some(url) = &self.redis_url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            return Err(ConfigError::invalid(
                "storage.redis_url",
                "must be a redis:// or rediss:// URL",
            ));
        }
        if let Some(url) = &self.nats_url
            && !url.expose().starts_with("nats://")
        {
            return Err(ConfigError::invalid("storage.nats_url", "must be a nats:// URL"));
        }
        if self.db_max_connections == 0 || self.db_max_connections > 1000 {
            return Err(ConfigError::invalid(
                "storage.db_max_connections",
                "must be between 1 and 1000",
            ));
        }
        if self.db_acquire_timeout_secs == 0 {
            return Err(ConfigError::invalid(
                "storage.db_acquire_timeout_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}
