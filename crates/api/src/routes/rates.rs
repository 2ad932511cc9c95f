//! `GET /v1/rates/live`, `/v1/rates/convert` and `/v1/rates/history`: public market data, no sign-in, limited
//! like the other public routes.

use crate::envelope::{Envelope, ErrorEnvelope, ok};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::openapi::answers::{BadInput, RateLimited};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use money::AssetCode;
use rates::{Interval, RateQuote};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the context; a new route is one more line here.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(convert))
        .routes(routes!(history))
}

fn code(field: &'static str, text: &str) -> Result<AssetCode, ApiError> {
    AssetCode::parse(text.trim()).map_err(|_| {
        ApiError::invalid_field(
            field,
            "must be an asset code of 2 to 10 upper-case letters, such as BTC",
        )
    })
}

fn time(field: &'static str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::invalid_field(field, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z"))
    })
    .transpose()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// The currency prices are given in.
    #[param(example = "USD")]
    pub base: String,
    /// Comma-separated asset codes to price, 1 to 50.
    #[param(example = "BTC,ETH,EUR")]
    pub symbols: String,
}

/// One symbol's price: 1 `symbol` = `price` of the base.
#[derive(Debug, Serialize, ToSchema)]
pub struct LivePrice {
    #[schema(example = "BTC")]
    pub symbol: String,
    /// How many units of the base one unit of the symbol is worth, exact decimal text.
    #[schema(example = "61234.56789")]
    pub price: String,
    /// Where the price comes from: `coingecko`, `fx`, `static`, `identity`, `inverse:<source>` or
    /// `cross:<source>+<source>` (through the pivot currency).
    #[schema(example = "coingecko")]
    pub source: String,
    /// The provider's time for the value, or when it was fetched; for a derived price the oldest of its parts.
    pub as_of: DateTime<Utc>,
    /// True when the provider is failing and a cached value younger than `rates.max_stale_secs` is served.
    pub stale: bool,
    /// Change over 24 hours in percent, when the provider gives it for this very pair.
    #[schema(example = "-1.23456789")]
    pub change_24h: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveRates {
    #[schema(example = "USD")]
    pub base: String,
    /// In the order the symbols were asked for.
    pub prices: Vec<LivePrice>,
}

impl From<RateQuote> for LivePrice {
    fn from(quote: RateQuote) -> Self {
        LivePrice {
            symbol: quote.base.to_string(),
            price: quote.rate.to_string(),
            source: quote.source,
            as_of: quote.as_of,
            stale: quote.stale,
            change_24h: quote.change_24h.map(|c| c.to_string()),
        }
    }
}

/// Live prices of several assets in one base currency: each symbol's `price` is how many units of `base` one
/// unit of the symbol is worth (`base=USD&symbols=BTC` → 1 BTC = `price` USD).
#[utoipa::path(
    get, path = "/v1/rates/live", tag = "rates",
    params(LiveQuery),
    responses(
        (status = 200, description = "Each symbol's price in the base, exact decimal text", body = Envelope<LiveRates>),
        RateLimited, BadInput,
        (status = 400, description = "A code is malformed or not a listed asset, a symbol is listed twice, more \
            than 50 are asked for, or no provider prices a symbol in the base (code 1000, `details.field` is \
            `base` or `symbols`)", body = ErrorEnvelope),
        (status = 503, description = "The provider that prices a symbol is failing and no rate younger than \
            `rates.max_stale_secs` is cached (code 5030; the message and `details.provider` name it)",
            body = ErrorEnvelope),
    )
)]
pub async fn live(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LiveQuery>,
) -> Result<Json<Envelope<LiveRates>>, ApiError> {
    let base = code("base", &query.base)?;
    let symbols = query
        .symbols
        .split(',')
        .map(|s| code("symbols", s))
        .collect::<Result<Vec<_>, _>>()?;
    let prices = state.rates.live(&base, &symbols).await?;
    Ok(ok(LiveRates {
        base: base.to_string(),
        prices: prices.into_iter().map(LivePrice::from).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConvertQuery {
    #[param(example = "BTC")]
    pub from: String,
    #[param(example = "EUR")]
    pub to: String,
    /// Decimal text with at most `from`'s precision in decimal places.
    #[param(example = "0.25")]
    pub amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionView {
    #[schema(example = "BTC")]
    pub from: String,
    #[schema(example = "EUR")]
    pub to: String,
    /// The amount converted, at `from`'s precision.
    #[schema(example = "0.25000000")]
    pub amount: String,
    /// `amount × rate`, rounded half-even to `to`'s precision.
    #[schema(example = "14123.45")]
    pub result: String,
    /// 1 `from` = `rate` `to`, exact decimal text.
    #[schema(example = "56493.8")]
    pub rate: String,
    /// Always `half_even`: to the nearest unit of `to`, ties to the even one.
    #[schema(example = "half_even")]
    pub rounding: &'static str,
    #[schema(example = "coingecko")]
    pub source: String,
    pub as_of: DateTime<Utc>,
    pub stale: bool,
}

/// Convert an amount at the live rate. The result is `amount × rate` rounded once, half-even, to the precision
/// of `to`; nothing is booked.
#[utoipa::path(
    get, path = "/v1/rates/convert", tag = "rates",
    params(ConvertQuery),
    responses(
        (status = 200, description = "The converted amount, the rate used and where it comes from",
            body = Envelope<ConversionView>),
        RateLimited, BadInput,
        (status = 400, description = "A code is malformed or not a listed asset, `amount` is not decimal text or \
            has more decimal places than `from` allows, or no provider prices the pair (code 1000, \
            `details.field` names `from`, `to` or `amount`)", body = ErrorEnvelope),
        (status = 503, description = "The provider that prices the pair is failing and no rate younger than \
            `rates.max_stale_secs` is cached (code 5030; the message and `details.provider` name it)",
            body = ErrorEnvelope),
    )
)]
pub async fn convert(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ConvertQuery>,
) -> Result<Json<Envelope<ConversionView>>, ApiError> {
    let from = code("from", &query.from)?;
    let to = code("to", &query.to)?;
    let conversion = state.rates.convert(&from, &to, &query.amount).await?;
    Ok(ok(ConversionView {
        from: from.to_string(),
        to: to.to_string(),
        amount: conversion.amount.to_string(),
        result: conversion.result.to_string(),
        rate: conversion.quote.rate.to_string(),
        rounding: "half_even",
        source: conversion.quote.source,
        as_of: conversion.quote.as_of,
        stale: conversion.quote.stale,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[param(example = "BTC")]
    pub base: String,
    #[param(example = "USD")]
    pub quote: String,
    /// Bucket width: `5m`, `1h` or `1d` (buckets are aligned to the Unix epoch, so `1d` starts at midnight UTC).
    #[param(example = "1h")]
    pub interval: String,
    /// RFC 3339 start, included; defaults to 100 intervals before `to`.
    pub from: Option<String>,
    /// RFC 3339 end, excluded; defaults to now.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// The start of the bucket.
    pub time: DateTime<Utc>,
    /// 1 base = `rate` quote: the last snapshot recorded in the bucket.
    #[schema(example = "61234.56789")]
    pub rate: String,
    #[schema(example = "coingecko")]
    pub source: String,
    /// The provider's time of that snapshot.
    pub as_of: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateHistory {
    pub base: String,
    pub quote: String,
    #[schema(example = "1h")]
    pub interval: &'static str,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Oldest first; a bucket with no snapshot is left out.
    pub points: Vec<HistoryPoint>,
}

/// A pair's recorded history, from the snapshots the refresher takes of `rates.refresh_pairs`: the last rate
/// of each bucket, at most 1000 buckets. A pair that is not refreshed has no points.
#[utoipa::path(
    get, path = "/v1/rates/history", tag = "rates",
    params(HistoryQuery),
    responses(
        (status = 200, description = "The last recorded rate of each bucket", body = Envelope<RateHistory>),
        RateLimited, BadInput,
        (status = 400, description = "A code is malformed or not a listed asset, `interval` is not 5m, 1h or 1d, \
            a time is not RFC 3339, `from` is not before `to`, or the range holds more than 1000 intervals \
            (code 1000, `details.field` names it)", body = ErrorEnvelope),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Envelope<RateHistory>>, ApiError> {
    let base = code("base", &query.base)?;
    let quote = code("quote", &query.quote)?;
    let interval =
        Interval::parse(&query.interval).ok_or_else(|| ApiError::invalid_field("interval", "must be 5m, 1h or 1d"))?;
    let from = time("from", query.from.as_deref())?;
    let to = time("to", query.to.as_deref())?;
    let history = state.rates.history(&base, &quote, interval, from, to).await?;
    Ok(ok(RateHistory {
        base: history.base.to_string(),
        quote: history.quote.to_string(),
        interval: history.interval.as_str(),
        from: history.from,
        to: history.to,
        points: history
            .points
            .into_iter()
            .map(|p| HistoryPoint {
                time: p.bucket,
                rate: p.rate.to_string(),
                source: p.source,
                as_of: p.as_of,
            })
            .collect(),
    }))
}
