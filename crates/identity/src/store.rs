//! The identity context's SQL, written once for both backends.

use crate::IdentityError;
use crate::email::Email;
use crate::lockout::AttemptWindow;
use crate::model::{Role, Session, Tier, User, UserStatus};
use crate::revocations_store;
use chrono::{DateTime, Utc};
use platform::{Db, Tx, on_db, on_tx};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    full_name: String,
    role: String,
    status: String,
    tier: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = IdentityError;

    fn try_from(row: UserRow) -> Result<User, IdentityError> {
        let corrupt = |what: &str| IdentityError::Internal(format!("user {}: bad {what}", row.id));
        Ok(User {
            role: Role::parse(&row.role).ok_or_else(|| corrupt("role"))?,
            status: UserStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            tier: Tier::parse(&row.tier).ok_or_else(|| corrupt("tier"))?,
            id: row.id,
            email: Email::from_stored(row.email),
            full_name: row.full_name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) const USER_COLUMNS: &str = "id, email, full_name, role, status, tier, created_at, updated_at";

/// `password_hash` is `None` for a staff member who has not accepted their invite yet: nobody can log in as them.
pub(crate) async fn insert_user(tx: &mut Tx, user: &User, password_hash: Option<&str>) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO users (id, email, password_hash, full_name, role, status, tier, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(user.id)
    .bind(user.email.as_str())
    .bind(password_hash)
    .bind(&user.full_name)
    .bind(user.role.as_str())
    .bind(user.status.as_str())
    .bind(user.tier.as_str())
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(conn)
    .await
    .map(|_| ()))
    .map_err(|e| match platform::DbError::from(e) {
        e if e.is_unique_violation() => IdentityError::EmailTaken,
        e => IdentityError::Db(e),
    })
}

pub(crate) async fn user_by_id(db: &Db, id: Uuid) -> Result<Option<User>, IdentityError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"));
    let row: Option<UserRow> = on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
    row.map(User::try_from).transpose()
}

/// Sets the rate-limit and fee tier of `user`; whether the user exists.
pub(crate) async fn set_tier(db: &Db, id: Uuid, tier: Tier, now: DateTime<Utc>) -> Result<bool, IdentityError> {
    let done = on_db!(db, pool => sqlx::query("UPDATE users SET tier = $1, updated_at = $2 WHERE id = $3")
        .bind(tier.as_str())
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// The ids of every user of `tier`.
pub(crate) async fn users_of_tier(db: &Db, tier: Tier) -> Result<Vec<Uuid>, IdentityError> {
    let rows: Vec<(Uuid,)> = on_db!(db, pool => sqlx::query_as("SELECT id FROM users WHERE tier = $1")
        .bind(tier.as_str())
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The user and their password hash, for login.
pub(crate) async fn credentials_by_email(
    db: &Db,
    email: &Email,
) -> Result<Option<(User, Option<String>)>, IdentityError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        password_hash: Option<String>,
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
    ));
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(email.as_str()).fetch_optional(pool).await)?;
    row.map(|r| Ok((User::try_from(r.user)?, r.password_hash))).transpose()
}

pub(crate) async fn password_hash(db: &Db, user: Uuid) -> Result<Option<String>, IdentityError> {
    let hash: Option<Option<String>> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE id = $1"
    ).bind(user).fetch_optional(pool).await)?;
    Ok(hash.flatten())
}

pub(crate) async fn update_full_name(
    tx: &mut Tx,
    user: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("UPDATE users SET full_name = $1, updated_at = $2 WHERE id = $3")
        .bind(name).bind(now).bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn update_password(
    tx: &mut Tx,
    user: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash).bind(now).bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Session {
        Session {
            id: row.id,
            user_id: row.user_id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            ip: row.ip,
            user_agent: row.user_agent,
        }
    }
}

pub(crate) async fn insert_session(tx: &mut Tx, session: &Session) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(session.id)
    .bind(session.user_id)
    .bind(session.created_at)
    .bind(session.last_used_at)
    .bind(session.expires_at)
    .bind(session.ip.as_deref())
    .bind(session.user_agent.as_deref())
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub(crate) async fn insert_refresh_token(
    tx: &mut Tx,
    hash: &str,
    session: Uuid,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)")
        .bind(hash).bind(session).bind(now).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// A presented refresh token with the state of its session.
