//! The `session_revocations` rows that tell every node's [`SessionView`](crate::SessionView) what to forget.

use crate::IdentityError;
use chrono::{DateTime, Utc};
use platform::{Db, Tx, on_db, on_tx};
use uuid::Uuid;

/// Records, inside the transaction that makes the change, that `user`'s `session` (all of them when `None`) must
/// no longer be taken from memory.
pub(crate) async fn record(
    tx: &mut Tx,
    user: Uuid,
    session: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO session_revocations (user_id, session_id, recorded_at) VALUES ($1, $2, $3)"
    ).bind(user).bind(session).bind(now).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn since(db: &Db, since: DateTime<Utc>) -> Result<Vec<(Uuid, Option<Uuid>)>, IdentityError> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT user_id, session_id FROM session_revocations WHERE recorded_at >= $1"
    ).bind(since).fetch_all(pool).await)?)
}

pub(crate) async fn prune(db: &Db, before: DateTime<Utc>) -> Result<(), IdentityError> {
    on_db!(db, pool => sqlx::query("DELETE FROM session_revocations WHERE recorded_at < $1")
        .bind(before).execute(pool).await.map(|_| ()))?;
    Ok(())
}
