//! SQL of the trading tables, one text for both backends; amounts go through [`platform::db::numeric`] like every
//! other amount. The engine runner writes a step's rows with a few multi-row statements.

use crate::TradingError;
use crate::config::FeeRates;
use crate::market::{MarketSpec, MarketStatus};
use crate::market_data::{Candle, Width};
use crate::order::{Fill, Order, OrderSide, OrderStatus, OrderType, Role, Stp, TimeInForce, Trade};
use chrono::{DateTime, Utc};
use ledger::books::TransferId;
use money::AssetCode;
use platform::db::bulk::{Column, Rows, Statement, Value};
use platform::db::numeric as sql;
use platform::{Backend, Db, Tx, on_db, on_tx};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

fn corrupt(what: impl Into<String>) -> TradingError {
    TradingError::Corrupt(what.into())
}

fn code(text: &str, what: &str) -> Result<AssetCode, TradingError> {
    AssetCode::parse(text).map_err(|_| corrupt(format!("{what}: bad asset {text:?}")))
}

fn minor(text: &str, what: &str) -> Result<u128, TradingError> {
    sql::parse_amount(text).ok_or_else(|| corrupt(format!("{what}: {text:?} is not an amount")))
}

fn units(v: i64, what: &str) -> Result<u64, TradingError> {
    u64::try_from(v).map_err(|_| corrupt(format!("{what}: negative units")))
}

/// Ticks and lots are far below `i64::MAX` (a market accepts at most 2^50 of either).
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

// ---- markets ----

