//! One market's runner and its step: checks and holds, the engine, settlement, rows (see the module above).

use super::{Answer, Ask, DEPTH_LEVELS, Deps, Placement, Published, Request};
use crate::TradingError;
use crate::market::{Market, MarketStatus};
use crate::market_data::{Candle, RollingDay, StepCandles, Width};
use crate::order::{Fill, Order, OrderSide, OrderStatus, OrderType, Role, Trade, fee_on};
use crate::store;
use chrono::{DateTime, Utc};
use ledger::books::{AccountId, Action, TransferId, TransferKind, TransferRequest};
use ledger::{LedgerError, Movement, Purpose};
use matching::{Command, Event, NewOrder, Op, OrderBook, OrderId, OrderKind, Price, Qty, RejectReason, TraderId};
use money::AssetCode;
use platform::audit::{self, AuditRecord};
use platform::{RequestContext, Tx, outbox};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::mpsc;
use uuid::Uuid;

type AccountKey = (Option<Uuid>, AssetCode, Purpose);

/// A market's engine and everything the runner keeps beside it.
pub(crate) struct Runner {
    pub(super) deps: Arc<Deps>,
    pub(super) market: Arc<Market>,
    pub(super) book: OrderBook,
    /// Open orders by engine id.
    pub(super) live: HashMap<u64, Order>,
    /// Engine id of each open order.
    pub(super) ids: HashMap<Uuid, u64>,
    pub(super) open_per_user: HashMap<Uuid, u32>,
    pub(super) traders: HashMap<Uuid, u64>,
    pub(super) next_trader: u64,
    pub(super) next_engine_id: u64,
    pub(super) since_snapshot: u64,
    pub(super) accounts: HashMap<AccountKey, AccountId>,
    /// The newest candle of each width: a step's trades merge into it.
    pub(super) latest: HashMap<Width, Candle>,
    pub(super) published: Arc<Published>,
    events: Vec<Event>,
}

/// Who a batch of the step moves money for, and why.
struct Mover {
    actor: Option<Uuid>,
    action: &'static str,
    /// The request's context for holds; settlement is the platform's own act.
    context: Option<usize>,
}

/// What one step writes and answers, built while it runs and thrown away if it fails.
struct Work {
    now: DateTime<Utc>,
    holds: Vec<(Vec<TransferRequest>, Mover)>,
    settle: Vec<(Vec<TransferRequest>, Mover)>,
    contexts: Vec<RequestContext>,
    touched: BTreeMap<Uuid, Order>,
    trades: Vec<Trade>,
    fills: Vec<Fill>,
    commands: Vec<(u64, String)>,
    candles: StepCandles,
    events: Vec<(&'static str, Value)>,
    audit: Vec<(Option<Uuid>, &'static str, Value, usize)>,
    status: Option<MarketStatus>,
    new_accounts: Vec<(AccountKey, AccountId)>,
    answers: Vec<Option<Result<Answer, TradingError>>>,
}

/// A request's state between the step's phases.
enum Pending {
    Done,
    /// Its hold is at this index of `Work::holds`.
    Place(Box<Order>, usize),
    Amend {
        engine_id: u64,
        price: u64,
        remaining: u64,
        top_up: Option<(usize, u128)>,
    },
    Run,
}

fn micros(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_micros()).unwrap_or(0)
}

fn reject_reason(reason: RejectReason) -> (&'static str, &'static str) {
    match reason {
        RejectReason::PostOnlyWouldTake => ("post_only_would_take", "a post-only order would have taken liquidity"),
        RejectReason::PostOnlyNotAllowed => ("post_only_not_allowed", "post-only is only for GTC limit orders"),
        RejectReason::NotAmendable => (
            "not_amendable",
            "a stop order waiting for its trigger cannot be amended",
        ),
        RejectReason::UnknownOrder => ("order_not_open", "the order is no longer open"),
        RejectReason::ZeroQuantity => ("invalid_quantity", "the quantity must be above zero"),
        RejectReason::ZeroPrice => ("invalid_price", "the price must be above zero"),
        RejectReason::QuoteBudgetOnSell => ("quote_quantity_on_sell", "only a market buy may give quote_quantity"),
        RejectReason::DuplicateOrderId | RejectReason::StaleSequence => {
            ("engine_state", "the engine refused the order")
        }
    }
}

impl Runner {
    pub(crate) fn published(&self) -> Arc<Published> {
        self.published.clone()
    }

    pub(super) fn new(deps: Arc<Deps>, market: Market, published: Arc<Published>) -> Runner {
        Runner {
            deps,
            market: Arc::new(market),
            book: OrderBook::new(),
            live: HashMap::new(),
            ids: HashMap::new(),
            open_per_user: HashMap::new(),
            traders: HashMap::new(),
            next_trader: 1,
            next_engine_id: 1,
            since_snapshot: 0,
            accounts: HashMap::new(),
            latest: HashMap::new(),
            published,
            events: Vec::with_capacity(64),
        }
    }

    /// Takes every waiting request into one step until the queue closes.
    pub(crate) async fn run(mut self, mut receiver: mpsc::Receiver<Request>) {
        let max = self.deps.config.step_max_commands as usize;
        let mut batch = Vec::with_capacity(max);
        while receiver.recv_many(&mut batch, max).await > 0 {
            let requests = std::mem::take(&mut batch);
            self.step(requests).await;
        }
    }

