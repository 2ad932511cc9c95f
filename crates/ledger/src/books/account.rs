use money::AssetCode;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub Uuid);

/// One account of one asset. Amounts are minor units. A user wallet refuses to go below zero
/// (`no_overdraft`); a system account (external deposits, fees, clearing) may, because it holds the other side
/// of money that entered or left the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub asset: AssetCode,
    pub no_overdraft: bool,
    pub debits_posted: u128,
    pub credits_posted: u128,
    pub debits_pending: u128,
    pub credits_pending: u128,
}

impl Account {
    pub fn new(id: AccountId, asset: AssetCode, no_overdraft: bool) -> Account {
        Account {
            id,
            asset,
            no_overdraft,
            debits_posted: 0,
            credits_posted: 0,
            debits_pending: 0,
            credits_pending: 0,
        }
    }

    /// Posted credits less posted debits: what the account holds, holds included. `None` only beyond i128.
    pub fn balance(&self) -> Option<i128> {
        i128::try_from(self.credits_posted)
            .ok()?
            .checked_sub(i128::try_from(self.debits_posted).ok()?)
    }

    /// What can be spent now: the balance less what is held for pending debits.
    pub fn available(&self) -> Option<i128> {
        self.balance()?.checked_sub(i128::try_from(self.debits_pending).ok()?)
    }

    /// Held for pending debits (open orders, pending withdrawals, quotes being sent).
    pub fn locked(&self) -> u128 {
        self.debits_pending
    }

    /// The no-overdraft rule: posted and pending debits never exceed posted credits.
    pub(crate) fn within_limits(&self) -> bool {
        !self.no_overdraft
            || self
                .debits_posted
                .checked_add(self.debits_pending)
                .is_some_and(|debits| debits <= self.credits_posted)
    }
}