#[derive(sqlx::FromRow)]
struct MarketRow {
    symbol: String,
    base: String,
    quote: String,
    tick_size: String,
    lot_size: String,
    min_qty: String,
    max_qty: String,
    min_notional: String,
    price_band_pct: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<MarketRow> for MarketSpec {
    type Error = TradingError;

    fn try_from(r: MarketRow) -> Result<MarketSpec, TradingError> {
        let what = format!("market {}", r.symbol);
        Ok(MarketSpec {
            base: code(&r.base, &what)?,
            quote: code(&r.quote, &what)?,
            status: MarketStatus::parse(&r.status).ok_or_else(|| corrupt(format!("{what}: bad status")))?,
            symbol: r.symbol,
            tick_size: r.tick_size,
            lot_size: r.lot_size,
            min_qty: r.min_qty,
            max_qty: r.max_qty,
            min_notional: r.min_notional,
            price_band_pct: r.price_band_pct,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const MARKET_COLUMNS: &str = "symbol, base, quote, tick_size, lot_size, min_qty, max_qty, min_notional, \
                              price_band_pct, status, created_at, updated_at";

pub(crate) async fn markets(db: &Db) -> Result<Vec<MarketSpec>, TradingError> {
    let sql = AssertSqlSafe(format!("SELECT {MARKET_COLUMNS} FROM trading_markets ORDER BY symbol"));
    let rows: Vec<MarketRow> = on_db!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
    rows.into_iter().map(MarketSpec::try_from).collect()
}

pub(crate) async fn insert_market(tx: &mut Tx, m: &MarketSpec) -> Result<bool, TradingError> {
    let done = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO trading_markets (symbol, base, quote, tick_size, lot_size, min_qty, max_qty, min_notional, \
         price_band_pct, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (symbol) DO NOTHING"
    )
    .bind(&m.symbol)
    .bind(m.base.as_str())
    .bind(m.quote.as_str())
    .bind(&m.tick_size)
    .bind(&m.lot_size)
    .bind(&m.min_qty)
    .bind(&m.max_qty)
    .bind(&m.min_notional)
    .bind(&m.price_band_pct)
    .bind(m.status.as_str())
    .bind(m.created_at)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub(crate) async fn set_market_status(
    tx: &mut Tx,
    symbol: &str,
    status: MarketStatus,
    now: DateTime<Utc>,
) -> Result<(), TradingError> {
    on_tx!(tx, conn => sqlx::query("UPDATE trading_markets SET status = $1, updated_at = $2 WHERE symbol = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(symbol)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

// ---- orders ----

const ORDER_COLUMNS: [&str; 29] = [
    "id",
    "symbol",
    "engine_id",
    "user_id",
    "trader_id",
    "client_order_id",
    "side",
    "kind",
    "time_in_force",
    "price",
    "stop_price",
    "quantity",
    "quote_quantity",
    "protection",
    "post_only",
    "stp",
    "maker_fee_bps",
    "taker_fee_bps",
    "status",
    "triggered",
    "filled_qty",
    "filled_quote",
    "fee_paid",
    "hold_asset",
    "hold_id",
    "held",
    "hold_generation",
    "created_at",
    "updated_at",
];

const P: Column = Column::Plain;
const A: Column = Column::Amount;

const ORDER_UPSERT: Statement<'static> = Statement {
    head: "INSERT INTO trading_orders (id, symbol, engine_id, user_id, trader_id, client_order_id, side, kind, \
           time_in_force, price, stop_price, quantity, quote_quantity, protection, post_only, stp, maker_fee_bps, \
           taker_fee_bps, status, triggered, filled_qty, filled_quote, fee_paid, hold_asset, hold_id, held, \
           hold_generation, created_at, updated_at) VALUES",
    columns: &[
        P, P, P, P, P, P, P, P, P, P, P, P, A, P, P, P, P, P, P, P, P, A, A, P, P, A, P, P, P,
    ],
    tail: " ON CONFLICT (id) DO UPDATE SET price = excluded.price, quantity = excluded.quantity, \
           status = excluded.status, triggered = excluded.triggered, filled_qty = excluded.filled_qty, \
           filled_quote = excluded.filled_quote, fee_paid = excluded.fee_paid, hold_id = excluded.hold_id, \
           held = excluded.held, hold_generation = excluded.hold_generation, updated_at = excluded.updated_at",
};

/// The rows of `orders`, inserted or brought up to date.
pub(crate) fn order_rows(orders: &[&Order]) -> Rows<'static> {
    let mut values = Vec::with_capacity(orders.len() * ORDER_COLUMNS.len());
    for o in orders {
        values.extend([
            Value::Uuid(Some(o.id)),
            Value::OwnedText(o.symbol.clone()),
            Value::Int(int(o.engine_id)),
            Value::Uuid(Some(o.user)),
            Value::Int(int(o.trader_id)),
            match &o.client_order_id {
                Some(c) => Value::OwnedText(c.clone()),
                None => Value::Text(None),
            },
            Value::Text(Some(o.side.as_str())),
            Value::Text(Some(o.kind.as_str())),
            Value::Text(Some(o.time_in_force.as_str())),
            Value::MaybeInt(o.price.map(int)),
            Value::MaybeInt(o.stop_price.map(int)),
            Value::MaybeInt(o.quantity.map(int)),
            match o.quote_quantity {
                Some(q) => Value::OwnedText(q.to_string()),
                None => Value::Text(None),
            },
            Value::MaybeInt(o.protection.map(int)),
            Value::Bool(o.post_only),
            Value::Text(Some(o.stp.as_str())),
            Value::Int(i64::from(o.fees.maker_bps)),
            Value::Int(i64::from(o.fees.taker_bps)),
            Value::Text(Some(o.status.as_str())),
            Value::Bool(o.triggered),
            Value::Int(int(o.filled_qty)),
            Value::OwnedText(o.filled_quote.to_string()),
            Value::OwnedText(o.fee_paid.to_string()),
            Value::OwnedText(o.hold_asset.as_str().to_owned()),
            Value::Uuid(o.hold_id.map(|h| h.0)),
            Value::OwnedText(o.held.to_string()),
            Value::Int(i64::from(o.hold_generation)),
            Value::Time(Some(o.created_at)),
            Value::Time(Some(o.updated_at)),
        ]);
    }
    Rows {
        statement: ORDER_UPSERT,
        values,
        events: false,
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    symbol: String,
    engine_id: i64,
    user_id: Uuid,
    trader_id: i64,
    client_order_id: Option<String>,
    side: String,
    kind: String,
    time_in_force: String,
    price: Option<i64>,
    stop_price: Option<i64>,
    quantity: Option<i64>,
    quote_quantity: Option<String>,
    protection: Option<i64>,
    post_only: bool,
    stp: String,
    maker_fee_bps: i64,
    taker_fee_bps: i64,
    status: String,
    triggered: bool,
    filled_qty: i64,
    filled_quote: String,
    fee_paid: String,
    hold_asset: String,
    hold_id: Option<Uuid>,
    held: String,
    hold_generation: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<OrderRow> for Order {
    type Error = TradingError;

    fn try_from(r: OrderRow) -> Result<Order, TradingError> {
        let what = format!("order {}", r.id);
        let bad = |field: &str| corrupt(format!("{what}: bad {field}"));
        let bps = |v: i64| u32::try_from(v).map_err(|_| bad("fee"));
        Ok(Order {
            id: r.id,
            engine_id: units(r.engine_id, &what)?,
            user: r.user_id,
            trader_id: units(r.trader_id, &what)?,
            side: OrderSide::parse(&r.side).ok_or_else(|| bad("side"))?,
            kind: OrderType::parse(&r.kind).ok_or_else(|| bad("kind"))?,
            time_in_force: TimeInForce::parse(&r.time_in_force).ok_or_else(|| bad("time_in_force"))?,
            price: r.price.map(|v| units(v, &what)).transpose()?,
            stop_price: r.stop_price.map(|v| units(v, &what)).transpose()?,
            quantity: r.quantity.map(|v| units(v, &what)).transpose()?,
            quote_quantity: r.quote_quantity.as_deref().map(|v| minor(v, &what)).transpose()?,
            protection: r.protection.map(|v| units(v, &what)).transpose()?,
            post_only: r.post_only,
            stp: Stp::parse(&r.stp).ok_or_else(|| bad("stp"))?,
            fees: FeeRates {
                maker_bps: bps(r.maker_fee_bps)?,
                taker_bps: bps(r.taker_fee_bps)?,
            },
            status: OrderStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            triggered: r.triggered,
            filled_qty: units(r.filled_qty, &what)?,
            filled_quote: minor(&r.filled_quote, &what)?,
            fee_paid: minor(&r.fee_paid, &what)?,
            hold_asset: code(&r.hold_asset, &what)?,
            hold_id: r.hold_id.map(TransferId),
            held: minor(&r.held, &what)?,
            hold_generation: u32::try_from(r.hold_generation).map_err(|_| bad("hold_generation"))?,
            symbol: r.symbol,
            client_order_id: r.client_order_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn order_select(backend: Backend) -> String {
    let columns: Vec<String> = ORDER_COLUMNS
        .iter()
        .map(|c| match *c {
            "quote_quantity" | "filled_quote" | "fee_paid" | "held" => sql::amount_column(backend, c),
            other => other.to_owned(),
        })
        .collect();
    format!("SELECT {} FROM trading_orders", columns.join(", "))
}

/// The orders of `symbol` that may still trade, in the order the engine accepted them.
pub(crate) async fn open_orders(db: &Db, symbol: &str) -> Result<Vec<Order>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE symbol = $1 AND status IN ('NEW', 'PARTIALLY_FILLED') ORDER BY engine_id",
        order_select(db.backend())
    ));
    let rows: Vec<OrderRow> = on_db!(db, pool => sqlx::query_as(sql).bind(symbol).fetch_all(pool).await)?;
    rows.into_iter().map(Order::try_from).collect()
}

pub(crate) async fn order(db: &Db, id: Uuid) -> Result<Option<Order>, TradingError> {
    let sql = AssertSqlSafe(format!("{} WHERE id = $1", order_select(db.backend())));
    let row: Option<OrderRow> = on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
    row.map(Order::try_from).transpose()
}

pub(crate) async fn order_by_client_id(db: &Db, user: Uuid, client: &str) -> Result<Option<Order>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE user_id = $1 AND client_order_id = $2",
        order_select(db.backend())
    ));
    let row: Option<OrderRow> =
        on_db!(db, pool => sqlx::query_as(sql).bind(user).bind(client).fetch_optional(pool).await)?;
    row.map(Order::try_from).transpose()
}

/// Which of a user's orders a listing returns.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub symbol: Option<String>,
    /// `Some(true)`: only open orders; `Some(false)`: only closed ones.
    pub open: Option<bool>,
    /// The last id of the previous page (ids grow with time).
    pub before: Option<Uuid>,
}

/// Up to `limit` of `user`'s orders, newest first.
pub(crate) async fn orders(db: &Db, user: Uuid, filter: &OrderFilter, limit: i64) -> Result<Vec<Order>, TradingError> {
    let mut sql = format!("{} WHERE user_id = $1", order_select(db.backend()));
    let mut n = 1;
    if filter.symbol.is_some() {
        n += 1;
        sql.push_str(&format!(" AND symbol = ${n}"));
    }
    match filter.open {
        Some(true) => sql.push_str(" AND status IN ('NEW', 'PARTIALLY_FILLED')"),
        Some(false) => sql.push_str(" AND status NOT IN ('NEW', 'PARTIALLY_FILLED')"),
        None => {}
    }
    if filter.before.is_some() {
        n += 1;
        sql.push_str(&format!(" AND id < ${n}"));
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${n}"));
    let sql = AssertSqlSafe(sql);
    let rows: Vec<OrderRow> = on_db!(db, pool => {
        let mut q = sqlx::query_as(sql).bind(user);
        if let Some(s) = &filter.symbol {
            q = q.bind(s.as_str());
        }
        if let Some(b) = filter.before {
            q = q.bind(b);
        }
        q.bind(limit).fetch_all(pool).await
    })?;
    rows.into_iter().map(Order::try_from).collect()
}

/// The next engine id of `symbol` and its traders (user → engine trader id), from every order it ever had.
pub(crate) async fn engine_ids(db: &Db, symbol: &str) -> Result<(u64, Vec<(Uuid, u64)>), TradingError> {
    let (max,): (Option<i64>,) = on_db!(db, pool => sqlx::query_as(
        "SELECT MAX(engine_id) FROM trading_orders WHERE symbol = $1"
    ).bind(symbol).fetch_one(pool).await)?;
    let traders: Vec<(Uuid, i64)> = on_db!(db, pool => sqlx::query_as(
        "SELECT user_id, MIN(trader_id) FROM trading_orders WHERE symbol = $1 GROUP BY user_id"
    ).bind(symbol).fetch_all(pool).await)?;
    let next = units(max.unwrap_or(0), "engine id")? + 1;
    let traders = traders
        .into_iter()
        .map(|(u, t)| Ok((u, units(t, "trader id")?)))
        .collect::<Result<_, TradingError>>()?;
    Ok((next, traders))
}

// ---- trades and fills ----

pub(crate) fn trade_rows(trades: &[Trade]) -> Rows<'static> {
    let mut values = Vec::with_capacity(trades.len() * 10);
    for t in trades {
        values.extend([
            Value::Uuid(Some(t.id)),
            Value::OwnedText(t.symbol.clone()),
            Value::Int(int(t.seq)),
            Value::Int(int(t.price)),
            Value::Int(int(t.quantity)),
            Value::OwnedText(t.quote_amount.to_string()),
            Value::Text(Some(t.taker_side.as_str())),
            Value::Uuid(Some(t.maker_order)),
            Value::Uuid(Some(t.taker_order)),
            Value::Time(Some(t.executed_at)),
        ]);
    }
    Rows {
        statement: Statement {
            head: "INSERT INTO trading_trades (id, symbol, seq, price, quantity, quote_amount, taker_side, \
                   maker_order, taker_order, executed_at) VALUES",
            columns: &[P, P, P, P, P, A, P, P, P, P],
            tail: "",
        },
        values,
        events: false,
    }
}

pub(crate) fn fill_rows(fills: &[Fill]) -> Rows<'static> {
    let mut values = Vec::with_capacity(fills.len() * 12);
    for f in fills {
        values.extend([
            Value::Uuid(Some(f.trade_id)),
            Value::Uuid(Some(f.order_id)),
            Value::Uuid(Some(f.user)),
            Value::OwnedText(f.symbol.clone()),
            Value::Text(Some(f.side.as_str())),
            Value::Text(Some(f.role.as_str())),
            Value::Int(int(f.price)),
            Value::Int(int(f.quantity)),
            Value::OwnedText(f.quote_amount.to_string()),
            Value::OwnedText(f.fee.to_string()),
            Value::OwnedText(f.fee_asset.as_str().to_owned()),
            Value::Time(Some(f.executed_at)),
        ]);
    }
    Rows {
        statement: Statement {
            head: "INSERT INTO trading_fills (trade_id, order_id, user_id, symbol, side, role, price, quantity, \
                   quote_amount, fee, fee_asset, executed_at) VALUES",
            columns: &[P, P, P, P, P, P, P, P, A, A, P, P],
            tail: "",
        },
        values,
        events: false,
    }
}

#[derive(sqlx::FromRow)]
struct FillRow {
    trade_id: Uuid,
    order_id: Uuid,
    user_id: Uuid,
    symbol: String,
    side: String,
    role: String,
    price: i64,
    quantity: i64,
    quote_amount: String,
    fee: String,
    fee_asset: String,
    executed_at: DateTime<Utc>,
}

impl TryFrom<FillRow> for Fill {
    type Error = TradingError;

    fn try_from(r: FillRow) -> Result<Fill, TradingError> {
        let what = format!("fill of order {} in trade {}", r.order_id, r.trade_id);
        Ok(Fill {
            side: OrderSide::parse(&r.side).ok_or_else(|| corrupt(format!("{what}: bad side")))?,
            role: Role::parse(&r.role).ok_or_else(|| corrupt(format!("{what}: bad role")))?,
            price: units(r.price, &what)?,
            quantity: units(r.quantity, &what)?,
            quote_amount: minor(&r.quote_amount, &what)?,
            fee: minor(&r.fee, &what)?,
            fee_asset: code(&r.fee_asset, &what)?,
            trade_id: r.trade_id,
            order_id: r.order_id,
            user: r.user_id,
            symbol: r.symbol,
            executed_at: r.executed_at,
        })
    }
}

fn fill_select(backend: Backend) -> String {
    format!(
        "SELECT trade_id, order_id, user_id, symbol, side, role, price, quantity, {}, fee_asset, executed_at \
         FROM trading_fills",
        sql::amount_columns(backend, &["quote_amount", "fee"])
    )
}

pub(crate) async fn fills_of_order(db: &Db, order: Uuid) -> Result<Vec<Fill>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE order_id = $1 ORDER BY executed_at, trade_id",
        fill_select(db.backend())
    ));
    let rows: Vec<FillRow> = on_db!(db, pool => sqlx::query_as(sql).bind(order).fetch_all(pool).await)?;
    rows.into_iter().map(Fill::try_from).collect()
}

/// Up to `limit` of `user`'s fills, newest first, optionally of one market and before a trade id.
pub(crate) async fn fills_of_user(
    db: &Db,
    user: Uuid,
    symbol: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Fill>, TradingError> {
    let mut sql = format!("{} WHERE user_id = $1", fill_select(db.backend()));
    let mut n = 1;
    if symbol.is_some() {
        n += 1;
        sql.push_str(&format!(" AND symbol = ${n}"));
    }
    if before.is_some() {
        n += 1;
        sql.push_str(&format!(" AND trade_id < ${n}"));
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY trade_id DESC LIMIT ${n}"));
    let sql = AssertSqlSafe(sql);
    let rows: Vec<FillRow> = on_db!(db, pool => {
        let mut q = sqlx::query_as(sql).bind(user);
        if let Some(s) = symbol {
            q = q.bind(s);
        }
        if let Some(b) = before {
            q = q.bind(b);
        }
        q.bind(limit).fetch_all(pool).await
    })?;
    rows.into_iter().map(Fill::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct TradeRow {
    id: Uuid,
    symbol: String,
    seq: i64,
    price: i64,
    quantity: i64,
    quote_amount: String,
    taker_side: String,
    maker_order: Uuid,
    taker_order: Uuid,
    executed_at: DateTime<Utc>,
}

/// The last `limit` trades of `symbol`, newest first.
pub(crate) async fn trades(db: &Db, symbol: &str, limit: i64) -> Result<Vec<Trade>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT id, symbol, seq, price, quantity, {}, taker_side, maker_order, taker_order, executed_at \
         FROM trading_trades WHERE symbol = $1 ORDER BY seq DESC, id DESC LIMIT $2",
        sql::amount_column(db.backend(), "quote_amount")
    ));
    let rows: Vec<TradeRow> = on_db!(db, pool => sqlx::query_as(sql).bind(symbol).bind(limit).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|r| {
            let what = format!("trade {}", r.id);
            Ok(Trade {
                seq: units(r.seq, &what)?,
                price: units(r.price, &what)?,
                quantity: units(r.quantity, &what)?,
                quote_amount: minor(&r.quote_amount, &what)?,
                taker_side: OrderSide::parse(&r.taker_side).ok_or_else(|| corrupt(format!("{what}: bad side")))?,
                id: r.id,
                symbol: r.symbol,
                maker_order: r.maker_order,
                taker_order: r.taker_order,
                executed_at: r.executed_at,
            })
        })
        .collect()
}

/// Per user and quote asset, the quote minor units traded since `since`, for the tier job.
pub(crate) async fn volumes_since(db: &Db, since: DateTime<Utc>) -> Result<Vec<(Uuid, AssetCode, u128)>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT f.user_id, m.quote, {} FROM trading_fills f JOIN trading_markets m ON m.symbol = f.symbol \
         WHERE f.executed_at >= $1",
        sql::amount_column(db.backend(), "quote_amount")
    ));
    let rows: Vec<(Uuid, String, String)> = on_db!(db, pool => sqlx::query_as(sql).bind(since).fetch_all(pool).await)?;
    let mut totals: std::collections::BTreeMap<(Uuid, AssetCode), u128> = Default::default();
    for (user, quote, amount) in rows {
        let quote = code(&quote, "fill")?;
        let amount = minor(&amount, "fill")?;
        let slot = totals.entry((user, quote)).or_default();
        *slot = slot.saturating_add(amount);
    }
    Ok(totals.into_iter().map(|((u, q), v)| (u, q, v)).collect())
}

