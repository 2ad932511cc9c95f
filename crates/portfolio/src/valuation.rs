//! Valuing what a user holds in one currency, from prices already fetched: no I/O here.
//!
//! - A holding's value is `amount × price`, rounded half-even to the currency's precision. A holding whose price
//!   could not be had is listed with no value and the reason, and the valuation is `partial`: its totals cover
//!   only what could be priced.
//! - An asset's allocation is its value over the total, in percent, rounded half-even to 2 places (so the
//!   shares may add up to 100 ± 0.01 per asset).
//! - Cost basis and realised P&L come from [`crate::cost_basis`] per price currency; a cost in another currency
//!   than the valuation's is converted at **today's** price of that currency (half-even), not at the rate of
//!   the day it was paid. Unrealised P&L is the value of the quantity the activities leave open, at the current
//!   price, minus that cost basis.
//! - The 24 h change of an asset is the source's percentage, rounded half-even to 2 places; in money, it is
//!   `value − value × 100 / (100 + change)` (half-even). The portfolio's change is the sum of those, given only
//!   when every valued asset has one.

use crate::activity::Currency;
use crate::cost_basis::Position;
use crate::price::{Price, PriceError};
use money::{AssetCode, DecimalString, Precision, RoundingMode, mul_div};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::num::NonZeroU128;
use uuid::Uuid;

/// Where a holding comes from: tracked by the user, or the user's wallet on this platform (not editable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldingSource {
    Manual,
    Bourse,
}

impl HoldingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldingSource::Manual => "manual",
            HoldingSource::Bourse => "bourse",
        }
    }
}

/// One line of what is held: a tracked holding or a wallet balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingLine {
    pub id: Option<Uuid>,
    pub source: HoldingSource,
    pub label: Option<String>,
    pub asset: AssetCode,
    pub precision: Precision,
    /// Minor units of the asset.
    pub amount: u128,
}

