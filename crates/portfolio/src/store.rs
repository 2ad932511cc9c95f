//! SQL of the portfolio tables, one text for both backends; amounts go through [`platform::db::numeric`] like
//! every other amount. Every statement names the user, so another user's rows are never read or changed.

use crate::PortfolioError;
use crate::activity::{Activity, ActivityKind, Currency, Priced};
use chrono::{DateTime, NaiveDate, Utc};
use money::{Amount, AssetCode, Precision, Rate};
use platform::db::numeric as sql;
use platform::{Backend, Db, Tx, on_db, on_tx};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// A holding the user tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub id: Uuid,
    pub user: Uuid,
    pub asset: AssetCode,
    pub amount: Amount,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One day's valuation of a user's portfolio in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub day: NaiveDate,
    pub currency: AssetCode,
    pub total_value: u128,
    /// Per asset: amount, price and value, as JSON.
    pub detail: serde_json::Value,
}

fn corrupt(what: String) -> PortfolioError {
    PortfolioError::Corrupt(what)
}

fn precision(value: i32, what: &str) -> Result<Precision, PortfolioError> {
    u8::try_from(value)
        .ok()
        .and_then(|p| Precision::new(p).ok())
        .ok_or_else(|| corrupt(format!("{what}: bad precision")))
}

fn minor(text: &str, what: &str) -> Result<u128, PortfolioError> {
    sql::parse_amount(text).ok_or_else(|| corrupt(format!("{what}: {text:?} is not an amount")))
}

fn code(text: &str, what: &str) -> Result<AssetCode, PortfolioError> {
    AssetCode::parse(text).map_err(|_| corrupt(format!("{what}: bad asset {text:?}")))
}

#[derive(sqlx::FromRow)]
struct HoldingRow {
    id: Uuid,
    user_id: Uuid,
    asset: String,
    amount: String,
    label: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    precision: i32,
}

impl TryFrom<HoldingRow> for Holding {
    type Error = PortfolioError;

    fn try_from(row: HoldingRow) -> Result<Holding, PortfolioError> {
        let what = format!("holding {}", row.id);
        Ok(Holding {
            id: row.id,
            user: row.user_id,
            asset: code(&row.asset, &what)?,
            amount: Amount::from_minor(minor(&row.amount, &what)?, precision(row.precision, &what)?),
            label: row.label,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn holding_select(backend: Backend) -> String {
    format!(
        "SELECT h.id, h.user_id, h.asset, {}, h.label, h.created_at, h.updated_at, s.precision \
         FROM portfolio_holdings h JOIN assets s ON s.code = h.asset",
        match backend {
            Backend::Sqlite => "h.amount",
            Backend::Postgres => "h.amount::text AS amount",
        }
    )
}

pub(crate) async fn insert_holding(tx: &mut Tx, holding: &Holding) -> Result<(), PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "INSERT INTO portfolio_holdings (id, user_id, asset, amount, label, created_at, updated_at) \
         VALUES ($1, $2, $3, {}, $5, $6, $6)",
        sql::amount_param(tx.backend(), 4)
    ));
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(holding.id)
        .bind(holding.user)
        .bind(holding.asset.as_str())
        .bind(holding.amount.minor().to_string())
        .bind(holding.label.as_deref())
        .bind(holding.created_at)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub(crate) async fn count_holdings(tx: &mut Tx, user: Uuid) -> Result<i64, PortfolioError> {
    let (count,): (i64,) = on_tx!(tx, conn => sqlx::query_as(
        "SELECT COUNT(*) FROM portfolio_holdings WHERE user_id = $1"
    )
    .bind(user)
    .fetch_one(conn)
    .await)?;
    Ok(count)
}

/// Every holding of `user`, oldest first (their number is bounded by `max_holdings`).
pub(crate) async fn holdings(db: &Db, user: Uuid) -> Result<Vec<Holding>, PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE h.user_id = $1 ORDER BY h.id",
        holding_select(db.backend())
    ));
    let rows: Vec<HoldingRow> = on_db!(db, pool => sqlx::query_as(sql).bind(user).fetch_all(pool).await)?;
    rows.into_iter().map(Holding::try_from).collect()
}

pub(crate) async fn holding(db: &Db, user: Uuid, id: Uuid) -> Result<Option<Holding>, PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE h.user_id = $1 AND h.id = $2",
        holding_select(db.backend())
    ));
    let row: Option<HoldingRow> =
        on_db!(db, pool => sqlx::query_as(sql).bind(user).bind(id).fetch_optional(pool).await)?;
    row.map(Holding::try_from).transpose()
}

