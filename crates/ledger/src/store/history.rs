//! The SQL behind a wallet's history, one journal entry by id, and the open holds an expiry sweep settles.

use super::{TransferRow, transfer_columns};
use crate::LedgerError;
use crate::books::{AccountId, Transfer, TransferKind};
use chrono::{DateTime, Utc};
use platform::{Backend, Db, on_db};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use uuid::Uuid;

/// One journal row seen from one of its two accounts (`account`), with what the history shows beside it.
#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    pub seq: i64,
    pub id: Uuid,
    pub account: Uuid,
    pub debit_account: Uuid,
    pub asset: String,
    pub precision: i32,
    pub amount: String,
    pub kind: String,
    pub action: String,
    pub reference: Option<String>,
    pub metadata: Json<serde_json::Value>,
    pub at: DateTime<Utc>,
    /// NULL only on rows written before running balances were stored.
    pub balance_after: Option<String>,
    pub hold_state: Option<String>,
    pub other_owner: Option<Uuid>,
    pub other_purpose: String,
}

/// The select list and joins shared by the history and the single entry; `a` is the account seen from.
fn entry_select(backend: Backend) -> String {
    let balance = "CASE WHEN t.debit_account = a.id THEN t.debit_balance_after ELSE t.credit_balance_after END";
    let (amount, balance) = match backend {
        Backend::Sqlite => ("t.amount AS amount".to_owned(), format!("{balance} AS balance_after")),
        Backend::Postgres => (
            "t.amount::text AS amount".to_owned(),
            format!("({balance})::text AS balance_after"),
        ),
    };
    format!(
        "SELECT t.seq, t.id, a.id AS account, t.debit_account, t.asset, s.precision, {amount}, t.kind, t.action, \
         t.reference, t.metadata, t.at, {balance}, h.state AS hold_state, o.owner_id AS other_owner, \
         o.purpose AS other_purpose \
         FROM ledger_transfers t \
         JOIN ledger_accounts a ON a.id = t.debit_account OR a.id = t.credit_account \
         JOIN ledger_accounts o ON o.id = CASE WHEN t.debit_account = a.id THEN t.credit_account \
                                                ELSE t.debit_account END \
         JOIN assets s ON s.code = t.asset \
         LEFT JOIN ledger_holds h ON h.transfer_id = t.id"
    )
}

/// The wallet `user` holds in `asset`, if any.
pub(crate) async fn wallet_id(db: &Db, user: Uuid, asset: &str) -> Result<Option<AccountId>, LedgerError> {
    let id: Option<Uuid> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM ledger_accounts WHERE owner_id = $1 AND asset = $2 AND purpose = 'wallet'"
    ).bind(user).bind(asset).fetch_optional(pool).await)?;
    Ok(id.map(AccountId))
}

/// Up to `limit` entries of `account`, newest first, older than `before` (a `seq`) when given. Settlements that
/// move no money (a void or an expiry) are left out: the hold's own entry carries its final state.
pub(crate) async fn entries(
    db: &Db,
    account: AccountId,
    kind: Option<TransferKind>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EntryRow>, LedgerError> {
    // Each side is read newest first along its own (account, seq) index and cut to the page size before the two
    // are merged, so a page costs about `limit` rows however long the account's journal is.
    let filters = "action NOT IN ('void_pending', 'expire_pending') AND ($2 IS NULL OR kind = $2) \
                   AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($5 IS NULL OR seq < $5)";
    let sql = AssertSqlSafe(format!(
        "{} WHERE a.id = $1 AND t.seq IN ( \
           SELECT seq FROM (SELECT seq FROM ledger_transfers WHERE debit_account = $1 AND {filters} \
                            ORDER BY seq DESC LIMIT $6) AS debits \
           UNION ALL \
           SELECT seq FROM (SELECT seq FROM ledger_transfers WHERE credit_account = $1 AND {filters} \
                            ORDER BY seq DESC LIMIT $6) AS credits) \
         ORDER BY t.seq DESC LIMIT $6",
        entry_select(db.backend())
    ));
    let rows: Vec<EntryRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(account.0)
        .bind(kind.map(TransferKind::as_str))
        .bind(from)
        .bind(to)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    Ok(rows)
}

/// Journal row `id`, seen from the wallet of `user` it touches; none when it touches no wallet of theirs.
pub(crate) async fn entry_of(db: &Db, user: Uuid, id: Uuid) -> Result<Option<EntryRow>, LedgerError> {
    let sql = AssertSqlSafe(format!(
        "{} WHERE t.id = $1 AND a.owner_id = $2 AND a.purpose = 'wallet'",
        entry_select(db.backend())
    ));
    let row: Option<EntryRow> = on_db!(db, pool => sqlx::query_as(sql).bind(id).bind(user).fetch_optional(pool).await)?;
    Ok(row)
}

/// For rows stored without a running balance: every posted movement of `account` up to `seq`, in order, as
/// (seq, whether the account is debited, amount).
pub(crate) async fn posted_movements(
    db: &Db,
    account: AccountId,
    seq: i64,
) -> Result<Vec<(i64, bool, String)>, LedgerError> {
    let amount = match db.backend() {
        Backend::Sqlite => "amount",
        Backend::Postgres => "amount::text",
    };
    let sql = AssertSqlSafe(format!(
        "SELECT seq, debit_account = $1 AS debited, {amount} FROM ledger_transfers \
         WHERE (debit_account = $1 OR credit_account = $1) AND action IN ('post', 'post_pending') AND seq <= $2 \
         ORDER BY seq"
    ));
    let rows: Vec<(i64, bool, String)> =
        on_db!(db, pool => sqlx::query_as(sql).bind(account.0).bind(seq).fetch_all(pool).await)?;
    Ok(rows)
}

/// Up to `limit` open holds whose expiry is at or before `now`, the longest expired first.
pub(crate) async fn expired_holds(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<Transfer>, LedgerError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_transfers JOIN ledger_holds ON transfer_id = id \
         WHERE state = 'open' AND action = 'hold' AND expires_at IS NOT NULL AND expires_at <= $1 \
         ORDER BY expires_at, seq LIMIT $2",
        transfer_columns(db.backend())
    ));
    let rows: Vec<TransferRow> = on_db!(db, pool => sqlx::query_as(sql).bind(now).bind(limit).fetch_all(pool).await)?;
    rows.into_iter().map(Transfer::try_from).collect()
}
