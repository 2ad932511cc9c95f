//! Orders as the API and the store know them: the seed's vocabulary (`BUY`, `LIMIT`, `GTC`, `PARTIALLY_FILLED`)
//! around the engine's integers, with what is held for each and what it has filled.

use crate::config::FeeRates;
use chrono::{DateTime, Utc};
use ledger::books::TransferId;
use money::AssetCode;
use uuid::Uuid;

/// Declares an enum of upper-case API words with `ALL`, `as_str` and `parse`.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

words!(OrderSide { Buy => "BUY", Sell => "SELL" });
words!(OrderType {
    Limit => "LIMIT",
    Market => "MARKET",
    StopLimit => "STOP_LIMIT",
    StopMarket => "STOP_MARKET",
});
words!(TimeInForce { Gtc => "GTC", Ioc => "IOC", Fok => "FOK" });
words!(
    /// Self-trade prevention: what happens when the order would trade with the same user's resting order.
    Stp {
        None => "NONE",
        CancelTaker => "CANCEL_TAKER",
        CancelMaker => "CANCEL_MAKER",
        CancelBoth => "CANCEL_BOTH",
        DecrementAndCancel => "DECREMENT_AND_CANCEL",
    }
);
words!(OrderStatus {
    New => "NEW",
    PartiallyFilled => "PARTIALLY_FILLED",
    Filled => "FILLED",
    Cancelled => "CANCELLED",
    Expired => "EXPIRED",
});
words!(Role { Maker => "maker", Taker => "taker" });

impl OrderSide {
    pub fn engine(self) -> matching::Side {
        match self {
            OrderSide::Buy => matching::Side::Buy,
            OrderSide::Sell => matching::Side::Sell,
        }
    }
}

impl TimeInForce {
    pub fn engine(self) -> matching::TimeInForce {
        match self {
            TimeInForce::Gtc => matching::TimeInForce::Gtc,
            TimeInForce::Ioc => matching::TimeInForce::Ioc,
            TimeInForce::Fok => matching::TimeInForce::Fok,
        }
    }
}

impl Stp {
    pub fn engine(self) -> matching::StpMode {
        match self {
            Stp::None => matching::StpMode::None,
            Stp::CancelTaker => matching::StpMode::CancelTaker,
            Stp::CancelMaker => matching::StpMode::CancelMaker,
            Stp::CancelBoth => matching::StpMode::CancelBoth,
            Stp::DecrementAndCancel => matching::StpMode::DecrementAndCancel,
        }
    }
}

impl OrderStatus {
    /// Whether the order may still trade (resting, or a stop waiting for its trigger).
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// An order with everything the engine runner and the API need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub symbol: String,
    /// The engine's id of the order, unique in its market.
    pub engine_id: u64,
    pub user: Uuid,
    /// The engine's id of the user in this market, for self-trade prevention.
    pub trader_id: u64,
    pub client_order_id: Option<String>,
    pub side: OrderSide,
    pub kind: OrderType,
    pub time_in_force: TimeInForce,
    /// Ticks: the limit price (limit and stop-limit orders), after an amend the current one.
    pub price: Option<u64>,
    /// Ticks: the trigger of a stop order.
    pub stop_price: Option<u64>,
    /// Lots: the order's size (after an amend, filled plus the new open quantity); `None` for a market buy that
    /// gave only `quote_quantity`.
    pub quantity: Option<u64>,
    /// Minor units of the quote asset a market buy may spend.
    pub quote_quantity: Option<u128>,
    /// Ticks: the worst price a market order may trade at, set from the market's band.
    pub protection: Option<u64>,
    pub post_only: bool,
    pub stp: Stp,
    /// The fees of the user's tier when the order was placed.
    pub fees: FeeRates,
    pub status: OrderStatus,
    /// A stop order whose trigger was reached.
    pub triggered: bool,
    pub filled_qty: u64,
    /// Minor units of the quote asset traded.
    pub filled_quote: u128,
    /// Minor units of the asset received, kept as fees.
    pub fee_paid: u128,
    /// The asset held: the quote asset for a buy, the base asset for a sell.
    pub hold_asset: AssetCode,
    /// The open hold, while there is one.
    pub hold_id: Option<TransferId>,
    /// Minor units of `hold_asset` held now.
    pub held: u128,
    /// How many holds the order has had: each fill settles one and opens the next.
    pub hold_generation: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The open quantity in lots (what is still to fill of a sized order).
    pub fn remaining(&self) -> Option<u64> {
        self.quantity.map(|q| q.saturating_sub(self.filled_qty))
    }

    /// The id of the order's hold number `generation`, or of the posting or void that settles it: derived from
    /// the order's id, so a step run twice journals nothing twice.
    pub fn transfer_id(&self, generation: u32, part: u8) -> TransferId {
        let n = (u128::from(generation) << 2) | u128::from(part);
        TransferId(Uuid::from_u128(self.id.as_u128() ^ (n << 8)))
    }
}

/// One side of one trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub trade_id: Uuid,
    pub order_id: Uuid,
    pub user: Uuid,
    pub symbol: String,
    pub side: OrderSide,
    pub role: Role,
    pub price: u64,
    pub quantity: u64,
    /// Minor units of the quote asset.
    pub quote_amount: u128,
    /// Minor units of `fee_asset`, the asset this side received.
    pub fee: u128,
    pub fee_asset: AssetCode,
    pub executed_at: DateTime<Utc>,
}

/// A trade as the market sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub id: Uuid,
    pub symbol: String,
    /// The engine command that made it.
    pub seq: u64,
    pub price: u64,
    pub quantity: u64,
    pub quote_amount: u128,
    pub taker_side: OrderSide,
    pub maker_order: Uuid,
    pub taker_order: Uuid,
    pub executed_at: DateTime<Utc>,
}

/// The fee on `received` minor units at `bps`, rounded up: the platform never undercharges by rounding.
pub fn fee_on(received: u128, bps: u32) -> u128 {
    (received * u128::from(bps)).div_ceil(10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_up_and_never_exceed_what_is_received() {
        assert_eq!(fee_on(10_000, 20), 20);
        assert_eq!(fee_on(1, 20), 1);
        assert_eq!(fee_on(0, 20), 0);
        assert_eq!(fee_on(12_345, 0), 0);
        assert_eq!(fee_on(5, 10_000), 5);
    }

    #[test]
    fn words_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(OrderType::parse("STOP_LIMIT"), Some(OrderType::StopLimit));
        assert_eq!(OrderType::parse("limit"), None);
    }
}
