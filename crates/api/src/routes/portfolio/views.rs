//! What the portfolio routes answer: amounts, prices and P&L as decimal strings at their currency's precision.

use chrono::{DateTime, Utc};
use money::DecimalString;
use portfolio::valuation::{AssetValue, HoldingLine, HoldingValue, PnL, Valuation};
use portfolio::{Activity, Holding, Price};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `units · 10^-places` with its sign: `"-12.34"`.
pub(crate) fn signed(units: i128, places: u8) -> String {
    let text = DecimalString::from_scaled(units.unsigned_abs(), places);
    match units < 0 {
        true => format!("-{}", text.as_str()),
        false => text.as_str().to_owned(),
    }
}

pub(crate) fn unsigned(units: u128, places: u8) -> String {
    DecimalString::from_scaled(units, places).as_str().to_owned()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingView {
    /// `null` for a Bourse wallet, which is not edited here.
    pub id: Option<Uuid>,
    /// `manual` (tracked by the caller) or `bourse` (the caller's wallet on this platform).
    #[schema(example = "manual")]
    pub source: &'static str,
    #[schema(example = "BTC")]
    pub asset: String,
    #[schema(example = "0.50000000")]
    pub amount: String,
    #[schema(example = "Ledger Nano")]
    pub label: Option<String>,
    /// Whether `PATCH`/`DELETE /v1/portfolio/holdings/{id}` apply.
    pub editable: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl HoldingView {
    pub(crate) fn tracked(h: &Holding) -> HoldingView {
        HoldingView {
            id: Some(h.id),
            source: "manual",
            asset: h.asset.to_string(),
            amount: unsigned(h.amount.minor(), h.amount.precision().get()),
            label: h.label.clone(),
            editable: true,
            created_at: Some(h.created_at),
            updated_at: Some(h.updated_at),
        }
    }

    pub(crate) fn line(l: &HoldingLine, tracked: &[Holding]) -> HoldingView {
        let holding = l.id.and_then(|id| tracked.iter().find(|h| h.id == id));
        match holding {
            Some(h) => HoldingView::tracked(h),
            None => HoldingView {
                id: None,
                source: l.source.as_str(),
                asset: l.asset.to_string(),
                amount: unsigned(l.amount, l.precision.get()),
                label: l.label.clone(),
                editable: false,
                created_at: None,
                updated_at: None,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    /// `buy`, `sell`, `transfer_in`, `transfer_out` or `fee`.
    #[serde(rename = "type")]
    #[schema(example = "buy")]
    pub kind: &'static str,
    #[schema(example = "BTC")]
    pub asset: String,
    #[schema(example = "0.50000000")]
    pub amount: String,
    /// Per whole unit of the asset, in `price_currency`.
    #[schema(example = "30000.5")]
    pub price: Option<String>,
    #[schema(example = "USD")]
    pub price_currency: Option<String>,
    /// In `price_currency`.
    #[schema(example = "1.25")]
    pub fee: Option<String>,
    pub time: DateTime<Utc>,
    pub note: Option<String>,
}

impl From<&Activity> for ActivityView {
    fn from(a: &Activity) -> ActivityView {
        ActivityView {
            id: a.id,
            kind: a.kind.as_str(),
            asset: a.asset.to_string(),
            amount: unsigned(a.amount.minor(), a.amount.precision().get()),
            price: a.price.map(|p| p.price.to_string()),
            price_currency: a.price.map(|p| p.currency.code.to_string()),
            fee: a.fee.map(|f| unsigned(f.minor(), f.precision().get())),
            time: a.time,
            note: a.note.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceView {
    /// Units of the valuation currency per unit of the asset.
    #[schema(example = "61234.56")]
    pub rate: String,
    #[schema(example = "coingecko")]
    pub source: String,
    pub as_of: DateTime<Utc>,
    /// Served from a cache past its freshness because the provider failed.
    pub stale: bool,
}

impl From<&Price> for PriceView {
    fn from(p: &Price) -> PriceView {
        PriceView {
            rate: p.rate.to_string(),
            source: p.source.clone(),
            as_of: p.as_of,
            stale: p.stale,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValuedHoldingView {
    #[serde(flatten)]
    pub holding: HoldingView,
    /// In the valuation currency; `null` when no price could be had (see `unavailable_reason`).
    #[schema(example = "30617.28")]
    pub value: Option<String>,
    pub price: Option<PriceView>,
    pub unavailable_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetValueView {
    #[schema(example = "BTC")]
    pub asset: String,
    /// Held across all holdings.
    pub amount: String,
    pub value: Option<String>,
    pub price: Option<PriceView>,
    pub unavailable_reason: Option<String>,
    /// Percent of the total value, two places, half-even.
    #[schema(example = "85.71")]
    pub allocation_pct: Option<String>,
    /// The price's change over 24 h in percent (two places), when the source gives it.
    pub change_24h_pct: Option<String>,
    /// What that change moved the value by, in the valuation currency.
    pub change_24h_value: Option<String>,
    /// The quantity the activities leave open (FIFO), which the cost basis and unrealised P&L are of.
    pub open_quantity: Option<String>,
    pub cost_basis: Option<String>,
    pub unrealised_pnl: Option<String>,
    pub realised_pnl: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    pub value: String,
    #[schema(example = "7.57")]
    pub pct: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValuationView {
    #[schema(example = "EUR")]
    pub currency: String,
    /// The sum of every value that could be computed.
    pub total_value: String,
    /// `true` when some holding, cost or P&L could not be valued: the totals then cover only the rest.
    pub partial: bool,
    pub holdings: Vec<ValuedHoldingView>,
    pub assets: Vec<AssetValueView>,
    pub cost_basis: String,
    pub unrealised_pnl: String,
    pub realised_pnl: String,
    /// `null` unless every valued asset's price has a 24 h change.
    pub change_24h: Option<ChangeView>,
}

impl ValuationView {
    pub(crate) fn new(v: &Valuation, tracked: &[Holding]) -> ValuationView {
        let places = v.currency.precision.get();
        let money = |x: i128| signed(x, places);
        ValuationView {
            currency: v.currency.code.to_string(),
            total_value: unsigned(v.total, places),
            partial: v.partial,
            holdings: v.holdings.iter().map(|h| holding_value(h, tracked, places)).collect(),
            assets: v.assets.iter().map(|a| asset_value(a, places)).collect(),
            cost_basis: money(v.cost_basis),
            unrealised_pnl: money(v.unrealised),
            realised_pnl: money(v.realised),
            change_24h: v.change_24h.as_ref().map(|(value, pct)| ChangeView {
                value: money(*value),
                pct: pct.clone(),
            }),
        }
    }
}

fn holding_value(h: &HoldingValue, tracked: &[Holding], places: u8) -> ValuedHoldingView {
    let (value, price, reason) = match &h.value {
        Ok((value, price)) => (Some(unsigned(*value, places)), Some(price.into()), None),
        Err(reason) => (None, None, Some(reason.clone())),
    };
    ValuedHoldingView {
        holding: HoldingView::line(&h.line, tracked),
        value,
        price,
        unavailable_reason: reason,
    }
}

fn asset_value(a: &AssetValue, places: u8) -> AssetValueView {
    let pnl = |f: fn(&PnL) -> Option<i128>| a.cost.as_ref().and_then(f).map(|x| signed(x, places));
    AssetValueView {
        asset: a.asset.to_string(),
        amount: unsigned(a.amount, a.precision.get()),
        value: a.value.map(|v| unsigned(v, places)),
        price: a.price.as_ref().ok().map(PriceView::from),
        unavailable_reason: a.price.as_ref().err().cloned(),
        allocation_pct: a.allocation.as_ref().map(|p| p.as_str().to_owned()),
        change_24h_pct: a.change_24h.map(|c| c.to_string()),
        change_24h_value: a.change_24h_value.map(|c| signed(c, places)),
        open_quantity: a.cost.as_ref().map(|c| unsigned(c.open_quantity, a.precision.get())),
        cost_basis: pnl(|c| c.cost_basis),
        unrealised_pnl: pnl(|c| c.unrealised),
        realised_pnl: pnl(|c| c.realised),
    }
}
