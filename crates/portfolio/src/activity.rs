//! What a user did with an asset, as the cost basis needs it: bought, sold, moved in or out, or paid as a fee.

use chrono::{DateTime, Utc};
use money::{Amount, AssetCode, Precision, Rate};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// Bought `amount` at `price`: a new lot costing `amount × price + fee`.
    Buy,
    /// Sold `amount` at `price`: the oldest lots are consumed; proceeds are `amount × price − fee`.
    Sell,
    /// Received from elsewhere: a new lot costing `amount × price`, or nothing when no price is given.
    TransferIn,
    /// Sent elsewhere: the oldest lots leave with their cost, realising nothing.
    TransferOut,
    /// Paid in the asset itself (a network fee): the oldest lots are consumed and their cost is a realised loss.
    Fee,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Buy,
        ActivityKind::Sell,
        ActivityKind::TransferIn,
        ActivityKind::TransferOut,
        ActivityKind::Fee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Buy => "buy",
            ActivityKind::Sell => "sell",
            ActivityKind::TransferIn => "transfer_in",
            ActivityKind::TransferOut => "transfer_out",
            ActivityKind::Fee => "fee",
        }
    }

    pub fn parse(text: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the activity needs a price (and so a price currency).
    pub fn needs_price(self) -> bool {
        matches!(self, ActivityKind::Buy | ActivityKind::Sell)
    }

    /// Whether a fee in the price currency may come with it: only trades have one.
    pub fn takes_fee(self) -> bool {
        matches!(self, ActivityKind::Buy | ActivityKind::Sell)
    }

    /// Whether it adds to what is held (a new lot) or takes from it.
    pub fn adds(self) -> bool {
        matches!(self, ActivityKind::Buy | ActivityKind::TransferIn)
    }
}

/// A currency prices are written in, with its precision: costs and proceeds are minor units of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    pub code: AssetCode,
    pub precision: Precision,
}

/// A price per whole unit of the asset, in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub price: Rate,
    pub currency: Currency,
}

/// One activity, checked: the amount is at the asset's precision and positive, a price is there when the kind
/// needs one, and a fee (in the price currency) only on a trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub asset: AssetCode,
    pub amount: Amount,
    pub price: Option<Priced>,
    pub fee: Option<Amount>,
    pub time: DateTime<Utc>,
    pub note: Option<String>,
}
