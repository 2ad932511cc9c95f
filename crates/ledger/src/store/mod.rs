//! The ledger's SQL: accounts, the journal and hold states, written once for both backends. Amount parameters and
//! columns go through [`sql`], the only dialect difference.

pub(crate) mod bulk;
pub(crate) mod direct;
pub(crate) mod history;
mod sql;
pub(crate) mod writes;

pub(crate) use sql::parse_amount;

use crate::LedgerError;
use crate::account::{Purpose, StoredAccount};
use crate::books::{Account, AccountId, Action, PendingState, Transfer, TransferId, TransferKind, TransferRequest};
use chrono::{DateTime, Utc};
use money::{AssetCode, Precision};
use platform::db::TxConnection;
use platform::{Backend, Db, Tx, on_db, on_tx};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use uuid::Uuid;

const AMOUNT_COLUMNS: [&str; 4] = ["debits_posted", "credits_posted", "debits_pending", "credits_pending"];

fn account_columns(backend: Backend) -> String {
    format!(
        "id, owner_id, asset, purpose, no_overdraft, {}",
        sql::amount_columns(backend, &AMOUNT_COLUMNS)
    )
}

fn transfer_columns(backend: Backend) -> String {
    format!(
        "id, debit_account, credit_account, asset, {}, kind, action, pending_id, expires_at, reference, metadata, at",
        sql::amount_column(backend, "amount")
    )
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    owner_id: Option<Uuid>,
    asset: String,
    purpose: String,
    no_overdraft: bool,
    debits_posted: String,
    credits_posted: String,
    debits_pending: String,
    credits_pending: String,
}

impl TryFrom<AccountRow> for StoredAccount {
    type Error = LedgerError;

    fn try_from(row: AccountRow) -> Result<Self, LedgerError> {
        let what = format!("account {}", row.id);
        let asset = AssetCode::parse(&row.asset).map_err(|_| LedgerError::Corrupt(format!("{what}: bad asset")))?;
        let purpose =
            Purpose::parse(&row.purpose).ok_or_else(|| LedgerError::Corrupt(format!("{what}: bad purpose")))?;
        let mut account = Account::new(AccountId(row.id), asset, row.no_overdraft);
        account.debits_posted = parse_amount(&row.debits_posted, &what)?;
        account.credits_posted = parse_amount(&row.credits_posted, &what)?;
        account.debits_pending = parse_amount(&row.debits_pending, &what)?;
        account.credits_pending = parse_amount(&row.credits_pending, &what)?;
        Ok(StoredAccount {
            account,
            owner: row.owner_id,
            purpose,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TransferRow {
    id: Uuid,
    debit_account: Uuid,
    credit_account: Uuid,
    asset: String,
    amount: String,
    kind: String,
    action: String,
    pending_id: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
    reference: Option<String>,
    metadata: Json<serde_json::Value>,
    at: DateTime<Utc>,
}

impl TryFrom<TransferRow> for Transfer {
    type Error = LedgerError;

    fn try_from(row: TransferRow) -> Result<Self, LedgerError> {
        let what = format!("transfer {}", row.id);
        let corrupt = |why: &str| LedgerError::Corrupt(format!("{what}: {why}"));
        let pending = || row.pending_id.map(TransferId).ok_or_else(|| corrupt("no pending id"));
        let action = match row.action.as_str() {
            "post" => Action::Post,
            "hold" => Action::Hold {
                expires_at: row.expires_at,
            },
            "post_pending" => Action::PostPending { pending: pending()? },
            "void_pending" => Action::VoidPending { pending: pending()? },
            "expire_pending" => Action::ExpirePending { pending: pending()? },
            _ => return Err(corrupt("bad action")),
        };
        Ok(Transfer {
            request: TransferRequest {
                id: TransferId(row.id),
                debit: AccountId(row.debit_account),
                credit: AccountId(row.credit_account),
                asset: AssetCode::parse(&row.asset).map_err(|_| corrupt("bad asset"))?,
                amount: parse_amount(&row.amount, &what)?,
                kind: TransferKind::parse(&row.kind).ok_or_else(|| corrupt("bad kind"))?,
                action,
                reference: row.reference,
                metadata: row.metadata.0,
            },
            at: row.at,
        })
    }
}

/// The stored name of an action, the hold it settles and a hold's expiry.
fn action_parts(action: Action) -> (&'static str, Option<Uuid>, Option<DateTime<Utc>>) {
    match action {
        Action::Post => ("post", None, None),
        Action::Hold { expires_at } => ("hold", None, expires_at),
        Action::PostPending { pending } => ("post_pending", Some(pending.0), None),
        Action::VoidPending { pending } => ("void_pending", Some(pending.0), None),
        Action::ExpirePending { pending } => ("expire_pending", Some(pending.0), None),
    }
}

/// Selects the account of an owner (`$3`, or none when `$4` is true) for an asset (`$1`) and purpose (`$2`).
const BY_KEY: &str = "asset = $1 AND purpose = $2 AND (owner_id = $3 OR (owner_id IS NULL AND $4))";

/// The account of `owner` (none for a system account) for `asset` and `purpose`, created empty if missing. In
/// the caller's transaction, so an account made for a movement that is then refused disappears with it.
pub(crate) async fn ensure_account(
    tx: &mut Tx,
    owner: Option<Uuid>,
    asset: &AssetCode,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<StoredAccount, LedgerError> {
    on_tx!(&mut *tx, conn => sqlx::query(
        "INSERT INTO ledger_accounts (id, owner_id, asset, purpose, no_overdraft, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
    )
    .bind(Uuid::now_v7())
    .bind(owner)
    .bind(asset.as_str())
    .bind(purpose.as_str())
    .bind(purpose.no_overdraft())
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ()))?;
    let backend = tx.backend();
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_accounts WHERE {BY_KEY}",
        account_columns(backend)
    ));
    let row: Option<AccountRow> = on_tx!(&mut *tx, conn => sqlx::query_as(sql)
        .bind(asset.as_str())
        .bind(purpose.as_str())
        .bind(owner)
        .bind(owner.is_none())
        .fetch_optional(conn)
        .await)?;
    row.ok_or_else(|| LedgerError::Corrupt(format!("the {} account for {asset} vanished", purpose.as_str())))?
        .try_into()
}

/// The id of the account of `owner` (none for a system account) for `asset` and `purpose`, if it exists.
pub(crate) async fn find_account(
    tx: &mut Tx,
    owner: Option<Uuid>,
    asset: &AssetCode,
    purpose: Purpose,
) -> Result<Option<AccountId>, LedgerError> {
    let sql = AssertSqlSafe(format!("SELECT id FROM ledger_accounts WHERE {BY_KEY}"));
    let id: Option<Uuid> = on_tx!(tx, conn => sqlx::query_scalar(sql)
    .bind(asset.as_str())
    .bind(purpose.as_str())
    .bind(owner)
    .bind(owner.is_none())
    .fetch_optional(conn)
    .await)?;
    Ok(id.map(AccountId))
}

/// Every wallet of `user`, in asset order, with the asset's precision.
pub(crate) async fn wallets(db: &Db, user: Uuid) -> Result<Vec<(StoredAccount, Precision)>, LedgerError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        account: AccountRow,
        precision: i32,
    }
    let backend = db.backend();
    let columns = account_columns(backend)
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = AssertSqlSafe(format!(
        "SELECT {columns}, s.precision FROM ledger_accounts a JOIN assets s ON s.code = a.asset \
         WHERE a.owner_id = $1 AND a.purpose = 'wallet' ORDER BY a.asset"
    ));
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(user).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|row| {
            let precision = u8::try_from(row.precision)
                .ok()
                .and_then(|p| Precision::new(p).ok())
                .ok_or_else(|| LedgerError::Corrupt(format!("asset {}: bad precision", row.account.asset)))?;
            Ok((StoredAccount::try_from(row.account)?, precision))
        })
        .collect()
}

