//! The group writer's reads on SQLite's direct connection (see `platform::db::direct`): what [`bulk`](super::bulk)
//! reads through sqlx, as cached prepared point lookups on the connection's own thread, where a row costs a few
//! microseconds and no round trip. Its writes are the ones [`super::writes`] describes for both paths.

use super::{AccountRow, TransferRow, account_columns, transfer_columns};
use crate::LedgerError;
use crate::account::StoredAccount;
use crate::books::PendingState;
use crate::engine::{Loaded, Needs, Outcome};
use chrono::{DateTime, Utc};
use platform::Backend;
use platform::db::direct::time_at;
use rusqlite::{Connection, OptionalExtension, Row, params};
use sqlx::types::Json;
use std::collections::BTreeMap;

/// Reads what `needs` names, inside the connection's open transaction.
pub(crate) fn load(connection: &Connection, needs: &Needs) -> Result<Loaded, LedgerError> {
    let assets = crate::assets::store::many_direct(connection, &needs.codes)?;
    let columns = account_columns(Backend::Sqlite);
    let mut wallet = connection.prepare_cached(&format!(
        "SELECT {columns} FROM ledger_accounts WHERE owner_id = ? AND asset = ? AND purpose = ?"
    ))?;
    let mut system = connection.prepare_cached(&format!(
        "SELECT {columns} FROM ledger_accounts WHERE owner_id IS NULL AND asset = ? AND purpose = ?"
    ))?;
    let mut by_id = connection.prepare_cached(&format!("SELECT {columns} FROM ledger_accounts WHERE id = ?"))?;

    let mut ids = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for (owner, asset, purpose) in needs.keys.iter().copied() {
        let row = match owner {
            Some(owner) => wallet
                .query_row(params![owner, asset.as_str(), purpose.as_str()], account_row)
                .optional()?,
            None => system
                .query_row(params![asset.as_str(), purpose.as_str()], account_row)
                .optional()?,
        };
        if let Some(row) = row {
            let account = StoredAccount::try_from(row)?;
            ids.insert((owner, asset, purpose), account.account.id);
            accounts.insert(account.account.id, account);
        }
    }
    for id in &needs.named {
        if accounts.contains_key(id) {
            continue;
        }
        if let Some(row) = by_id.query_row([id.0], account_row).optional()? {
            accounts.insert(*id, StoredAccount::try_from(row)?);
        }
    }

    let mut transfer = connection.prepare_cached(&format!(
        "SELECT {} FROM ledger_transfers WHERE id = ?",
        transfer_columns(Backend::Sqlite)
    ))?;
    let mut hold = connection.prepare_cached("SELECT state FROM ledger_holds WHERE transfer_id = ?")?;
    let mut applied = Vec::new();
    for id in &needs.transfer_ids {
        let Some(row) = transfer.query_row([id.0], transfer_row).optional()? else {
            continue;
        };
        let state: Option<String> = hold.query_row([id.0], |r| r.get(0)).optional()?;
        let state = match state {
            Some(s) => {
                Some(PendingState::parse(&s).ok_or_else(|| LedgerError::Corrupt(format!("hold {}: bad state", id.0)))?)
            }
            None => None,
        };
        applied.push((row.try_into()?, state));
    }
    Ok(Loaded {
        assets,
        ids,
        accounts,
        applied,
    })
}

/// Writes what `outcome` changed, inside the connection's open transaction: the rows [`super::writes`]
/// describes, as the sqlx path writes them.
pub(crate) fn save(connection: &Connection, outcome: &Outcome<'_>, now: DateTime<Utc>) -> Result<(), LedgerError> {
    let (accounts, transfers, holds) = (outcome.accounts_to_write(), outcome.transfers(), outcome.holds());
    for rows in super::writes::of(outcome, &accounts, &transfers, &holds, now) {
        rows.execute_direct(connection)?;
    }
    Ok(())
}

/// An account row as `account_columns` lists it.
fn account_row(r: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        asset: r.get(2)?,
        purpose: r.get(3)?,
        no_overdraft: r.get(4)?,
        debits_posted: r.get(5)?,
        credits_posted: r.get(6)?,
        debits_pending: r.get(7)?,
        credits_pending: r.get(8)?,
    })
}

/// A journal row as `transfer_columns` lists it.
fn transfer_row(r: &Row<'_>) -> rusqlite::Result<TransferRow> {
    let metadata: String = r.get(10)?;
    let metadata = serde_json::from_str(&metadata)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, Box::new(e)))?;
    let at = time_at(r, 11)?.ok_or(rusqlite::Error::InvalidColumnType(
        11,
        "at".to_owned(),
        rusqlite::types::Type::Null,
    ))?;
    Ok(TransferRow {
        id: r.get(0)?,
        debit_account: r.get(1)?,
        credit_account: r.get(2)?,
        asset: r.get(3)?,
        amount: r.get(4)?,
        kind: r.get(5)?,
        action: r.get(6)?,
        pending_id: r.get(7)?,
        expires_at: time_at(r, 8)?,
        reference: r.get(9)?,
        metadata: Json(metadata),
        at,
    })
}
