//! The trading context's facade: markets, orders and market data for the API, over one runner per market.

use crate::TradingError;
use crate::config::{FeeRates, TradingConfig};
use crate::market::{Market, MarketSpec, MarketStatus, valid_symbol};
use crate::market_data::{Candle, Ticker, Width};
use crate::order::{Fill, Order, OrderSide, OrderType, Stp, TimeInForce, Trade};
use crate::runner::{self, Answer, Ask, Deps, MarketHandle, Placement, Request};
use crate::store::{self, OrderFilter};
use chrono::{DateTime, Utc};
use identity::Tier;
use ledger::Ledger;
use matching::Depth;
use money::{Amount, AssetCode};
use platform::audit::{self, AuditRecord};
use platform::{Clock, Db, RequestContext};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::oneshot;
use uuid::Uuid;

/// An order as a user asks for it: the API's decimal strings, checked here against the market.
#[derive(Debug, Clone)]
pub struct OrderInput {
    pub symbol: String,
    pub side: String,
    pub kind: String,
    pub time_in_force: Option<String>,
    pub price: Option<String>,
    pub stop_price: Option<String>,
    pub quantity: Option<String>,
    pub quote_quantity: Option<String>,
    pub post_only: bool,
    pub stp: Option<String>,
    pub client_order_id: Option<String>,
}

/// A market as an admin creates it.
#[derive(Debug, Clone)]
pub struct MarketInput {
    pub base: String,
    pub quote: String,
    /// Defaults to base then quote.
    pub symbol: Option<String>,
    pub tick_size: String,
    pub lot_size: String,
    pub min_qty: Option<String>,
    pub max_qty: String,
    pub min_notional: String,
    pub price_band_pct: String,
}

/// Whether placing an order made a new one or found the first with the same `client_order_id`.
#[derive(Debug, Clone)]
pub enum Placed {
    New(Order),
    Existing(Order),
}

struct Inner {
    deps: Arc<Deps>,
    markets: RwLock<BTreeMap<String, Arc<MarketEntry>>>,
    /// `(user, client_order_id)` being placed now, so two requests with one id cannot both place an order.
    placing: Mutex<HashSet<(Uuid, String)>>,
    /// Users whose tier is PRO (everyone else is BASIC), kept from the tier job and staff pins.
    pro: RwLock<HashSet<Uuid>>,
}

struct MarketEntry {
    market: Market,
    handle: MarketHandle,
}