#[derive(sqlx::FromRow)]
pub(crate) struct RefreshLookup {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

pub(crate) async fn lookup_refresh_token(tx: &mut Tx, hash: &str) -> Result<Option<RefreshLookup>, IdentityError> {
    Ok(on_tx!(tx, conn => sqlx::query_as(
        "SELECT s.id AS session_id, s.user_id, r.rotated_at, s.revoked_at, s.expires_at \
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = $1"
    ).bind(hash).fetch_optional(conn).await)?)
}

/// Marks the token used; false when another request rotated it first.
pub(crate) async fn rotate_refresh_token(tx: &mut Tx, hash: &str, now: DateTime<Utc>) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE refresh_tokens SET rotated_at = $1 WHERE token_hash = $2 AND rotated_at IS NULL"
    ).bind(now).bind(hash).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

pub(crate) async fn touch_session(
    tx: &mut Tx,
    session: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("UPDATE sessions SET last_used_at = $1, expires_at = $2 WHERE id = $3")
        .bind(now).bind(expires_at).bind(session).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Revokes one session of `user`; false when there is no such live session.
pub(crate) async fn revoke_session(
    tx: &mut Tx,
    user: Uuid,
    session: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL"
    ).bind(now).bind(reason).bind(session).bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    if rows == 1 {
        revocations_store::record(tx, user, Some(session), now).await?;
    }
    Ok(rows == 1)
}

/// Revokes every live session of `user` except `keep`.
pub(crate) async fn revoke_other_sessions(
    tx: &mut Tx,
    user: Uuid,
    keep: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 \
         WHERE user_id = $3 AND revoked_at IS NULL AND ($4 IS NULL OR id <> $4)"
    ).bind(now).bind(reason).bind(user).bind(keep).execute(conn).await.map(|r| r.rows_affected()))?;
    if rows > 0 {
        revocations_store::record(tx, user, None, now).await?;
    }
    Ok(rows)
}

pub(crate) async fn live_sessions(db: &Db, user: Uuid, now: DateTime<Utc>) -> Result<Vec<Session>, IdentityError> {
    let rows: Vec<SessionRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, user_id, created_at, last_used_at, expires_at, ip, user_agent FROM sessions \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC"
    ).bind(user).bind(now).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(Session::from).collect())
}

/// What an access token's holder is right now: the session must be live and the user active.
#[derive(sqlx::FromRow)]
pub(crate) struct SessionState {
    pub status: String,
    pub role: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

pub(crate) async fn session_state(db: &Db, user: Uuid, session: Uuid) -> Result<Option<SessionState>, IdentityError> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT u.status, u.role, s.revoked_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.user_id = $2"
    ).bind(session).bind(user).fetch_optional(pool).await)?)
}

/// What counting one login attempt for a key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginAttempt {
    /// Counted; `lock` is set when this attempt reached the limit and locked the key.
    Counted { lock: Option<DateTime<Utc>> },
    /// The key was already locked: nothing was counted, and the password must not be checked.
    Locked { until: DateTime<Utc> },
}

/// Counts one attempt for `key` in a single statement, so simultaneous attempts each see the others' counts: a
/// count whose window has passed starts again at 1, reaching the limit locks the key for a window, and a key
/// that is locked is left as it is (no row comes back).
const COUNT_LOGIN_ATTEMPT: &str = "INSERT INTO login_failures (key, failures, window_start, locked_until) \
     VALUES ($1, 1, $2, CASE WHEN $3 <= 1 THEN $4 END) \
     ON CONFLICT (key) DO UPDATE SET \
     failures = CASE WHEN login_failures.window_start > $5 THEN login_failures.failures + 1 ELSE 1 END, \
     window_start = CASE WHEN login_failures.window_start > $5 THEN login_failures.window_start ELSE $2 END, \
     locked_until = CASE WHEN (CASE WHEN login_failures.window_start > $5 THEN login_failures.failures + 1 \
     ELSE 1 END) >= $3 THEN $4 END \
     WHERE login_failures.locked_until IS NULL OR login_failures.locked_until <= $2 \
     RETURNING locked_until";

