//! A market and its grid: how decimal prices and quantities become the engine's ticks and lots, and ticks times
//! lots become minor units of the quote asset, exactly.
//!
//! A market is only accepted when its grid is exact against the ledger: a lot must be a whole number of the base
//! asset's minor units, and a tick times a lot a whole number of the quote asset's minor units. Then every trade's
//! amounts are integers of both assets and nothing is ever rounded between the engine and the ledger.

use crate::TradingError;
use chrono::{DateTime, Utc};
use ledger::Asset;
use matching::decimal::{DecimalError, Scale};
use money::{Amount, AssetCode, DecimalString};

/// Whether a market takes orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketStatus {
    /// Orders are placed, matched and cancelled.
    Open,
    /// New orders are refused; the book is kept and orders may be cancelled.
    Halted,
    /// Every order was cancelled and its hold released; nothing more happens.
    Closed,
}

impl MarketStatus {
    pub const ALL: [MarketStatus; 3] = [MarketStatus::Open, MarketStatus::Halted, MarketStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            MarketStatus::Open => "open",
            MarketStatus::Halted => "halted",
            MarketStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<MarketStatus> {
        MarketStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A market as stored: its decimal settings as written by the admin who created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketSpec {
    pub symbol: String,
    pub base: AssetCode,
    pub quote: AssetCode,
    pub tick_size: String,
    pub lot_size: String,
    pub min_qty: String,
    pub max_qty: String,
    pub min_notional: String,
    /// Limit prices further than this percentage from the last trade are refused.
    pub price_band_pct: String,
    pub status: MarketStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A market with its grid worked out: what the engine runner and the validation use.
#[derive(Debug, Clone)]
pub struct Market {
    pub spec: MarketSpec,
    pub base: Asset,
    pub quote: Asset,
    pub price: Scale,
    pub qty: Scale,
    /// Minor units of the base asset in one lot.
    pub lot_minor: u128,
    /// Minor units of the quote asset in one tick times one lot.
    pub tick_lot_minor: u128,
    pub min_lots: u64,
    pub max_lots: u64,
    /// Minor units of the quote asset.
    pub min_notional: u128,
    /// The band in hundredths of a percent (basis points).
    pub band_bps: u64,
}

/// The most ticks or lots a market accepts in one number: far above any real price or size, and low enough that
/// a price times a quantity times the minor units per tick·lot stays within `u128`.
pub const MAX_UNITS: u64 = 1 << 50;

fn invalid(field: &'static str, reason: impl Into<String>) -> TradingError {
    TradingError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Whether `symbol` has the seed's shape: 2 to 12 upper-case letters and digits, base then quote.
pub fn valid_symbol(symbol: &str) -> bool {
    (2..=12).contains(&symbol.len()) && symbol.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn positive_decimal(field: &'static str, text: &str) -> Result<DecimalString, TradingError> {
    let parsed = DecimalString::parse(text).map_err(|_| invalid(field, "must be a positive decimal string"))?;
    if parsed.to_scaled(parsed.written_places() as u8).ok() == Some(0) {
        return Err(invalid(field, "must be greater than zero"));
    }
    Ok(parsed)
}

/// `text` of a decimal with at most `places` places in units of 10^-places; `None` if it has more.
fn scaled(text: &DecimalString, places: u8) -> Option<u128> {
    text.to_scaled(places).ok()
}

impl Market {
    /// Works out the grid of `spec` against its assets, or says which setting is not exact.
    pub fn new(spec: MarketSpec, base: Asset, quote: Asset) -> Result<Market, TradingError> {
        if !valid_symbol(&spec.symbol) {
            return Err(invalid("symbol", "must be 2 to 12 upper-case letters and digits"));
        }
        if base.code == quote.code {
            return Err(invalid("quote", "must differ from the base asset"));
        }
        let tick = positive_decimal("tick_size", &spec.tick_size)?;
        let lot = positive_decimal("lot_size", &spec.lot_size)?;
        let price = Scale::from_increment(&spec.tick_size).map_err(|e| invalid("tick_size", e.to_string()))?;
        let qty = Scale::from_increment(&spec.lot_size).map_err(|e| invalid("lot_size", e.to_string()))?;
        let base_places = base.precision.get();
        let quote_places = quote.precision.get();
        let lot_minor = scaled(&lot, base_places).filter(|&v| v > 0).ok_or_else(|| {
            invalid(
                "lot_size",
                format!(
                    "must be a whole number of {}'s smallest unit ({base_places} places)",
                    base.code
                ),
            )
        })?;
        // tick × lot in quote minor units: tick and lot each as integers over 10^places, times 10^quote_places.
        let (tp, lp) = (tick.written_places() as u32, lot.written_places() as u32);
        let tick_units = scaled(&tick, tp as u8).ok_or_else(|| invalid("tick_size", "too many digits"))?;
        let lot_units = scaled(&lot, lp as u8).ok_or_else(|| invalid("lot_size", "too many digits"))?;
        let numerator = tick_units
            .checked_mul(lot_units)
            .and_then(|v| v.checked_mul(10u128.checked_pow(u32::from(quote_places))?))
            .ok_or_else(|| invalid("tick_size", "tick × lot is too large"))?;
        let denominator = 10u128
            .checked_pow(tp + lp)
            .ok_or_else(|| invalid("tick_size", "too many decimal places"))?;
        if numerator % denominator != 0 || numerator / denominator == 0 {
            return Err(invalid(
                "tick_size",
                format!(
                    "tick × lot must be a whole number of {}'s smallest unit ({quote_places} places), so every \
                     trade settles exactly",
                    quote.code
                ),
            ));
        }
        let tick_lot_minor = numerator / denominator;
        let lots = |field: &'static str, text: &str| -> Result<u64, TradingError> {
            let v = qty
                .parse(text)
                .map_err(|e| invalid(field, grid_reason(e, "lot size")))?;
            if v == 0 || v > MAX_UNITS {
                return Err(invalid(field, "must be at least one lot and within the market's range"));
            }
            Ok(v)
        };
        let min_lots = lots("min_qty", &spec.min_qty)?;
        let max_lots = lots("max_qty", &spec.max_qty)?;
        if min_lots > max_lots {
            return Err(invalid("max_qty", "must not be below min_qty"));
        }
        let min_notional = Amount::parse(&spec.min_notional, quote.precision)
            .map_err(|_| {
                invalid(
                    "min_notional",
                    format!("must be a decimal with at most {quote_places} places"),
                )
            })?
            .minor();
        let band = DecimalString::parse(&spec.price_band_pct)
            .ok()
            .and_then(|d| d.to_scaled(2).ok())
            .and_then(|v| u64::try_from(v).ok())
            .filter(|v| (1..=100_000).contains(v))
            .ok_or_else(|| {
                invalid(
                    "price_band_pct",
                    "must be a percentage above 0 and at most 1000, with at most 2 places",
                )
            })?;
        Ok(Market {
            spec,
            base,
            quote,
            price,
            qty,
            lot_minor,
            tick_lot_minor,
            min_lots,
            max_lots,
            min_notional,
            band_bps: band,
        })
    }

    pub fn symbol(&self) -> &str {
        &self.spec.symbol
    }

    /// A price in ticks, or why it is not on the grid.
    pub fn ticks(&self, field: &'static str, text: &str) -> Result<u64, TradingError> {
        let v = self.price.parse(text).map_err(|e| {
            TradingError::rejected(
                if off_grid(&e) {
                    "price_off_tick"
                } else {
                    "invalid_price"
                },
                field,
                grid_reason(e, "tick size"),
            )
        })?;
        if v == 0 || v > MAX_UNITS {
            return Err(TradingError::rejected(
                "invalid_price",
                field,
                "must be above zero and within range",
            ));
        }
        Ok(v)
    }

    /// A quantity in lots, or why it is not on the grid or outside the market's sizes.
    pub fn lots(&self, field: &'static str, text: &str) -> Result<u64, TradingError> {
        let v = self.qty.parse(text).map_err(|e| {
            TradingError::rejected(
                if off_grid(&e) {
                    "quantity_off_lot"
                } else {
                    "invalid_quantity"
                },
                field,
                grid_reason(e, "lot size"),
            )
        })?;
        if v < self.min_lots {
            return Err(TradingError::rejected(
                "quantity_below_minimum",
                field,
                format!("must be at least {}", self.spec.min_qty),
            ));
        }
        if v > self.max_lots {
            return Err(TradingError::rejected(
                "quantity_above_maximum",
                field,
                format!("must be at most {}", self.spec.max_qty),
            ));
        }
        Ok(v)
    }

    /// Minor units of the quote asset that `lots` at `ticks` cost.
    pub fn quote_minor(&self, ticks: u64, lots: u64) -> u128 {
        u128::from(ticks) * u128::from(lots) * self.tick_lot_minor
    }

    /// Minor units of the base asset in `lots`.
    pub fn base_minor(&self, lots: u64) -> u128 {
        u128::from(lots) * self.lot_minor
    }

    pub fn format_price(&self, ticks: u64) -> String {
        self.price.format(ticks)
    }

    pub fn format_qty(&self, lots: u64) -> String {
        self.qty.format(lots)
    }

    pub fn format_quote(&self, minor: u128) -> String {
        Amount::from_minor(minor, self.quote.precision).to_string()
    }

    pub fn format_base(&self, minor: u128) -> String {
        Amount::from_minor(minor, self.base.precision).to_string()
    }

    /// The band around `reference` (ticks) that limit prices must stay in, inclusive.
    pub fn band(&self, reference: u64) -> (u64, u64) {
        let width = u128::from(reference) * u128::from(self.band_bps) / 10_000;
        let width = u64::try_from(width).unwrap_or(u64::MAX);
        (
            reference.saturating_sub(width).max(1),
            reference.saturating_add(width).min(MAX_UNITS),
        )
    }
}

fn off_grid(e: &DecimalError) -> bool {
    matches!(e, DecimalError::OffGrid | DecimalError::TooManyDecimals(_))
}

fn grid_reason(e: DecimalError, grid: &str) -> String {
    match e {
        DecimalError::OffGrid => format!("must be a multiple of the market's {grid}"),
        DecimalError::TooManyDecimals(n) => format!("has more decimal places than the market's {grid} ({n})"),
        DecimalError::Overflow => "is too large".to_owned(),
        _ => "must be a positive decimal string".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::AssetKind;
    use money::Precision;

    fn asset(code: &str, places: u8) -> Asset {
        Asset {
            code: AssetCode::parse(code).unwrap(),
            name: code.to_owned(),
            kind: AssetKind::Crypto,
            precision: Precision::new(places).unwrap(),
            enabled: true,
        }
    }

    pub(crate) fn spec(symbol: &str, tick: &str, lot: &str) -> MarketSpec {
        MarketSpec {
            symbol: symbol.to_owned(),
            base: AssetCode::parse("BTC").unwrap(),
            quote: AssetCode::parse("USDT").unwrap(),
            tick_size: tick.to_owned(),
            lot_size: lot.to_owned(),
            min_qty: lot.to_owned(),
            max_qty: "1000".to_owned(),
            min_notional: "1".to_owned(),
            price_band_pct: "10".to_owned(),
            status: MarketStatus::Open,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_grid_converts_exactly_to_minor_units() {
        let m = Market::new(spec("BTCUSDT", "0.01", "0.0001"), asset("BTC", 8), asset("USDT", 6)).unwrap();
        assert_eq!(m.lot_minor, 10_000);
        assert_eq!(m.tick_lot_minor, 1);
        // 0.5 BTC at 65,000.01 USDT = 32,500.005 USDT.
        let (p, q) = (
            m.ticks("price", "65000.01").unwrap(),
            m.lots("quantity", "0.5").unwrap(),
        );
        assert_eq!(m.quote_minor(p, q), 32_500_005_000);
        assert_eq!(m.base_minor(q), 50_000_000);
        assert_eq!(m.format_price(p), "65000.01");
    }

    #[test]
    fn a_grid_that_cannot_settle_exactly_is_refused() {
        let e = Market::new(spec("BTCUSD", "0.01", "0.0001"), asset("BTC", 8), asset("USD", 2)).unwrap_err();
        assert!(matches!(e, TradingError::Invalid { field: "tick_size", .. }), "{e:?}");
        let e = Market::new(spec("BTCUSD", "1", "0.000000001"), asset("BTC", 8), asset("USD", 2)).unwrap_err();
        assert!(matches!(e, TradingError::Invalid { field: "lot_size", .. }), "{e:?}");
        let e = Market::new(spec("btc-usd", "1", "0.01"), asset("BTC", 8), asset("USD", 2)).unwrap_err();
        assert!(matches!(e, TradingError::Invalid { field: "symbol", .. }), "{e:?}");
    }

    #[test]
    fn prices_and_quantities_off_the_grid_say_why() {
        let m = Market::new(spec("BTCUSDT", "0.01", "0.0001"), asset("BTC", 8), asset("USDT", 6)).unwrap();
        let reason = |e: TradingError| match e {
            TradingError::Rejected { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(m.ticks("price", "1.005").unwrap_err()), "price_off_tick");
        assert_eq!(reason(m.ticks("price", "abc").unwrap_err()), "invalid_price");
        assert_eq!(reason(m.ticks("price", "0").unwrap_err()), "invalid_price");
        assert_eq!(reason(m.lots("quantity", "0.00015").unwrap_err()), "quantity_off_lot");
        assert_eq!(
            reason(m.lots("quantity", "5000").unwrap_err()),
            "quantity_above_maximum"
        );
        let coarse = Market::new(spec("BTCUSDT", "0.05", "0.0001"), asset("BTC", 8), asset("USDT", 6)).unwrap();
        assert_eq!(reason(coarse.ticks("price", "1.01").unwrap_err()), "price_off_tick");
    }

    #[test]
    fn the_band_is_a_percentage_of_the_reference() {
        let m = Market::new(spec("BTCUSDT", "0.01", "0.0001"), asset("BTC", 8), asset("USDT", 6)).unwrap();
        assert_eq!(m.band(10_000), (9_000, 11_000));
    }
}
