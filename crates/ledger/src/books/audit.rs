//! Proving the books: per-asset conservation, no overdrawn wallet, and agreement with a replay of the journal.

use super::{Account, AccountId, Books, PendingState, Rejection, Transfer, TransferId};
use money::AssetCode;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discrepancy {
    /// For one asset, debits and credits across all accounts differ: money was made or lost. `pending` tells
    /// whether the pending (held) side is off rather than the posted side.
    Unbalanced { asset: AssetCode, pending: bool },
    /// A wallet that may not go negative has more debits than credits.
    Overdrawn { account: AccountId },
    /// The stored totals differ from what replaying the journal gives.
    Drift { account: AccountId },
    /// A hold's stored state differs from what replaying the journal gives.
    HoldState { pending: TransferId },
    /// Replaying the journal refuses a transfer the store holds as applied.
    Unreplayable { transfer: TransferId, reason: Rejection },
}

/// A sum of many `u128` totals, exact however many accounts there are: the low word and a count of carries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Sum {
    carries: u64,
    low: u128,
}

impl Sum {
    fn add(&mut self, value: u128) {
        let (low, carried) = self.low.overflowing_add(value);
        self.low = low;
        self.carries += u64::from(carried);
    }
}

/// Per asset: debits and credits, posted and pending, summed over every account.
#[derive(Default)]
struct Totals {
    debits_posted: Sum,
    credits_posted: Sum,
    debits_pending: Sum,
    credits_pending: Sum,
}

impl Books {
    /// The invariants that must hold on any books: every asset sums to zero and no wallet is overdrawn.
    pub fn check_invariants(&self) -> Vec<Discrepancy> {
        let mut found = Vec::new();
        let mut per_asset: BTreeMap<AssetCode, Totals> = BTreeMap::new();
        let mut accounts: Vec<&Account> = self.accounts().collect();
        accounts.sort_by_key(|a| a.id);
        for account in accounts {
            let totals = per_asset.entry(account.asset).or_default();
            totals.debits_posted.add(account.debits_posted);
            totals.credits_posted.add(account.credits_posted);
            totals.debits_pending.add(account.debits_pending);
            totals.credits_pending.add(account.credits_pending);
            if !account.within_limits() {
                found.push(Discrepancy::Overdrawn { account: account.id });
            }
        }
        for (asset, totals) in per_asset {
            if totals.debits_posted != totals.credits_posted {
                found.push(Discrepancy::Unbalanced { asset, pending: false });
            }
            if totals.debits_pending != totals.credits_pending {
                found.push(Discrepancy::Unbalanced { asset, pending: true });
            }
        }
        found
    }

    /// Books rebuilt from `accounts` (their totals ignored) by applying `journal` in order, each transfer at its
    /// own time.
    pub fn replay<'a>(
        accounts: impl IntoIterator<Item = &'a Account>,
        journal: impl IntoIterator<Item = &'a Transfer>,
    ) -> Result<Books, Discrepancy> {
        let mut books = Books::new();
        for account in accounts {
            books.insert_account(Account::new(account.id, account.asset, account.no_overdraft));
        }
        for transfer in journal {
            books
                .apply(std::slice::from_ref(&transfer.request), transfer.at)
                .map_err(|(_, reason)| Discrepancy::Unreplayable {
                    transfer: transfer.request.id,
                    reason,
                })?;
        }
        Ok(books)
    }

    /// Where these books differ from `rebuilt` (usually [`Books::replay`] of their own journal).
    pub fn compare(
        &self,
        rebuilt: &Books,
        holds: impl IntoIterator<Item = (TransferId, PendingState)>,
    ) -> Vec<Discrepancy> {
        let mut found = Vec::new();
        let mut accounts: Vec<&Account> = self.accounts().collect();
        accounts.sort_by_key(|a| a.id);
        for account in accounts {
            if rebuilt.account(account.id) != Some(account) {
                found.push(Discrepancy::Drift { account: account.id });
            }
        }
        for (pending, state) in holds {
            if rebuilt.pending_state(pending) != Some(state) {
                found.push(Discrepancy::HoldState { pending });
            }
        }
        found
    }
}
