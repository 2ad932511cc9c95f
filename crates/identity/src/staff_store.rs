//! SQL for staff administration: invites, the user directory, status and role changes.

use crate::IdentityError;
use crate::model::{Role, User, UserStatus};
use crate::revocations_store;
use crate::store::{USER_COLUMNS, UserRow};
use chrono::{DateTime, Utc};
use platform::{Db, Tx, on_db, on_tx};
use uuid::Uuid;

pub(crate) struct NewInvite<'a> {
    pub token_hash: &'a str,
    pub user: Uuid,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub(crate) async fn insert_invite(tx: &mut Tx, invite: &NewInvite<'_>) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO staff_invites (token_hash, user_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(invite.token_hash).bind(invite.user).bind(invite.created_by).bind(invite.created_at).bind(invite.expires_at)
    .execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Spends an unused, unexpired invite; the user it was for, or `None`.
pub(crate) async fn use_invite(
    tx: &mut Tx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, IdentityError> {
    Ok(on_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE staff_invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id"
    ).bind(now).bind(token_hash).fetch_optional(conn).await)?)
}

/// Which users a directory search returns; `after` is the last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// A fragment of the email or name, matched case-insensitively.
    pub text: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub after: Option<Uuid>,
}

/// `LIKE` treats `%` and `_` as wildcards; a search for them means the characters themselves.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) async fn list_users(db: &Db, query: &UserQuery, limit: i64) -> Result<Vec<User>, IdentityError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users \
         WHERE ($1 IS NULL OR LOWER(email) LIKE $1 ESCAPE '\\' OR LOWER(full_name) LIKE $1 ESCAPE '\\') \
         AND ($2 IS NULL OR role = $2) AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR id > $4) \
         ORDER BY id LIMIT $5"
    ));
    let pattern = query.text.as_deref().map(like_pattern);
    let role = query.role.map(Role::as_str);
    let status = query.status.map(UserStatus::as_str);
    let rows: Vec<UserRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(pattern.clone()).bind(role).bind(status).bind(query.after).bind(limit)
        .fetch_all(pool).await)?;
    rows.into_iter().map(User::try_from).collect()
}

pub(crate) async fn set_status(
    tx: &mut Tx,
    user: Uuid,
    status: UserStatus,
    now: DateTime<Utc>,
) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str()).bind(now).bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    if rows == 1 && status == UserStatus::Suspended {
        revocations_store::record(tx, user, None, now).await?;
    }
    Ok(rows == 1)
}

pub(crate) async fn set_role(tx: &mut Tx, user: Uuid, role: Role, now: DateTime<Utc>) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str()).bind(now).bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    // Sessions in memory carry the role they were read with.
    if rows == 1 {
        revocations_store::record(tx, user, None, now).await?;
    }
    Ok(rows == 1)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn wildcards_in_a_search_are_taken_literally() {
        assert_eq!(like_pattern("A_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
