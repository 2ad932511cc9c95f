//! [`Rates`]: a pair answered by the first provider that prices it, directly or inverted, else through the pivot;
//! fetched rates cached with a stale fallback; one upstream call per key at a time.

use crate::breaker::{Breaker, BreakerSettings, BreakerState};
use crate::cache::{Cached, RateCache};
use crate::config::RatesConfig;
use crate::error::{ProviderError, RatesError};
use crate::http::Upstream;
use crate::provider::RateProvider;
use crate::providers::{coingecko::CoinGecko, fx::HttpFx, static_table::StaticTable};
use crate::store;
use chrono::{DateTime, Duration as Span, Utc};
use ledger::{Asset, AssetCatalogue, LedgerError};
use money::{Amount, AssetCode, MoneyError, Rate, RoundingMode};
use platform::{Clock, Db};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Every derived rate (an inverse, a cross) and every conversion rounds this way: to the nearest, ties to even,
/// so repeated derivations carry no bias.
pub const ROUNDING: RoundingMode = RoundingMode::HalfEven;
/// Most points one history answer has.
pub const MAX_HISTORY_POINTS: i64 = 1000;
/// Points a history has when `from` is not given.
const DEFAULT_HISTORY_POINTS: i32 = 100;
/// Most symbols one live request asks for.
pub const MAX_LIVE_SYMBOLS: usize = 50;
/// How long a catalogue look-up is reused; an asset added to the catalogue is priced within this.
const ASSET_MEMORY: Duration = Duration::from_secs(60);

/// A rate for one pair: 1 `base` = `rate` `quote`.
#[derive(Debug, Clone, PartialEq)]
pub struct RateQuote {
    pub base: AssetCode,
    pub quote: AssetCode,
    pub rate: Rate,
    /// `coingecko`, `fx`, `static`, `identity`, `inverse:<source>` or `cross:<source>+<source>`.
    pub source: String,
    /// The provider's time, or the fetch time; for a derived rate the oldest of its legs.
    pub as_of: DateTime<Utc>,
    /// Served from the cache past its freshness because the provider is failing.
    pub stale: bool,
    /// Change over 24 hours in percent, where the provider gives it for this very pair.
    pub change_24h: Option<Decimal>,
}

/// An amount converted: `amount` of `from` is `result` of `to` at `quote.rate`, rounded by [`ROUNDING`] to the
/// precision of `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub amount: Amount,
    pub result: Amount,
    pub quote: RateQuote,
}

/// History bucket widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    FiveMinutes,
    Hour,
    Day,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Interval> {
        match text {
            "5m" => Some(Interval::FiveMinutes),
            "1h" => Some(Interval::Hour),
            "1d" => Some(Interval::Day),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::FiveMinutes => "5m",
            Interval::Hour => "1h",
            Interval::Day => "1d",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Interval::FiveMinutes => 300,
            Interval::Hour => 3600,
            Interval::Day => 86_400,
        }
    }
}

/// A pair's recorded history: the last snapshot of each bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub base: AssetCode,
    pub quote: AssetCode,
    pub interval: Interval,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub points: Vec<store::StoredPoint>,
}

/// A rate provider and, for those that call out, its breaker.
struct Source {
    provider: Box<dyn RateProvider>,
    breaker: Option<Breaker>,
}

/// How a pair is priced by one provider: as asked, or the other way round and inverted.
#[derive(Debug, Clone, Copy)]
struct Leg {
    source: usize,
    inverse: bool,
}

/// A pair priced by one leg, or crossed from both assets' legs in the pivot.
#[derive(Debug, Clone, Copy)]
enum Route {
    One(Leg),
    Cross(Leg, Leg),
}

type Flight = Arc<OnceCell<Result<Cached, ProviderError>>>;

struct Inner {
    /// In resolution order: the static table, the platform's own markets, CoinGecko, the FX source.
    sources: Vec<Source>,
    cache: RateCache,
    flights: Mutex<HashMap<String, Flight>>,
    assets: AssetCatalogue,
    known_assets: Mutex<HashMap<AssetCode, (Asset, Instant)>>,
    db: Db,
    clock: Arc<dyn Clock>,
    pivot: AssetCode,
    ttl: Span,
    max_stale: Span,
    refresh_pairs: Vec<(AssetCode, AssetCode)>,
    refresh_interval: Duration,
}

/// The rates service: cheap to clone, shared by the routes, the refresher and other contexts.
#[derive(Clone)]
pub struct Rates(Arc<Inner>);