// ---- the command log and snapshots ----

pub(crate) fn command_rows(symbol: &str, commands: &[(u64, String)]) -> Rows<'static> {
    let mut values = Vec::with_capacity(commands.len() * 3);
    for (seq, body) in commands {
        values.extend([
            Value::OwnedText(symbol.to_owned()),
            Value::Int(int(*seq)),
            Value::OwnedText(body.clone()),
        ]);
    }
    Rows {
        statement: Statement {
            head: "INSERT INTO trading_commands (symbol, seq, command) VALUES",
            columns: &[P, P, P],
            tail: "",
        },
        values,
        events: false,
    }
}

/// The commands of `symbol` after `after`, in order.
pub(crate) async fn commands_after(db: &Db, symbol: &str, after: u64) -> Result<Vec<String>, TradingError> {
    let rows: Vec<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT command FROM trading_commands WHERE symbol = $1 AND seq > $2 ORDER BY seq"
    ).bind(symbol).bind(int(after)).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

pub(crate) async fn save_snapshot(
    tx: &mut Tx,
    symbol: &str,
    seq: u64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), TradingError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO trading_snapshots (symbol, seq, body, taken_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (symbol) DO UPDATE SET seq = excluded.seq, body = excluded.body, taken_at = excluded.taken_at"
    )
    .bind(symbol)
    .bind(int(seq))
    .bind(body)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub(crate) async fn snapshot(db: &Db, symbol: &str) -> Result<Option<(u64, String)>, TradingError> {
    let row: Option<(i64, String)> = on_db!(db, pool => sqlx::query_as(
        "SELECT seq, body FROM trading_snapshots WHERE symbol = $1"
    ).bind(symbol).fetch_optional(pool).await)?;
    row.map(|(seq, body)| Ok((units(seq, "snapshot")?, body))).transpose()
}

