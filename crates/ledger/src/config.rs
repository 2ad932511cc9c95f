//! `[ledger]`: the ledger's background work.

use platform::ConfigError;
use platform::config::Section;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LedgerConfig {
    /// How often the server releases holds whose expiry has passed.
    pub hold_expiry_interval_secs: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            hold_expiry_interval_secs: 5,
        }
    }
}

impl Section for LedgerConfig {
    const NAME: &'static str = "ledger";

    fn validate(&self) -> Result<(), ConfigError> {
        if self.hold_expiry_interval_secs == 0 || self.hold_expiry_interval_secs > 3600 {
            return Err(ConfigError::invalid(
                "ledger.hold_expiry_interval_secs",
                "must be between 1 and 3600",
            ));
        }
        Ok(())
    }
}