/// Sets the amount and label of `user`'s holding `id`; whether there was one.
pub(crate) async fn update_holding(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
    amount: u128,
    label: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "UPDATE portfolio_holdings SET amount = {}, label = $2, updated_at = $3 WHERE user_id = $4 AND id = $5",
        sql::amount_param(tx.backend(), 1)
    ));
    let done = on_tx!(tx, conn => sqlx::query(sql)
        .bind(amount.to_string())
        .bind(label)
        .bind(now)
        .bind(user)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub(crate) async fn delete_holding(tx: &mut Tx, user: Uuid, id: Uuid) -> Result<bool, PortfolioError> {
    let done = on_tx!(tx, conn => sqlx::query("DELETE FROM portfolio_holdings WHERE user_id = $1 AND id = $2")
        .bind(user)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: Uuid,
    kind: String,
    asset: String,
    amount: String,
    price: Option<String>,
    price_currency: Option<String>,
    fee: Option<String>,
    occurred_at: DateTime<Utc>,
    note: Option<String>,
    asset_precision: i32,
    currency_precision: Option<i32>,
}

impl TryFrom<ActivityRow> for Activity {
    type Error = PortfolioError;

    fn try_from(row: ActivityRow) -> Result<Activity, PortfolioError> {
        let what = format!("activity {}", row.id);
        let currency = match (&row.price_currency, row.currency_precision) {
            (Some(c), Some(p)) => Some(Currency {
                code: code(c, &what)?,
                precision: precision(p, &what)?,
            }),
            (None, _) => None,
            (Some(_), None) => return Err(corrupt(format!("{what}: price currency not in the catalogue"))),
        };
        let price = match (&row.price, currency) {
            (Some(p), Some(currency)) => Some(Priced {
                price: Rate::parse(p).map_err(|_| corrupt(format!("{what}: bad price")))?,
                currency,
            }),
            (None, _) => None,
            (Some(_), None) => return Err(corrupt(format!("{what}: a price without a currency"))),
        };
        let fee = match (&row.fee, currency) {
            (Some(f), Some(c)) => Some(Amount::from_minor(minor(f, &what)?, c.precision)),
            (None, _) => None,
            (Some(_), None) => return Err(corrupt(format!("{what}: a fee without a currency"))),
        };
        Ok(Activity {
            id: row.id,
            kind: ActivityKind::parse(&row.kind).ok_or_else(|| corrupt(format!("{what}: bad kind")))?,
            asset: code(&row.asset, &what)?,
            amount: Amount::from_minor(minor(&row.amount, &what)?, precision(row.asset_precision, &what)?),
            price,
            fee,
            time: row.occurred_at,
            note: row.note,
        })
    }
}

fn activity_select(backend: Backend) -> String {
    let (amount, fee) = match backend {
        Backend::Sqlite => ("a.amount", "a.fee"),
        Backend::Postgres => ("a.amount::text AS amount", "a.fee::text AS fee"),
    };
    format!(
        "SELECT a.id, a.kind, a.asset, {amount}, a.price, a.price_currency, {fee}, a.occurred_at, a.note, \
         s.precision AS asset_precision, c.precision AS currency_precision \
         FROM portfolio_activities a JOIN assets s ON s.code = a.asset \
         LEFT JOIN assets c ON c.code = a.price_currency"
    )
}

pub(crate) async fn insert_activities(
    tx: &mut Tx,
    user: Uuid,
    activities: &[Activity],
    now: DateTime<Utc>,
) -> Result<(), PortfolioError> {
    let backend = tx.backend();
    let sql = format!(
        "INSERT INTO portfolio_activities (id, user_id, kind, asset, amount, price, price_currency, fee, \
         occurred_at, note, created_at) VALUES ($1, $2, $3, $4, {}, $6, $7, {}, $9, $10, $11)",
        sql::amount_param(backend, 5),
        sql::amount_param(backend, 8)
    );
    for a in activities {
        let sql = AssertSqlSafe(sql.clone());
        on_tx!(tx, conn => sqlx::query(sql)
            .bind(a.id)
            .bind(user)
            .bind(a.kind.as_str())
            .bind(a.asset.as_str())
            .bind(a.amount.minor().to_string())
            .bind(a.price.map(|p| p.price.to_string()))
            .bind(a.price.map(|p| p.currency.code.as_str().to_owned()))
            .bind(a.fee.map(|f| f.minor().to_string()))
            .bind(a.time)
            .bind(a.note.as_deref())
            .bind(now)
            .execute(conn)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Every activity of `user` in the order the cost basis applies them, read in the write transaction.
pub(crate) async fn activities_in(tx: &mut Tx, user: Uuid) -> Result<Vec<Activity>, PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE a.user_id = $1 ORDER BY a.occurred_at, a.id",
        activity_select(tx.backend())
    ));
    let rows: Vec<ActivityRow> = on_tx!(tx, conn => sqlx::query_as(sql).bind(user).fetch_all(conn).await)?;
    rows.into_iter().map(Activity::try_from).collect()
}

/// Every activity of `user` in the order the cost basis applies them.
pub(crate) async fn activities(db: &Db, user: Uuid) -> Result<Vec<Activity>, PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE a.user_id = $1 ORDER BY a.occurred_at, a.id",
        activity_select(db.backend())
    ));
    let rows: Vec<ActivityRow> = on_db!(db, pool => sqlx::query_as(sql).bind(user).fetch_all(pool).await)?;
    rows.into_iter().map(Activity::try_from).collect()
}

