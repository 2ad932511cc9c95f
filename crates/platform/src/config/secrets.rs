//! `[secrets]`: the platform's two keys. Either is generated into `data_dir` on first start when not given.

use super::{ConfigError, Section};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// HMAC key for access tokens (hex, at least 32 bytes); generated into `data_dir` when absent.
    pub jwt_secret: Option<Secret<String>>,
    /// AES-256-GCM key for secrets at rest (hex, exactly 32 bytes); generated into `data_dir` when absent.
    pub data_encryption_key: Option<Secret<String>>,
}

impl Section for SecretsConfig {
    const NAME: &'static str = "secrets";

    /// The keys' encoding and length are checked when they are loaded ([`crate::Keys`]), beside the generated
    /// ones.
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}