    async fn step(&mut self, requests: Vec<Request>) {
        let asks: Vec<&Ask> = requests.iter().map(|r| &r.ask).collect();
        let mut answers = self.attempt(&asks).await;
        if let Err(e) = &answers {
            tracing::warn!(market = self.market.symbol(), error = %e, "an engine step failed; rebuilding the book and running it again");
            answers = match self.rebuild().await {
                Ok(()) => self.attempt(&asks).await,
                Err(e) => Err(e),
            };
        }
        match answers {
            Ok(answers) => {
                for (request, answer) in requests.into_iter().zip(answers) {
                    let _ = request.reply.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(market = self.market.symbol(), error = %e, "an engine step failed twice");
                if let Err(e) = self.rebuild().await {
                    tracing::error!(market = self.market.symbol(), error = %e, "the book could not be rebuilt");
                }
                for request in requests {
                    let _ = request.reply.send(Err(TradingError::Unavailable(
                        "the engine could not record this order; nothing was done, try again".to_owned(),
                    )));
                }
            }
        }
    }

    /// Rebuilds the runner's state from the database after a failed step.
    async fn rebuild(&mut self) -> Result<(), TradingError> {
        let fresh = Runner::recover_into(self.deps.clone(), (*self.market).clone(), self.published.clone()).await?;
        *self = fresh;
        Ok(())
    }

    /// Runs the step in one transaction; on success, commits and publishes, and gives each request's answer.
    async fn attempt(&mut self, asks: &[&Ask]) -> Result<Vec<Result<Answer, TradingError>>, TradingError> {
        let deps = self.deps.clone();
        let _turn = deps.step_lock.lock().await;
        let mut tx = deps.ledger.begin().await?;
        let now = deps.ledger.now();
        let mut work = Work {
            now,
            holds: Vec::new(),
            settle: Vec::new(),
            contexts: vec![RequestContext::SYSTEM],
            touched: BTreeMap::new(),
            trades: Vec::new(),
            fills: Vec::new(),
            commands: Vec::new(),
            candles: StepCandles::default(),
            events: Vec::new(),
            audit: Vec::new(),
            status: None,
            new_accounts: Vec::new(),
            answers: asks.iter().map(|_| None).collect(),
        };
        let result = self.run_step(&mut tx, &mut work, asks).await;
        if let Err(e) = result {
            let _ = tx.rollback().await;
            return Err(e);
        }
        if let Err(e) = tx.commit().await {
            return Err(e.into());
        }
        self.after_commit(work.new_accounts, &work.trades, work.status);
        Ok(work
            .answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Err(TradingError::Corrupt("a request was not answered".to_owned()))))
            .collect())
    }

    async fn run_step(&mut self, tx: &mut Tx, work: &mut Work, asks: &[&Ask]) -> Result<(), TradingError> {
        // 1. Checks and holds.
        let mut pending = Vec::with_capacity(asks.len());
        for (i, ask) in asks.iter().enumerate() {
            let state = match ask {
                Ask::Place(p) => match self.check_place(tx, work, p).await {
                    Ok(state) => state,
                    Err(TradingError::Ledger(LedgerError::Db(e))) => return Err(e.into()),
                    Err(e) => {
                        work.answers[i] = Some(Err(e));
                        Pending::Done
                    }
                },
                Ask::Amend {
                    user,
                    id,
                    price,
                    quantity,
                } => match self.check_amend(tx, work, *user, *id, *price, *quantity).await {
                    Ok(state) => state,
                    Err(TradingError::Ledger(LedgerError::Db(e))) => return Err(e.into()),
                    Err(e) => {
                        work.answers[i] = Some(Err(e));
                        Pending::Done
                    }
                },
                _ => Pending::Run,
            };
            pending.push(state);
        }
        let held = self.apply(tx, work, true).await?;
        // 2 and 3. The engine, and what its events settle.
        for (i, (ask, state)) in asks.iter().zip(pending).enumerate() {
            let answer = match (ask, state) {
                (_, Pending::Done) => continue,
                (_, Pending::Place(order, at)) => match &held[at] {
                    Ok(()) => self.place(work, *order),
                    Err(LedgerError::InsufficientFunds) => Err(TradingError::InsufficientFunds(format!(
                        "the order needs {} {} available",
                        self.format_hold(&order),
                        order.hold_asset
                    ))),
                    Err(e) => Err(TradingError::Corrupt(format!("a hold failed: {e}"))),
                },
                (
                    _,
                    Pending::Amend {
                        engine_id,
                        price,
                        remaining,
                        top_up,
                    },
                ) => {
                    if let Some((at, _)) = top_up
                        && let Err(e) = &held[at]
                    {
                        work.answers[i] = Some(Err(match e {
                            LedgerError::InsufficientFunds => TradingError::InsufficientFunds(
                                "the amended order needs more than is available".to_owned(),
                            ),
                            other => TradingError::Corrupt(format!("a hold failed: {other}")),
                        }));
                        continue;
                    }
                    self.amend(work, engine_id, price, remaining, top_up.map(|(_, v)| v))
                }
                (Ask::Cancel { user, id }, Pending::Run) => self.cancel(work, *user, *id),
                (Ask::CancelAll { user }, Pending::Run) => Ok(Answer::Orders(self.cancel_all(work, Some(*user)))),
                (Ask::SetStatus { status, actor, context }, Pending::Run) => {
                    Ok(self.set_status(work, *status, *actor, context))
                }
                (_, Pending::Run) => Err(TradingError::Corrupt("a request lost its kind".to_owned())),
            };
            work.answers[i] = Some(answer);
        }
        let settled = self.apply(tx, work, false).await?;
        if let Some(e) = settled.into_iter().find_map(Result::err) {
            return Err(TradingError::Corrupt(format!(
                "a settlement of {} was refused: {e}",
                self.market.symbol()
            )));
        }
        // 4. Rows.
        self.write_rows(tx, work).await
    }

    // ---- phase 1 ----

    fn trader(&mut self, user: Uuid) -> u64 {
        if let Some(t) = self.traders.get(&user) {
            return *t;
        }
        let t = self.next_trader;
        self.next_trader += 1;
        self.traders.insert(user, t);
        t
    }

    async fn account(
        &mut self,
        tx: &mut Tx,
        work: &mut Work,
        owner: Option<Uuid>,
        asset: AssetCode,
        purpose: Purpose,
    ) -> Result<AccountId, TradingError> {
        let key = (owner, asset, purpose);
        if let Some(id) = self.accounts.get(&key) {
            return Ok(*id);
        }
        if let Some((_, id)) = work.new_accounts.iter().find(|(k, _)| *k == key) {
            return Ok(*id);
        }
        let mut posting = self.deps.ledger.within(tx);
        let stored = match owner {
            Some(user) => posting.wallet(user, &asset).await?,
            None => posting.system_account(&asset, purpose).await?,
        };
        work.new_accounts.push((key, stored.account.id));
        Ok(stored.account.id)
    }

