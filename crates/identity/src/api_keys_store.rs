//! The SQL of API keys, written once for both backends.

use crate::IdentityError;
use crate::api_key_rules::{IpRule, Scope};
use crate::api_keys::ApiKey;
use chrono::{DateTime, Utc};
use platform::{Db, Tx, on_db, on_tx};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    id: Uuid,
    user_id: Uuid,
    label: String,
    scopes: String,
    ip_allowlist: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "k.id, k.user_id, k.label, k.scopes, k.ip_allowlist, k.created_at, k.expires_at, \
                       k.last_used_at, k.revoked_at";

pub(crate) fn join<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(",")
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = IdentityError;

    fn try_from(row: ApiKeyRow) -> Result<ApiKey, IdentityError> {
        let corrupt = |what: &str| IdentityError::Internal(format!("api key {}: bad {what}", row.id));
        let scopes = row
            .scopes
            .split(',')
            .map(|s| Scope::parse(s).ok_or_else(|| corrupt("scopes")))
            .collect::<Result<Vec<_>, _>>()?;
        let ip_allowlist = row
            .ip_allowlist
            .split(',')
            .filter(|r| !r.is_empty())
            .map(|r| IpRule::parse(r).map_err(|_| corrupt("ip_allowlist")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ApiKey {
            id: row.id,
            user_id: row.user_id,
            label: row.label,
            scopes,
            ip_allowlist,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
    }
}

/// Takes the owner's row lock, so concurrent creations for one user are counted one after the other (SQLite
/// already serialises writers; on PostgreSQL this is what makes the per-user limit hold).
pub(crate) async fn lock_owner(tx: &mut Tx, user: Uuid) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

pub(crate) async fn count_live(tx: &mut Tx, user: Uuid, now: DateTime<Utc>) -> Result<i64, IdentityError> {
    Ok(on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)"
    ).bind(user).bind(now).fetch_one(conn).await)?)
}

pub(crate) async fn insert(tx: &mut Tx, key: &ApiKey, sealed_secret: &[u8]) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO api_keys (id, user_id, label, scopes, ip_allowlist, secret_sealed, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(key.id)
    .bind(key.user_id)
    .bind(&key.label)
    .bind(join(&key.scopes))
    .bind(join(&key.ip_allowlist))
    .bind(sealed_secret)
    .bind(key.created_at)
    .bind(key.expires_at)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// One page of `user`'s keys, newest first (ids are UUIDv7, so id order is creation order), after `before`.
pub(crate) async fn page(db: &Db, user: Uuid, before: Option<Uuid>, limit: u32) -> Result<Vec<ApiKey>, IdentityError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys k WHERE k.user_id = $1 AND ($2 IS NULL OR k.id < $2) \
         ORDER BY k.id DESC LIMIT $3"
    ));
    let rows: Vec<ApiKeyRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(user).bind(before).bind(i64::from(limit)).fetch_all(pool).await)?;
    rows.into_iter().map(ApiKey::try_from).collect()
}

/// Revokes one live key of `user`; false when there is no such key (absent, another user's, or revoked).
pub(crate) async fn revoke(tx: &mut Tx, user: Uuid, key: Uuid, now: DateTime<Utc>) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"
    ).bind(now).bind(key).bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Revokes every live key of the user; how many were live.
pub(crate) async fn revoke_all(tx: &mut Tx, user: Uuid, now: DateTime<Utc>) -> Result<u64, IdentityError> {
    Ok(on_tx!(tx, conn => sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
    ).bind(now).bind(user).execute(conn).await.map(|r| r.rows_affected()))?)
}

/// A key presented by a request, with its sealed secret and its owner's standing.
#[derive(sqlx::FromRow)]
pub(crate) struct Presented {
    #[sqlx(flatten)]
    pub key: ApiKeyRow,
    pub secret_sealed: Vec<u8>,
    pub owner_status: String,
    pub owner_role: String,
}

pub(crate) async fn presented(db: &Db, key: Uuid) -> Result<Option<Presented>, IdentityError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, k.secret_sealed, u.status AS owner_status, u.role AS owner_role \
         FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1"
    ));
    Ok(on_db!(db, pool => sqlx::query_as(sql).bind(key).fetch_optional(pool).await)?)
}

/// Records a use unless one was recorded after `stale_before`: a busy key costs one write a minute, not one
/// per request.
pub(crate) async fn touch(
    db: &Db,
    key: Uuid,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_db!(db, pool => sqlx::query(
        "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)"
    ).bind(now).bind(key).bind(stale_before).execute(pool).await.map(|_| ()))?;
    Ok(())
}
