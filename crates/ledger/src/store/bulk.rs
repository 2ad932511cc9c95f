//! The posting's reads through sqlx: every account, transfer and hold a group of batches names is read with a few
//! `IN (…)` queries, so the number of round trips does not grow with the group. What the group writes is
//! described once in [`super::writes`].

use super::{AccountRow, TransferRow, account_columns, sql, transfer_columns};
use crate::LedgerError;
use crate::account::{Purpose, StoredAccount};
use crate::books::{AccountId, PendingState, Transfer, TransferId};
use crate::engine::AccountKey;
use money::AssetCode;
use platform::db::bulk::{IN_LIST_MAX, padded_in_list, parameter, placeholders};
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