    /// The accounts a user's orders in this market move money between, made sure of before the engine runs.
    async fn accounts_of(&mut self, tx: &mut Tx, work: &mut Work, user: Uuid) -> Result<(), TradingError> {
        let (base, quote) = (self.market.base.code, self.market.quote.code);
        for (owner, asset, purpose) in [
            (Some(user), base, Purpose::Wallet),
            (Some(user), quote, Purpose::Wallet),
            (None, base, Purpose::ExchangeClearing),
            (None, quote, Purpose::ExchangeClearing),
            (None, base, Purpose::Fees),
            (None, quote, Purpose::Fees),
        ] {
            self.account(tx, work, owner, asset, purpose).await?;
        }
        Ok(())
    }

    fn known(&self, work: &Work, owner: Option<Uuid>, asset: AssetCode, purpose: Purpose) -> AccountId {
        let key = (owner, asset, purpose);
        self.accounts
            .get(&key)
            .copied()
            .or_else(|| work.new_accounts.iter().find(|(k, _)| *k == key).map(|(_, id)| *id))
            .unwrap_or(AccountId(Uuid::nil()))
    }

    fn reference_price(&self, side: OrderSide) -> Option<u64> {
        let touch = match side {
            OrderSide::Buy => self.book.best_ask(),
            OrderSide::Sell => self.book.best_bid(),
        };
        self.book.last_trade_price().or(touch).map(|p| p.0)
    }

    async fn check_place(&mut self, tx: &mut Tx, work: &mut Work, p: &Placement) -> Result<Pending, TradingError> {
        let market = self.market.clone();
        let m = &market;
        match m.spec.status {
            MarketStatus::Open => {}
            MarketStatus::Halted => {
                return Err(TradingError::refused(
                    "market_halted",
                    format!("{} is halted", m.symbol()),
                ));
            }
            MarketStatus::Closed => {
                return Err(TradingError::refused(
                    "market_closed",
                    format!("{} is closed", m.symbol()),
                ));
            }
        }
        let open = self.open_per_user.get(&p.user).copied().unwrap_or(0);
        if open >= self.deps.config.max_open_orders {
            return Err(TradingError::refused(
                "too_many_open_orders",
                format!(
                    "at most {} open orders per market; cancel one first",
                    self.deps.config.max_open_orders
                ),
            ));
        }
        if let (Some(price), Some(last)) = (p.price, self.book.last_trade_price()) {
            let (low, high) = m.band(last.0);
            if price < low || price > high {
                return Err(TradingError::rejected(
                    "price_out_of_band",
                    "price",
                    format!(
                        "must be within {} % of the last trade ({}): between {} and {}",
                        m.spec.price_band_pct,
                        m.format_price(last.0),
                        m.format_price(low),
                        m.format_price(high)
                    ),
                ));
            }
        }
        if p.post_only
            && let Some(price) = p.price
        {
            let takes = match p.side {
                OrderSide::Buy => self.book.best_ask().is_some_and(|a| a.0 <= price),
                OrderSide::Sell => self.book.best_bid().is_some_and(|b| b.0 >= price),
            };
            if takes {
                return Err(TradingError::refused(
                    "post_only_would_take",
                    "a post-only order would have taken liquidity; nothing was placed",
                ));
            }
        }
        // A market order trades no worse than the band around its reference: the last trade (or the touch) for
        // a market order, its trigger for a stop-market one. That bounds what a market buy must hold.
        let protection = match p.kind {
            OrderType::Market => {
                let reference = self.reference_price(p.side).ok_or_else(|| {
                    TradingError::refused("no_liquidity", format!("{} has no price yet to trade at", m.symbol()))
                })?;
                Some(reference)
            }
            OrderType::StopMarket => p.stop_price,
            _ => None,
        }
        .map(|reference| {
            let (low, high) = m.band(reference);
            match p.side {
                OrderSide::Buy => high,
                OrderSide::Sell => low,
            }
        });
        let (hold_asset, held) = match (p.side, p.kind) {
            (OrderSide::Sell, _) => (m.base.code, m.base_minor(p.quantity.unwrap_or(0))),
            (OrderSide::Buy, OrderType::Limit | OrderType::StopLimit) => (
                m.quote.code,
                m.quote_minor(p.price.unwrap_or(0), p.quantity.unwrap_or(0)),
            ),
            (OrderSide::Buy, OrderType::Market | OrderType::StopMarket) => match (p.quote_quantity, p.quantity) {
                (Some(budget), _) => (m.quote.code, budget - budget % m.tick_lot_minor),
                (None, q) => (m.quote.code, m.quote_minor(protection.unwrap_or(0), q.unwrap_or(0))),
            },
        };
        let notional = match (p.side, p.kind, p.quote_quantity) {
            (_, _, Some(budget)) => budget,
            (_, OrderType::Limit | OrderType::StopLimit, None) => {
                m.quote_minor(p.price.unwrap_or(0), p.quantity.unwrap_or(0))
            }
            (_, _, None) => m.quote_minor(
                p.stop_price.or(self.reference_price(p.side)).unwrap_or(0),
                p.quantity.unwrap_or(0),
            ),
        };
        if notional < m.min_notional {
            return Err(TradingError::rejected(
                "notional_below_minimum",
                if p.quote_quantity.is_some() {
                    "quote_quantity"
                } else {
                    "quantity"
                },
                format!(
                    "price × quantity must be at least {} {}",
                    m.format_quote(m.min_notional),
                    m.quote.code
                ),
            ));
        }
        if held == 0 {
            return Err(TradingError::rejected(
                "notional_below_minimum",
                "quote_quantity",
                "does not pay for one lot at one tick",
            ));
        }
        self.accounts_of(tx, work, p.user).await?;
        let trader_id = self.trader(p.user);
        let engine_id = self.next_engine_id;
        self.next_engine_id += 1;
        let order = Order {
            id: p.id,
            symbol: m.symbol().to_owned(),
            engine_id,
            user: p.user,
            trader_id,
            client_order_id: p.client_order_id.clone(),
            side: p.side,
            kind: p.kind,
            time_in_force: p.time_in_force,
            price: p.price,
            stop_price: p.stop_price,
            quantity: p.quantity,
            quote_quantity: p.quote_quantity,
            protection,
            post_only: p.post_only,
            stp: p.stp,
            fees: p.fees,
            status: OrderStatus::New,
            triggered: false,
            filled_qty: 0,
            filled_quote: 0,
            fee_paid: 0,
            hold_asset,
            hold_id: None,
            held,
            hold_generation: 0,
            created_at: work.now,
            updated_at: work.now,
        };
        let hold_id = order.transfer_id(0, 0);
        let batch = vec![self.hold(work, &order, hold_id, held)];
        work.contexts.push(p.context.clone());
        let at = work.holds.len();
        work.holds.push((
            batch,
            Mover {
                actor: Some(p.user),
                action: "trading.order_hold",
                context: Some(work.contexts.len() - 1),
            },
        ));
        let mut order = order;
        order.hold_id = Some(hold_id);
        Ok(Pending::Place(Box::new(order), at))
    }

