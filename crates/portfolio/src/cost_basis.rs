//! FIFO cost basis: what the asset still held cost, and what was realised by disposing of the rest.
//!
//! Activities are applied in time order (ties in the order they were recorded). Each acquisition (`buy`,
//! `transfer_in`) opens a lot: its quantity and its cost in the price currency. Each disposal (`sell`,
//! `transfer_out`, `fee`) consumes lots **oldest first**; a lot consumed in part gives up the share of its
//! remaining cost that the quantity taken is of its remaining quantity, rounded half-even to the currency's
//! minor unit, and the last part taken of a lot takes all the cost it has left, so a lot's cost is always
//! accounted for to the last minor unit.
//!
//! - `buy`: lot cost = `amount × price` (rounded half-even to the currency's precision) `+ fee`.
//! - `transfer_in`: lot cost = `amount × price` when a price is given, else zero (a gift, an airdrop, or coins
//!   whose purchase is not recorded: the whole value counts as gain until a price is given).
//! - `sell`: proceeds = `amount × price − fee`; realised P&L += proceeds − the cost of the lots consumed.
//! - `transfer_out`: the lots consumed leave with their cost; nothing is realised (the coins moved, not sold).
//! - `fee` (paid in the asset): the cost of the lots consumed is a realised loss.
//!
//! Costs and realised P&L are kept per price currency, exactly; turning them into one valuation currency is the
//! valuation's job. Disposing of more than is held at that point is refused, naming the activity.

use crate::activity::{Activity, ActivityKind, Currency};
use chrono::{DateTime, Utc};
use money::{AssetCode, Precision, RoundingMode, mul_div};
use std::collections::{BTreeMap, VecDeque};
use std::num::NonZeroU128;
use uuid::Uuid;

/// What an acquisition left that is still held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub activity: Uuid,
    pub acquired: DateTime<Utc>,
    /// Minor units of the asset still held from this lot.
    pub remaining: u128,
    /// What those units cost, in minor units of the currency; `None` for a lot without a cost.
    pub cost: Option<(Currency, u128)>,
}

/// One asset's open lots and realised P&L after every activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub asset: AssetCode,
    pub precision: Precision,
    pub lots: VecDeque<Lot>,
    /// Realised P&L per price currency, in its minor units.
    pub realised: BTreeMap<Currency, i128>,
}

impl Position {
    fn new(asset: AssetCode, precision: Precision) -> Position {
        Position {
            asset,
            precision,
            lots: VecDeque::new(),
            realised: BTreeMap::new(),
        }
    }

    /// Minor units held according to the activities.
    pub fn quantity(&self) -> u128 {
        self.lots.iter().map(|l| l.remaining).sum()
    }