// ---- candles ----

pub(crate) fn candle_rows(symbol: &str, candles: &[Candle]) -> Rows<'static> {
    let mut values = Vec::with_capacity(candles.len() * 10);
    for c in candles {
        values.extend([
            Value::OwnedText(symbol.to_owned()),
            Value::Text(Some(c.width.as_str())),
            Value::Time(Some(c.open_time)),
            Value::Int(int(c.open)),
            Value::Int(int(c.high)),
            Value::Int(int(c.low)),
            Value::Int(int(c.close)),
            Value::OwnedText(c.volume.to_string()),
            Value::OwnedText(c.quote_volume.to_string()),
            Value::Int(int(c.trades)),
        ]);
    }
    Rows {
        statement: Statement {
            head: "INSERT INTO trading_candles (symbol, width, open_time, open, high, low, close, volume, \
                   quote_volume, trades) VALUES",
            columns: &[P, P, P, P, P, P, P, A, A, P],
            tail: " ON CONFLICT (symbol, width, open_time) DO UPDATE SET open = excluded.open, \
                   high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume, \
                   quote_volume = excluded.quote_volume, trades = excluded.trades",
        },
        values,
        events: false,
    }
}

#[derive(sqlx::FromRow)]
struct CandleRow {
    width: String,
    open_time: DateTime<Utc>,
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    volume: String,
    quote_volume: String,
    trades: i64,
}