    async fn check_amend(
        &mut self,
        tx: &mut Tx,
        work: &mut Work,
        user: Uuid,
        id: Uuid,
        price: Option<u64>,
        quantity: Option<u64>,
    ) -> Result<Pending, TradingError> {
        let engine_id = self.owned(user, id)?;
        let order = self
            .live
            .get(&engine_id)
            .ok_or_else(|| TradingError::Conflict("the order is not open".to_owned()))?;
        if !matches!(order.kind, OrderType::Limit | OrderType::StopLimit)
            || (order.stop_price.is_some() && !order.triggered)
        {
            return Err(TradingError::refused(
                "not_amendable",
                "only a resting limit order can be amended; cancel a stop order and place it again",
            ));
        }
        if self.market.spec.status != MarketStatus::Open {
            return Err(TradingError::refused(
                "market_halted",
                format!("{} is not open; orders can only be cancelled", self.market.symbol()),
            ));
        }
        let new_price = price.or(order.price).unwrap_or(0);
        let total = quantity.or(order.quantity).unwrap_or(0);
        if total <= order.filled_qty {
            return Err(TradingError::rejected(
                "invalid_quantity",
                "quantity",
                format!(
                    "must be above what has filled ({})",
                    self.market.format_qty(order.filled_qty)
                ),
            ));
        }
        if let (Some(_), Some(last)) = (price, self.book.last_trade_price()) {
            let (low, high) = self.market.band(last.0);
            if new_price < low || new_price > high {
                return Err(TradingError::rejected(
                    "price_out_of_band",
                    "price",
                    format!("must be within {} % of the last trade", self.market.spec.price_band_pct),
                ));
            }
        }
        let remaining = total - order.filled_qty;
        let needed = self.requirement(order.side, new_price, remaining);
        let top_up = needed.saturating_sub(order.held);
        let top_up = if top_up > 0 {
            let order = order.clone();
            self.accounts_of(tx, work, user).await?;
            let batch = vec![self.hold(work, &order, order.transfer_id(order.hold_generation, 3), top_up)];
            let at = work.holds.len();
            work.holds.push((
                batch,
                Mover {
                    actor: Some(user),
                    action: "trading.order_hold",
                    context: None,
                },
            ));
            Some((at, top_up))
        } else {
            None
        };
        Ok(Pending::Amend {
            engine_id,
            price: new_price,
            remaining,
            top_up,
        })
    }

    /// What a resting order of `side` at `price` with `remaining` lots must hold.
    fn requirement(&self, side: OrderSide, price: u64, remaining: u64) -> u128 {
        match side {
            OrderSide::Buy => self.market.quote_minor(price, remaining),
            OrderSide::Sell => self.market.base_minor(remaining),
        }
    }

    /// The engine id of `user`'s open order `id`.
    fn owned(&self, user: Uuid, id: Uuid) -> Result<u64, TradingError> {
        self.ids
            .get(&id)
            .copied()
            .filter(|e| self.live.get(e).is_some_and(|o| o.user == user))
            .ok_or_else(|| TradingError::Conflict("the order is not open".to_owned()))
    }

    fn format_hold(&self, order: &Order) -> String {
        if order.hold_asset == self.market.quote.code {
            self.market.format_quote(order.held)
        } else {
            self.market.format_base(order.held)
        }
    }

    // ---- ledger legs ----

    fn wallet(&self, work: &Work, user: Uuid, asset: AssetCode) -> AccountId {
        self.known(work, Some(user), asset, Purpose::Wallet)
    }

    fn clearing(&self, work: &Work, asset: AssetCode) -> AccountId {
        self.known(work, None, asset, Purpose::ExchangeClearing)
    }

    /// A leg between `order`'s wallet of its held asset and that asset's clearing account: every hold, posting
    /// and release of an order's funds.
    fn leg(&self, work: &Work, order: &Order, id: TransferId, amount: u128, action: Action) -> TransferRequest {
        TransferRequest {
            id,
            debit: self.wallet(work, order.user, order.hold_asset),
            credit: self.clearing(work, order.hold_asset),
            asset: order.hold_asset,
            amount,
            kind: TransferKind::Trade,
            action,
            reference: Some(order.id.to_string()),
            metadata: json!({ "order_id": order.id, "symbol": order.symbol }),
        }
    }

    fn hold(&self, work: &Work, order: &Order, id: TransferId, amount: u128) -> TransferRequest {
        self.leg(work, order, id, amount, Action::Hold { expires_at: None })
    }

    fn release(&self, work: &Work, order: &Order, id: TransferId, pending: TransferId) -> TransferRequest {
        self.leg(work, order, id, 0, Action::VoidPending { pending })
    }

    /// Legs that void what is left of `order`'s hold.
    fn void_hold(&self, work: &Work, order: &mut Order) -> Vec<TransferRequest> {
        let mut legs = Vec::new();
        if let Some(hold) = order.hold_id.take() {
            legs.push(self.release(work, order, order.transfer_id(order.hold_generation, 2), hold));
        }
        order.held = 0;
        legs
    }

    /// Legs that spend `amount` of `order`'s hold and hold again what it still needs: everything left for an
    /// order still matching, exactly its requirement for one that rests.
    fn spend(
        &self,
        work: &Work,
        order: &mut Order,
        amount: u128,
        resting_after: bool,
    ) -> Result<Vec<TransferRequest>, TradingError> {
        let hold = order
            .hold_id
            .ok_or_else(|| TradingError::Corrupt(format!("order {} traded without a hold", order.id)))?;
        let left = order
            .held
            .checked_sub(amount)
            .ok_or_else(|| TradingError::Corrupt(format!("order {} spent more than it holds", order.id)))?;
        let generation = order.hold_generation;
        let mut legs = vec![self.leg(
            work,
            order,
            order.transfer_id(generation, 1),
            amount,
            Action::PostPending { pending: hold },
        )];
        let still = match (order.remaining(), order.price) {
            (Some(0), _) => 0,
            (Some(remaining), Some(price)) if resting_after => self.requirement(order.side, price, remaining).min(left),
            (Some(remaining), None) if order.side == OrderSide::Sell => self.market.base_minor(remaining).min(left),
            _ => left,
        };
        order.hold_generation = generation + 1;
        if still > 0 {
            let id = order.transfer_id(order.hold_generation, 0);
            legs.push(self.hold(work, order, id, still));
            order.hold_id = Some(id);
        } else {
            order.hold_id = None;
        }
        order.held = still;
        Ok(legs)
    }

