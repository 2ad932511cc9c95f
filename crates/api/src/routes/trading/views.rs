//! What the trading routes answer: prices, quantities and amounts as decimal strings on the market's grid.

use chrono::{DateTime, Utc};
use serde::Serialize;
use trading::Market;
use trading::market_data::{Candle, Ticker};
use trading::order::{Fill, Order, OrderSide, Trade};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct MarketView {
    #[schema(example = "BTCUSDT")]
    pub symbol: String,
    #[schema(example = "BTC")]
    pub base: String,
    #[schema(example = "USDT")]
    pub quote: String,
    /// Prices are multiples of it.
    #[schema(example = "0.01")]
    pub tick_size: String,
    /// Quantities are multiples of it.
    #[schema(example = "0.0001")]
    pub lot_size: String,
    #[schema(example = "0.0001")]
    pub min_qty: String,
    #[schema(example = "1000")]
    pub max_qty: String,
    /// In the quote asset: the least price × quantity of an order.
    #[schema(example = "1")]
    pub min_notional: String,
    /// Limit prices further than this percentage from the last trade are refused; market orders trade no
    /// further than it from their reference.
    #[schema(example = "10")]
    pub price_band_pct: String,
    /// `open`, `halted` (orders refused, cancels allowed) or `closed`.
    #[schema(example = "open")]
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MarketView {
    pub(crate) fn new(m: &Market) -> MarketView {
        let s = &m.spec;
        MarketView {
            symbol: s.symbol.clone(),
            base: s.base.to_string(),
            quote: s.quote.to_string(),
            tick_size: s.tick_size.clone(),
            lot_size: s.lot_size.clone(),
            min_qty: s.min_qty.clone(),
            max_qty: s.max_qty.clone(),
            min_notional: s.min_notional.clone(),
            price_band_pct: s.price_band_pct.clone(),
            status: s.status.as_str(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub client_order_id: Option<String>,
    #[schema(example = "BTCUSDT")]
    pub symbol: String,
    /// `BUY` or `SELL`.
    #[schema(example = "BUY")]
    pub side: &'static str,
    /// `LIMIT`, `MARKET`, `STOP_LIMIT` or `STOP_MARKET`.
    #[serde(rename = "type")]
    #[schema(example = "LIMIT")]
    pub kind: &'static str,
    /// `GTC`, `IOC` or `FOK`.
    #[schema(example = "GTC")]
    pub time_in_force: &'static str,
    /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELLED` or `EXPIRED`.
    #[schema(example = "PARTIALLY_FILLED")]
    pub status: &'static str,
    #[schema(example = "65000.00")]
    pub price: Option<String>,
    pub stop_price: Option<String>,
    /// Whether a stop order's trigger was reached.
    pub triggered: bool,
    #[schema(example = "0.5000")]
    pub quantity: Option<String>,
    /// What a market buy may spend, in the quote asset.
    pub quote_quantity: Option<String>,
    #[schema(example = "0.2000")]
    pub filled_quantity: String,
    /// `null` for a market buy sized by `quote_quantity`.
    pub remaining_quantity: Option<String>,
    /// Quote asset traded.
    #[schema(example = "13000.000000")]
    pub filled_quote: String,
    /// Fees paid so far, in `fee_asset`: the asset the order receives.
    pub fees_paid: String,
    #[schema(example = "BTC")]
    pub fee_asset: String,
    /// What the ledger holds for the order now, in `hold_asset`.
    #[schema(example = "19500.000000")]
    pub held: String,
    #[schema(example = "USDT")]
    pub hold_asset: String,
    /// The worst price a market order may trade at, from the market's band.
    pub protection_price: Option<String>,
    pub post_only: bool,
    /// Self-trade prevention.
    #[schema(example = "NONE")]
    pub stp: &'static str,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrderView {
    pub(crate) fn new(o: &Order, m: &Market) -> OrderView {
        let (fee_asset, fee_paid) = match o.side {
            OrderSide::Buy => (m.base.code, m.format_base(o.fee_paid)),
            OrderSide::Sell => (m.quote.code, m.format_quote(o.fee_paid)),
        };
        let held = if o.hold_asset == m.quote.code {
            m.format_quote(o.held)
        } else {
            m.format_base(o.held)
        };
        OrderView {
            id: o.id,
            client_order_id: o.client_order_id.clone(),
            symbol: o.symbol.clone(),
            side: o.side.as_str(),
            kind: o.kind.as_str(),
            time_in_force: o.time_in_force.as_str(),
            status: o.status.as_str(),
            price: o.price.map(|p| m.format_price(p)),
            stop_price: o.stop_price.map(|p| m.format_price(p)),
            triggered: o.triggered,
            quantity: o.quantity.map(|q| m.format_qty(q)),
            quote_quantity: o.quote_quantity.map(|q| m.format_quote(q)),
            filled_quantity: m.format_qty(o.filled_qty),
            remaining_quantity: o.remaining().map(|q| m.format_qty(q)),
            filled_quote: m.format_quote(o.filled_quote),
            fees_paid: fee_paid,
            fee_asset: fee_asset.to_string(),
            held,
            hold_asset: o.hold_asset.to_string(),
            protection_price: o.protection.map(|p| m.format_price(p)),
            post_only: o.post_only,
            stp: o.stp.as_str(),
            maker_fee_bps: o.fees.maker_bps,
            taker_fee_bps: o.fees.taker_bps,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FillView {
    pub trade_id: Uuid,
    pub order_id: Uuid,
    pub symbol: String,
    #[schema(example = "BUY")]
    pub side: &'static str,
    /// `maker` (the order rested) or `taker`.
    #[schema(example = "taker")]
    pub role: &'static str,
    pub price: String,
    pub quantity: String,
    pub quote_amount: String,
    /// In `fee_asset`, the asset this side received, rounded up.
    pub fee: String,
    pub fee_asset: String,
    pub executed_at: DateTime<Utc>,
}

impl FillView {
    pub(crate) fn new(f: &Fill, m: &Market) -> FillView {
        let fee = if f.fee_asset == m.base.code {
            m.format_base(f.fee)
        } else {
            m.format_quote(f.fee)
        };
        FillView {
            trade_id: f.trade_id,
            order_id: f.order_id,
            symbol: f.symbol.clone(),
            side: f.side.as_str(),
            role: f.role.as_str(),
            price: m.format_price(f.price),
            quantity: m.format_qty(f.quantity),
            quote_amount: m.format_quote(f.quote_amount),
            fee,
            fee_asset: f.fee_asset.to_string(),
            executed_at: f.executed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDetailView {
    #[serde(flatten)]
    pub order: OrderView,
    pub fills: Vec<FillView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TradeView {
    pub id: Uuid,
    /// The engine command that made the trade: trades of one command share it.
    pub seq: u64,
    pub price: String,
    pub quantity: String,
    pub quote_amount: String,
    /// The side of the order that took liquidity.
    #[schema(example = "BUY")]
    pub taker_side: &'static str,
    pub executed_at: DateTime<Utc>,
}

impl TradeView {
    pub(crate) fn new(t: &Trade, m: &Market) -> TradeView {
        TradeView {
            id: t.id,
            seq: t.seq,
            price: m.format_price(t.price),
            quantity: m.format_qty(t.quantity),
            quote_amount: m.format_quote(t.quote_amount),
            taker_side: t.taker_side.as_str(),
            executed_at: t.executed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelView {
    pub price: String,
    pub quantity: String,
    pub orders: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepthView {
    pub symbol: String,
    /// The engine sequence number the levels follow: a stream of updates carries the same numbering.
    pub seq: u64,
    /// Best (highest) first.
    pub bids: Vec<LevelView>,
    /// Best (lowest) first.
    pub asks: Vec<LevelView>,
}

impl DepthView {
    pub(crate) fn new(m: &Market, depth: &matching::Depth, seq: u64) -> DepthView {
        let levels = |levels: &[matching::DepthLevel]| {
            levels
                .iter()
                .map(|l| LevelView {
                    price: m.format_price(l.price.0),
                    quantity: m.qty.format(u64::try_from(l.qty).unwrap_or(u64::MAX)),
                    orders: l.orders,
                })
                .collect()
        };
        DepthView {
            symbol: m.symbol().to_owned(),
            seq,
            bids: levels(&depth.bids),
            asks: levels(&depth.asks),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TickerView {
    pub symbol: String,
    /// The first trade price of the last 24 hours; `null` without trades in them.
    pub open: Option<String>,
    pub high: Option<String>,
    pub low: Option<String>,
    /// The last trade price, even if older than 24 hours.
    pub last: Option<String>,
    /// Base asset traded in 24 hours.
    pub volume: String,
    /// Quote asset traded in 24 hours.
    pub quote_volume: String,
    /// `last - open`.
    pub change: Option<String>,
    /// `(last - open) / open`, in percent, to 2 places (rounded toward zero).
    pub change_pct: Option<String>,
    pub trades: u64,
    pub as_of: DateTime<Utc>,
}

impl TickerView {
    pub(crate) fn new(m: &Market, t: &Ticker, as_of: DateTime<Utc>) -> TickerView {
        let change = match (t.open, t.last) {
            (Some(open), Some(last)) if open > 0 => {
                let diff = i128::from(last) - i128::from(open);
                let sign = if diff < 0 { "-" } else { "" };
                let abs = u64::try_from(diff.unsigned_abs()).unwrap_or(u64::MAX);
                let bps = diff * 10_000 / i128::from(open);
                Some((
                    format!("{sign}{}", m.format_price(abs)),
                    crate::routes::portfolio::views::signed(bps, 2),
                ))
            }
            _ => None,
        };
        TickerView {
            symbol: m.symbol().to_owned(),
            open: t.open.map(|p| m.format_price(p)),
            high: t.high.map(|p| m.format_price(p)),
            low: t.low.map(|p| m.format_price(p)),
            last: t.last.map(|p| m.format_price(p)),
            volume: m.qty.format(u64::try_from(t.volume).unwrap_or(u64::MAX)),
            quote_volume: m.format_quote(t.quote_volume),
            change: change.as_ref().map(|c| c.0.clone()),
            change_pct: change.map(|c| c.1),
            trades: t.trades,
            as_of,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandleView {
    pub open_time: DateTime<Utc>,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: String,
    pub quote_volume: String,
    pub trades: u64,
}

impl CandleView {
    pub(crate) fn new(m: &Market, c: &Candle) -> CandleView {
        CandleView {
            open_time: c.open_time,
            open: m.format_price(c.open),
            high: m.format_price(c.high),
            low: m.format_price(c.low),
            close: m.format_price(c.close),
            volume: m.qty.format(u64::try_from(c.volume).unwrap_or(u64::MAX)),
            quote_volume: m.format_quote(c.quote_volume),
            trades: c.trades,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierView {
    pub user_id: Uuid,
    /// `BASIC` or `PRO`.
    #[schema(example = "PRO")]
    pub tier: &'static str,
    /// Whether staff pinned it; otherwise the 30-day volume decides at the next run of the tier job.
    pub pinned: bool,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
}
