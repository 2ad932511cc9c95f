//! SQL of provider-notified deposits (`ledger_provider_deposits`), one text for both backends; the amount goes
//! through [`platform::db::numeric`] like every other amount.

use super::{Deposit, DepositStatus};
use crate::FundingError;
use crate::error::stored_amount;
use chrono::{DateTime, Utc};
use money::AssetCode;
use platform::db::numeric as sql;
use platform::{Db, Tx, on_db, on_tx};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct DepositRow {
    id: Uuid,
    provider: String,
    provider_tx_id: String,
    user_id: Uuid,
    asset: String,
    amount: String,
    confirmations: i64,
    required_confirmations: i64,
    status: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<DepositRow> for Deposit {
    type Error = FundingError;

    fn try_from(row: DepositRow) -> Result<Self, FundingError> {
        let what = format!("deposit {}", row.id);
        let corrupt = |why: &str| FundingError::Corrupt(format!("{what}: {why}"));
        Ok(Deposit {
            id: row.id,
            provider: row.provider,
            provider_tx_id: row.provider_tx_id,
            user: row.user_id,
            asset: AssetCode::parse(&row.asset).map_err(|_| corrupt("bad asset"))?,
            amount: stored_amount(&row.amount, &what)?,
            confirmations: u32::try_from(row.confirmations).map_err(|_| corrupt("bad confirmations"))?,
            required_confirmations: u32::try_from(row.required_confirmations)
                .map_err(|_| corrupt("bad required confirmations"))?,
            status: DepositStatus::parse(&row.status).ok_or_else(|| corrupt("bad status"))?,
            created_at: row.created_at,
        })
    }
}

/// Inserts `deposit` unless its (provider, provider_tx_id) exists. On PostgreSQL a concurrent insert of the same
/// key waits for the first to commit and then does nothing.
pub(crate) async fn insert_if_new(tx: &mut Tx, deposit: &Deposit) -> Result<(), FundingError> {
    let sql = AssertSqlSafe(format!(
        "INSERT INTO ledger_provider_deposits (id, provider, provider_tx_id, user_id, asset, amount, confirmations, \
         required_confirmations, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, {}, $7, $8, $9, $10, $10) ON CONFLICT (provider, provider_tx_id) DO NOTHING",
        sql::amount_param(tx.backend(), 6)
    ));
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(deposit.id)
        .bind(&deposit.provider)
        .bind(&deposit.provider_tx_id)
        .bind(deposit.user)
        .bind(deposit.asset.as_str())
        .bind(deposit.amount.to_string())
        .bind(i64::from(deposit.confirmations))
        .bind(i64::from(deposit.required_confirmations))
        .bind(deposit.status.as_str())
        .bind(deposit.created_at)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

fn columns(backend: platform::Backend) -> String {
    format!(
        "id, provider, provider_tx_id, user_id, asset, {}, confirmations, required_confirmations, status, created_at",
        sql::amount_column(backend, "amount")
    )
}

/// Newest first (ids are time-ordered v7), of one user, optionally of one status, older than `before`.
pub(crate) async fn list(
    db: &Db,
    user: Uuid,
    status: Option<DepositStatus>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Deposit>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_provider_deposits WHERE user_id = $1 AND ($2 IS NULL OR status = $2) \
         AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
        columns(db.backend())
    ));
    let rows: Vec<DepositRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(status.map(DepositStatus::as_str))
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(Deposit::try_from).collect()
}

pub(crate) async fn get(db: &Db, id: Uuid) -> Result<Option<Deposit>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_provider_deposits WHERE id = $1",
        columns(db.backend())
    ));
    let row: Option<DepositRow> = on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
    row.map(Deposit::try_from).transpose()
}

/// The deposit of (`provider`, `provider_tx_id`), locked for the rest of the transaction on PostgreSQL.
pub(crate) async fn lock(tx: &mut Tx, provider: &str, provider_tx_id: &str) -> Result<Option<Deposit>, FundingError> {
    let backend = tx.backend();
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_provider_deposits WHERE provider = $1 AND provider_tx_id = $2{}",
        columns(backend),
        sql::lock_rows(backend)
    ));
    let row: Option<DepositRow> = on_tx!(tx, conn => sqlx::query_as(sql)
        .bind(provider)
        .bind(provider_tx_id)
        .fetch_optional(conn)
        .await)?;
    row.map(Deposit::try_from).transpose()
}

pub(crate) async fn update_progress(
    tx: &mut Tx,
    id: Uuid,
    confirmations: u32,
    status: DepositStatus,
    now: DateTime<Utc>,
) -> Result<(), FundingError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE ledger_provider_deposits SET confirmations = $1, status = $2, updated_at = $3 WHERE id = $4"
    )
    .bind(i64::from(confirmations))
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}