impl TryFrom<CandleRow> for Candle {
    type Error = TradingError;

    fn try_from(r: CandleRow) -> Result<Candle, TradingError> {
        let what = "candle";
        Ok(Candle {
            width: Width::parse(&r.width).ok_or_else(|| corrupt("candle: bad width"))?,
            open_time: r.open_time,
            open: units(r.open, what)?,
            high: units(r.high, what)?,
            low: units(r.low, what)?,
            close: units(r.close, what)?,
            volume: minor(&r.volume, what)?,
            quote_volume: minor(&r.quote_volume, what)?,
            trades: units(r.trades, what)?,
        })
    }
}

fn candle_select(backend: Backend) -> String {
    format!(
        "SELECT width, open_time, open, high, low, close, {}, trades FROM trading_candles",
        sql::amount_columns(backend, &["volume", "quote_volume"])
    )
}

/// Candles of `width` opening in `[from, to)`, oldest first, at most `limit`.
pub(crate) async fn candles(
    db: &Db,
    symbol: &str,
    width: Width,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Candle>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE symbol = $1 AND width = $2 AND open_time >= $3 AND open_time < $4 ORDER BY open_time LIMIT $5",
        candle_select(db.backend())
    ));
    let rows: Vec<CandleRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(symbol)
        .bind(width.as_str())
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(Candle::try_from).collect()
}

