//! The per-asset withdrawal rules of `withdrawal_limits` in minor units. The configuration checks their shape;
//! their decimal places can only be checked against the asset catalogue, which happens once at start-up
//! ([`check_config`]) so a misconfigured rule stops the server instead of failing requests.

use ledger::{Asset, AssetCatalogue, LedgerError};
use money::{Amount, AssetCode};
use platform::Config;

/// Minor units of one asset's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawalRules {
    pub min: u128,
    pub fee: u128,
    /// `None`: the asset has no configured rules and no daily limit.
    pub daily_limit: Option<u128>,
}

/// The rules of `asset`: the configured ones, else a minimum of the smallest unit, no fee and no daily limit.
pub fn rules_for(config: &Config, asset: &Asset) -> Result<WithdrawalRules, String> {
    let Some(limit) = config.withdrawal_limits.get(asset.code.as_str()) else {
        return Ok(WithdrawalRules {
            min: 1,
            fee: 0,
            daily_limit: None,
        });
    };
    let minor = |name: &str, text: &str| {
        Amount::parse(text, asset.precision)
            .map(|a| a.minor())
            .map_err(|e| format!("withdrawal_limits.{}.{name} {text:?}: {e}", asset.code))
    };
    Ok(WithdrawalRules {
        min: minor("min", &limit.min)?.max(1),
        fee: minor("fee", &limit.fee)?,
        daily_limit: Some(minor("daily_limit", &limit.daily_limit)?),
    })
}

/// Checks every configured rule against its asset's precision. An asset not (yet) in the catalogue is skipped:
/// its rules are checked when it is first withdrawn.
pub async fn check_config(config: &Config, assets: &AssetCatalogue) -> Result<(), String> {
    for code in config.withdrawal_limits.keys() {
        let code = AssetCode::parse(code).map_err(|e| format!("withdrawal_limits: {code:?}: {e}"))?;
        let asset = match assets.get(&code).await {
            Ok(asset) => asset,
            Err(LedgerError::AssetNotFound(_)) => continue,
            Err(other) => return Err(other.to_string()),
        };
        rules_for(config, &asset)?;
    }
    Ok(())
}