/// The spot exchange.
#[derive(Clone)]
pub struct Trading {
    inner: Arc<Inner>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> TradingError {
    TradingError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Most characters a `client_order_id` may have.
const MAX_CLIENT_ID: usize = 64;

impl Trading {
    /// Recovers every market's book from the database and starts its runner.
    pub async fn open(
        db: Db,
        ledger: Ledger,
        config: Arc<TradingConfig>,
        clock: Arc<dyn Clock>,
        pro_users: Vec<Uuid>,
    ) -> Result<Trading, TradingError> {
        let deps = Arc::new(Deps {
            db: db.clone(),
            ledger: ledger.clone(),
            config,
            clock,
            step_lock: tokio::sync::Mutex::new(()),
        });
        let mut markets = BTreeMap::new();
        for spec in store::markets(&db).await? {
            let market = Self::grid(&ledger, spec).await?;
            let handle = runner::start(deps.clone(), market.clone()).await?;
            markets.insert(market.symbol().to_owned(), Arc::new(MarketEntry { market, handle }));
        }
        Ok(Trading {
            inner: Arc::new(Inner {
                deps,
                markets: RwLock::new(markets),
                placing: Mutex::new(HashSet::new()),
                pro: RwLock::new(pro_users.into_iter().collect()),
            }),
        })
    }

    async fn grid(ledger: &Ledger, spec: MarketSpec) -> Result<Market, TradingError> {
        let base = ledger.listed_asset(&spec.base).await?;
        let quote = ledger.listed_asset(&spec.quote).await?;
        Market::new(spec, base, quote)
    }

    fn entry(&self, symbol: &str) -> Result<Arc<MarketEntry>, TradingError> {
        self.inner
            .markets
            .read()
            .ok()
            .and_then(|m| m.get(symbol).cloned())
            .ok_or(TradingError::NotFound("Market"))
    }

    pub fn config(&self) -> &TradingConfig {
        &self.inner.deps.config
    }

    // ---- markets ----

    /// Every market with its current status, by symbol.
    pub fn markets(&self) -> Vec<Market> {
        let markets = match self.inner.markets.read() {
            Ok(m) => m.values().cloned().collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        markets.iter().map(|e| self.current(e)).collect()
    }

    fn current(&self, entry: &MarketEntry) -> Market {
        let mut market = entry.market.clone();
        if let Ok(spec) = entry.handle.published.spec.read() {
            market.spec = spec.clone();
        }
        market
    }

    pub fn market(&self, symbol: &str) -> Result<Market, TradingError> {
        let entry = self.entry(symbol)?;
        Ok(self.current(&entry))
    }

    /// Creates a market (open) and starts its engine; audited.
    pub async fn create_market(
        &self,
        input: MarketInput,
        actor: Uuid,
        context: &RequestContext,
    ) -> Result<Market, TradingError> {
        let code = |field: &'static str, text: &str| {
            AssetCode::parse(text).map_err(|_| invalid(field, "must be an asset code of the catalogue"))
        };
        let (base, quote) = (code("base", &input.base)?, code("quote", &input.quote)?);
        let symbol = input.symbol.unwrap_or_else(|| format!("{base}{quote}"));
        if !valid_symbol(&symbol) {
            return Err(invalid("symbol", "must be 2 to 12 upper-case letters and digits"));
        }
        let ledger = &self.inner.deps.ledger;
        let base_asset = ledger
            .movable_asset(&base)
            .await
            .map_err(|_| invalid("base", "is not an enabled asset"))?;
        let quote_asset = ledger
            .movable_asset(&quote)
            .await
            .map_err(|_| invalid("quote", "is not an enabled asset"))?;
        let now = ledger.now();
        let spec = MarketSpec {
            symbol: symbol.clone(),
            base,
            quote,
            min_qty: input.min_qty.unwrap_or_else(|| input.lot_size.clone()),
            tick_size: input.tick_size,
            lot_size: input.lot_size,
            max_qty: input.max_qty,
            min_notional: input.min_notional,
            price_band_pct: input.price_band_pct,
            status: MarketStatus::Open,
            created_at: now,
            updated_at: now,
        };
        let market = Market::new(spec, base_asset, quote_asset)?;
        let mut tx = ledger.begin().await?;
        if !store::insert_market(&mut tx, &market.spec).await? {
            tx.rollback().await?;
            return Err(TradingError::Conflict(format!("market {symbol} already exists")));
        }
        let mut record = AuditRecord::of(context, "trading.market_create", now)
            .target(symbol.clone())
            .details(json!({
                "base": base, "quote": quote, "tick_size": market.spec.tick_size, "lot_size": market.spec.lot_size,
                "min_qty": market.spec.min_qty, "max_qty": market.spec.max_qty,
                "min_notional": market.spec.min_notional, "price_band_pct": market.spec.price_band_pct,
            }));
        record.actor = Some(actor);
        audit::record(&mut tx, &record).await?;
        tx.commit().await?;
        let handle = runner::start(self.inner.deps.clone(), market.clone()).await?;
        if let Ok(mut markets) = self.inner.markets.write() {
            markets.insert(
                symbol,
                Arc::new(MarketEntry {
                    market: market.clone(),
                    handle,
                }),
            );
        }
        Ok(market)
    }

    /// Halts, resumes or closes a market through its engine (closing cancels every order and releases every
    /// hold); audited.
    pub async fn set_status(
        &self,
        symbol: &str,
        status: MarketStatus,
        actor: Uuid,
        context: &RequestContext,
    ) -> Result<Market, TradingError> {
        let current = self.market(symbol)?;
        if current.spec.status == MarketStatus::Closed {
            return Err(TradingError::Conflict(format!("{symbol} is closed for good")));
        }
        if current.spec.status == status {
            return Ok(current);
        }
        self.ask(
            symbol,
            Ask::SetStatus {
                status,
                actor: Some(actor),
                context: context.clone(),
            },
        )
        .await?;
        self.market(symbol)
    }

    // ---- orders ----

    /// The fees of `user`'s tier.
    pub fn fees_of(&self, user: Uuid) -> FeeRates {
        let config = &self.inner.deps.config;
        match self.tier_of(user) {
            Tier::Pro => config.pro_fees,
            Tier::Basic => config.basic_fees,
        }
    }

    pub fn tier_of(&self, user: Uuid) -> Tier {
        let pro = self.inner.pro.read().map(|p| p.contains(&user)).unwrap_or(false);
        if pro { Tier::Pro } else { Tier::Basic }
    }

    pub(crate) fn set_tier_here(&self, user: Uuid, tier: Tier) {
        if let Ok(mut pro) = self.inner.pro.write() {
            match tier {
                Tier::Pro => pro.insert(user),
                Tier::Basic => pro.remove(&user),
            };
        }
    }

    /// Checks `input` against its market and places it: held, then on the engine. A `client_order_id` used
    /// before by the user answers with that first order.
    pub async fn place(
        &self,
        id: Uuid,
        user: Uuid,
        input: OrderInput,
        context: &RequestContext,
    ) -> Result<Placed, TradingError> {
        let market = self.market(&input.symbol)?;
        let placement = self.placement(&market, id, user, input, context)?;
        let Some(client) = placement.client_order_id.clone() else {
            return self.submit(&market, placement).await.map(Placed::New);
        };
        if let Some(first) = store::order_by_client_id(&self.inner.deps.db, user, &client).await? {
            return Ok(Placed::Existing(first));
        }
        let key = (user, client);
        let claimed = self
            .inner
            .placing
            .lock()
            .map(|mut p| p.insert(key.clone()))
            .unwrap_or(false);
        if !claimed {
            return Err(TradingError::Conflict(
                "an order with this client_order_id is being placed".to_owned(),
            ));
        }
        let result = self.submit(&market, placement).await;
        if let Ok(mut p) = self.inner.placing.lock() {
            p.remove(&key);
        }
        result.map(Placed::New)
    }

    async fn submit(&self, market: &Market, placement: Placement) -> Result<Order, TradingError> {
        match self.ask(market.symbol(), Ask::Place(placement)).await? {
            Answer::Order(order) => Ok(*order),
            _ => Err(TradingError::Corrupt(
                "the engine answered a placement with something else".to_owned(),
            )),
        }
    }

    fn placement(
        &self,
        m: &Market,
        id: Uuid,
        user: Uuid,
        input: OrderInput,
        context: &RequestContext,
    ) -> Result<Placement, TradingError> {
        let side = OrderSide::parse(&input.side)
            .ok_or_else(|| TradingError::rejected("invalid_side", "side", "must be BUY or SELL"))?;
        let kind = OrderType::parse(&input.kind).ok_or_else(|| {
            TradingError::rejected(
                "invalid_type",
                "type",
                "must be LIMIT, MARKET, STOP_LIMIT or STOP_MARKET",
            )
        })?;
        let time_in_force = match input.time_in_force.as_deref() {
            None => TimeInForce::Gtc,
            Some(t) => TimeInForce::parse(t).ok_or_else(|| {
                TradingError::rejected("invalid_time_in_force", "time_in_force", "must be GTC, IOC or FOK")
            })?,
        };
        let stp = match input.stp.as_deref() {
            None => Stp::None,
            Some(s) => Stp::parse(s).ok_or_else(|| {
                TradingError::rejected(
                    "invalid_stp",
                    "stp",
                    "must be NONE, CANCEL_TAKER, CANCEL_MAKER, CANCEL_BOTH or DECREMENT_AND_CANCEL",
                )
            })?,
        };
        let has_limit = matches!(kind, OrderType::Limit | OrderType::StopLimit);
        let is_stop = matches!(kind, OrderType::StopLimit | OrderType::StopMarket);
        let price = match (&input.price, has_limit) {
            (Some(p), true) => Some(m.ticks("price", p)?),
            (None, true) => {
                return Err(TradingError::rejected(
                    "price_required",
                    "price",
                    "is required for a limit order",
                ));
            }
            (Some(_), false) => {
                return Err(TradingError::rejected(
                    "price_not_allowed",
                    "price",
                    "must not be given for a market order",
                ));
            }
            (None, false) => None,
        };
        let stop_price = match (&input.stop_price, is_stop) {
            (Some(p), true) => Some(m.ticks("stop_price", p)?),
            (None, true) => {
                return Err(TradingError::rejected(
                    "stop_price_required",
                    "stop_price",
                    "is required for a stop order",
                ));
            }
            (Some(_), false) => {
                return Err(TradingError::rejected(
                    "stop_price_not_allowed",
                    "stop_price",
                    "is only for STOP_LIMIT and STOP_MARKET orders",
                ));
            }
            (None, false) => None,
        };
        let quote_quantity = match &input.quote_quantity {
            None => None,
            Some(_) if has_limit || side == OrderSide::Sell => {
                return Err(TradingError::rejected(
                    "quote_quantity_not_allowed",
                    "quote_quantity",
                    "is only for a market (or stop-market) buy",
                ));
            }
            Some(q) => Some(
                Amount::parse_positive(q, m.quote.precision)
                    .map_err(|_| {
                        TradingError::rejected(
                            "invalid_quote_quantity",
                            "quote_quantity",
                            format!(
                                "must be a positive decimal with at most {} places",
                                m.quote.precision.get()
                            ),
                        )
                    })?
                    .minor(),
            ),
        };
        let quantity = match (&input.quantity, quote_quantity) {
            (Some(_), Some(_)) => {
                return Err(TradingError::rejected(
                    "quantity_conflict",
                    "quantity",
                    "must not be given with quote_quantity: give one of them",
                ));
            }
            (Some(q), None) => Some(m.lots("quantity", q)?),
            (None, Some(_)) => None,
            (None, None) => {
                return Err(TradingError::rejected(
                    "quantity_required",
                    "quantity",
                    "is required (or quote_quantity for a market buy)",
                ));
            }
        };
        if input.post_only && !(kind == OrderType::Limit && time_in_force == TimeInForce::Gtc) {
            return Err(TradingError::rejected(
                "post_only_not_allowed",
                "post_only",
                "is only for GTC limit orders",
            ));
        }
        let client_order_id = match input.client_order_id {
            None => None,
            Some(c) if c.is_empty() || c.chars().count() > MAX_CLIENT_ID || c.chars().any(char::is_control) => {
                return Err(invalid(
                    "client_order_id",
                    format!("must be 1 to {MAX_CLIENT_ID} printable characters"),
                ));
            }
            Some(c) => Some(c),
        };
        Ok(Placement {
            id,
            user,
            client_order_id,
            side,
            kind,
            time_in_force,
            price,
            stop_price,
            quantity,
            quote_quantity,
            post_only: input.post_only,
            stp,
            fees: self.fees_of(user),
            context: context.clone(),
        })
    }

    async fn ask(&self, symbol: &str, ask: Ask) -> Result<Answer, TradingError> {
        let entry = self.entry(symbol)?;
        let (reply, answer) = oneshot::channel();
        let busy = || TradingError::Unavailable(format!("the engine of {symbol} is not taking orders right now"));
        entry
            .handle
            .sender
            .try_send(Request { ask, reply })
            .map_err(|_| busy())?;
        let wait = Duration::from_millis(self.inner.deps.config.engine_timeout_ms);
        match tokio::time::timeout(wait, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(busy()),
            Err(_) => Err(TradingError::Unavailable(format!(
                "the engine of {symbol} did not answer in time; the order's state is on GET /v1/orders"
            ))),
        }
    }

    /// The user's open order `id` (or a closed one, which then cannot change): for amend and cancel.
    async fn own_order(&self, user: Uuid, id: Uuid) -> Result<Order, TradingError> {
        let order = store::order(&self.inner.deps.db, id)
            .await?
            .filter(|o| o.user == user)
            .ok_or(TradingError::NotFound("Order"))?;
        if !order.status.is_open() {
            return Err(TradingError::Conflict(format!(
                "the order is {}",
                order.status.as_str()
            )));
        }
        Ok(order)
    }

    /// Changes the price or the quantity (the new total, above what has filled) of the user's open limit order.
    pub async fn amend(
        &self,
        user: Uuid,
        id: Uuid,
        price: Option<&str>,
        quantity: Option<&str>,
    ) -> Result<Order, TradingError> {
        if price.is_none() && quantity.is_none() {
            return Err(invalid("price", "give a new price, a new quantity or both"));
        }
        let order = self.own_order(user, id).await?;
        let market = self.market(&order.symbol)?;
        let price = price.map(|p| market.ticks("price", p)).transpose()?;
        let quantity = quantity.map(|q| market.lots("quantity", q)).transpose()?;
        match self
            .ask(
                &order.symbol,
                Ask::Amend {
                    user,
                    id,
                    price,
                    quantity,
                },
            )
            .await?
        {
            Answer::Order(order) => Ok(*order),
            _ => Err(TradingError::Corrupt(
                "the engine answered an amend with something else".to_owned(),
            )),
        }
    }

    pub async fn cancel(&self, user: Uuid, id: Uuid) -> Result<Order, TradingError> {
        let order = self.own_order(user, id).await?;
        match self.ask(&order.symbol, Ask::Cancel { user: Some(user), id }).await? {
            Answer::Order(order) => Ok(*order),
            _ => Err(TradingError::Corrupt(
                "the engine answered a cancel with something else".to_owned(),
            )),
        }
    }

    /// Cancels every open order of the user, in one market or in all.
    pub async fn cancel_all(&self, user: Uuid, symbol: Option<&str>) -> Result<Vec<Order>, TradingError> {
        let symbols: Vec<String> = match symbol {
            Some(s) => vec![self.market(s)?.symbol().to_owned()],
            None => self.markets().iter().map(|m| m.symbol().to_owned()).collect(),
        };
        let mut cancelled = Vec::new();
        for symbol in symbols {
            if let Answer::Orders(mut orders) = self.ask(&symbol, Ask::CancelAll { user }).await? {
                cancelled.append(&mut orders);
            }
        }
        Ok(cancelled)
    }

    /// The user's order `id` and its fills.
    pub async fn order(&self, user: Uuid, id: Uuid) -> Result<(Order, Vec<Fill>), TradingError> {
        let db = &self.inner.deps.db;
        let order = store::order(db, id)
            .await?
            .filter(|o| o.user == user)
            .ok_or(TradingError::NotFound("Order"))?;
        let fills = store::fills_of_order(db, id).await?;
        Ok((order, fills))
    }

    pub async fn order_by_id(&self, id: Uuid) -> Result<Option<Order>, TradingError> {
        store::order(&self.inner.deps.db, id).await
    }

    /// Up to `limit` of the user's orders, newest first; and whether more follow.
    pub async fn orders(
        &self,
        user: Uuid,
        filter: &OrderFilter,
        limit: u32,
    ) -> Result<(Vec<Order>, bool), TradingError> {
        let mut items = store::orders(&self.inner.deps.db, user, filter, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    /// Up to `limit` of the user's fills, newest first; and whether more follow.
    pub async fn fills(
        &self,
        user: Uuid,
        symbol: Option<&str>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<(Vec<Fill>, bool), TradingError> {
        let mut items = store::fills_of_user(&self.inner.deps.db, user, symbol, before, i64::from(limit) + 1).await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Ok((items, more))
    }

    // ---- market data ----

    /// The book's aggregated levels (at most `limit` a side) and the engine sequence number they follow.
    pub fn depth(&self, symbol: &str, limit: usize) -> Result<(Depth, u64), TradingError> {
        let entry = self.entry(symbol)?;
        let (depth, seq) = entry
            .handle
            .published
            .depth
            .read()
            .map(|d| (d.0.clone(), d.1))
            .map_err(|_| TradingError::Unavailable("the book is being rebuilt".to_owned()))?;
        let take = |levels: &[matching::DepthLevel]| levels.iter().take(limit).copied().collect();
        Ok((
            Depth {
                bids: take(&depth.bids),
                asks: take(&depth.asks),
            },
            seq,
        ))
    }

    pub fn ticker(&self, symbol: &str) -> Result<Ticker, TradingError> {
        let entry = self.entry(symbol)?;
        let now = self.inner.deps.clock.now();
        entry
            .handle
            .published
            .day
            .lock()
            .map(|mut d| d.ticker(now))
            .map_err(|_| TradingError::Unavailable("the ticker is being rebuilt".to_owned()))
    }

    pub async fn trades(&self, symbol: &str, limit: u32) -> Result<Vec<Trade>, TradingError> {
        self.entry(symbol)?;
        store::trades(&self.inner.deps.db, symbol, i64::from(limit)).await
    }

    pub async fn candles(
        &self,
        symbol: &str,
        width: Width,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Candle>, TradingError> {
        self.entry(symbol)?;
        store::candles(&self.inner.deps.db, symbol, width, from, to, i64::from(limit)).await
    }

    /// The last trade price of `base` in `quote` on the market trading them, as a decimal string; `None` when
    /// no such market has traded.
    pub fn last_price(&self, base: &AssetCode, quote: &AssetCode) -> Option<String> {
        let entry = self
            .inner
            .markets
            .read()
            .ok()?
            .values()
            .find(|e| e.market.base.code == *base && e.market.quote.code == *quote)
            .cloned()?;
        let last = entry.handle.published.day.lock().ok()?.last()?;
        Some(entry.market.format_price(last))
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.deps.db
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.deps.clock
    }

    pub(crate) fn ledger(&self) -> &Ledger {
        &self.inner.deps.ledger
    }

    /// The users pinned to a tier by staff.
    pub(crate) async fn pins(&self) -> Result<HashMap<Uuid, Tier>, TradingError> {
        Ok(store::pinned_tiers(self.db())
            .await?
            .into_iter()
            .filter_map(|(u, t)| Some((u, Tier::parse(&t)?)))
            .collect())
    }
}
