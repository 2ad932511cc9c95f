//! The per-asset withdrawal rules of `withdrawal_limits` in minor units. The configuration checks their shape;
//! their decimal places can only be checked against the asset catalogue. That happens at start-up
//! ([`check_config`]) for the assets listed then, so a misconfigured rule stops the server; an asset added later
//! (or whose precision changed) is converted at request time against its current precision by [`rules_for`],
//! which rounds a value with too many decimals in the platform's favour instead of failing the request.

use crate::{FundingConfig, FundingError};
use ledger::{Asset, AssetCatalogue, LedgerError, largest_amount};
use money::{Amount, AssetCode, DecimalString, HouseFlow, Precision, RoundingMode};

/// Minor units of one asset's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawalRules {
    pub min: u128,
    pub fee: u128,
    /// `None`: the asset has no configured rules and no daily limit.
    pub daily_limit: Option<u128>,
}

impl WithdrawalRules {
    /// Refuses an amount below the asset's minimum, naming `amount`.
    pub fn check_minimum(&self, amount: u128, asset: &Asset) -> Result<(), FundingError> {
        if amount < self.min {
            return Err(FundingError::Invalid {
                field: "amount",
                reason: format!(
                    "is below the minimum withdrawal of {} {}",
                    Amount::from_minor(self.min, asset.precision),
                    asset.code
                ),
            });
        }
        Ok(())
    }
}

/// The rules of `asset` at its current precision: the configured ones, else a minimum of the smallest unit, no
/// fee and no daily limit. A configured value with more decimals than the asset has is rounded in the platform's
/// favour by [`RoundingMode::for_house`] and logged: the minimum and the fee are what the platform requires and
/// receives (up), the daily limit is what it lets out (down). Every value is capped at the largest
/// amount a request may move. Never fails, so a rule can never turn a withdrawal into a 500.
pub fn rules_for(config: &FundingConfig, asset: &Asset) -> WithdrawalRules {
    let Some(limit) = config.withdrawal_limits.get(asset.code.as_str()) else {
        return WithdrawalRules {
            min: 1,
            fee: 0,
            daily_limit: None,
        };
    };
    let largest = largest_amount(asset.precision);
    let minor = |name: &str, text: &str, flow: HouseFlow| {
        let rounding = RoundingMode::for_house(flow);
        let (value, exact) = to_minor(text, asset.precision, rounding).unwrap_or((largest, false));
        if !exact || value > largest {
            tracing::warn!(
                asset = %asset.code,
                precision = asset.precision.get(),
                "withdrawal_limits.{}.{name} {text:?} does not fit the asset's precision; rounded in the platform's favour",
                asset.code
            );
        }
        value.min(largest)
    };
    WithdrawalRules {
        min: minor("min", &limit.min, HouseFlow::Receives).max(1),
        fee: minor("fee", &limit.fee, HouseFlow::Receives),
        daily_limit: Some(minor("daily_limit", &limit.daily_limit, HouseFlow::PaysOut)),
    }
}

/// A plain non-negative decimal in minor units at `precision`, rounded as asked, and whether that was exact;
/// `None` for text that is not such a decimal or beyond `u128`.
fn to_minor(text: &str, precision: Precision, rounding: RoundingMode) -> Option<(u128, bool)> {
    let rounded = DecimalString::parse(text).and_then(|d| d.to_scaled_rounded(precision.get(), rounding));
    rounded.ok().map(|r| (r.value, r.exact))
}

/// The strict form of a rule, for start-up: more decimals than the asset allows is an error.
fn check_rule(config: &FundingConfig, asset: &Asset) -> Result<(), String> {
    let Some(limit) = config.withdrawal_limits.get(asset.code.as_str()) else {
        return Ok(());
    };
    for (name, text) in [
        ("min", &limit.min),
        ("fee", &limit.fee),
        ("daily_limit", &limit.daily_limit),
    ] {
        let amount = Amount::parse(text, asset.precision)
            .map_err(|e| format!("withdrawal_limits.{}.{name} {text:?}: {e}", asset.code))?;
        if amount.minor() > largest_amount(asset.precision) {
            return Err(format!(
                "withdrawal_limits.{}.{name} {text:?}: larger than the largest amount supported",
                asset.code
            ));
        }
    }
    Ok(())
}

/// Checks every configured rule against its asset's precision. An asset not (yet) in the catalogue is skipped:
/// [`rules_for`] converts its rules when it is withdrawn.
pub async fn check_config(config: &FundingConfig, assets: &AssetCatalogue) -> Result<(), String> {
    for code in config.withdrawal_limits.keys() {
        let code = AssetCode::parse(code).map_err(|e| format!("withdrawal_limits: {code:?}: {e}"))?;
        let asset = match assets.get(&code).await {
            Ok(asset) => asset,
            Err(LedgerError::AssetNotFound(_)) => continue,
            Err(other) => return Err(other.to_string()),
        };
        check_rule(config, &asset)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(places: u8) -> Precision {
        Precision::new(places).unwrap()
    }

    #[test]
    fn converts_exactly_or_rounds_as_asked() {
        assert_eq!(to_minor("0.001", p(8), RoundingMode::Up), Some((100_000, true)));
        assert_eq!(to_minor("12", p(2), RoundingMode::Down), Some((1200, true)));
        assert_eq!(to_minor("1.50", p(1), RoundingMode::Up), Some((15, true)));
        assert_eq!(to_minor("0.0001", p(2), RoundingMode::Up), Some((1, false)));
        assert_eq!(to_minor("0.0001", p(2), RoundingMode::Down), Some((0, false)));
        assert_eq!(to_minor("100.999", p(2), RoundingMode::Down), Some((10_099, false)));
        assert_eq!(to_minor("100.991", p(2), RoundingMode::Up), Some((10_100, false)));
        assert_eq!(to_minor("7.9", p(0), RoundingMode::Up), Some((8, false)));
        assert_eq!(to_minor(&"9".repeat(39), p(18), RoundingMode::Down), None);
        for bad in ["", ".5", "1e3", "-1", "1.2.3"] {
            assert_eq!(to_minor(bad, p(2), RoundingMode::Up), None, "{bad}");
        }
    }
}