impl Rates {
    /// Builds the providers from `config`; nothing is called until a rate is asked for.
    pub fn new(
        config: &RatesConfig,
        cache: RateCache,
        assets: AssetCatalogue,
        db: Db,
        clock: Arc<dyn Clock>,
    ) -> Result<Rates, String> {
        Rates::with_own(config, cache, assets, db, clock, Vec::new())
    }

    /// [`Rates::new`] with the platform's own price sources (its markets' last trades), asked right after the
    /// static table: a pair one of them prices is priced at what it trades at here.
    pub fn with_own(
        config: &RatesConfig,
        cache: RateCache,
        assets: AssetCatalogue,
        db: Db,
        clock: Arc<dyn Clock>,
        own: Vec<Box<dyn RateProvider>>,
    ) -> Result<Rates, String> {
        let table = config.static_table().map_err(|e| e.to_string())?;
        let upstream = Upstream::new(Duration::from_millis(config.request_timeout_ms), config.retries)
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let settings = BreakerSettings {
            min_requests: config.breaker_min_requests,
            window: seconds(config.breaker_window_secs),
            failure_percent: config.breaker_failure_percent,
            open_for: seconds(config.breaker_open_secs),
            half_open_trials: config.breaker_half_open_trials,
        };
        let guarded = |provider: Box<dyn RateProvider>| Source {
            provider,
            breaker: Some(Breaker::new(settings, clock.clone())),
        };
        let mut sources = vec![Source {
            provider: Box::new(StaticTable::new(table, clock.now())),
            breaker: None,
        }];
        sources.extend(own.into_iter().map(|provider| Source {
            provider,
            breaker: None,
        }));
        sources.extend([guarded(Box::new(CoinGecko::new(
            upstream.clone(),
            &config.coingecko_base_url,
            config.coingecko_api_key.clone(),
            config.coingecko_ids.clone(),
        )))]);
        if let Some(url) = &config.fx_base_url {
            sources.push(guarded(Box::new(HttpFx::new(
                upstream,
                url,
                config.fx_currencies.clone(),
            ))));
        }
        let code = |text: &str| AssetCode::parse(text).map_err(|e| format!("{text}: {e}"));
        let refresh_pairs = config
            .pairs()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|(b, q)| Ok((code(b)?, code(q)?)))
            .collect::<Result<_, String>>()?;
        Ok(Rates(Arc::new(Inner {
            sources,
            cache,
            flights: Mutex::default(),
            assets,
            known_assets: Mutex::default(),
            db,
            clock,
            pivot: code(&config.pivot)?,
            ttl: seconds(config.ttl_secs),
            max_stale: seconds(config.max_stale_secs),
            refresh_pairs,
            refresh_interval: Duration::from_secs(config.refresh_interval_secs),
        })))
    }

    /// Start-up check: the pivot, every static rate's assets and every refresh pair's are in the catalogue.
    pub async fn check_catalogue(&self, config: &RatesConfig) -> Result<(), String> {
        let table = StaticTable::new(config.static_table().map_err(|e| e.to_string())?, self.0.clock.now());
        let pairs: Vec<String> = self
            .0
            .refresh_pairs
            .iter()
            .flat_map(|(b, q)| [b.to_string(), q.to_string()])
            .collect();
        let checks = std::iter::once(("rates.pivot", self.0.pivot.to_string()))
            .chain(table.codes().map(|c| ("rates.static_rates", c.to_owned())))
            .chain(pairs.into_iter().map(|c| ("rates.refresh_pairs", c)));
        for (key, text) in checks {
            let code = AssetCode::parse(&text).map_err(|e| format!("`{key}` {text}: {e}"))?;
            self.asset(&code, "asset")
                .await
                .map_err(|e| format!("`{key}` names {text}, which is not usable: {e}"))?;
        }
        Ok(())
    }

    /// 1 `base` = `rate` `quote`, from the first provider that prices the pair (see the crate docs).
    pub async fn quote(&self, base: &AssetCode, quote: &AssetCode) -> Result<RateQuote, RatesError> {
        let base = self.asset(base, "base").await?;
        let quote = self.asset(quote, "quote").await?;
        self.resolve(&base, &quote, ("base", "quote"), false).await
    }

    /// The price of each of `symbols` in `base`: for `BTC`, 1 BTC = `rate` of `base`. In the order asked.
    pub async fn live(&self, base: &AssetCode, symbols: &[AssetCode]) -> Result<Vec<RateQuote>, RatesError> {
        if symbols.is_empty() || symbols.len() > MAX_LIVE_SYMBOLS {
            return Err(invalid(
                "symbols",
                format!("must list 1 to {MAX_LIVE_SYMBOLS} asset codes"),
            ));
        }
        for (i, symbol) in symbols.iter().enumerate() {
            if symbols[..i].contains(symbol) {
                return Err(invalid("symbols", format!("lists {symbol} twice")));
            }
        }
        let base = self.asset(base, "base").await?;
        let mut tasks = tokio::task::JoinSet::new();
        for (index, symbol) in symbols.iter().enumerate() {
            let (rates, base, symbol) = (self.clone(), base.clone(), *symbol);
            tasks.spawn(async move {
                let symbol = rates.asset(&symbol, "symbols").await?;
                let quote = rates.resolve(&symbol, &base, ("symbols", "base"), false).await?;
                Ok::<_, RatesError>((index, quote))
            });
        }
        let mut answers = Vec::with_capacity(symbols.len());
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(answer) => answers.push(answer?),
                Err(e) => return Err(RatesError::Corrupt(format!("a rate look-up stopped: {e}"))),
            }
        }
        answers.sort_by_key(|(index, _)| *index);
        Ok(answers.into_iter().map(|(_, quote)| quote).collect())
    }

    /// `amount` (decimal text at `from`'s precision) of `from` in `to`, rounded by [`ROUNDING`] to `to`'s
    /// precision.
    pub async fn convert(&self, from: &AssetCode, to: &AssetCode, amount: &str) -> Result<Conversion, RatesError> {
        let from = self.asset(from, "from").await?;
        let to = self.asset(to, "to").await?;
        let amount = Amount::parse(amount, from.precision).map_err(|e| match e {
            MoneyError::TooManyDecimals(places) => {
                invalid("amount", format!("{} has at most {places} decimal places", from.code))
            }
            other => invalid("amount", other.to_string()),
        })?;
        let quote = self.resolve(&from, &to, ("from", "to"), false).await?;
        let minor = quote
            .rate
            .convert(amount.minor(), from.precision, to.precision, ROUNDING)
            .map_err(|_| invalid("amount", "is too large to convert".to_owned()))?;
        Ok(Conversion {
            amount,
            result: Amount::from_minor(minor, to.precision),
            quote,
        })
    }

    /// The recorded history of `base`/`quote` with `from <= time < to` (`to` defaults to now, `from` to 100
    /// intervals before `to`), at most [`MAX_HISTORY_POINTS`] buckets.
    pub async fn history(
        &self,
        base: &AssetCode,
        quote: &AssetCode,
        interval: Interval,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<History, RatesError> {
        let base = self.asset(base, "base").await?;
        let quote = self.asset(quote, "quote").await?;
        if base.code == quote.code {
            return Err(invalid("quote", "must differ from base".to_owned()));
        }
        let to = to.unwrap_or_else(|| self.0.clock.now());
        let width = Span::seconds(interval.seconds());
        let from = from.unwrap_or(to - width * DEFAULT_HISTORY_POINTS);
        if from >= to {
            return Err(invalid("from", "must be before `to`".to_owned()));
        }
        if (to - from).num_seconds() > interval.seconds() * MAX_HISTORY_POINTS {
            return Err(invalid(
                "from",
                format!(
                    "the range holds more than {MAX_HISTORY_POINTS} {} intervals",
                    interval.as_str()
                ),
            ));
        }
        let pair = format!("{}/{}", base.code, quote.code);
        let points = store::history(&self.0.db, &pair, from, to, interval.seconds()).await?;
        Ok(History {
            base: base.code,
            quote: quote.code,
            interval,
            from,
            to,
            points,
        })
    }

    /// How often the refresher runs.
    pub fn refresh_interval(&self) -> Duration {
        self.0.refresh_interval
    }

    /// Whether any pair is configured for refreshing.
    pub fn refreshes(&self) -> bool {
        !self.0.refresh_pairs.is_empty()
    }

    /// One refresher round: every refresh pair fetched anew (the cache refilled), and a fresh answer recorded as
    /// a snapshot (with `rate.updated` when it changed). A pair that fails is logged and retried next round;
    /// a stale answer is not recorded. Returns how many snapshots were recorded.
    pub async fn refresh(&self) -> usize {
        let mut recorded = 0;
        for (base, quote) in &self.0.refresh_pairs {
            let pair = format!("{base}/{quote}");
            let answer = async {
                let base = self.asset(base, "base").await?;
                let quote = self.asset(quote, "quote").await?;
                self.resolve(&base, &quote, ("base", "quote"), true).await
            };
            match answer.await {
                Ok(answer) if !answer.stale => {
                    let snapshot = store::Snapshot {
                        pair: &pair,
                        rate: answer.rate,
                        source: &answer.source,
                        as_of: answer.as_of,
                    };
                    match store::record(&self.0.db, &snapshot, self.0.clock.now()).await {
                        Ok(_) => recorded += 1,
                        Err(error) => tracing::warn!(%error, pair, "cannot record a rate snapshot"),
                    }
                }
                Ok(_) => tracing::warn!(pair, "only a stale rate is at hand; no snapshot this round"),
                Err(error) => tracing::warn!(%error, pair, "cannot refresh the rate"),
            }
        }
        recorded
    }

    /// Each calling provider's breaker state, also set on the `rates_breaker_state` gauge.
    pub fn breaker_states(&self) -> Vec<(&'static str, BreakerState)> {
        self.0
            .sources
            .iter()
            .filter_map(|s| s.breaker.as_ref().map(|b| (s.provider.name(), b.state())))
            .inspect(|(name, state)| metrics::gauge!("rates_breaker_state", "provider" => *name).set(state.gauge()))
            .collect()
    }

    async fn asset(&self, code: &AssetCode, field: &'static str) -> Result<Asset, RatesError> {
        let now = Instant::now();
        if let Some((asset, at)) = self.0.known_assets.lock().unwrap_or_else(|p| p.into_inner()).get(code)
            && now.duration_since(*at) < ASSET_MEMORY
        {
            return Ok(asset.clone());
        }
        match self.0.assets.get(code).await {
            Ok(asset) => {
                let mut known = self.0.known_assets.lock().unwrap_or_else(|p| p.into_inner());
                known.insert(*code, (asset.clone(), now));
                Ok(asset)
            }
            Err(LedgerError::AssetNotFound(_)) => Err(invalid(field, format!("{code} is not a listed asset"))),
            Err(other) => Err(other.into()),
        }
    }

    /// The first provider that prices `base` in `quote`, as asked or inverted.
    /// The first of the first `among` providers that prices `base` in `quote`, as asked or inverted.
    fn leg(&self, base: &Asset, quote: &Asset, among: usize) -> Option<Leg> {
        self.0.sources.iter().take(among).enumerate().find_map(|(source, s)| {
            if s.provider.knows(base, quote) {
                Some(Leg { source, inverse: false })
            } else if s.provider.knows(quote, base) {
                Some(Leg { source, inverse: true })
            } else {
                None
            }
        })
    }

    /// The route of a pair: the static table alone (as asked, inverted, or crossed through the pivot) when it
    /// reaches the pair, so an offline table is never bypassed for a provider that needs the network; else the
    /// first provider that prices the pair; else a cross of the pair's two prices in the pivot.
    fn route(&self, base: &Asset, quote: &Asset, pivot: Option<&Asset>) -> Option<Route> {
        let cross = |among| {
            let pivot = pivot?;
            Some(Route::Cross(
                self.leg(base, pivot, among)?,
                self.leg(quote, pivot, among)?,
            ))
        };
        self.leg(base, quote, 1)
            .map(Route::One)
            .or_else(|| cross(1))
            .or_else(|| self.leg(base, quote, usize::MAX).map(Route::One))
            .or_else(|| cross(usize::MAX))
    }

    async fn resolve(
        &self,
        base: &Asset,
        quote: &Asset,
        (base_field, quote_field): (&'static str, &'static str),
        force: bool,
    ) -> Result<RateQuote, RatesError> {
        if base.code == quote.code {
            return Ok(RateQuote {
                base: base.code,
                quote: quote.code,
                rate: Rate::parse("1").map_err(|e| RatesError::Corrupt(e.to_string()))?,
                source: "identity".to_owned(),
                as_of: self.0.clock.now(),
                stale: false,
                change_24h: None,
            });
        }
        let pivot = if base.code == self.0.pivot || quote.code == self.0.pivot {
            None
        } else {
            Some(self.asset(&self.0.pivot, "pivot").await?)
        };
        let (from_leg, to_leg) = match self.route(base, quote, pivot.as_ref()) {
            Some(Route::One(leg)) => return self.leg_quote(leg, base, quote, force).await,
            Some(Route::Cross(from_leg, to_leg)) => (from_leg, to_leg),
            None => {
                // Name the side nobody prices in the pivot; the quote side when neither or the pivot itself.
                let base_priced = pivot.as_ref().is_some_and(|p| self.leg(base, p, usize::MAX).is_some());
                let field = if base.code == self.0.pivot || base_priced {
                    quote_field
                } else {
                    base_field
                };
                return Err(RatesError::Unsupported {
                    field,
                    base: base.code.to_string(),
                    quote: quote.code.to_string(),
                });
            }
        };
        let pivot = pivot.ok_or_else(|| RatesError::Corrupt("a cross route without a pivot".to_owned()))?;
        let (from, to) = tokio::try_join!(
            self.leg_quote(from_leg, base, &pivot, force),
            self.leg_quote(to_leg, quote, &pivot, force)
        )?;
        let rate = Rate::cross(from.rate, to.rate, ROUNDING).map_err(|_| RatesError::Unavailable {
            provider: self.name(from_leg),
            reason: format!(
                "the cross rate {}/{} is outside what a rate can hold",
                base.code, quote.code
            ),
        })?;
        Ok(RateQuote {
            base: base.code,
            quote: quote.code,
            rate,
            source: format!("cross:{}+{}", from.source, to.source),
            as_of: from.as_of.min(to.as_of),
            stale: from.stale || to.stale,
            change_24h: None,
        })
    }

    fn name(&self, leg: Leg) -> &'static str {
        self.0.sources[leg.source].provider.name()
    }

    async fn leg_quote(&self, leg: Leg, base: &Asset, quote: &Asset, force: bool) -> Result<RateQuote, RatesError> {
        if !leg.inverse {
            return self.direct(leg, &base.code, &quote.code, force).await;
        }
        let other_way = self.direct(leg, &quote.code, &base.code, force).await?;
        let rate = other_way.rate.invert(ROUNDING).map_err(|_| RatesError::Unavailable {
            provider: self.name(leg),
            reason: format!(
                "the inverse of {}/{} is outside what a rate can hold",
                quote.code, base.code
            ),
        })?;
        Ok(RateQuote {
            base: base.code,
            quote: quote.code,
            rate,
            source: format!("inverse:{}", other_way.source),
            as_of: other_way.as_of,
            stale: other_way.stale,
            change_24h: None,
        })
    }

    /// The provider's own answer for `base`/`quote`: fresh from the cache, else fetched once for every caller
    /// waiting on the same key, else the cached value served stale within `max_stale_secs`.
    async fn direct(
        &self,
        leg: Leg,
        base: &AssetCode,
        quote: &AssetCode,
        force: bool,
    ) -> Result<RateQuote, RatesError> {
        let name = self.name(leg);
        let key = format!("{name}:{base}/{quote}");
        let answer = |entry: &Cached, now: DateTime<Utc>| RateQuote {
            base: *base,
            quote: *quote,
            rate: entry.rate,
            source: name.to_owned(),
            as_of: entry.as_of,
            stale: now - entry.fetched_at >= self.0.ttl,
            change_24h: entry.change_24h,
        };
        // The static table is its own source of truth: nothing to cache.
        if self.0.sources[leg.source].breaker.is_none() {
            let entry = self
                .fetch_upstream(leg.source, base, quote)
                .await
                .map_err(|e| unavailable(name, &e))?;
            return Ok(answer(&entry, entry.fetched_at));
        }
        let cached = self.0.cache.get(&key).await;
        let now = self.0.clock.now();
        if !force
            && let Some(entry) = &cached
            && now - entry.fetched_at < self.0.ttl
        {
            return Ok(answer(entry, now));
        }
        match self.fetch_shared(leg.source, &key, base, quote, force).await {
            Ok(entry) => Ok(answer(&entry, self.0.clock.now())),
            Err(error) => {
                let now = self.0.clock.now();
                match cached {
                    Some(entry) if now - entry.fetched_at < self.0.max_stale => Ok(answer(&entry, now)),
                    _ => {
                        self.0.cache.drop_if_older(&key, now - self.0.max_stale);
                        Err(unavailable(name, &error))
                    }
                }
            }
        }
    }

    /// One upstream fetch per key at a time: callers that miss together share the first one's result.
    async fn fetch_shared(
        &self,
        source: usize,
        key: &str,
        base: &AssetCode,
        quote: &AssetCode,
        force: bool,
    ) -> Result<Cached, ProviderError> {
        let flight = {
            let mut flights = self.0.flights.lock().unwrap_or_else(|p| p.into_inner());
            flights.entry(key.to_owned()).or_default().clone()
        };
        let result = flight
            .get_or_init(|| async {
                // A flight that ended just before this one began may have filled the cache.
                if !force
                    && let Some(entry) = self.0.cache.get(key).await
                    && self.0.clock.now() - entry.fetched_at < self.0.ttl
                {
                    return Ok(entry);
                }
                let fetched = self.fetch_upstream(source, base, quote).await;
                if let Ok(entry) = &fetched {
                    let keep = self.0.max_stale.to_std().unwrap_or(Duration::ZERO);
                    self.0.cache.put(key, entry, keep).await;
                }
                fetched
            })
            .await
            .clone();
        let mut flights = self.0.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            flights.remove(key);
        }
        result
    }

    /// One call to the provider through its breaker, counted in `rates_upstream_requests_total`.
    async fn fetch_upstream(
        &self,
        source: usize,
        base: &AssetCode,
        quote: &AssetCode,
    ) -> Result<Cached, ProviderError> {
        let Source { provider, breaker } = &self.0.sources[source];
        let name = provider.name();
        let result = if breaker.as_ref().is_some_and(|b| !b.allow()) {
            Err(ProviderError::BreakerOpen)
        } else {
            let fetched = provider.fetch(base, std::slice::from_ref(quote)).await;
            // The breaker judges the provider, not the pair: an answer that came back whole counts as a success
            // even when it lacks this pair or gives it an absurd value, so one bad pair cannot shut out the others.
            let answered = fetched.is_ok();
            let answer = fetched.and_then(|answers| {
                answers.into_iter().find(|(q, _)| q == quote).map_or_else(
                    || Err(ProviderError::BadAnswer(format!("no {base}/{quote} rate"))),
                    |(_, r)| r,
                )
            });
            if let Some(breaker) = breaker {
                breaker.record(answered);
                metrics::gauge!("rates_breaker_state", "provider" => name).set(breaker.state().gauge());
            }
            answer
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(ProviderError::Unreachable(_)) => "unreachable",
            Err(ProviderError::BadAnswer(_)) => "bad_answer",
            Err(ProviderError::BreakerOpen) => "breaker_open",
        };
        if breaker.is_some() {
            metrics::counter!("rates_upstream_requests_total", "provider" => name, "outcome" => outcome).increment(1);
        }
        if let Err(error) = &result {
            tracing::debug!(provider = name, %base, %quote, %error, "rate provider failed");
        }
        let now = self.0.clock.now();
        result.map(|quoted| Cached {
            rate: quoted.rate,
            as_of: quoted.as_of.unwrap_or(now),
            fetched_at: now,
            change_24h: quoted.change_24h,
        })
    }
}

