//! The SQL behind [`crate::middleware::idempotency`]: one text per statement for both backends.
//!
//! On SQLite the writes (claim, completion, release) go to the grouped writer (`SqliteWriter::execute_grouped`):
//! the writes of concurrent requests share one commit instead of one sync each, and each caller is answered
//! once its write is durable. On PostgreSQL they are single statements through the pool.
//!
//! Claiming is a single upsert on the `(user_id, idem_key)` primary key, so of any number of concurrent requests
//! with one key exactly one claims it, on SQLite (writes are serialised) and on PostgreSQL (the unique index
//! makes the others wait for the first and then see its row). An expired row is taken over by the same
//! statement, so an old key is reusable whether or not the purge has run yet.

use chrono::{DateTime, Utc};
use platform::db::direct::time_text;
use platform::{Db, DbError, on_db};
use rusqlite::types::Value;
use uuid::Uuid;

/// A key's row as a later request with the same key finds it.
#[derive(Debug, sqlx::FromRow)]
pub struct KeyRecord {
    pub request_hash: Vec<u8>,
    pub state: String,
    /// What the claim's handler derives its ids from; `None` for a claim made before operations existed.
    pub operation_id: Option<Uuid>,
    /// Until when the claim's holder is presumed alive; `None` as for `operation_id`.
    pub lease_until: Option<DateTime<Utc>>,
    pub status_code: Option<i32>,
    pub content_type: Option<String>,
    pub response_body: Option<Vec<u8>>,
}