/// The newest candle of each width of `symbol`: the ones a step may still add to.
pub(crate) async fn latest_candles(db: &Db, symbol: &str) -> Result<Vec<Candle>, TradingError> {
    let sql = AssertSqlSafe(format!(
        "{} c WHERE symbol = $1 AND open_time = (SELECT MAX(open_time) FROM trading_candles d \
         WHERE d.symbol = c.symbol AND d.width = c.width)",
        candle_select(db.backend())
    ));
    let rows: Vec<CandleRow> = on_db!(db, pool => sqlx::query_as(sql).bind(symbol).fetch_all(pool).await)?;
    rows.into_iter().map(Candle::try_from).collect()
}

// ---- tiers pinned by staff ----

pub(crate) async fn pin_tier(
    tx: &mut Tx,
    user: Uuid,
    tier: Option<&str>,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), TradingError> {
    match tier {
        Some(tier) => {
            on_tx!(tx, conn => sqlx::query(
                "INSERT INTO trading_tier_pins (user_id, tier, pinned_by, pinned_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id) DO UPDATE SET tier = excluded.tier, pinned_by = excluded.pinned_by, \
                 pinned_at = excluded.pinned_at"
            )
            .bind(user)
            .bind(tier)
            .bind(by)
            .bind(now)
            .execute(conn)
            .await
            .map(|_| ()))?;
        }
        None => {
            on_tx!(tx, conn => sqlx::query("DELETE FROM trading_tier_pins WHERE user_id = $1")
                .bind(user)
                .execute(conn)
                .await
                .map(|_| ()))?;
        }
    }
    Ok(())
}

pub(crate) async fn pinned_tiers(db: &Db) -> Result<Vec<(Uuid, String)>, TradingError> {
    let rows: Vec<(Uuid, String)> =
        on_db!(db, pool => sqlx::query_as("SELECT user_id, tier FROM trading_tier_pins").fetch_all(pool).await)?;
    Ok(rows)
}
