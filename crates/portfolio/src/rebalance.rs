//! A rebalancing plan: the buys and sells that bring current values to target weights, from prices already
//! fetched.
//!
//! - Targets are decimal percents per asset, each at least 0 with at most 4 decimal places, summing to exactly
//!   100. An asset held but not named is a target of 0: sold entirely.
//! - The total is the sum of current values (`amount × price`, half-even, as in the valuation). An asset's target
//!   value is `total × weight / 100`, rounded **down** to the currency's minor unit.
//! - The trade is the difference, turned into the asset at its price and rounded **down** to the asset's
//!   precision, so a buy never costs more than the difference and a sell never sells more than is held (a sell
//!   to 0 sells exactly what is held). Its value in the currency is `amount × price`, rounded down. So the plan's
//!   buys never spend more than the difference the targets call for, and leftover dust stays where it is.

use crate::activity::Currency;
use money::{AssetCode, Precision, Rate, RoundingMode, mul_div};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::num::NonZeroU128;

/// What is held of an asset and its price in the plan's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub asset: AssetCode,
    pub precision: Precision,
    pub amount: u128,
    pub price: Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Buy,
    Sell,
    Hold,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Buy => "buy",
            Action::Sell => "sell",
            Action::Hold => "hold",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub asset: AssetCode,
    pub precision: Precision,
    pub weight: Decimal,
    pub price: Rate,
    pub current_amount: u128,
    pub current_value: u128,
    pub target_value: u128,
    pub action: Action,
    /// Minor units of the asset to buy or sell.
    pub amount: u128,
    /// Minor units of the currency the trade is worth.
    pub value: u128,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub currency: Currency,
    pub total: u128,
    pub trades: Vec<Trade>,
    pub buys: u128,
    pub sells: u128,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RebalanceError {
    /// The targets break a rule; the reason names which.
    #[error("{0}")]
    Targets(String),
    /// A target names an asset without a holding entry (its price was not supplied).
    #[error("no price is known for {0}")]
    Unpriced(AssetCode),
    #[error("the amounts are too large to compute")]
    Overflow,
}

/// The most places a weight may have.
pub const MAX_WEIGHT_PLACES: u32 = 4;

/// Targets from the request's text: asset codes to decimal percents.
pub fn parse_targets(raw: &BTreeMap<String, String>) -> Result<BTreeMap<AssetCode, Decimal>, RebalanceError> {
    let invalid = |reason: String| Err(RebalanceError::Targets(reason));
    if raw.is_empty() {
        return invalid("must name at least one asset".to_owned());
    }
    let mut targets = BTreeMap::new();
    let mut sum = Decimal::ZERO;
    for (code, text) in raw {
        let Ok(asset) = AssetCode::parse(code) else {
            return invalid(format!("{code:?} is not an asset code"));
        };
        let plain = money::DecimalString::parse(text).is_ok();
        let weight = match Decimal::from_str_exact(text) {
            Ok(w) if plain => w,
            _ => {
                return invalid(format!(
                    "{code}: {text:?} must be a non-negative decimal string such as \"60\""
                ));
            }
        };
        if weight.scale() > MAX_WEIGHT_PLACES {
            return invalid(format!("{code}: at most {MAX_WEIGHT_PLACES} decimal places"));
        }
        sum = match sum.checked_add(weight) {
            Some(s) => s,
            None => return invalid("the weights are too large".to_owned()),
        };
        targets.insert(asset, weight.normalize());
    }
    if sum != Decimal::ONE_HUNDRED {
        return invalid(format!("the weights sum to {}, not 100", sum.normalize()));
    }
    Ok(targets)
}

/// The plan that moves `holdings` to `targets` in `currency`. Every target asset needs a holding entry (with an
/// amount of 0 when none is held) carrying its price.
pub fn plan(
    currency: Currency,
    holdings: &[Holding],
    targets: &BTreeMap<AssetCode, Decimal>,
) -> Result<Plan, RebalanceError> {
    if let Some(missing) = targets.keys().find(|t| !holdings.iter().any(|h| &h.asset == *t)) {
        return Err(RebalanceError::Unpriced(*missing));
    }
    let values: Vec<u128> = holdings
        .iter()
        .map(|h| {
            h.price
                .convert(h.amount, h.precision, currency.precision, RoundingMode::HalfEven)
        })
        .collect::<Result<_, _>>()
        .map_err(|_| RebalanceError::Overflow)?;
    let total = values
        .iter()
        .try_fold(0u128, |s, v| s.checked_add(*v))
        .ok_or(RebalanceError::Overflow)?;
    let mut trades = Vec::with_capacity(holdings.len());
    let (mut buys, mut sells) = (0u128, 0u128);
    for (holding, &current_value) in holdings.iter().zip(&values) {
        let weight = targets.get(&holding.asset).copied().unwrap_or(Decimal::ZERO);
        let target_value = share(total, weight)?;
        let (action, amount) = trade(holding, currency, current_value, target_value, weight.is_zero())?;
        let value = holding
            .price
            .convert(amount, holding.precision, currency.precision, RoundingMode::Down)
            .map_err(|_| RebalanceError::Overflow)?;
        match action {
            Action::Buy => buys = buys.checked_add(value).ok_or(RebalanceError::Overflow)?,
            Action::Sell => sells = sells.checked_add(value).ok_or(RebalanceError::Overflow)?,
            Action::Hold => {}
        }
        trades.push(Trade {
            asset: holding.asset,
            precision: holding.precision,
            weight,
            price: holding.price,
            current_amount: holding.amount,
            current_value,
            target_value,
            action,
            amount,
            value,
        });
    }
    Ok(Plan {
        currency,
        total,
        trades,
        buys,
        sells,
    })
}

/// `total × weight / 100`, rounded down.
fn share(total: u128, weight: Decimal) -> Result<u128, RebalanceError> {
    let mantissa = u128::try_from(weight.mantissa()).map_err(|_| RebalanceError::Overflow)?;
    let hundred = 10u128
        .checked_pow(weight.scale())
        .and_then(|s| s.checked_mul(100))
        .and_then(NonZeroU128::new)
        .ok_or(RebalanceError::Overflow)?;
    mul_div(total, mantissa, hundred, RoundingMode::Down).map_err(|_| RebalanceError::Overflow)
}

fn trade(
    holding: &Holding,
    currency: Currency,
    current: u128,
    target: u128,
    sell_all: bool,
) -> Result<(Action, u128), RebalanceError> {
    let in_asset = |difference: u128| {
        holding
            .price
            .convert_back(difference, currency.precision, holding.precision, RoundingMode::Down)
            .map_err(|_| RebalanceError::Overflow)
    };
    let (action, amount) = if sell_all {
        (Action::Sell, holding.amount)
    } else if target > current {
        (Action::Buy, in_asset(target - current)?)
    } else {
        (Action::Sell, in_asset(current - target)?.min(holding.amount))
    };
    Ok(match amount {
        0 => (Action::Hold, 0),
        _ => (action, amount),
    })
}

#[cfg(test)]
#[path = "rebalance_tests.rs"]
mod tests;
