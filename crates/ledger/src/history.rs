//! A wallet's history: its journal entries newest first, each with the wallet's posted balance right after it.
//! The balance is written into the journal row when the transfer applies ([`Running`]), so any page of the
//! history reads it directly, exact and without summing the account's past; rows stored before that column
//! existed are replayed from the journal instead.

use crate::assets::AssetCatalogue;
use crate::books::{Account, AccountId, Action, PendingState, TransferId, TransferKind, TransferRequest};
use crate::store::history::{self as store, EntryRow};
use crate::store::parse_amount;
use crate::{LedgerError, Purpose};
use chrono::{DateTime, Utc};
use money::{Amount, AssetCode, Precision, SignedAmount};
use platform::Db;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The posted balances of the accounts a batch touches, carried leg by leg so each journal row records the
/// balances it left behind, also when one batch moves the same account twice.
#[derive(Default)]
pub(crate) struct Running {
    balances: BTreeMap<AccountId, i128>,
}

impl Running {
    pub(crate) fn new<'a>(accounts: impl Iterator<Item = &'a Account>) -> Result<Running, LedgerError> {
        let balances = accounts
            .map(|a| {
                a.balance()
                    .map(|b| (a.id, b))
                    .ok_or_else(|| LedgerError::Corrupt(format!("account {}: totals beyond i128", a.id.0)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Running { balances })
    }

    /// The debit and credit accounts' posted balances once `request` has applied.
    pub(crate) fn apply(&mut self, request: &TransferRequest) -> Result<(i128, i128), LedgerError> {
        let posted = posted_by(request.action, request.amount)?;
        let debit = self.shift(request.debit, -posted)?;
        let credit = self.shift(request.credit, posted)?;
        Ok((debit, credit))
    }

    fn shift(&mut self, account: AccountId, by: i128) -> Result<i128, LedgerError> {
        let balance = self
            .balances
            .get_mut(&account)
            .ok_or_else(|| LedgerError::Corrupt(format!("account {} was not loaded", account.0)))?;
        *balance = balance
            .checked_add(by)
            .ok_or_else(|| LedgerError::Corrupt(format!("account {}: balance beyond i128", account.0)))?;
        Ok(*balance)
    }
}

/// What a transfer moves between posted balances: holds and releases move only pending totals.
fn posted_by(action: Action, amount: u128) -> Result<i128, LedgerError> {
    match action {
        Action::Post | Action::PostPending { .. } => {
            i128::try_from(amount).map_err(|_| LedgerError::Corrupt("an amount beyond i128".to_owned()))
        }
        Action::Hold { .. } | Action::VoidPending { .. } | Action::ExpirePending { .. } => Ok(0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Credit,
    Debit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
}

/// Which entries a history page holds. `before` is the `seq` of the last entry of the previous page.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub kind: Option<TransferKind>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub to: Option<DateTime<Utc>>,
    pub before: Option<i64>,
}

/// One journal entry as the wallet's owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's place in the journal: the history's cursor.
    pub seq: i64,
    pub id: TransferId,
    pub asset: AssetCode,
    pub kind: TransferKind,
    pub direction: Direction,
    pub amount: Amount,
    /// `posted`; for a hold `pending`, `posted`, `voided` or `expired`.
    pub status: &'static str,
    pub reference: Option<String>,
    pub memo: Option<String>,
    /// The other side when it is another user's wallet; system accounts are never named.
    pub counterparty: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// The wallet's posted balance right after this entry.
    pub balance_after: SignedAmount,
}

/// Up to `limit` entries of `user`'s wallet in `asset`, newest first, and whether more follow. An asset the
/// catalogue does not list is [`LedgerError::UnknownAsset`]; a user without that wallet has no entries.
pub(crate) async fn history(
    db: &Db,
    user: Uuid,
    asset: &AssetCode,
    filter: &HistoryFilter,
    limit: u32,
) -> Result<(Vec<Entry>, bool), LedgerError> {
    AssetCatalogue::new(db.clone()).get(asset).await.map_err(|e| match e {
        LedgerError::AssetNotFound(code) => LedgerError::UnknownAsset(code),
        other => other,
    })?;
    let Some(account) = store::wallet_id(db, user, asset.as_str()).await? else {
        return Ok((Vec::new(), false));
    };
    let mut rows = store::entries(
        db,
        account,
        filter.kind,
        filter.from,
        filter.to,
        filter.before,
        i64::from(limit) + 1,
    )
    .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let replayed = replayed_balances(db, account, &rows).await?;
    let entries = rows
        .into_iter()
        .map(|row| {
            let seq = row.seq;
            entry(row, replayed.get(&seq).copied())
        })
        .collect::<Result<_, _>>()?;
    Ok((entries, more))
}

/// Journal entry `id` when it moved money in or out of one of `user`'s wallets; `None` otherwise, so that
/// another user's transfer and an unknown id look the same.
pub(crate) async fn transaction(db: &Db, user: Uuid, id: Uuid) -> Result<Option<Entry>, LedgerError> {
    let Some(row) = store::entry_of(db, user, id).await? else {
        return Ok(None);
    };
    let replayed = replayed_balances(db, AccountId(row.account), std::slice::from_ref(&row)).await?;
    let seq = row.seq;
    entry(row, replayed.get(&seq).copied()).map(Some)
}

/// Balances after the rows that were stored without one, by replaying the account's posted movements.
async fn replayed_balances(db: &Db, account: AccountId, rows: &[EntryRow]) -> Result<BTreeMap<i64, i128>, LedgerError> {
    let missing: BTreeSet<i64> = rows
        .iter()
        .filter(|r| r.balance_after.is_none())
        .map(|r| r.seq)
        .collect();
    let Some(last) = missing.last().copied() else {
        return Ok(BTreeMap::new());
    };
    let mut balance: i128 = 0;
    let mut found = BTreeMap::new();
    let mut wanted = missing.iter().peekable();
    for (seq, debited, amount) in store::posted_movements(db, account, last).await? {
        while let Some(&&want) = wanted.peek()
            && want < seq
        {
            found.insert(want, balance);
            wanted.next();
        }
        let amount = posted_by(Action::Post, parse_amount(&amount, "a journal row")?)?;
        let delta = if debited { -amount } else { amount };
        balance = balance
            .checked_add(delta)
            .ok_or_else(|| LedgerError::Corrupt(format!("account {}: balance beyond i128", account.0)))?;
    }
    for want in wanted {
        found.insert(*want, balance);
    }
    Ok(found)
}

fn entry(row: EntryRow, replayed: Option<i128>) -> Result<Entry, LedgerError> {
    let what = format!("transfer {}", row.id);
    let corrupt = |why: &str| LedgerError::Corrupt(format!("{what}: {why}"));
    let precision = u8::try_from(row.precision)
        .ok()
        .and_then(|p| Precision::new(p).ok())
        .ok_or_else(|| corrupt("bad precision"))?;
    let balance_after = match (&row.balance_after, replayed) {
        (Some(text), _) => text.parse::<i128>().map_err(|_| corrupt("bad running balance"))?,
        (None, Some(balance)) => balance,
        (None, None) => return Err(corrupt("no running balance")),
    };
    let hold_state = row
        .hold_state
        .as_deref()
        .map(|s| PendingState::parse(s).ok_or_else(|| corrupt("bad hold state")))
        .transpose()?;
    let status = match (row.action.as_str(), hold_state) {
        ("hold", Some(PendingState::Open)) => "pending",
        ("hold", Some(state)) => state.as_str(),
        ("hold", None) => return Err(corrupt("a hold without a state")),
        ("void_pending", _) => "voided",
        ("expire_pending", _) => "expired",
        _ => "posted",
    };
    let counterparty = match Purpose::parse(&row.other_purpose) {
        Some(Purpose::Wallet) => row.other_owner,
        Some(_) => None,
        None => return Err(corrupt("bad purpose")),
    };
    let memo = row.metadata.0.get("memo").and_then(|m| m.as_str()).map(str::to_owned);
    Ok(Entry {
        seq: row.seq,
        id: TransferId(row.id),
        asset: AssetCode::parse(&row.asset).map_err(|_| corrupt("bad asset"))?,
        kind: TransferKind::parse(&row.kind).ok_or_else(|| corrupt("bad kind"))?,
        direction: if row.debit_account == row.account {
            Direction::Debit
        } else {
            Direction::Credit
        },
        amount: Amount::from_minor(parse_amount(&row.amount, &what)?, precision),
        status,
        reference: row.reference,
        memo,
        counterparty,
        created_at: row.at,
        balance_after: SignedAmount::from_minor(balance_after, precision),
    })
}