pub(crate) async fn count_login_attempt(
    tx: &mut Tx,
    key: &str,
    window: &AttemptWindow,
) -> Result<LoginAttempt, IdentityError> {
    let counted: Option<Option<DateTime<Utc>>> = on_tx!(tx, conn => sqlx::query_scalar(COUNT_LOGIN_ATTEMPT)
        .bind(key)
        .bind(window.now)
        .bind(window.max_failures)
        .bind(window.lock_until)
        .bind(window.expired_before)
        .fetch_optional(conn)
        .await)?;
    if let Some(lock) = counted {
        return Ok(LoginAttempt::Counted { lock });
    }
    let until: Option<Option<DateTime<Utc>>> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT locked_until FROM login_failures WHERE key = $1"
    ).bind(key).fetch_optional(conn).await)?;
    Ok(LoginAttempt::Locked {
        until: until.flatten().unwrap_or(window.lock_until),
    })
}

/// Gives back an attempt whose password was right, lifting the lock it may have set.
pub(crate) async fn give_back_login_attempt(tx: &mut Tx, key: &str, max_failures: u32) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE login_failures SET failures = failures - 1, \
         locked_until = CASE WHEN failures - 1 >= $2 THEN locked_until END \
         WHERE key = $1 AND failures > 0"
    ).bind(key).bind(i64::from(max_failures)).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn clear_login_failures(tx: &mut Tx, key: &str) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key).execute(conn).await.map(|_| ()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub(crate) struct TotpState {
    #[sqlx(rename = "totp_secret")]
    pub secret: Option<Vec<u8>>,
    #[sqlx(rename = "totp_pending_secret")]
    pub pending: Option<Vec<u8>>,
    #[sqlx(rename = "totp_last_step")]
    pub last_step: Option<i64>,
}

const TOTP_STATE: &str = "SELECT totp_secret, totp_pending_secret, totp_last_step FROM users WHERE id = $1";

pub(crate) async fn totp_state(db: &Db, user: Uuid) -> Result<TotpState, IdentityError> {
    let state: Option<TotpState> =
        on_db!(db, pool => sqlx::query_as(TOTP_STATE).bind(user).fetch_optional(pool).await)?;
    state.ok_or(IdentityError::NotFound)
}

pub(crate) async fn totp_state_in(tx: &mut Tx, user: Uuid) -> Result<TotpState, IdentityError> {
    let state: Option<TotpState> =
        on_tx!(tx, conn => sqlx::query_as(TOTP_STATE).bind(user).fetch_optional(conn).await)?;
    state.ok_or(IdentityError::NotFound)
}

pub(crate) async fn set_pending_totp(tx: &mut Tx, user: Uuid, sealed: &[u8]) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2")
        .bind(sealed).bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn activate_totp(tx: &mut Tx, user: Uuid, step: i64) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $1 \
         WHERE id = $2 AND totp_pending_secret IS NOT NULL"
    ).bind(step).bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn clear_totp(tx: &mut Tx, user: Uuid) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE id = $1"
    ).bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn advance_totp_step(tx: &mut Tx, user: Uuid, step: i64) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)"
    ).bind(step).bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

pub(crate) async fn insert_recovery_code(tx: &mut Tx, user: Uuid, hash: &str) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $2)")
        .bind(hash).bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn delete_recovery_codes(tx: &mut Tx, user: Uuid) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user).execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub(crate) async fn use_recovery_code(
    tx: &mut Tx,
    user: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL"
    ).bind(now).bind(hash).bind(user).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

pub(crate) async fn insert_challenge(
    tx: &mut Tx,
    hash: &str,
    user: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), IdentityError> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO login_challenges (challenge_hash, user_id, expires_at, attempts) VALUES ($1, $2, $3, 0)"
    ).bind(hash).bind(user).bind(expires_at).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Counts one attempt on a live challenge before its code is checked, in one statement so simultaneous
/// attempts cannot all pass the limit; the challenge's user, or `None` when it is unknown, used, expired or out
/// of attempts.
pub(crate) async fn count_challenge_attempt(
    tx: &mut Tx,
    hash: &str,
    now: DateTime<Utc>,
    max_attempts: i64,
) -> Result<Option<Uuid>, IdentityError> {
    Ok(on_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE login_challenges SET attempts = attempts + 1 \
         WHERE challenge_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3 RETURNING user_id"
    ).bind(hash).bind(now).bind(max_attempts).fetch_optional(conn).await)?)
}

pub(crate) async fn use_challenge(tx: &mut Tx, hash: &str, now: DateTime<Utc>) -> Result<bool, IdentityError> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE login_challenges SET used_at = $1 WHERE challenge_hash = $2 AND used_at IS NULL"
    ).bind(now).bind(hash).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