fn invalid(field: &'static str, reason: String) -> RatesError {
    RatesError::Invalid { field, reason }
}

fn unavailable(provider: &'static str, error: &ProviderError) -> RatesError {
    RatesError::Unavailable {
        provider,
        reason: error.to_string(),
    }
}

/// Configuration durations are whole seconds bounded by validation.
fn seconds(secs: u64) -> Span {
    Span::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        Rate::parse(text).unwrap()
    }

    #[test]
    fn cross_rates_round_half_even_at_the_eighteenth_place() {
        // 25 / 10^19 = 0.0000000000000000025: an exact half at the 18th place goes to the even digit.
        let half = Rate::cross(rate("25"), rate("10000000000000000000"), ROUNDING).unwrap();
        assert_eq!(half.to_string(), "0.000000000000000002");
        let odd_half = Rate::cross(rate("35"), rate("10000000000000000000"), ROUNDING).unwrap();
        assert_eq!(odd_half.to_string(), "0.000000000000000004");
        // 2 / 3 = 0.666…: above half, up.
        assert_eq!(
            Rate::cross(rate("2"), rate("3"), ROUNDING).unwrap().to_string(),
            "0.666666666666666667"
        );
        // 1 / 3 = 0.333…: below half, down.
        assert_eq!(rate("3").invert(ROUNDING).unwrap().to_string(), "0.333333333333333333");
    }

    #[test]
    fn intervals_parse_only_their_three_names() {
        assert_eq!(Interval::parse("5m").map(Interval::seconds), Some(300));
        assert_eq!(Interval::parse("1h").map(Interval::seconds), Some(3600));
        assert_eq!(Interval::parse("1d").map(Interval::seconds), Some(86_400));
        for text in ["", "1m", "1H", "24h", "1w"] {
            assert_eq!(Interval::parse(text), None, "{text}");
        }
    }
}
