//! `[outbox]`: the relay that publishes committed events.

use super::{ConfigError, Section};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// How often the relay looks for unpublished events when no commit wakes it (events written by another
    /// node, or left by a crash).
    pub poll_interval_ms: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig { poll_interval_ms: 200 }
    }
}

impl Section for OutboxConfig {
    const NAME: &'static str = "outbox";

    fn validate(&self) -> Result<(), ConfigError> {
        if self.poll_interval_ms == 0 || self.poll_interval_ms > 60_000 {
            return Err(ConfigError::invalid(
                "outbox.poll_interval_ms",
                "must be between 1 and 60000",
            ));
        }
        Ok(())
    }
}
