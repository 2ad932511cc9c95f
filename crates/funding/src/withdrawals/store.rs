//! SQL of withdrawals (`ledger_withdrawals`), one text for both backends; amounts go through
//! [`platform::db::numeric`] like every other amount.

use super::{Withdrawal, WithdrawalStatus};
use crate::FundingError;
use crate::destination::Destination;
use crate::error::stored_amount;
use chrono::{DateTime, Utc};
use money::AssetCode;
use platform::db::numeric as sql;
use platform::{Backend, Db, Tx, on_db, on_tx};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

fn columns(backend: Backend) -> String {
    format!(
        "id, user_id, asset, {}, destination_kind, destination_masked, destination_sealed, status, reason, \
         payout_reference, decided_by, created_at, updated_at",
        sql::amount_columns(backend, &["amount", "fee"])
    )
}

#[derive(sqlx::FromRow)]
struct WithdrawalRow {
    id: Uuid,
    user_id: Uuid,
    asset: String,
    amount: String,
    fee: String,
    destination_kind: String,
    destination_masked: String,
    destination_sealed: Vec<u8>,
    status: String,
    reason: Option<String>,
    payout_reference: Option<String>,
    decided_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<WithdrawalRow> for Withdrawal {
    type Error = FundingError;

    fn try_from(row: WithdrawalRow) -> Result<Self, FundingError> {
        let what = format!("withdrawal {}", row.id);
        let corrupt = |why: &str| FundingError::Corrupt(format!("{what}: {why}"));
        Ok(Withdrawal {
            id: row.id,
            user: row.user_id,
            asset: AssetCode::parse(&row.asset).map_err(|_| corrupt("bad asset"))?,
            amount: stored_amount(&row.amount, &what)?,
            fee: stored_amount(&row.fee, &what)?,
            destination: Destination {
                kind: row.destination_kind,
                masked: row.destination_masked,
                sealed: row.destination_sealed,
            },
            status: WithdrawalStatus::parse(&row.status).ok_or_else(|| corrupt("bad status"))?,
            reason: row.reason,
            payout_reference: row.payout_reference,
            decided_by: row.decided_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) async fn insert(tx: &mut Tx, w: &Withdrawal) -> Result<(), FundingError> {
    let backend = tx.backend();
    let sql = AssertSqlSafe(format!(
        "INSERT INTO ledger_withdrawals (id, user_id, asset, amount, fee, destination_kind, destination_masked, \
         destination_sealed, status, created_at, updated_at) \
         VALUES ($1, $2, $3, {}, {}, $6, $7, $8, $9, $10, $10)",
        sql::amount_param(backend, 4),
        sql::amount_param(backend, 5)
    ));
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(w.id)
        .bind(w.user)
        .bind(w.asset.as_str())
        .bind(w.amount.to_string())
        .bind(w.fee.to_string())
        .bind(&w.destination.kind)
        .bind(&w.destination.masked)
        .bind(&w.destination.sealed)
        .bind(w.status.as_str())
        .bind(w.created_at)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The withdrawal `id`, locked for the rest of the transaction on PostgreSQL.
pub(crate) async fn lock(tx: &mut Tx, id: Uuid) -> Result<Option<Withdrawal>, FundingError> {
    let backend = tx.backend();
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_withdrawals WHERE id = $1{}",
        columns(backend),
        sql::lock_rows(backend)
    ));
    let row: Option<WithdrawalRow> = on_tx!(tx, conn => sqlx::query_as(sql).bind(id).fetch_optional(conn).await)?;
    row.map(Withdrawal::try_from).transpose()
}

pub(crate) async fn get(db: &Db, id: Uuid) -> Result<Option<Withdrawal>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_withdrawals WHERE id = $1",
        columns(db.backend())
    ));
    let row: Option<WithdrawalRow> = on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
    row.map(Withdrawal::try_from).transpose()
}

/// Newest first (ids are time-ordered v7), optionally of one user and one status, older than `before`.
pub(crate) async fn list(
    db: &Db,
    user: Option<Uuid>,
    status: Option<WithdrawalStatus>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Withdrawal>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_withdrawals WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR status = $2) \
         AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
        columns(db.backend())
    ));
    let status = status.map(WithdrawalStatus::as_str);
    let rows: Vec<WithdrawalRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(status)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(Withdrawal::try_from).collect()
}

/// Amounts of the user's withdrawals of `asset` created at or after `since` that still count against the daily
/// limit (not rejected, not cancelled).
pub(crate) async fn counted_since(
    tx: &mut Tx,
    user: Uuid,
    asset: &AssetCode,
    since: DateTime<Utc>,
) -> Result<u128, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_withdrawals WHERE user_id = $1 AND asset = $2 AND created_at >= $3 \
         AND status NOT IN ('REJECTED', 'CANCELLED')",
        sql::amount_column(tx.backend(), "amount")
    ));
    let amounts: Vec<String> = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(user)
        .bind(asset.as_str())
        .bind(since)
        .fetch_all(conn)
        .await)?;
    amounts.iter().try_fold(0u128, |sum, text| {
        let amount = stored_amount(text, "withdrawal amount")?;
        sum.checked_add(amount)
            .ok_or_else(|| FundingError::Corrupt("withdrawal amounts beyond u128".to_owned()))
    })
}

pub(crate) async fn update(tx: &mut Tx, w: &Withdrawal) -> Result<(), FundingError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE ledger_withdrawals SET status = $1, reason = $2, payout_reference = $3, decided_by = $4, \
         updated_at = $5 WHERE id = $6"
    )
    .bind(w.status.as_str())
    .bind(w.reason.as_deref())
    .bind(w.payout_reference.as_deref())
    .bind(w.decided_by)
    .bind(w.updated_at)
    .bind(w.id)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}
