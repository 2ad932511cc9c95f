//! `[log]`: the format and the filter of the server's log lines.

use super::{ConfigError, Section};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `bourse=debug,sqlx=warn`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Human,
            filter: "info".to_owned(),
        }
    }
}

impl Section for LogConfig {
    const NAME: &'static str = "log";

    fn validate(&self) -> Result<(), ConfigError> {
        if self.filter.trim().is_empty() {
            return Err(ConfigError::invalid("log.filter", "must not be empty"));
        }
        Ok(())
    }
}