    // ---- phase 2: the engine ----

    fn run_engine(&mut self, work: &mut Work, op: Op) -> Vec<Event> {
        let seq = self.book.last_seq().map_or(1, |s| s + 1);
        let command = Command {
            seq,
            ts: micros(work.now),
            op,
        };
        work.commands
            .push((seq, serde_json::to_string(&command).unwrap_or_default()));
        self.since_snapshot += 1;
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        self.book.process(&command, &mut events);
        events
    }

    fn place(&mut self, work: &mut Work, order: Order) -> Result<Answer, TradingError> {
        let kind = match order.kind {
            OrderType::Limit => OrderKind::Limit {
                price: Price(order.price.unwrap_or(0)),
            },
            OrderType::Market => OrderKind::Market {
                protection: order.protection.map(Price),
                quote_budget: order.quote_quantity.map(|b| b / self.market.tick_lot_minor),
            },
            OrderType::StopLimit => OrderKind::StopLimit {
                trigger: Price(order.stop_price.unwrap_or(0)),
                price: Price(order.price.unwrap_or(0)),
            },
            OrderType::StopMarket => OrderKind::StopMarket {
                trigger: Price(order.stop_price.unwrap_or(0)),
                protection: order.protection.map(Price),
                quote_budget: order.quote_quantity.map(|b| b / self.market.tick_lot_minor),
            },
        };
        let new = NewOrder {
            id: OrderId(order.engine_id),
            account: TraderId(order.trader_id),
            side: order.side.engine(),
            kind,
            qty: Qty(order.quantity.unwrap_or(u64::MAX)),
            tif: order.time_in_force.engine(),
            post_only: order.post_only,
            stp: order.stp.engine(),
        };
        let (id, engine_id, user) = (order.id, order.engine_id, order.user);
        self.live.insert(engine_id, order.clone());
        self.ids.insert(id, engine_id);
        *self.open_per_user.entry(user).or_default() += 1;
        work.touched.insert(id, order);
        let events = self.run_engine(work, Op::Place(new));
        let rejected = self.settle_events(work, &events)?;
        self.events = events;
        if let Some(reason) = rejected {
            // A refused placement changed nothing in the book: its hold is released and it is forgotten.
            let mut order = self.forget(engine_id)?;
            let legs = self.void_hold(work, &mut order);
            self.push_settle(work, legs, Some(user), "trading.order_release");
            work.touched.remove(&id);
            let (code, message) = reject_reason(reason);
            return Err(TradingError::refused(code, message));
        }
        self.answer(work, id)
    }

    fn answer(&self, work: &Work, id: Uuid) -> Result<Answer, TradingError> {
        work.touched
            .get(&id)
            .cloned()
            .map(|o| Answer::Order(Box::new(o)))
            .ok_or_else(|| TradingError::Corrupt(format!("order {id} vanished in its step")))
    }

    fn amend(
        &mut self,
        work: &mut Work,
        engine_id: u64,
        price: u64,
        remaining: u64,
        top_up: Option<u128>,
    ) -> Result<Answer, TradingError> {
        let id = self.order_mut(engine_id)?.id;
        let events = self.run_engine(
            work,
            Op::Amend {
                id: OrderId(engine_id),
                price: Price(price),
                qty: Qty(remaining),
            },
        );
        // The top-up is folded into the order's hold when the engine takes the amend, released if it does not.
        if let Some(amount) = top_up {
            let order = self
                .live
                .get_mut(&engine_id)
                .ok_or_else(|| TradingError::Corrupt(format!("order {id} left the book before its amend")))?;
            order.held += amount;
            let order = order.clone();
            if !matches!(events.first(), Some(Event::Amended { .. })) {
                let legs = vec![self.release(
                    work,
                    &order,
                    order.transfer_id(order.hold_generation, 4),
                    order.transfer_id(order.hold_generation, 3),
                )];
                self.push_settle(work, legs, Some(order.user), "trading.order_release");
                if let Some(o) = self.live.get_mut(&engine_id) {
                    o.held -= amount;
                }
            }
        }
        let rejected = self.settle_events(work, &events)?;
        self.events = events;
        if let Some(reason) = rejected {
            let (code, message) = reject_reason(reason);
            return Err(TradingError::refused(code, message));
        }
        let order = self
            .live
            .get(&engine_id)
            .cloned()
            .or_else(|| work.touched.get(&id).cloned())
            .ok_or_else(|| TradingError::Corrupt(format!("order {id} vanished in its step")))?;
        Ok(Answer::Order(Box::new(order)))
    }

    fn cancel(&mut self, work: &mut Work, user: Option<Uuid>, id: Uuid) -> Result<Answer, TradingError> {
        let engine_id = match user {
            Some(user) => self.owned(user, id)?,
            None => self
                .ids
                .get(&id)
                .copied()
                .ok_or_else(|| TradingError::Conflict("the order is not open".to_owned()))?,
        };
        let events = self.run_engine(work, Op::Cancel { id: OrderId(engine_id) });
        let rejected = self.settle_events(work, &events)?;
        self.events = events;
        if rejected.is_some() {
            return Err(TradingError::Conflict("the order is not open".to_owned()));
        }
        self.answer(work, id)
    }

    fn cancel_all(&mut self, work: &mut Work, user: Option<Uuid>) -> Vec<Order> {
        let mut targets: Vec<(u64, Uuid)> = self
            .live
            .values()
            .filter(|o| user.is_none_or(|u| o.user == u))
            .map(|o| (o.engine_id, o.id))
            .collect();
        targets.sort_unstable();
        let mut done = Vec::with_capacity(targets.len());
        for (_, id) in targets {
            if let Ok(Answer::Order(order)) = self.cancel(work, None, id) {
                done.push(*order);
            }
        }
        done
    }

