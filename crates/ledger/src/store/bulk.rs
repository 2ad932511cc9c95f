//! The ledger's SQL for a group of batches applied in one transaction: every account, transfer and hold the group
//! names is read with a few `IN (…)` queries, and everything it changes is written with a few multi-row
//! statements, so the number of round trips does not grow with the group.

use super::{AccountRow, TransferRow, account_columns, action_parts, sql, transfer_columns};
use crate::LedgerError;
use crate::account::{Purpose, StoredAccount};
use crate::books::{Account, AccountId, PendingState, Transfer, TransferId};
use crate::engine::AccountKey;
use chrono::{DateTime, Utc};
use money::AssetCode;
use platform::db::bulk::{Column, IN_LIST_MAX, Statement, Value, padded_in_list, parameter, placeholders};
use platform::{Tx, on_tx};
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The ids of the accounts among `keys` that exist.
pub(crate) async fn find_accounts(
    tx: &mut Tx,
    keys: &[AccountKey],
) -> Result<BTreeMap<AccountKey, AccountId>, LedgerError> {
    // Wallets are looked up per asset with `owner_id IN (…)`, which both engines answer from the unique index
    // on (owner, asset, purpose); system accounts, a handful per asset, one by one.
    let mut wallets: BTreeMap<AssetCode, Vec<Uuid>> = BTreeMap::new();
    let mut found = BTreeMap::new();
    for (owner, asset, purpose) in keys.iter().copied() {
        match owner {
            Some(owner) if purpose == Purpose::Wallet => wallets.entry(asset).or_default().push(owner),
            _ => {
                if let Some(account) = super::find_account(tx, owner, &asset, purpose).await? {
                    found.insert((owner, asset, purpose), account);
                }
            }
        }
    }
    let backend = tx.backend();
    for (asset, owners) in wallets {
        for chunk in owners.chunks(IN_LIST_MAX) {
            let chunk = padded_in_list(chunk);
            let sql = AssertSqlSafe(format!(
                "SELECT owner_id, id FROM ledger_accounts WHERE asset = {} AND purpose = 'wallet' \
                 AND owner_id IN ({})",
                parameter(backend, 1),
                placeholders(backend, 2, chunk.len())
            ));
            let rows: Vec<(Uuid, Uuid)> = on_tx!(&mut *tx, conn => {
                let mut query = sqlx::query_as(sql).bind(asset.as_str());
                for owner in &chunk {
                    query = query.bind(*owner);
                }
                query.fetch_all(conn).await
            })?;
            for (owner, id) in rows {
                found.insert((Some(owner), asset, Purpose::Wallet), AccountId(id));
            }
        }
    }
    Ok(found)
}

/// The accounts `ids` (in ascending order), locked for the rest of the transaction on PostgreSQL. Every
/// writer locks in id order, so two groups over the same accounts queue instead of deadlocking.
pub(crate) async fn lock_accounts(
    tx: &mut Tx,
    ids: &[AccountId],
) -> Result<BTreeMap<AccountId, StoredAccount>, LedgerError> {
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    let backend = tx.backend();
    let mut accounts = BTreeMap::new();
    for chunk in sorted.chunks(IN_LIST_MAX) {
        let chunk = padded_in_list(chunk);
        let sql = AssertSqlSafe(format!(
            "SELECT {} FROM ledger_accounts WHERE id IN ({}) ORDER BY id{}",
            account_columns(backend),
            placeholders(backend, 1, chunk.len()),
            sql::lock_rows(backend)
        ));
        let rows: Vec<AccountRow> = on_tx!(&mut *tx, conn => {
            let mut query = sqlx::query_as(sql);
            for id in &chunk {
                query = query.bind(id.0);
            }
            query.fetch_all(conn).await
        })?;
        for row in rows {
            let account = StoredAccount::try_from(row)?;
            accounts.insert(account.account.id, account);
        }
    }
    Ok(accounts)
}

/// The transfers among `ids` that were applied before, each with its hold state when it is a hold.
pub(crate) async fn applied_transfers(
    tx: &mut Tx,
    ids: &[TransferId],
) -> Result<Vec<(Transfer, Option<PendingState>)>, LedgerError> {
    let backend = tx.backend();
    let mut transfers = Vec::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        let chunk = padded_in_list(chunk);
        let list = placeholders(backend, 1, chunk.len());
        let sql = AssertSqlSafe(format!(
            "SELECT {} FROM ledger_transfers WHERE id IN ({list})",
            transfer_columns(backend)
        ));
        let rows: Vec<TransferRow> = on_tx!(&mut *tx, conn => {
            let mut query = sqlx::query_as(sql);
            for id in &chunk {
                query = query.bind(id.0);
            }
            query.fetch_all(conn).await
        })?;
        if rows.is_empty() {
            continue;
        }
        let sql = AssertSqlSafe(format!(
            "SELECT transfer_id, state FROM ledger_holds WHERE transfer_id IN ({list})"
        ));
        let states: Vec<(Uuid, String)> = on_tx!(&mut *tx, conn => {
            let mut query = sqlx::query_as(sql);
            for id in &chunk {
                query = query.bind(id.0);
            }
            query.fetch_all(conn).await
        })?;
        let states: BTreeMap<Uuid, String> = states.into_iter().collect();
        for row in rows {
            let state = match states.get(&row.id) {
                Some(s) => Some(
                    PendingState::parse(s)
                        .ok_or_else(|| LedgerError::Corrupt(format!("hold {}: bad state", row.id)))?,
                ),
                None => None,
            };
            transfers.push((Transfer::try_from(row)?, state));
        }
    }
    Ok(transfers)
}