    /// What the open lots cost, per currency.
    pub fn open_cost(&self) -> BTreeMap<Currency, u128> {
        let mut cost = BTreeMap::new();
        for (currency, amount) in self.lots.iter().filter_map(|l| l.cost) {
            *cost.entry(currency).or_insert(0) += amount;
        }
        cost
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostBasisError {
    /// A disposal of more than the activities before it left.
    #[error("activity {index} disposes of {asked} minor units of {asset} while only {held} are held at its time")]
    BeyondHoldings {
        index: usize,
        activity: Uuid,
        asset: AssetCode,
        held: u128,
        asked: u128,
    },
    /// Totals beyond what 128 bits hold: only absurd inputs get here.
    #[error("activity {index} makes a total too large to compute")]
    Overflow { index: usize, activity: Uuid },
}

/// Activities in the order the cost basis applies them: by time, then by id (ids are time-ordered, so ties
/// keep the order they were recorded in).
pub fn sort(activities: &mut [Activity]) {
    activities.sort_by_key(|a| (a.time, a.id));
}

/// Every asset's position after `activities`, applied in the order given (see [`sort`]).
pub fn compute(activities: &[Activity]) -> Result<BTreeMap<AssetCode, Position>, CostBasisError> {
    let mut positions: BTreeMap<AssetCode, Position> = BTreeMap::new();
    for (index, activity) in activities.iter().enumerate() {
        let position = positions
            .entry(activity.asset)
            .or_insert_with(|| Position::new(activity.asset, activity.amount.precision()));
        apply(position, activity).map_err(|e| match e {
            Failure::Beyond { held } => CostBasisError::BeyondHoldings {
                index,
                activity: activity.id,
                asset: activity.asset,
                held,
                asked: activity.amount.minor(),
            },
            Failure::Overflow => CostBasisError::Overflow {
                index,
                activity: activity.id,
            },
        })?;
    }
    Ok(positions)
}

enum Failure {
    Beyond { held: u128 },
    Overflow,
}

/// `amount × price` in minor units of the price currency, rounded half-even.
fn gross(activity: &Activity) -> Result<Option<(Currency, u128)>, Failure> {
    let Some(priced) = activity.price else {
        return Ok(None);
    };
    let value = priced
        .price
        .convert(
            activity.amount.minor(),
            activity.amount.precision(),
            priced.currency.precision,
            RoundingMode::HalfEven,
        )
        .map_err(|_| Failure::Overflow)?;
    Ok(Some((priced.currency, value)))
}

fn apply(position: &mut Position, activity: &Activity) -> Result<(), Failure> {
    let fee = activity.fee.map(|f| f.minor()).unwrap_or(0);
    match activity.kind {
        ActivityKind::Buy | ActivityKind::TransferIn => {
            let cost = match gross(activity)? {
                Some((currency, value)) => Some((currency, value.checked_add(fee).ok_or(Failure::Overflow)?)),
                None => None,
            };
            fits(position, activity.amount.minor(), cost)?;
            position.lots.push_back(Lot {
                activity: activity.id,
                acquired: activity.time,
                remaining: activity.amount.minor(),
                cost,
            });
        }
        ActivityKind::Sell => {
            let consumed = consume(position, activity.amount.minor())?;
            if let Some((currency, value)) = gross(activity)? {
                let proceeds = signed(value)? - signed(fee)?;
                add_realised(position, currency, proceeds)?;
            }
            for (currency, cost) in consumed {
                add_realised(position, currency, -signed(cost)?)?;
            }
        }
        ActivityKind::Fee => {
            for (currency, cost) in consume(position, activity.amount.minor())? {
                add_realised(position, currency, -signed(cost)?)?;
            }
        }
        ActivityKind::TransferOut => {
            consume(position, activity.amount.minor())?;
        }
    }
    Ok(())
}

/// Whether a new lot of `quantity` costing `cost` keeps the open lots' totals representable. The totals are
/// summed without further checks ([`Position::quantity`], [`Position::open_cost`], the cost a disposal consumes,
/// which never exceeds them), and costs become signed P&L, so the bound is `i128::MAX`, checked here once.
fn fits(position: &Position, quantity: u128, cost: Option<(Currency, u128)>) -> Result<(), Failure> {
    let held = bounded_sum(position.lots.iter().map(|l| l.remaining).chain([quantity]));
    let open = match cost {
        Some((currency, cost)) => bounded_sum(
            position
                .lots
                .iter()
                .filter_map(|l| l.cost)
                .filter(|(c, _)| *c == currency)
                .map(|(_, amount)| amount)
                .chain([cost]),
        ),
        None => Some(0),
    };
    match (held, open) {
        (Some(_), Some(_)) => Ok(()),
        _ => Err(Failure::Overflow),
    }
}

/// The sum of `values`, if it is at most `i128::MAX`.
fn bounded_sum(mut values: impl Iterator<Item = u128>) -> Option<u128> {
    let bound = i128::MAX.unsigned_abs();
    values.try_fold(0u128, |sum, v| sum.checked_add(v).filter(|s| *s <= bound))
}

fn signed(value: u128) -> Result<i128, Failure> {
    i128::try_from(value).map_err(|_| Failure::Overflow)
}

fn add_realised(position: &mut Position, currency: Currency, amount: i128) -> Result<(), Failure> {
    let total = position.realised.entry(currency).or_insert(0);
    *total = total.checked_add(amount).ok_or(Failure::Overflow)?;
    Ok(())
}

/// Takes `quantity` from the oldest lots on; the cost that leaves with it, per currency.
fn consume(position: &mut Position, quantity: u128) -> Result<BTreeMap<Currency, u128>, Failure> {
    let held = position.quantity();
    if quantity > held {
        return Err(Failure::Beyond { held });
    }
    let mut left = quantity;
    let mut consumed = BTreeMap::new();
    while left > 0 {
        let Some(lot) = position.lots.front_mut() else {
            return Err(Failure::Beyond { held });
        };
        let take = left.min(lot.remaining);
        if let Some((currency, cost)) = lot.cost.as_mut() {
            let share = match (take == lot.remaining, NonZeroU128::new(lot.remaining)) {
                (false, Some(remaining)) => {
                    mul_div(*cost, take, remaining, RoundingMode::HalfEven).map_err(|_| Failure::Overflow)?
                }
                _ => *cost,
            };
            *cost -= share;
            *consumed.entry(*currency).or_insert(0) += share;
        }
        lot.remaining -= take;
        left -= take;
        if lot.remaining == 0 {
            position.lots.pop_front();
        }
    }
    Ok(consumed)
}

#[cfg(test)]
#[path = "cost_basis_tests.rs"]
mod tests;
