//! What the caller's portfolio is worth (`/v1/portfolio`), what it was worth (`/v1/portfolio/history`) and the
//! trades that would bring it to target weights (`/v1/portfolio/rebalance`).

use crate::auth::AuthUser;
use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::openapi::answers::{All, JsonBody, SignedIn};
use crate::routes::portfolio::views::{ValuationView, unsigned};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use portfolio::Range;
use portfolio::rebalance::Plan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ValuationQuery {
    /// The currency to value in: an asset of the catalogue (default USD).
    #[param(example = "EUR")]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// A currency the snapshots are taken in (`portfolio.snapshot_currencies`; default USD).
    #[param(example = "USD")]
    pub currency: Option<String>,
    /// `7d`, `30d` (default) or `1y`.
    #[param(example = "30d")]
    pub range: Option<String>,
}

const DEFAULT_CURRENCY: &str = "USD";

/// Every holding valued in `currency` (tracked ones and the caller's Bourse wallets, `source: bourse`), each
/// with the rate, its source, `as_of` and `stale`; per asset the total, allocation %, 24 h change and the FIFO
/// cost basis with unrealised and realised P&L; and the totals. When a price cannot be had, its holdings are
/// listed with `value: null` and `unavailable_reason`, and `partial: true` says the totals cover only the rest.
#[utoipa::path(
    get, path = "/v1/portfolio", tag = "portfolio",
    security(("bearer" = [])),
    params(ValuationQuery),
    responses(
        (status = 200, description = "The valuation; `partial` when some price was unavailable", body = Envelope<ValuationView>),
        SignedIn,
        (status = 400, description = "`currency` is not an asset of the catalogue (code 1000)", body = ErrorEnvelope),
    )
)]
pub async fn get_valuation(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<ValuationQuery>,
) -> Result<Json<Envelope<ValuationView>>, ApiError> {
    let currency = query.currency.as_deref().unwrap_or(DEFAULT_CURRENCY);
    let valuation = state.portfolio.valuation(who.user_id, currency).await?;
    let tracked = state.portfolio.holdings(who.user_id).await?;
    Ok(ok(ValuationView::new(&valuation, &tracked)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    pub day: NaiveDate,
    pub total_value: String,
    /// Per asset: `asset`, `amount`, `price`, `value` as decimal strings.
    #[schema(value_type = Vec<Object>)]
    pub assets: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub currency: String,
    #[schema(example = "30d")]
    pub range: String,
    /// One per UTC day a snapshot was taken, oldest first.
    pub items: Vec<SnapshotView>,
}

/// The caller's daily snapshots (taken by the snapshot job in each of `portfolio.snapshot_currencies`) over the
/// range. A day whose prices could not all be had has no snapshot.
#[utoipa::path(
    get, path = "/v1/portfolio/history", tag = "portfolio",
    security(("bearer" = [])),
    params(HistoryQuery),
    responses(
        (status = 200, description = "The snapshots", body = Envelope<HistoryView>),
        SignedIn,
        (status = 400, description = "An unknown `currency` or `range` (code 1000)", body = ErrorEnvelope),
    )
)]
pub async fn get_history(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Envelope<HistoryView>>, ApiError> {
    let range_text = query.range.unwrap_or_else(|| "30d".to_owned());
    let range = Range::parse(&range_text).ok_or_else(|| ApiError::invalid_field("range", "must be 7d, 30d or 1y"))?;
    let currency = query.currency.as_deref().unwrap_or(DEFAULT_CURRENCY);
    let snapshots = state.portfolio.history(who.user_id, currency, range).await?;
    let places = match snapshots.first() {
        Some(s) => state.assets.get(&s.currency).await?.precision.get(),
        None => 0,
    };
    Ok(ok(HistoryView {
        currency: currency.to_owned(),
        range: range_text,
        items: snapshots
            .into_iter()
            .map(|s| SnapshotView {
                day: s.day,
                total_value: unsigned(s.total_value, places),
                assets: s.detail,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebalanceBody {
    /// The currency values and trades are stated in (default USD).
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// Asset code to target percent as a decimal string (at most 4 places, each ≥ 0, summing to exactly 100).
    /// A held asset not named is a target of 0.
    #[schema(value_type = Object, example = json!({"BTC": "60", "ETH": "40"}))]
    pub targets: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TradeView {
    pub asset: String,
    /// Target percent.
    pub weight: String,
    pub price: String,
    pub current_amount: String,
    pub current_value: String,
    pub target_value: String,
    /// `buy`, `sell` or `hold`.
    #[schema(example = "buy")]
    pub action: &'static str,
    /// Of the asset, rounded down to its precision.
    pub amount: String,
    /// `amount × price`, rounded down.
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub currency: String,
    pub total_value: String,
    pub trades: Vec<TradeView>,
    pub total_buys: String,
    pub total_sells: String,
}

impl From<&Plan> for PlanView {
    fn from(plan: &Plan) -> PlanView {
        let places = plan.currency.precision.get();
        PlanView {
            currency: plan.currency.code.to_string(),
            total_value: unsigned(plan.total, places),
            trades: plan
                .trades
                .iter()
                .map(|t| TradeView {
                    asset: t.asset.to_string(),
                    weight: t.weight.to_string(),
                    price: t.price.to_string(),
                    current_amount: unsigned(t.current_amount, t.precision.get()),
                    current_value: unsigned(t.current_value, places),
                    target_value: unsigned(t.target_value, places),
                    action: t.action.as_str(),
                    amount: unsigned(t.amount, t.precision.get()),
                    value: unsigned(t.value, places),
                })
                .collect(),
            total_buys: unsigned(plan.buys, places),
            total_sells: unsigned(plan.sells, places),
        }
    }
}

/// The buys and sells, in asset amounts and in the currency, that bring the caller's holdings to the target
/// weights. Target values are rounded down to the currency's minor unit and amounts down to each asset's
/// precision, so the plan never spends more than the targets call for nor sells more than is held. Nothing is
/// traded: this is a plan.
#[utoipa::path(
    post, path = "/v1/portfolio/rebalance", tag = "portfolio",
    security(("bearer" = [])),
    request_body = RebalanceBody,
    responses(
        (status = 200, description = "The plan", body = Envelope<PlanView>),
        All<(SignedIn, JsonBody)>,
        (status = 400, description = "`targets` do not sum to 100, name an unknown asset or a negative weight, or `currency` is unknown (code 1000)", body = ErrorEnvelope),
        (status = 503, description = "A price the plan needs is unavailable (code 5030, `details.provider` names the provider)", body = ErrorEnvelope),
    )
)]
pub async fn rebalance(
    State(state): State<AppState>,
    AuthUser(who): AuthUser,
    ApiJson(body): ApiJson<RebalanceBody>,
) -> Result<Json<Envelope<PlanView>>, ApiError> {
    let currency = body.currency.as_deref().unwrap_or(DEFAULT_CURRENCY);
    let plan = state.portfolio.rebalance(who.user_id, currency, &body.targets).await?;
    Ok(ok(PlanView::from(&plan)))
}
