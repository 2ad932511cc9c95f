//! `[funding]`: money entering and leaving the platform: which providers may notify deposits, how many
//! confirmations a deposit needs, each asset's withdrawal minimum, fee and daily limit, and the destination
//! cooldown.

use platform::config::Section;
use platform::{ConfigError, Secret};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundingConfig {
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

impl Default for FundingConfig {
    fn default() -> Self {
        FundingConfig {
            deposit_providers: Vec::new(),
            // Common custody practice: a few blocks for Bitcoin, more for Ethereum's probabilistic finality.
            deposit_confirmations: BTreeMap::from([("BTC".to_owned(), 3), ("ETH".to_owned(), 12)]),
            withdrawal_limits: BTreeMap::new(),
            withdrawal_destination_cooldown_secs: 24 * 3600,
        }
    }
}

impl Section for FundingConfig {
    const NAME: &'static str = "funding";

    fn validate(&self) -> Result<(), ConfigError> {
        self.validate_deposits()?;
        self.validate_withdrawal_limits()
    }
}

/// The withdrawal rules of one asset; amounts are plain decimal strings such as `"0.001"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalLimit {
    pub min: String,
    pub fee: String,
    pub daily_limit: String,
}

/// A provider allowed to notify deposits: the `X-Provider` name it sends and the HMAC-SHA256 key of its
/// `X-Signature`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositProvider {
    pub name: String,
    pub secret: Secret<String>,
}

/// 2 to 10 upper-case letters, as an asset code is (the catalogue itself is not at hand here).
fn is_asset_code(key: &str) -> bool {
    (2..=10).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_uppercase())
}

impl FundingConfig {
    fn validate_deposits(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        let mut names = std::collections::BTreeSet::new();
        for provider in &self.deposit_providers {
            let name = &provider.name;
            let well_formed = (1..=64).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !well_formed {
                return invalid(
                    "funding.deposit_providers",
                    format!("name {name:?} must be 1 to 64 of a-z, 0-9, - and _"),
                );
            }
            if !names.insert(name.as_str()) {
                return invalid("funding.deposit_providers", format!("name {name:?} appears twice"));
            }
            if provider.secret.expose().len() < 32 {
                return invalid(
                    "funding.deposit_providers",
                    format!("the secret of {name:?} must be at least 32 characters"),
                );
            }
        }
        for (asset, count) in &self.deposit_confirmations {
            if !is_asset_code(asset) {
                return invalid(
                    "funding.deposit_confirmations",
                    format!("key {asset:?} must be an asset code of 2 to 10 upper-case letters"),
                );
            }
            if *count > 10_000 {
                return invalid(
                    "funding.deposit_confirmations",
                    format!("{asset} must need at most 10000 confirmations"),
                );
            }
        }
        Ok(())
    }

    /// Shape only: asset-code keys and plain non-negative decimals; the precision check needs the asset
    /// catalogue and runs when the server starts.
    fn validate_withdrawal_limits(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| {
            Err(ConfigError::Invalid {
                key: "funding.withdrawal_limits",
                reason,
            })
        };
        let decimal = |text: &str| {
            let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
            text.len() <= 40
                && !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
        };
        // At least an hour: shorter would give a stolen session nearly immediate use of a new destination.
        if !(3600..=30 * 24 * 3600).contains(&self.withdrawal_destination_cooldown_secs) {
            return Err(ConfigError::Invalid {
                key: "funding.withdrawal_destination_cooldown_secs",
                reason: "must be between 3600 and 2592000".to_owned(),
            });
        }
        for (asset, limit) in &self.withdrawal_limits {
            if !is_asset_code(asset) {
                return invalid(format!(
                    "key {asset:?} must be an asset code of 2 to 10 upper-case letters"
                ));
            }
            for (name, value) in [
                ("min", &limit.min),
                ("fee", &limit.fee),
                ("daily_limit", &limit.daily_limit),
            ] {
                if !decimal(value) {
                    return invalid(format!(
                        "{asset}.{name} {value:?} must be a non-negative decimal such as \"0.01\""
                    ));
                }
            }
        }
        Ok(())
    }

    /// Confirmations a provider-notified deposit of `asset` needs before it is available: the configured count,
    /// else 1.
    pub fn required_confirmations(&self, asset: &str) -> u32 {
        self.deposit_confirmations.get(asset).copied().unwrap_or(1)
    }