    fn set_status(
        &mut self,
        work: &mut Work,
        status: MarketStatus,
        actor: Option<Uuid>,
        context: &RequestContext,
    ) -> Answer {
        let before = self.market.spec.status;
        if status == MarketStatus::Closed {
            self.cancel_all(work, None);
        }
        let market = Arc::make_mut(&mut self.market);
        market.spec.status = status;
        market.spec.updated_at = work.now;
        work.status = Some(status);
        work.contexts.push(context.clone());
        let action = match status {
            MarketStatus::Open => "trading.market_resume",
            MarketStatus::Halted => "trading.market_halt",
            MarketStatus::Closed => "trading.market_close",
        };
        work.audit.push((
            actor,
            action,
            json!({ "symbol": self.market.symbol(), "from": before.as_str(), "to": status.as_str() }),
            work.contexts.len() - 1,
        ));
        work.events.push((
            "market.status_changed",
            json!({ "symbol": self.market.symbol(), "from": before.as_str(), "to": status.as_str() }),
        ));
        Answer::Status
    }

    // ---- phase 3: settlement ----

    fn push_settle(&self, work: &mut Work, legs: Vec<TransferRequest>, actor: Option<Uuid>, action: &'static str) {
        if !legs.is_empty() {
            work.settle.push((
                legs,
                Mover {
                    actor,
                    action,
                    context: None,
                },
            ));
        }
    }

    /// Turns a command's events into settlement batches and order changes; the rejection of the command, if
    /// the engine refused it (its order's hold is then released).
    fn settle_events(&mut self, work: &mut Work, events: &[Event]) -> Result<Option<RejectReason>, TradingError> {
        let mut rejected = None;
        let mut takers = Vec::new();
        for event in events {
            match *event {
                Event::Accepted { .. } => {}
                Event::Rejected { reason, .. } => rejected = Some(reason),
                Event::Trade {
                    maker,
                    taker,
                    price,
                    qty,
                    maker_done,
                    taker_done,
                } => {
                    self.trade(work, maker.0, taker.0, price.0, qty.0, maker_done, taker_done)?;
                    takers.push(taker.0);
                }
                Event::Cancelled { id, qty, remaining, .. } => {
                    if remaining.is_zero() {
                        self.close(work, id.0, OrderStatus::Cancelled, "trading.order_release")?;
                    } else {
                        let order = self.order_mut(id.0)?;
                        order.quantity = order.quantity.map(|q| q - qty.0);
                        self.rehold(work, id.0)?;
                    }
                }
                Event::Expired { id, .. } => {
                    self.close(work, id.0, OrderStatus::Expired, "trading.order_release")?;
                }
                Event::Triggered { id } => {
                    let now = work.now;
                    let order = self.order_mut(id.0)?;
                    order.triggered = true;
                    order.updated_at = now;
                    let order = order.clone();
                    work.touched.insert(order.id, order);
                }
                Event::Amended { id, price, qty, .. } => {
                    let order = self.order_mut(id.0)?;
                    order.price = Some(price.0);
                    order.quantity = Some(order.filled_qty + qty.0);
                    self.rehold(work, id.0)?;
                }
            }
        }
        // A taker that now rests (a limit order, an amended one, a triggered stop-limit) kept all of its hold
        // while it matched; it holds exactly what rests from now on, and what it saved trading at better prices
        // is released.
        takers.dedup();
        for engine_id in takers {
            let excess = self
                .live
                .get(&engine_id)
                .is_some_and(|o| match (o.price, o.remaining()) {
                    (Some(price), Some(remaining)) => o.held > self.requirement(o.side, price, remaining),
                    _ => false,
                });
            if excess && self.book.order(OrderId(engine_id)).is_some() {
                self.rehold(work, engine_id)?;
            }
        }
        Ok(rejected)
    }

    fn order_mut(&mut self, engine_id: u64) -> Result<&mut Order, TradingError> {
        self.live
            .get_mut(&engine_id)
            .ok_or_else(|| TradingError::Corrupt(format!("the engine named order {engine_id}, which is not open")))
    }