/// Writes each account's totals, inserting the accounts that are new.
pub(crate) async fn write_accounts(
    tx: &mut Tx,
    accounts: &[(&StoredAccount, &Account)],
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let values: Vec<Value> = accounts
        .iter()
        .flat_map(|(stored, totals)| {
            [
                Value::Uuid(Some(totals.id.0)),
                Value::Uuid(stored.owner),
                Value::Text(Some(totals.asset.as_str())),
                Value::Text(Some(stored.purpose.as_str())),
                Value::Bool(totals.no_overdraft),
                Value::OwnedText(totals.debits_posted.to_string()),
                Value::OwnedText(totals.credits_posted.to_string()),
                Value::OwnedText(totals.debits_pending.to_string()),
                Value::OwnedText(totals.credits_pending.to_string()),
                Value::Time(Some(now)),
            ]
        })
        .collect();
    use Column::{Amount, Plain};
    Statement {
        head: "INSERT INTO ledger_accounts (id, owner_id, asset, purpose, no_overdraft, debits_posted, \
               credits_posted, debits_pending, credits_pending, created_at) VALUES",
        columns: &[Plain, Plain, Plain, Plain, Plain, Amount, Amount, Amount, Amount, Plain],
        tail: " ON CONFLICT (id) DO UPDATE SET debits_posted = excluded.debits_posted, \
               credits_posted = excluded.credits_posted, debits_pending = excluded.debits_pending, \
               credits_pending = excluded.credits_pending",
    }
    .execute(tx, &values)
    .await?;
    Ok(())
}

/// Appends `transfers` to the journal in order, each with the posted balances of its two accounts once applied.
pub(crate) async fn insert_transfers(tx: &mut Tx, transfers: &[(&Transfer, (i128, i128))]) -> Result<(), LedgerError> {
    let values: Vec<Value> = transfers
        .iter()
        .flat_map(|(transfer, after)| {
            let request = &transfer.request;
            let (action, pending, expires_at) = action_parts(request.action);
            [
                Value::Uuid(Some(request.id.0)),
                Value::Uuid(Some(request.debit.0)),
                Value::Uuid(Some(request.credit.0)),
                Value::Text(Some(request.asset.as_str())),
                Value::OwnedText(request.amount.to_string()),
                Value::Text(Some(request.kind.as_str())),
                Value::Text(Some(action)),
                Value::Uuid(pending),
                Value::Time(expires_at),
                Value::Text(request.reference.as_deref()),
                Value::Json(&request.metadata),
                Value::Time(Some(transfer.at)),
                Value::OwnedText(after.0.to_string()),
                Value::OwnedText(after.1.to_string()),
            ]
        })
        .collect();
    use Column::{Amount, Plain};
    Statement {
        head: "INSERT INTO ledger_transfers (id, debit_account, credit_account, asset, amount, kind, action, \
               pending_id, expires_at, reference, metadata, at, debit_balance_after, credit_balance_after) VALUES",
        columns: &[
            Plain, Plain, Plain, Plain, Amount, Plain, Plain, Plain, Plain, Plain, Plain, Plain, Amount, Amount,
        ],
        tail: "",
    }
    .execute(tx, &values)
    .await?;
    Ok(())
}

/// Records where each hold of `holds` stands (each id once): new holds are inserted, settled ones updated.
pub(crate) async fn save_holds(
    tx: &mut Tx,
    holds: &[(TransferId, PendingState)],
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let values: Vec<Value> = holds
        .iter()
        .flat_map(|(id, state)| {
            [
                Value::Uuid(Some(id.0)),
                Value::Text(Some(state.as_str())),
                Value::Time(Some(now)),
            ]
        })
        .collect();
    Statement {
        head: "INSERT INTO ledger_holds (transfer_id, state, updated_at) VALUES",
        columns: &[Column::Plain; 3],
        tail: " ON CONFLICT (transfer_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    }
    .execute(tx, &values)
    .await?;
    Ok(())
}