/// The response stored for a completed key.
pub struct StoredResponse {
    pub status_code: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl KeyRecord {
    /// A claim still running whose lease has passed: its holder died (or is far past any request timeout), so
    /// another request may take it over and run it again under the same operation.
    pub fn abandoned(&self, now: DateTime<Utc>) -> bool {
        self.state == "in_progress" && self.operation_id.is_some() && self.lease_until.is_some_and(|until| until <= now)
    }

    /// The stored response once the first request has finished; `None` while it is still running.
    pub fn completed(self) -> Option<StoredResponse> {
        if self.state != "completed" {
            return None;
        }
        let status_code = u16::try_from(self.status_code?).ok()?;
        Some(StoredResponse {
            status_code,
            content_type: self.content_type,
            body: self.response_body.unwrap_or_default(),
        })
    }
}

/// A claim as it is written: whose key, for which request, standing for which operation, held until when.
pub struct NewClaim<'a> {
    pub user: Uuid,
    pub key: &'a str,
    pub request_hash: &'a [u8],
    pub operation: Uuid,
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Claims the key with the request's fingerprint. True when this caller now owns the key (a fresh key, or one
/// whose previous use has expired); false when someone else holds it.
pub async fn claim(db: &Db, claim: &NewClaim<'_>) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO api_idempotency_keys \
         (user_id, idem_key, request_hash, state, status_code, content_type, response_body, created_at, expires_at, \
          operation_id, lease_until) \
         VALUES ($1, $2, $3, 'in_progress', NULL, NULL, NULL, $4, $5, $6, $7) \
         ON CONFLICT (user_id, idem_key) DO UPDATE SET \
           request_hash = excluded.request_hash, state = 'in_progress', status_code = NULL, content_type = NULL, \
           response_body = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at, \
           operation_id = excluded.operation_id, lease_until = excluded.lease_until \
         WHERE api_idempotency_keys.expires_at <= excluded.created_at";
    if let Some(writer) = db.sqlite_writer() {
        let params = vec![
            Value::from(claim.user),
            Value::Text(claim.key.to_owned()),
            Value::Blob(claim.request_hash.to_vec()),
            Value::Text(time_text(claim.now)),
            Value::Text(time_text(claim.expires_at)),
            Value::from(claim.operation),
            Value::Text(time_text(claim.lease_until)),
        ];
        return Ok(writer.execute_grouped(SQL, params).await? == 1);
    }
    let done = on_db!(db, pool => sqlx::query(SQL)
        .bind(claim.user)
        .bind(claim.key)
        .bind(claim.request_hash)
        .bind(claim.now)
        .bind(claim.expires_at)
        .bind(claim.operation)
        .bind(claim.lease_until)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Takes over an abandoned claim (see [`KeyRecord::abandoned`]) with a new lease; true when this caller got it.
/// Conditional on the lease still being over, so of several retries at once exactly one takes it.
pub async fn take_over(
    db: &Db,
    user: Uuid,
    key: &str,
    request_hash: &[u8],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE api_idempotency_keys SET lease_until = $5 \
         WHERE user_id = $1 AND idem_key = $2 AND request_hash = $3 AND state = 'in_progress' \
           AND operation_id IS NOT NULL AND lease_until <= $4";
    if let Some(writer) = db.sqlite_writer() {
        let params = vec![
            Value::from(user),
            Value::Text(key.to_owned()),
            Value::Blob(request_hash.to_vec()),
            Value::Text(time_text(now)),
            Value::Text(time_text(lease_until)),
        ];
        return Ok(writer.execute_grouped(SQL, params).await? == 1);
    }
    let done = on_db!(db, pool => sqlx::query(SQL)
        .bind(user)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .bind(lease_until)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Ends the lease of every running claim: on the embedded database one process owns the file, so at start-up
/// every claim still running was left by a process that has stopped.
pub async fn end_leases(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    const SQL: &str = "UPDATE api_idempotency_keys SET lease_until = $1 \
         WHERE state = 'in_progress' AND operation_id IS NOT NULL AND lease_until > $1";
    let ended = on_db!(db, pool => sqlx::query(SQL)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(ended)
}

pub async fn find(db: &Db, user: Uuid, key: &str) -> Result<Option<KeyRecord>, DbError> {
    const SQL: &str = "SELECT request_hash, state, operation_id, lease_until, status_code, content_type, response_body \
         FROM api_idempotency_keys WHERE user_id = $1 AND idem_key = $2";
    let row = on_db!(db, pool => sqlx::query_as::<_, KeyRecord>(SQL)
        .bind(user)
        .bind(key)
        .fetch_optional(pool)
        .await)?;
    Ok(row)
}

/// Stores the first request's response; only the claim with this fingerprint that is still running is updated.
pub async fn complete(
    db: &Db,
    user: Uuid,
    key: &str,
    request_hash: &[u8],
    response: &StoredResponse,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE api_idempotency_keys \
         SET state = 'completed', status_code = $4, content_type = $5, response_body = $6 \
         WHERE user_id = $1 AND idem_key = $2 AND request_hash = $3 AND state = 'in_progress'";
    if let Some(writer) = db.sqlite_writer() {
        let params = vec![
            Value::from(user),
            Value::Text(key.to_owned()),
            Value::Blob(request_hash.to_vec()),
            Value::Integer(i64::from(response.status_code)),
            response.content_type.clone().map_or(Value::Null, Value::Text),
            Value::Blob(response.body.clone()),
        ];
        writer.execute_grouped(SQL, params).await?;
        return Ok(());
    }
    on_db!(db, pool => sqlx::query(SQL)
        .bind(user)
        .bind(key)
        .bind(request_hash)
        .bind(i32::from(response.status_code))
        .bind(response.content_type.as_deref())
        .bind(response.body.as_slice())
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Gives a running claim up, so that a retry with the same key runs the request afresh.
pub async fn release(db: &Db, user: Uuid, key: &str, request_hash: &[u8]) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM api_idempotency_keys \
         WHERE user_id = $1 AND idem_key = $2 AND request_hash = $3 AND state = 'in_progress'";
    if let Some(writer) = db.sqlite_writer() {
        let params = vec![
            Value::from(user),
            Value::Text(key.to_owned()),
            Value::Blob(request_hash.to_vec()),
        ];
        writer.execute_grouped(SQL, params).await?;
        return Ok(());
    }
    on_db!(db, pool => sqlx::query(SQL)
        .bind(user)
        .bind(key)
        .bind(request_hash)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Deletes every key whose retention has ended; returns how many went.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    const SQL: &str = "DELETE FROM api_idempotency_keys WHERE expires_at <= $1";
    let purged = on_db!(db, pool => sqlx::query(SQL)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(purged)
}
