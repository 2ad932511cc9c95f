//! What a posting writes, described once for both backends and both connections: the account totals, the journal
//! rows, the hold states, the outbox events and the audit records of an applied group, as [`Rows`] that the
//! sqlx path runs in the caller's transaction and SQLite's group-commit writer runs on its direct connection. A
//! column added to the journal is added here, and only here.

use super::action_parts;
use crate::account::StoredAccount;
use crate::books::{Account, PendingState, Transfer, TransferId};
use crate::engine::Outcome;
use chrono::{DateTime, Utc};
use platform::db::bulk::{Column, Rows, Statement, Value};
use platform::{audit, outbox};

/// Every write of `outcome`, in the order they are made.
pub(crate) fn of<'a>(
    outcome: &'a Outcome<'_>,
    accounts: &'a [(&'a StoredAccount, &'a Account)],
    transfers: &'a [(&'a Transfer, (i128, i128))],
    holds: &'a [(TransferId, PendingState)],
    now: DateTime<Utc>,
) -> Vec<Rows<'a>> {
    let mut writes = vec![account_rows(accounts, now), journal_rows(transfers)];
    if !holds.is_empty() {
        writes.push(hold_rows(holds, now));
    }
    if !outcome.writes.events.is_empty() {
        writes.push(outbox::rows(&outcome.writes.events, now));
    }
    writes.push(audit::rows(&outcome.writes.audit));
    writes
}

const PLAIN: Column = Column::Plain;
const AMOUNT: Column = Column::Amount;

/// Each account's totals, inserting the accounts that are new.
fn account_rows<'a>(accounts: &'a [(&'a StoredAccount, &'a Account)], now: DateTime<Utc>) -> Rows<'a> {
    let values = accounts
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
    Rows {
        statement: Statement {
            head: "INSERT INTO ledger_accounts (id, owner_id, asset, purpose, no_overdraft, debits_posted, \
               credits_posted, debits_pending, credits_pending, created_at) VALUES",
            columns: &[PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, AMOUNT, AMOUNT, AMOUNT, AMOUNT, PLAIN],
            tail: " ON CONFLICT (id) DO UPDATE SET debits_posted = excluded.debits_posted, \
               credits_posted = excluded.credits_posted, debits_pending = excluded.debits_pending, \
               credits_pending = excluded.credits_pending",
        },
        values,
        events: false,
    }
}

/// `transfers` appended to the journal in order, each with the posted balances of its two accounts once applied.
fn journal_rows<'a>(transfers: &'a [(&'a Transfer, (i128, i128))]) -> Rows<'a> {
    let values = transfers
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
    Rows {
        statement: Statement {
            head: "INSERT INTO ledger_transfers (id, debit_account, credit_account, asset, amount, kind, action, \
               pending_id, expires_at, reference, metadata, at, debit_balance_after, credit_balance_after) VALUES",
            columns: &[
                PLAIN, PLAIN, PLAIN, PLAIN, AMOUNT, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, AMOUNT, AMOUNT,
            ],
            tail: "",
        },
        values,
        events: false,
    }
}

/// Where each hold of `holds` stands (each id once): new holds are inserted, settled ones updated.
fn hold_rows(holds: &[(TransferId, PendingState)], now: DateTime<Utc>) -> Rows<'_> {
    let values = holds
        .iter()
        .flat_map(|(id, state)| {
            [
                Value::Uuid(Some(id.0)),
                Value::Text(Some(state.as_str())),
                Value::Time(Some(now)),
            ]
        })
        .collect();
    Rows {
        statement: Statement {
            head: "INSERT INTO ledger_holds (transfer_id, state, updated_at) VALUES",
            columns: &[Column::Plain; 3],
            tail: " ON CONFLICT (transfer_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        },
        values,
        events: false,
    }
}