/// Up to `limit` owners of at least one wallet, in id order, after `after`.
pub(crate) async fn wallet_owners(db: &Db, after: Option<Uuid>, limit: i64) -> Result<Vec<Uuid>, LedgerError> {
    let sql = "SELECT DISTINCT owner_id FROM ledger_accounts WHERE purpose = 'wallet' AND owner_id IS NOT NULL \
               AND ($1 IS NULL OR owner_id > $1) ORDER BY owner_id LIMIT $2";
    let rows: Vec<(Uuid,)> = on_db!(db, pool => sqlx::query_as(sql).bind(after).bind(limit).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Opens a read transaction that sees one consistent state of the whole ledger: on SQLite the transaction holds
/// the write lock, on PostgreSQL it is a read-only snapshot (repeatable read), so writers carry on meanwhile.
pub(crate) async fn snapshot(db: &Db) -> Result<Tx, LedgerError> {
    let mut tx = db.begin().await?;
    if let TxConnection::Postgres(conn) = tx.connection() {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut **conn)
            .await?;
    }
    Ok(tx)
}

pub(crate) async fn all_accounts(tx: &mut Tx) -> Result<Vec<StoredAccount>, LedgerError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_accounts ORDER BY id",
        account_columns(tx.backend())
    ));
    let rows: Vec<AccountRow> = on_tx!(tx, conn => sqlx::query_as(sql).fetch_all(conn).await)?;
    rows.into_iter().map(StoredAccount::try_from).collect()
}

/// The whole journal in the order it was applied.
pub(crate) async fn journal(tx: &mut Tx) -> Result<Vec<Transfer>, LedgerError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {} FROM ledger_transfers ORDER BY seq",
        transfer_columns(tx.backend())
    ));
    let rows: Vec<TransferRow> = on_tx!(tx, conn => sqlx::query_as(sql).fetch_all(conn).await)?;
    rows.into_iter().map(Transfer::try_from).collect()
}

pub(crate) async fn holds(tx: &mut Tx) -> Result<Vec<(TransferId, PendingState)>, LedgerError> {
    let rows: Vec<(Uuid, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT transfer_id, state FROM ledger_holds ORDER BY transfer_id"
    ).fetch_all(conn).await)?;
    rows.into_iter()
        .map(|(id, state)| {
            PendingState::parse(&state)
                .map(|s| (TransferId(id), s))
                .ok_or_else(|| LedgerError::Corrupt(format!("hold {id}: bad state")))
        })
        .collect()
}