/// The price of every asset the valuation needs (holdings, positions, cost currencies) in its currency.
pub type Quotes = BTreeMap<AssetCode, Result<Price, PriceError>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingValue {
    pub line: HoldingLine,
    /// The value in minor units of the valuation currency and the price used, or why there is none.
    pub value: Result<(u128, Price), String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetValue {
    pub asset: AssetCode,
    pub precision: Precision,
    /// Minor units held across the holdings.
    pub amount: u128,
    pub price: Result<Price, String>,
    pub value: Option<u128>,
    /// Percent of the total, two places.
    pub allocation: Option<DecimalString>,
    /// Percent, two places.
    pub change_24h: Option<Decimal>,
    /// Minor units of the valuation currency the value moved in 24 h.
    pub change_24h_value: Option<i128>,
    pub cost: Option<PnL>,
}

/// What the activities say of an asset, in the valuation currency; `None` where a conversion needed a price that
/// could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnL {
    /// Minor units of the asset the activities leave open.
    pub open_quantity: u128,
    pub cost_basis: Option<i128>,
    pub unrealised: Option<i128>,
    pub realised: Option<i128>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valuation {
    pub currency: Currency,
    pub holdings: Vec<HoldingValue>,
    pub assets: Vec<AssetValue>,
    pub total: u128,
    /// Some holding, cost or P&L could not be valued; the totals cover the rest.
    pub partial: bool,
    pub cost_basis: i128,
    pub unrealised: i128,
    pub realised: i128,
    /// The value's move in 24 h (minor units) and in percent (two places, signed).
    pub change_24h: Option<(i128, String)>,
}

/// A valuation of `lines` and `positions` in `currency` at `quotes`; `None` when a total (value, cost basis or
/// P&L) is beyond `i128` minor units of the currency.
pub fn value(
    currency: Currency,
    lines: Vec<HoldingLine>,
    positions: &BTreeMap<AssetCode, Position>,
    quotes: &Quotes,
) -> Option<Valuation> {
    let mut partial = false;
    let holdings: Vec<HoldingValue> = lines
        .into_iter()
        .map(|line| {
            let value = quote(quotes, &line.asset).and_then(|price| {
                worth(line.amount, line.precision, &price, currency)
                    .map(|v| (v, price))
                    .ok_or_else(|| "the value is too large to compute".to_owned())
            });
            partial |= value.is_err();
            HoldingValue { line, value }
        })
        .collect();

    let mut held: BTreeMap<AssetCode, (Precision, u128)> = BTreeMap::new();
    for h in &holdings {
        let entry = held.entry(h.line.asset).or_insert((h.line.precision, 0));
        entry.1 = entry.1.saturating_add(h.line.amount);
    }
    for (asset, position) in positions {
        held.entry(*asset).or_insert((position.precision, 0));
    }

    let mut assets: Vec<AssetValue> = held
        .into_iter()
        .map(|(asset, (precision, amount))| {
            let price = quote(quotes, &asset);
            let value = price.as_ref().ok().and_then(|p| worth(amount, precision, p, currency));
            let change_24h = price.as_ref().ok().and_then(|p| p.change_24h).map(two_places);
            let change_24h_value = value.zip(change_24h).and_then(|(v, c)| moved(v, c));
            let cost = positions
                .get(&asset)
                .map(|position| pnl(position, price.as_ref().ok(), currency, quotes));
            if let Some(c) = &cost {
                partial |= c.cost_basis.is_none() || c.unrealised.is_none() || c.realised.is_none();
            }
            AssetValue {
                asset,
                precision,
                amount,
                price,
                value,
                allocation: None,
                change_24h,
                change_24h_value,
                cost,
            }
        })
        .collect();

    // Totals beyond what the answer can carry are refused rather than clamped: a clamped total would be a wrong
    // figure presented as a real one.
    let total = assets
        .iter()
        .filter_map(|a| a.value)
        .try_fold(0u128, u128::checked_add)
        .filter(|t| i128::try_from(*t).is_ok())?;
    for asset in &mut assets {
        asset.allocation = asset.value.and_then(|v| percent(v, total));
    }
    let sum = |f: fn(&PnL) -> Option<i128>| -> Option<i128> {
        assets
            .iter()
            .filter_map(|a| a.cost.as_ref().and_then(f))
            .try_fold(0i128, i128::checked_add)
    };
    let (cost_basis, unrealised, realised) = (sum(|c| c.cost_basis)?, sum(|c| c.unrealised)?, sum(|c| c.realised)?);
    let valued: Vec<&AssetValue> = assets.iter().filter(|a| a.value.is_some_and(|v| v > 0)).collect();
    let change_24h = match valued.iter().map(|a| a.change_24h_value).collect::<Option<Vec<i128>>>() {
        Some(changes) if !valued.is_empty() => {
            let change = changes.into_iter().try_fold(0i128, i128::checked_add);
            change.and_then(|change| {
                let before = i128::try_from(total).ok().and_then(|t| t.checked_sub(change));
                before.and_then(|b| signed_percent(change, b)).map(|p| (change, p))
            })
        }
        _ => None,
    };
    Some(Valuation {
        currency,
        holdings,
        assets,
        total,
        partial,
        cost_basis,
        unrealised,
        realised,
        change_24h,
    })
}

fn quote(quotes: &Quotes, asset: &AssetCode) -> Result<Price, String> {
    match quotes.get(asset) {
        Some(Ok(price)) => Ok(price.clone()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err(format!("no price of {asset} was asked for")),
    }
}

/// `amount` (minor units at `precision`) in minor units of `currency`, half-even.
fn worth(amount: u128, precision: Precision, price: &Price, currency: Currency) -> Option<u128> {
    price
        .rate
        .convert(amount, precision, currency.precision, RoundingMode::HalfEven)
        .ok()
}

/// A signed amount of `from` in minor units of the valuation currency at its quote; the magnitude is converted
/// and the sign kept, as every rounding mode is symmetric.
fn convert_signed(amount: i128, from: Currency, to: Currency, quotes: &Quotes) -> Option<i128> {
    let magnitude = if from.code == to.code {
        amount.unsigned_abs()
    } else {
        let price = quotes.get(&from.code)?.as_ref().ok()?;
        worth(amount.unsigned_abs(), from.precision, price, to)?
    };
    let magnitude = i128::try_from(magnitude).ok()?;
    Some(if amount < 0 { -magnitude } else { magnitude })
}

fn pnl(position: &Position, price: Option<&Price>, currency: Currency, quotes: &Quotes) -> PnL {
    let in_currency = |by: Vec<(Currency, i128)>| -> Option<i128> {
        by.into_iter()
            .map(|(c, a)| convert_signed(a, c, currency, quotes))
            .try_fold(0i128, |sum, a| sum.checked_add(a?))
    };
    let open_quantity = position.quantity();
    let cost_basis = in_currency(
        position
            .open_cost()
            .into_iter()
            .filter_map(|(c, a)| Some((c, i128::try_from(a).ok()?)))
            .collect(),
    );
    let realised = in_currency(position.realised.iter().map(|(c, a)| (*c, *a)).collect());
    let open_value = price.and_then(|p| worth(open_quantity, position.precision, p, currency));
    let unrealised = open_value
        .and_then(|v| i128::try_from(v).ok())
        .zip(cost_basis)
        .and_then(|(v, c)| v.checked_sub(c));
    PnL {
        open_quantity,
        cost_basis,
        unrealised,
        realised,
    }
}

fn two_places(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

/// `part / whole` in percent, two places, half-even.
fn percent(part: u128, whole: u128) -> Option<DecimalString> {
    let whole = NonZeroU128::new(whole)?;
    let hundredths = mul_div(part, 10_000, whole, RoundingMode::HalfEven).ok()?;
    Some(DecimalString::from_scaled(hundredths, 2))
}

/// As [`percent`] for a signed part over a positive whole.
fn signed_percent(part: i128, whole: i128) -> Option<String> {
    let whole = NonZeroU128::new(u128::try_from(whole).ok()?)?;
    let hundredths = mul_div(part.unsigned_abs(), 10_000, whole, RoundingMode::HalfEven).ok()?;
    let text = DecimalString::from_scaled(hundredths, 2);
    let sign = if part < 0 && hundredths > 0 { "-" } else { "" };
    Some(format!("{sign}{}", text.as_str()))
}

/// How much a value of `value` now moved in 24 h given the change in percent: `value − value × 100 / (100 + c)`.
fn moved(value: u128, change: Decimal) -> Option<i128> {
    let scale = 10u128.checked_pow(change.scale())?;
    let hundred = 100u128.checked_mul(scale)?;
    let m = change.mantissa();
    let denominator = i128::try_from(hundred).ok()?.checked_add(m)?;
    let denominator = NonZeroU128::new(u128::try_from(denominator).ok()?)?;
    let before = mul_div(value, hundred, denominator, RoundingMode::HalfEven).ok()?;
    i128::try_from(value).ok()?.checked_sub(i128::try_from(before).ok()?)
}

#[cfg(test)]
#[path = "valuation_tests.rs"]
mod tests;