    /// Removes an order from the open ones.
    fn forget(&mut self, engine_id: u64) -> Result<Order, TradingError> {
        let order = self
            .live
            .remove(&engine_id)
            .ok_or_else(|| TradingError::Corrupt(format!("the engine closed order {engine_id}, which is not open")))?;
        self.ids.remove(&order.id);
        if let Some(n) = self.open_per_user.get_mut(&order.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.open_per_user.remove(&order.user);
            }
        }
        Ok(order)
    }

    fn close(
        &mut self,
        work: &mut Work,
        engine_id: u64,
        status: OrderStatus,
        action: &'static str,
    ) -> Result<(), TradingError> {
        let mut order = self.forget(engine_id)?;
        let legs = self.void_hold(work, &mut order);
        self.push_settle(work, legs, Some(order.user), action);
        order.status = status;
        order.updated_at = work.now;
        work.touched.insert(order.id, order);
        Ok(())
    }

    /// Holds exactly what a resting order now needs, releasing the rest (after an amend or a decrement).
    fn rehold(&mut self, work: &mut Work, engine_id: u64) -> Result<(), TradingError> {
        let mut order = self.order_mut(engine_id)?.clone();
        let needed = match (order.price, order.remaining()) {
            (Some(price), Some(remaining)) => self.requirement(order.side, price, remaining),
            (None, Some(remaining)) if order.side == OrderSide::Sell => self.market.base_minor(remaining),
            _ => order.held,
        };
        let mut legs = Vec::new();
        if let Some(hold) = order.hold_id {
            legs.push(self.release(work, &order, order.transfer_id(order.hold_generation, 2), hold));
        }
        let top_up = order.transfer_id(order.hold_generation, 3);
        // A top-up placed for an amend is part of what is held now; it is released with the hold it joins.
        if self.has_top_up(work, top_up) {
            legs.push(self.release(work, &order, order.transfer_id(order.hold_generation, 4), top_up));
        }
        order.hold_generation += 1;
        if needed > 0 {
            let id = order.transfer_id(order.hold_generation, 0);
            legs.push(self.hold(work, &order, id, needed));
            order.hold_id = Some(id);
        } else {
            order.hold_id = None;
        }
        order.held = needed;
        order.updated_at = work.now;
        self.push_settle(work, legs, Some(order.user), "trading.order_hold");
        work.touched.insert(order.id, order.clone());
        self.live.insert(engine_id, order);
        Ok(())
    }

    fn has_top_up(&self, work: &Work, id: TransferId) -> bool {
        work.holds.iter().any(|(legs, _)| legs.iter().any(|l| l.id == id))
    }

    #[allow(clippy::too_many_arguments)]
    fn trade(
        &mut self,
        work: &mut Work,
        maker: u64,
        taker: u64,
        price: u64,
        qty: u64,
        maker_done: bool,
        taker_done: bool,
    ) -> Result<(), TradingError> {
        let m = &self.market;
        let quote = m.quote_minor(price, qty);
        let base = m.base_minor(qty);
        let (base_code, quote_code) = (m.base.code, m.quote.code);
        let taker_side = self
            .live
            .get(&taker)
            .map(|o| o.side)
            .ok_or_else(|| TradingError::Corrupt(format!("trade with unknown taker {taker}")))?;
        let (buy, sell, buyer_role, buyer_done, seller_done) = match taker_side {
            OrderSide::Buy => (taker, maker, Role::Taker, taker_done, maker_done),
            OrderSide::Sell => (maker, taker, Role::Maker, maker_done, taker_done),
        };
        let seller_role = if buyer_role == Role::Taker {
            Role::Maker
        } else {
            Role::Taker
        };
        let mut buyer = self
            .live
            .get(&buy)
            .cloned()
            .ok_or_else(|| TradingError::Corrupt(format!("trade with unknown order {buy}")))?;
        let mut seller = self
            .live
            .get(&sell)
            .cloned()
            .ok_or_else(|| TradingError::Corrupt(format!("trade with unknown order {sell}")))?;
        let bps = |o: &Order, role: Role| match role {
            Role::Maker => o.fees.maker_bps,
            Role::Taker => o.fees.taker_bps,
        };
        let buyer_fee = fee_on(base, bps(&buyer, buyer_role));
        let seller_fee = fee_on(quote, bps(&seller, seller_role));
        for o in [&mut buyer, &mut seller] {
            o.filled_qty += qty;
            o.filled_quote += quote;
            o.updated_at = work.now;
        }
        buyer.fee_paid += buyer_fee;
        seller.fee_paid += seller_fee;
        // The maker rests after the trade unless it is done; the taker keeps matching (it rests only once the
        // command is over, and is then re-held by the requirement of what rests).
        let mut legs = self.spend(work, &mut buyer, quote, buyer_role == Role::Maker)?;
        legs.extend(self.spend(work, &mut seller, base, seller_role == Role::Maker)?);
        let trade_id = Uuid::now_v7();
        let credit = |to: AccountId, asset: AssetCode, amount: u128, n: u128, kind, order: &Order| TransferRequest {
            id: TransferId(Uuid::from_u128(trade_id.as_u128() ^ (n << 4))),
            debit: self.clearing(work, asset),
            credit: to,
            asset,
            amount,
            kind,
            action: Action::Post,
            reference: Some(trade_id.to_string()),
            metadata: json!({ "trade_id": trade_id, "order_id": order.id, "symbol": order.symbol }),
        };
        let fees_base = self.known(work, None, base_code, Purpose::Fees);
        let fees_quote = self.known(work, None, quote_code, Purpose::Fees);
        let (trade, fee) = (TransferKind::Trade, TransferKind::Fee);
        let seller_wallet = self.wallet(work, seller.user, quote_code);
        let buyer_wallet = self.wallet(work, buyer.user, base_code);
        legs.push(credit(seller_wallet, quote_code, quote - seller_fee, 2, trade, &seller));
        if seller_fee > 0 {
            legs.push(credit(fees_quote, quote_code, seller_fee, 3, fee, &seller));
        }
        legs.push(credit(buyer_wallet, base_code, base - buyer_fee, 4, trade, &buyer));
        if buyer_fee > 0 {
            legs.push(credit(fees_base, base_code, buyer_fee, 5, fee, &buyer));
        }
        let taker_user = if buyer_role == Role::Taker {
            buyer.user
        } else {
            seller.user
        };
        self.push_settle(work, legs, Some(taker_user), "trading.trade");
        let seq = self.book.last_seq().unwrap_or(0);
        let (maker_order, taker_order) = if buyer_role == Role::Maker {
            (buyer.id, seller.id)
        } else {
            (seller.id, buyer.id)
        };
        let trade = Trade {
            id: trade_id,
            symbol: self.market.symbol().to_owned(),
            seq,
            price,
            quantity: qty,
            quote_amount: quote,
            taker_side,
            maker_order,
            taker_order,
            executed_at: work.now,
        };
        work.events
            .push(("trade.executed", self.trade_event(&trade, &buyer, &seller)));
        work.candles.record(work.now, price, qty, quote);
        for (o, role, fee, asset) in [
            (&buyer, buyer_role, buyer_fee, base_code),
            (&seller, seller_role, seller_fee, quote_code),
        ] {
            work.fills.push(Fill {
                trade_id,
                order_id: o.id,
                user: o.user,
                symbol: o.symbol.clone(),
                side: o.side,
                role,
                price,
                quantity: qty,
                quote_amount: quote,
                fee,
                fee_asset: asset,
                executed_at: work.now,
            });
        }
        work.trades.push(trade);
        for (mut o, done, engine_id) in [(buyer, buyer_done, buy), (seller, seller_done, sell)] {
            o.status = if done {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            };
            if done {
                self.forget(engine_id)?;
                if let Some(hold) = o.hold_id.take() {
                    // Filled with something still held (a market buy that paid less than its band): released.
                    let legs = vec![self.release(work, &o, o.transfer_id(o.hold_generation, 2), hold)];
                    self.push_settle(work, legs, Some(o.user), "trading.order_release");
                    o.held = 0;
                }
            } else {
                self.live.insert(engine_id, o.clone());
            }
            work.touched.insert(o.id, o);
        }
        Ok(())
    }

    fn trade_event(&self, t: &Trade, buyer: &Order, seller: &Order) -> Value {
        let m = &self.market;
        json!({
            "trade_id": t.id,
            "symbol": t.symbol,
            "seq": t.seq,
            "price": m.format_price(t.price),
            "quantity": m.format_qty(t.quantity),
            "quote_amount": m.format_quote(t.quote_amount),
            "taker_side": t.taker_side.as_str(),
            "buy_order_id": buyer.id,
            "sell_order_id": seller.id,
            "buyer_id": buyer.user,
            "seller_id": seller.user,
            "executed_at": t.executed_at,
        })
    }

    // ---- ledger calls ----

    /// Applies the step's holds (`holds`) or its settlements, each batch on its own; every batch's result.
    async fn apply(
        &mut self,
        tx: &mut Tx,
        work: &mut Work,
        holds: bool,
    ) -> Result<Vec<Result<(), LedgerError>>, TradingError> {
        let batches = std::mem::take(if holds { &mut work.holds } else { &mut work.settle });
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        let contexts = &work.contexts;
        let requests: Vec<(Vec<TransferRequest>, Movement<'_>)> = batches
            .iter()
            .map(|(legs, mover)| {
                (
                    legs.clone(),
                    Movement {
                        actor: mover.actor,
                        action: mover.action,
                        context: &contexts[mover.context.unwrap_or(0)],
                    },
                )
            })
            .collect();
        let results = self.deps.ledger.within(tx).apply_each(&requests).await?;
        drop(requests);
        // Kept so a later phase can tell which top-ups were placed.
        if holds {
            work.holds = batches;
        }
        Ok(results.into_iter().map(|r| r.map(|_| ())).collect())
    }

    // ---- phase 4: rows ----

    async fn write_rows(&mut self, tx: &mut Tx, work: &mut Work) -> Result<(), TradingError> {
        let now = work.now;
        let orders: Vec<&Order> = work.touched.values().collect();
        for o in &orders {
            work.events.push((order_subject(o.status), self.order_event(o)));
        }
        let mut writes = Vec::new();
        if !orders.is_empty() {
            writes.push(store::order_rows(&orders));
        }
        if !work.trades.is_empty() {
            writes.push(store::trade_rows(&work.trades));
            writes.push(store::fill_rows(&work.fills));
        }
        if !work.commands.is_empty() {
            writes.push(store::command_rows(self.market.symbol(), &work.commands));
        }
        let candles = self.merge_candles(&work.candles);
        if !candles.is_empty() {
            writes.push(store::candle_rows(self.market.symbol(), &candles));
        }
        for rows in &writes {
            rows.execute(tx).await?;
        }
        if !work.events.is_empty() {
            outbox::enqueue_many(tx, &work.events, now).await?;
        }
        if let Some(status) = work.status {
            store::set_market_status(tx, self.market.symbol(), status, now).await?;
        }
        let records: Vec<AuditRecord<'_>> = work
            .audit
            .iter()
            .map(|(actor, action, details, context)| {
                let mut record = AuditRecord::of(&work.contexts[*context], action, now)
                    .target(self.market.symbol().to_owned())
                    .details(details.clone());
                record.actor = *actor;
                record
            })
            .collect();
        if !records.is_empty() {
            audit::record_many(tx, &records).await?;
        }
        if self.since_snapshot >= u64::from(self.deps.config.snapshot_every) {
            let snapshot = self.book.snapshot();
            let body = serde_json::to_string(&snapshot)
                .map_err(|e| TradingError::Corrupt(format!("a snapshot could not be written: {e}")))?;
            store::save_snapshot(tx, self.market.symbol(), self.book.last_seq().unwrap_or(0), &body, now).await?;
            self.since_snapshot = 0;
        }
        Ok(())
    }

    /// The step's candles merged into the newest stored ones; the runner's copy is updated after the commit.
    fn merge_candles(&mut self, step: &StepCandles) -> Vec<Candle> {
        let mut out = Vec::new();
        for c in step.candles() {
            let merged = match self.latest.get(&c.width) {
                Some(prev) if prev.open_time == c.open_time => {
                    let mut m = *prev;
                    m.merge(c);
                    m
                }
                _ => *c,
            };
            out.push(merged);
        }
        // Per width, the newest of the step is what later steps add to.
        for c in &out {
            let newer = self.latest.get(&c.width).is_none_or(|p| p.open_time <= c.open_time);
            if newer {
                self.latest.insert(c.width, *c);
            }
        }
        out
    }

    fn order_event(&self, o: &Order) -> Value {
        let m = &self.market;
        json!({
            "order_id": o.id,
            "user_id": o.user,
            "symbol": o.symbol,
            "client_order_id": o.client_order_id,
            "side": o.side.as_str(),
            "type": o.kind.as_str(),
            "status": o.status.as_str(),
            "price": o.price.map(|p| m.format_price(p)),
            "quantity": o.quantity.map(|q| m.format_qty(q)),
            "filled_quantity": m.format_qty(o.filled_qty),
            "filled_quote": m.format_quote(o.filled_quote),
            "updated_at": o.updated_at,
        })
    }

    /// After the commit: the accounts made in the step are known, and the views are published.
    fn after_commit(&mut self, accounts: Vec<(AccountKey, AccountId)>, trades: &[Trade], status: Option<MarketStatus>) {
        self.accounts.extend(accounts);
        if let Ok(mut day) = self.published.day.lock() {
            for t in trades {
                day.record(t.executed_at, t.price, t.quantity, t.quote_amount);
            }
        }
        self.publish_depth();
        if status.is_some()
            && let Ok(mut spec) = self.published.spec.write()
        {
            *spec = self.market.spec.clone();
        }
    }

    pub(super) fn publish_depth(&self) {
        let depth = Arc::new(self.book.depth(DEPTH_LEVELS));
        let seq = self.book.last_seq().unwrap_or(0);
        if let Ok(mut slot) = self.published.depth.write() {
            *slot = (depth, seq);
        }
    }
}

fn order_subject(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New => "order.accepted",
        OrderStatus::PartiallyFilled => "order.partially_filled",
        OrderStatus::Filled => "order.filled",
        OrderStatus::Cancelled => "order.cancelled",
        OrderStatus::Expired => "order.expired",
    }
}

/// A fresh set of published views for a market.
pub(super) fn published_for(market: &Market, day: RollingDay) -> Arc<Published> {
    Arc::new(Published {
        spec: RwLock::new(market.spec.clone()),
        depth: RwLock::new((
            Arc::new(matching::Depth {
                bids: Vec::new(),
                asks: Vec::new(),
            }),
            0,
        )),
        day: Mutex::new(day),
    })
}