/// A page of `user`'s activities, most recently recorded first, recorded before `before`.
pub(crate) async fn activity_page(
    db: &Db,
    user: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Activity>, PortfolioError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE a.user_id = $1 AND ($2 IS NULL OR a.id < $2) ORDER BY a.id DESC LIMIT $3",
        activity_select(db.backend())
    ));
    let rows: Vec<ActivityRow> =
        on_db!(db, pool => sqlx::query_as(sql).bind(user).bind(before).bind(limit).fetch_all(pool).await)?;
    rows.into_iter().map(Activity::try_from).collect()
}

/// Makes concurrent writers of one user's activities take turns, so each checks the cost basis against what
/// the other committed. SQLite's write transactions already run one at a time.
pub(crate) async fn lock_user(tx: &mut Tx, user: Uuid) -> Result<(), PortfolioError> {
    if tx.backend() == Backend::Postgres {
        // The key space is shared with other advisory locks; the high bits of a v4/v7 id make a clash with them
        // (small fixed keys) practically impossible.
        let key = i64::from_be_bytes(user.as_bytes()[..8].try_into().unwrap_or([0; 8]));
        on_tx!(tx, conn => sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(conn)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Records the snapshot unless one exists for its user, day and currency; whether it was recorded.
pub(crate) async fn insert_snapshot(
    db: &Db,
    user: Uuid,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Result<bool, PortfolioError> {
    let mut tx = db.begin().await?;
    let sql = AssertSqlSafe(format!(
        "INSERT INTO portfolio_snapshots (user_id, day, currency, total_value, detail, created_at) \
         VALUES ($1, $2, $3, {}, $5, $6) ON CONFLICT (user_id, currency, day) DO NOTHING",
        sql::amount_param(tx.backend(), 4)
    ));
    let done = on_tx!(&mut tx, conn => sqlx::query(sql)
        .bind(user)
        .bind(snapshot.day)
        .bind(snapshot.currency.as_str())
        .bind(snapshot.total_value.to_string())
        .bind(snapshot.detail.to_string())
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(done == 1)
}

pub(crate) async fn has_snapshot(
    db: &Db,
    user: Uuid,
    day: NaiveDate,
    currency: &AssetCode,
) -> Result<bool, PortfolioError> {
    let found: Option<(i32,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT 1 FROM portfolio_snapshots WHERE user_id = $1 AND currency = $2 AND day = $3"
    )
    .bind(user)
    .bind(currency.as_str())
    .bind(day)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// `user`'s snapshots in `currency` from `from` on, oldest first.
pub(crate) async fn snapshots(
    db: &Db,
    user: Uuid,
    currency: &AssetCode,
    from: NaiveDate,
) -> Result<Vec<Snapshot>, PortfolioError> {
    let total = match db.backend() {
        Backend::Sqlite => "total_value",
        Backend::Postgres => "total_value::text AS total_value",
    };
    let sql = AssertSqlSafe(format!(
        "SELECT day, currency, {total}, detail FROM portfolio_snapshots \
         WHERE user_id = $1 AND currency = $2 AND day >= $3 ORDER BY day"
    ));
    let rows: Vec<(NaiveDate, String, String, String)> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(currency.as_str())
        .bind(from)
        .fetch_all(pool)
        .await)?;
    rows.into_iter()
        .map(|(day, currency, total, detail)| {
            let what = format!("snapshot {day}");
            Ok(Snapshot {
                day,
                currency: code(&currency, &what)?,
                total_value: minor(&total, &what)?,
                detail: serde_json::from_str(&detail).map_err(|_| corrupt(format!("{what}: bad detail")))?,
            })
        })
        .collect()
}

/// Up to `limit` users who track a holding or recorded an activity, in id order, after `after`.
pub(crate) async fn users(db: &Db, after: Option<Uuid>, limit: i64) -> Result<Vec<Uuid>, PortfolioError> {
    let sql = "SELECT user_id FROM (SELECT user_id FROM portfolio_holdings UNION SELECT user_id FROM \
               portfolio_activities) u WHERE ($1 IS NULL OR user_id > $1) ORDER BY user_id LIMIT $2";
    let rows: Vec<(Uuid,)> = on_db!(db, pool => sqlx::query_as(sql).bind(after).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}
