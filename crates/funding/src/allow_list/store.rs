//! SQL of the withdrawal allow-list (`ledger_withdrawal_destinations`, `ledger_withdrawal_allowlist`), one text for
//! both backends: no amounts here, so nothing differs by dialect but the row lock.

use super::{AllowListRow, SavedDestination};
use crate::FundingError;
use crate::destination::Destination;
use chrono::{DateTime, Utc};
use money::AssetCode;
use platform::{Backend, Db, Tx, on_db, on_tx};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

const COLUMNS: &str = "id, user_id, asset, kind, masked, sealed, fingerprint, label, created_at, usable_from";

#[derive(sqlx::FromRow)]
struct DestinationRow {
    id: Uuid,
    user_id: Uuid,
    asset: String,
    kind: String,
    masked: String,
    sealed: Vec<u8>,
    fingerprint: String,
    label: Option<String>,
    created_at: DateTime<Utc>,
    usable_from: DateTime<Utc>,
}

impl TryFrom<DestinationRow> for SavedDestination {
    type Error = FundingError;

    fn try_from(row: DestinationRow) -> Result<Self, FundingError> {
        Ok(SavedDestination {
            id: row.id,
            user: row.user_id,
            asset: AssetCode::parse(&row.asset)
                .map_err(|_| FundingError::Corrupt(format!("withdrawal destination {}: bad asset", row.id)))?,
            destination: Destination {
                kind: row.kind,
                masked: row.masked,
                sealed: row.sealed,
            },
            fingerprint: row.fingerprint,
            label: row.label,
            created_at: row.created_at,
            usable_from: row.usable_from,
        })
    }
}

fn lock_rows(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    }
}

/// Inserts `d`; `Ok(false)` when the user already saved this destination for this asset (a racing insert that
/// got past the caller's check).
pub(super) async fn insert(tx: &mut Tx, d: &SavedDestination) -> Result<bool, FundingError> {
    let result = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO ledger_withdrawal_destinations (id, user_id, asset, kind, masked, sealed, fingerprint, label, \
         created_at, usable_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(d.id)
    .bind(d.user)
    .bind(d.asset.as_str())
    .bind(&d.destination.kind)
    .bind(&d.destination.masked)
    .bind(&d.destination.sealed)
    .bind(&d.fingerprint)
    .bind(d.label.as_deref())
    .bind(d.created_at)
    .bind(d.usable_from)
    .execute(conn)
    .await
    .map(|_| ()));
    match result {
        Ok(()) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn count(tx: &mut Tx, user: Uuid) -> Result<i64, FundingError> {
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_withdrawal_destinations WHERE user_id = $1"
    )
    .bind(user)
    .fetch_one(conn)
    .await)?;
    Ok(n)
}

/// The user's saved destination of `asset` with this fingerprint.
pub(super) async fn find(
    db: &Db,
    user: Uuid,
    asset: &AssetCode,
    fingerprint: &str,
) -> Result<Option<SavedDestination>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_withdrawal_destinations WHERE user_id = $1 AND asset = $2 AND fingerprint = $3"
    ));
    let row: Option<DestinationRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(asset.as_str())
        .bind(fingerprint)
        .fetch_optional(pool)
        .await)?;
    row.map(SavedDestination::try_from).transpose()
}

pub(super) async fn exists(
    tx: &mut Tx,
    user: Uuid,
    asset: &AssetCode,
    fingerprint: &str,
) -> Result<bool, FundingError> {
    let n: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_withdrawal_destinations WHERE user_id = $1 AND asset = $2 AND fingerprint = $3"
    )
    .bind(user)
    .bind(asset.as_str())
    .bind(fingerprint)
    .fetch_one(conn)
    .await)?;
    Ok(n > 0)
}

/// The destination `id` if it is `user`'s, locked for the rest of the transaction on PostgreSQL.
pub(super) async fn lock_owned(tx: &mut Tx, user: Uuid, id: Uuid) -> Result<Option<SavedDestination>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_withdrawal_destinations WHERE id = $1 AND user_id = $2{}",
        lock_rows(tx.backend())
    ));
    let row: Option<DestinationRow> =
        on_tx!(tx, conn => sqlx::query_as(sql).bind(id).bind(user).fetch_optional(conn).await)?;
    row.map(SavedDestination::try_from).transpose()
}

pub(super) async fn delete(tx: &mut Tx, id: Uuid) -> Result<(), FundingError> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM ledger_withdrawal_destinations WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// The user's destinations, newest first (ids are time-ordered v7), older than `before`.
pub(super) async fn list(
    db: &Db,
    user: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<SavedDestination>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ledger_withdrawal_destinations WHERE user_id = $1 AND ($2 IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    ));
    let rows: Vec<DestinationRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(SavedDestination::try_from).collect()
}

pub(super) async fn mode(db: &Db, user: Uuid) -> Result<Option<AllowListRow>, FundingError> {
    let row = on_db!(db, pool => sqlx::query_as(
        "SELECT enabled, disable_at FROM ledger_withdrawal_allowlist WHERE user_id = $1"
    )
    .bind(user)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

pub(super) async fn lock_mode(tx: &mut Tx, user: Uuid) -> Result<Option<AllowListRow>, FundingError> {
    let sql = AssertSqlSafe(format!(
        "SELECT enabled, disable_at FROM ledger_withdrawal_allowlist WHERE user_id = $1{}",
        lock_rows(tx.backend())
    ));
    let row = on_tx!(tx, conn => sqlx::query_as(sql).bind(user).fetch_optional(conn).await)?;
    Ok(row)
}

pub(super) async fn put_mode(
    tx: &mut Tx,
    user: Uuid,
    enabled: bool,
    disable_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), FundingError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO ledger_withdrawal_allowlist (user_id, enabled, disable_at, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, disable_at = excluded.disable_at, \
         updated_at = excluded.updated_at"
    )
    .bind(user)
    .bind(enabled)
    .bind(disable_at)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}