    /// The configured provider called `name`.
    pub fn deposit_provider(&self, name: &str) -> Option<&DepositProvider> {
        self.deposit_providers.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
// figment's `Jail` closures return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;
    use platform::config::{Overrides, Sources};

    fn load_in_jail() -> Result<FundingConfig, ConfigError> {
        Sources::load(None, &Overrides::default())?.section()
    }

    /// The message of the error loading fails with, empty when it loads.
    fn load_error_in_jail() -> String {
        load_in_jail().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn withdrawal_limits_load_and_validate_their_shape() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "bourse.toml",
                "[funding]\nwithdrawal_limits.BTC = { min = \"0.001\", fee = \"0.0005\", daily_limit = \"2\" }",
            )?;
            let config = load_in_jail().map_err(|e| e.to_string())?;
            let btc = config.withdrawal_limits.get("BTC").cloned();
            assert_eq!(
                btc.map(|l| (l.min, l.fee, l.daily_limit)),
                Some(("0.001".into(), "0.0005".into(), "2".into()))
            );
            for toml in [
                "[funding]\nwithdrawal_limits.btc = { min = \"1\", fee = \"0\", daily_limit = \"2\" }",
                "[funding]\nwithdrawal_limits.BTC = { min = \"-1\", fee = \"0\", daily_limit = \"2\" }",
                "[funding]\nwithdrawal_limits.BTC = { min = \"1.\", fee = \"0\", daily_limit = \"2\" }",
                "[funding]\nwithdrawal_limits.BTC = { min = \"1\", fee = \"1e3\", daily_limit = \"2\" }",
            ] {
                jail.create_file("bourse.toml", toml)?;
                let error = load_error_in_jail();
                assert!(error.contains("`funding.withdrawal_limits`"), "{toml}: {error}");
            }
            Ok(())
        });
    }

    #[test]
    fn withdrawal_destination_cooldown_defaults_to_a_day_and_is_bounded() {
        Jail::expect_with(|jail| {
            assert_eq!(
                load_in_jail()
                    .map_err(|e| e.to_string())?
                    .withdrawal_destination_cooldown_secs,
                86_400
            );
            jail.create_file("bourse.toml", "[funding]\nwithdrawal_destination_cooldown_secs = 7200")?;
            assert_eq!(
                load_in_jail()
                    .map_err(|e| e.to_string())?
                    .withdrawal_destination_cooldown_secs,
                7200
            );
            for toml in [
                "[funding]\nwithdrawal_destination_cooldown_secs = 0",
                "[funding]\nwithdrawal_destination_cooldown_secs = 60",
                "[funding]\nwithdrawal_destination_cooldown_secs = 2592001",
            ] {
                jail.create_file("bourse.toml", toml)?;
                let error = load_error_in_jail();
                assert!(
                    error.contains("`funding.withdrawal_destination_cooldown_secs`"),
                    "{toml}: {error}"
                );
            }
            Ok(())
        });
    }

    #[test]
    fn deposit_providers_and_confirmations_load_validate_and_mask() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "bourse.toml",
                r#"
                [funding]
                deposit_confirmations = { USDT = 20, BTC = 6 }
                [[funding.deposit_providers]]
                name = "custody-one"
                secret = "whsec_0123456789abcdef0123456789abcdef"
                "#,
            )?;
            let config = load_in_jail().map_err(|e| e.to_string())?;
            assert_eq!(config.required_confirmations("USDT"), 20);
            assert_eq!(config.required_confirmations("BTC"), 6);
            assert_eq!(config.required_confirmations("ETH"), 12);
            assert_eq!(config.required_confirmations("USD"), 1);
            assert!(config.deposit_provider("custody-one").is_some());
            assert!(config.deposit_provider("other").is_none());
            let shown = toml::to_string(&platform::config::table(&config)).unwrap();
            assert!(!shown.contains("whsec_"), "{shown}");
            for (toml, key) in [
                (
                    "[[funding.deposit_providers]]\nname = \"x\"\nsecret = \"short\"",
                    "deposit_providers",
                ),
                (
                    "[[funding.deposit_providers]]\nname = \"Bad Name\"\nsecret = \"whsec_0123456789abcdef0123456789abcdef\"",
                    "deposit_providers",
                ),
                (
                    "[funding]\ndeposit_confirmations = { btc = 3 }",
                    "deposit_confirmations",
                ),
                (
                    "[funding]\ndeposit_confirmations = { BTC = 100000 }",
                    "deposit_confirmations",
                ),
            ] {
                jail.create_file("bourse.toml", toml)?;
                let error = load_error_in_jail();
                assert!(error.contains(&format!("`funding.{key}`")), "{toml}: {error}");
            }
            Ok(())
        });
    }
}
