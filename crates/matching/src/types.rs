//! Small value types shared by commands, events and the book.
//!
//! Prices, quantities and ids are distinct types over `u64` so one cannot be passed for another;
//! each is `#[repr(transparent)]` and `Copy`, so the engine's hot path handles plain integers.
//! In serde they are the bare number, so commands, events and snapshots keep their shape.
//!
//! # Ids and the ledger
//!
//! The engine knows traders only as [`TraderId`]s, for self-trade prevention, and orders only as
//! [`OrderId`]s; it never sees a ledger account. The trading context that drives it keeps the
//! table from a trader id to the user and their ledger wallets (base and quote asset of the
//! market), holds funds there before an order reaches the engine, and settles each `Trade` event
//! into those wallets. A `TraderId` is therefore not a `ledger::TraderId`: a trader has one id
//! per engine and several ledger accounts.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// Declares a `u64` newtype that prints and serialises as its number.
macro_rules! integer_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[repr(transparent)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            pub const MAX: $name = $name(u64::MAX);
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<$name> for u128 {
            #[inline]
            fn from(v: $name) -> u128 {
                u128::from(v.0)
            }
        }
    };
}

integer_newtype!(
    /// A price in ticks of the market. Zero is not a valid price.
    Price
);
integer_newtype!(
    /// A quantity in lots of the market.
    Qty
);
integer_newtype!(
    /// Caller-assigned order identifier; unique among live (resting or pending) orders.
    OrderId
);
integer_newtype!(
    /// Caller-assigned trader identifier, used only for self-trade prevention; see the module
    /// docs for how it relates to ledger accounts.
    TraderId
);

impl Qty {
    pub const ZERO: Qty = Qty(0);

    #[inline]
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    #[inline]
    #[must_use]
    pub fn saturating_add(self, other: Qty) -> Qty {
        Qty(self.0.saturating_add(other.0))
    }
}

// Quantity arithmetic behaves exactly as on `u64`; the engine only subtracts what it has checked
// is there.
impl Add for Qty {
    type Output = Qty;

    #[inline]
    fn add(self, other: Qty) -> Qty {
        Qty(self.0 + other.0)
    }
}

impl Sub for Qty {
    type Output = Qty;

    #[inline]
    fn sub(self, other: Qty) -> Qty {
        Qty(self.0 - other.0)
    }
}

impl AddAssign for Qty {
    #[inline]
    fn add_assign(&mut self, other: Qty) {
        self.0 += other.0;
    }
}

impl SubAssign for Qty {
    #[inline]
    fn sub_assign(&mut self, other: Qty) {
        self.0 -= other.0;
    }
}

/// Side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// The side an order of this side trades against.
    #[must_use]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// How long an order may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Rests on the book until filled or cancelled.
    #[default]
    Gtc,
    /// Trades what it can immediately; the rest expires.
    Ioc,
    /// Fills completely at once or expires without trading.
    Fok,
}

/// What happens when an order would trade with an order of the same account.
///
/// The incoming (taker) order's mode decides; the resting order's mode matters only
/// when it becomes a taker again after an amend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StpMode {
    /// Self-trades are allowed.
    #[default]
    None,
    /// The incoming order's remainder is cancelled; the resting order stays.
    CancelTaker,
    /// The resting order is cancelled and matching continues.
    CancelMaker,
    /// Both orders are cancelled.
    CancelBoth,
    /// Both quantities shrink by the smaller of the two; the smaller order is cancelled.
    DecrementAndCancel,
}
